"""The package's real-size path on a GPU: a Qwen2.5-VL-7B-shaped model and a V-JEPA 2.1 ViT-B/16-384-shaped checkpoint.

No weights can be downloaded here, so both are randomly initialised at the real shapes and written to disk in the
released layouts (`save_pretrained` folder; `.pt` with `ema_encoder` and `module.backbone.` key prefixes); then the
package loads them the way a user loads the real ones (`model_path=`, `vjepa_checkpoint=`, `dtype='bfloat16'`,
`device='cuda'`), trains f_theta + LoRA for a few steps on a small synthetic dataset and evaluates `no_gaze`,
`lora_only` and `gazeqwen` on it. Checked against the reference system's numbers: the base parameter count (8,292,166,656), LoRA's
(2,523,136), the reference f_theta's (10,807,324) and the injection layers (6, 13, 20, 27); plus finite losses and
probabilities, the timings (items/s of batched evaluation, injection overhead) and peak GPU memory. Random weights say
nothing about accuracy. Output: one JSON file.

    python benchmarks/gpu_7b_check.py --data runs/smoke/embedded/data-smoke-* --out results/gpu_7b_check.json

`--scale tiny --device cpu` is a dry run of the script itself with small shapes (the checks against the 7B numbers
are then skipped).
"""
from __future__ import annotations
import argparse, json, math, platform, shutil, sys, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from transformers import Qwen2_5_VLForConditionalGeneration  # noqa: E402
from gazeqwen.tiny import build_tiny_tokenizer, build_tiny_processor, tiny_qwen_config  # noqa: E402
from gazeqwen.vjepa_features import VJEPA21Encoder  # noqa: E402
from gazeqwen.model import default_injection_layers  # noqa: E402
from gazeqwen.evaluate import EvalConfig, evaluate  # noqa: E402
from gazeqwen.train import TrainConfig, train, load_split_items  # noqa: E402
from gazeqwen.checkpoint import load_gazeqwen_checkpoint  # noqa: E402
from gazeqwen.hooks import GazeLensContext, register_gazelens_hooks, remove_gazelens_hooks  # noqa: E402
from gazeqwen.pipeline import get_protocol, load_backbone, prepare_items, answer_logits  # noqa: E402
from gazeqwen.utils import package_versions, git_revision, write_json  # noqa: E402

# Qwen2.5-VL-7B-Instruct's config.json (text and vision towers); vocabulary 152,064
SHAPES = {'7b': dict(layers=28, hidden=3584, heads=28, kv_heads=4, intermediate=18944, mrope_section=[16, 24, 24],
                     vision_depth=32, vision_hidden=1280, vision_heads=16, vision_intermediate=3420, window_size=112,
                     fullatt_block_indexes=[7, 15, 23, 31]),
          'tiny': dict(layers=4, hidden=128, heads=4, kv_heads=2, intermediate=256, vision_depth=2, vision_hidden=64,
                       vision_heads=4, vision_intermediate=128)}
VOCAB = {'7b': 152064, 'tiny': None}
VJEPA = {'7b': dict(), 'tiny': dict(embed_dim=64, depth=2, num_heads=4, img_size=128, num_frames=8)}  # 7b: ViT-B/16-384
EXPECT = dict(base_params=8_292_166_656, lora_params=2_523_136, f_theta_coord_pe_params=10_807_324,
              injection_layers=[6, 13, 20, 27])  # the reference's injection, LoRA and checkpoint, and its manifests


def build_model_dir(out: Path, scale: str, device: str, frame_side: int) -> dict:
    "Write a randomly initialised Qwen2.5-VL of `scale`'s shapes (bfloat16) and its processor to `out`."
    tok = build_tiny_tokenizer()
    cfg = tiny_qwen_config(tok, **SHAPES[scale])
    if VOCAB[scale]: cfg.text_config.vocab_size = VOCAB[scale]
    t0 = time.time()
    torch.manual_seed(0)
    with torch.device(device):
        model = Qwen2_5_VLForConditionalGeneration._from_config(cfg, dtype=torch.bfloat16)
    n = sum(p.numel() for p in model.parameters())
    t1 = time.time()
    model.save_pretrained(out, max_shard_size='5GB')
    px = frame_side * frame_side
    build_tiny_processor(tok, min_pixels=px, max_pixels=px).save_pretrained(out)
    t2 = time.time()
    del model
    if device.startswith('cuda'): torch.cuda.empty_cache()
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    return dict(params=n, build_s=round(t1 - t0, 1), save_s=round(t2 - t1, 1), size_gb=round(size / 2**30, 2))


def build_vjepa_checkpoint(path: Path, scale: str) -> dict:
    "Write a random V-JEPA 2.1 encoder in the released checkpoint layout."
    torch.manual_seed(0)
    enc = VJEPA21Encoder(**VJEPA[scale])
    torch.save({'ema_encoder': {f'module.backbone.{k}': v for k, v in enc.state_dict().items()}}, path)
    return dict(params=sum(p.numel() for p in enc.parameters()), arch=VJEPA[scale] or 'ViT-B/16-384 defaults')


def _rows(path: Path) -> list:
    return [json.loads(s) for s in path.read_text().splitlines()]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True); p.add_argument('--out', default='results/gpu_7b_check.json')
    p.add_argument('--work', default='/tmp/gpu_7b_check'); p.add_argument('--scale', default='7b', choices=list(SHAPES))
    p.add_argument('--device', default='cuda'); p.add_argument('--train-items', type=int, default=32)
    p.add_argument('--eval-items', type=int, default=48); p.add_argument('--frame-side', type=int, default=448,
                                                                           help='frames are resized to this square (448: 256 tokens per step)')
    p.add_argument('--batch', type=int, default=8, help='items per timed forward'); p.add_argument('--rounds', type=int, default=10)
    a = p.parse_args(argv)
    cuda = a.device.startswith('cuda')
    if cuda and not torch.cuda.is_available():
        print('gpu_7b_check: no CUDA device here', file=sys.stderr); return 2
    if cuda: return run(a, cuda)
    # CPU dry run in bfloat16: PyTorch's bf16 flash-attention kernel on the CPU packs its inputs with AVX-512 whenever the
    # hardware has it, even when ATEN_CPU_CAPABILITY selects another kernel path, and then fails ('pack_vnni2 is only
    # supported when avx512 is supported'). SDPA's math backend computes the same attention on any CPU.
    from torch.nn.attention import SDPBackend, sdpa_kernel
    with sdpa_kernel([SDPBackend.MATH]): return run(a, cuda)


def run(a, cuda: bool) -> int:
    "The check itself, with the parsed arguments."
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    work = Path(a.work)
    if work.exists(): shutil.rmtree(work)
    work.mkdir(parents=True)
    res = dict(device=torch.cuda.get_device_name(0) if cuda else 'cpu (dry run)', scale=a.scale, torch=torch.__version__,
               cuda=torch.version.cuda, versions=package_versions(), git_revision=git_revision(),
               platform=platform.platform(), frame_side=a.frame_side, expected=EXPECT, checks={})
    mdir, vj = work / 'qwen', work / 'vjepa.pt'
    res['model'] = build_model_dir(mdir, a.scale, a.device, a.frame_side); print('model', res['model'], flush=True)
    res['vjepa'] = build_vjepa_checkpoint(vj, a.scale); print('vjepa', res['vjepa'], flush=True)
    common = dict(model_path=str(mdir), data_root=a.data, vjepa_checkpoint=str(vj), device=a.device, dtype='bfloat16',
                  epochs=1, max_items=a.train_items, max_val_items=8, items_per_step=8, micro_batch=4, progress=False,
                  resume=False, cache_dir=str(work / 'cache'))
    if a.scale == 'tiny': common.update(n_latents=8, d_latent=32)
    runs = {}
    for name, kw in [('gazeqwen', dict(mode='gazeqwen')), ('lora_only', dict(mode='lora_only')),
                     ('gazeqwen_reference', dict(mode='gazeqwen', protocol='reference', max_items=8))]:
        if cuda: torch.cuda.reset_peak_memory_stats()
        t0 = time.time()
        log = train(TrainConfig(**{**common, **kw}, out_dir=str(work / f'train_{name}')))
        sync(); dt = time.time() - t0
        ck = torch.load(work / f'train_{name}' / 'best_model.pt', map_location='cpu', weights_only=True)
        f_params = sum(v.numel() for v in ck['state_dict'].values()) if ck.get('state_dict') else 0
        l_params = sum(v.numel() for v in ck['lora_state_dict'].values())
        runs[name] = dict(wall_s=round(dt, 1), n_steps=len(log['step_losses']), first_loss=log['step_losses'][0],
                          last_loss=log['step_losses'][-1], finite=all(math.isfinite(x) for x in log['step_losses']),
                          f_theta_params=f_params, lora_params=l_params, f_theta_config=ck.get('config'),
                          peak_gpu_gb=round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None)
        print(name, runs[name], flush=True)
    res['train'] = runs
    ev = {}
    for mode, ck in [('no_gaze', None), ('lora_only', 'lora_only'), ('gazeqwen', 'gazeqwen')]:
        outp = work / f'eval_{mode}.jsonl'
        cfg = EvalConfig(mode=mode, model_path=str(mdir), data_root=a.data, vjepa_checkpoint=str(vj), out_path=str(outp),
                         checkpoint=str(work / f'train_{ck}' / 'best_model.pt') if ck else None, device=a.device,
                         dtype='bfloat16', max_items=a.eval_items, batch_size=8, cache_dir=str(work / 'cache'), progress=False)
        t0 = time.time(); evaluate(cfg); sync(); dt = time.time() - t0   # wall time includes loading the model
        rows = _rows(outp)
        ev[mode] = dict(n=len(rows), wall_s_with_load=round(dt, 1), finite=all(math.isfinite(x) for r in rows for x in r['probs']),
                        accuracy=round(sum(r['correct'] for r in rows) / len(rows), 3))
        print(mode, ev[mode], flush=True)
    # injection overhead: one batch, the same model with the gazeqwen checkpoint's LoRA, hooks off (lora_only) vs on
    bb = load_backbone(mdir, vj, a.device, torch.bfloat16)
    ck = load_gazeqwen_checkpoint(work / 'train_gazeqwen' / 'best_model.pt')
    ck.apply_lora(bb.model, strict=True); bb.model.to(bb.device).eval()
    ctx = GazeLensContext(ck.f_theta.to(bb.device).eval(), warn_on_skip=False)
    protocol = get_protocol('aligned')
    prep = prepare_items(load_split_items(a.data, 'test', protocol, max_items=a.batch), bb, protocol.max_frames_eval,
                         work / 'cache', progress=False)
    def fwd(c):
        sync(); t0 = time.perf_counter()
        with torch.no_grad(): answer_logits(bb, prep, c, protocol)
        sync(); return time.perf_counter() - t0
    def on():
        register_gazelens_hooks(bb.model, ctx)
        try: return fwd(ctx)
        finally: remove_gazelens_hooks(bb.model)
    fwd(None); on()                                                        # warm-ups
    t_off, t_on = [], []
    for _ in range(a.rounds): t_off.append(fwd(None)); t_on.append(on())  # interleaved
    med = lambda xs: sorted(xs)[len(xs) // 2]
    n_tok = [int(p.input_ids.numel()) for p in prep]
    ev['forward'] = dict(batch=len(prep), tokens_per_item=n_tok, rounds=a.rounds, lora_only_ms=round(med(t_off) * 1e3, 2),
                         gazeqwen_ms=round(med(t_on) * 1e3, 2),
                         items_per_s_lora_only=round(len(prep) / med(t_off), 2), items_per_s_gazeqwen=round(len(prep) / med(t_on), 2),
                         injection_overhead=round(med([b / a_ for a_, b in zip(t_off, t_on)]) - 1, 4),
                         peak_gpu_gb=round(torch.cuda.max_memory_allocated() / 2**30, 2) if cuda else None)
    print('forward', ev['forward'], flush=True)
    res['evaluate'] = ev
    c = res['checks']
    c['finite'] = all(r['finite'] for r in runs.values()) and all(ev[m]['finite'] for m in ('no_gaze', 'lora_only', 'gazeqwen'))
    c['all_items_evaluated'] = len({ev[m]['n'] for m in ('no_gaze', 'lora_only', 'gazeqwen')}) == 1
    n_layers = SHAPES[a.scale]['layers']
    c['injection_layers'] = default_injection_layers(n_layers)
    if a.scale == '7b':
        c['base_params_match'] = res['model']['params'] == EXPECT['base_params']
        c['lora_params_match'] = runs['gazeqwen']['lora_params'] == EXPECT['lora_params']
        c['f_theta_coord_pe_params_match'] = runs['gazeqwen_reference']['f_theta_params'] == EXPECT['f_theta_coord_pe_params']
        c['injection_layers_match'] = list(c['injection_layers']) == EXPECT['injection_layers']
    res['ok'] = all(v for k, v in c.items() if k != 'injection_layers')
    print(write_json(a.out, res).read_text())
    return 0 if res['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
