"""The same code on CUDA as on CPU: training, evaluation and the hooked forward, compared number by number.

Run on a machine with a GPU (it refuses to run without one):

    python benchmarks/gpu_check.py --model runs/smoke/embedded/tiny-smoke-* --data runs/smoke/embedded/data-smoke-* \
        --out results/gpu_check.json

It trains the embedded tiny model for a few steps on CPU and on CUDA (float32, TF32 off) from the same seed and
compares the step losses and the trained weights; runs `gazeqwen evaluate` (mode gazeqwen, the CPU-trained checkpoint)
on both devices and compares the per-question probabilities; repeats training and evaluation in bfloat16 on CUDA
(tolerances stated below, reported either way); and times batched evaluation on each device. Output: one JSON file.
"""
from __future__ import annotations
import argparse, json, math, platform, sys, time
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gazeqwen.evaluate import EvalConfig, evaluate  # noqa: E402
from gazeqwen.train import TrainConfig, train  # noqa: E402
from gazeqwen.utils import package_versions, git_revision, write_json  # noqa: E402

TOL_FP32 = 1e-4   # float32 CPU vs CUDA: losses, weights, probabilities (kernel order differs, TF32 off)
TOL_BF16 = 5e-2   # bfloat16 on CUDA vs float32 on CPU: probabilities (8 mantissa bits)


def _flat(ck: dict) -> dict:
    "f_theta and LoRA tensors of a checkpoint dict, one namespace."
    return {**{f'f.{k}': v for k, v in ck['state_dict'].items()}, **{f'l.{k}': v for k, v in ck['lora_state_dict'].items()}}


def _rows(path: Path) -> dict:
    return {r['question_id']: r for r in map(json.loads, path.read_text().splitlines())}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--model', required=True); p.add_argument('--data', required=True)
    p.add_argument('--out', default='results/gpu_check.json'); p.add_argument('--work', default='runs/gpu_check')
    p.add_argument('--train-items', type=int, default=32); p.add_argument('--eval-items', type=int, default=64)
    p.add_argument('--device', default='cuda', help="'cpu' only to dry-run this script without a GPU")
    a = p.parse_args(argv)
    dev = a.device
    sync = torch.cuda.synchronize if dev == 'cuda' else (lambda: None)
    if dev == 'cuda' and not torch.cuda.is_available():
        print('gpu_check: no CUDA device here; run it on a GPU machine', file=sys.stderr); return 2
    torch.backends.cuda.matmul.allow_tf32 = False; torch.backends.cudnn.allow_tf32 = False
    work = Path(a.work); work.mkdir(parents=True, exist_ok=True)
    res = dict(device=torch.cuda.get_device_name(0) if dev == 'cuda' else 'cpu (dry run)', torch=torch.__version__, cuda=torch.version.cuda,
               versions=package_versions(), git_revision=git_revision(), platform=platform.platform(),
               tolerances=dict(fp32=TOL_FP32, bf16=TOL_BF16), checks={})
    common = dict(model_path=a.model, data_root=a.data, epochs=1, max_items=a.train_items, max_val_items=8,
                  items_per_step=4, micro_batch=4, n_latents=8, d_latent=32, progress=False, resume=False)
    logs, cks = {}, {}
    for name, kw in [('cpu', dict(device='cpu')), ('cuda', dict(device=dev)),
                     ('cuda_bf16', dict(device=dev, dtype='bfloat16'))]:
        out = work / f'train_{name}'
        t0 = time.time()
        logs[name] = train(TrainConfig(**common, **kw, out_dir=str(out), cache_dir=str(work / f'cache_{name}')))
        logs[name]['wall_s'] = time.time() - t0
        cks[name] = _flat(torch.load(out / 'last.pt', map_location='cpu', weights_only=True))
    for name in ('cuda', 'cuda_bf16'):
        dl = max(abs(x - y) for x, y in zip(logs['cpu']['step_losses'], logs[name]['step_losses']))
        dw = max(float((cks['cpu'][k].float() - cks[name][k].float()).abs().max()) for k in cks['cpu'])
        tol = TOL_FP32 if name == 'cuda' else TOL_BF16
        res['checks'][f'train_{name}_vs_cpu'] = dict(max_step_loss_diff=dl, max_weight_diff=dw,
                                                     n_steps=len(logs[name]['step_losses']),
                                                     wall_s=round(logs[name]['wall_s'], 2), ok=dl <= tol and dw <= tol * 10)
    ck = str(work / 'train_cpu' / 'best_model.pt')
    ev = {}
    for name, kw in [('cpu', dict(device='cpu')), ('cuda', dict(device=dev)),
                     ('cuda_bf16', dict(device=dev, dtype='bfloat16'))]:
        outp = work / f'eval_{name}.jsonl'
        if outp.exists(): outp.unlink()
        cfg = EvalConfig(mode='gazeqwen', model_path=a.model, data_root=a.data, out_path=str(outp), checkpoint=ck,
                         max_items=a.eval_items, batch_size=16, cache_dir=str(work / f'cache_{name}'), progress=False, **kw)
        evaluate(cfg)  # first pass fills the frozen-output cache
        outp.unlink(); sync()
        t0 = time.time(); evaluate(cfg); sync()
        ev[name] = dict(rows=_rows(outp), seconds=time.time() - t0)
    for name in ('cuda', 'cuda_bf16'):
        a_, b_ = ev['cpu']['rows'], ev[name]['rows']
        dp = max(max(abs(x - y) for x, y in zip(a_[q]['probs'], b_[q]['probs'])) for q in a_)
        agree = sum(a_[q]['prediction'] == b_[q]['prediction'] for q in a_) / len(a_)
        tol = TOL_FP32 if name == 'cuda' else TOL_BF16
        res['checks'][f'evaluate_{name}_vs_cpu'] = dict(n=len(a_), same_ids=set(a_) == set(b_), max_prob_diff=dp,
                                                        prediction_agreement=agree, ok=set(a_) == set(b_) and dp <= tol)
    res['eval_items_per_s'] = {k: round(len(v['rows']) / v['seconds'], 2) for k, v in ev.items()}
    res['eval_speedup_cuda_over_cpu'] = round(res['eval_items_per_s']['cuda'] / res['eval_items_per_s']['cpu'], 2)
    res['ok'] = all(c['ok'] for c in res['checks'].values())
    print(write_json(a.out, res).read_text())
    return 0 if res['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
