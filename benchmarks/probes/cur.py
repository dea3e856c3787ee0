"""Curriculum probe: f_theta + LoRA first on one present gaze task (phase 1), then on all ten tasks (phase 2); validation
per task with the true and with shuffled gaze (scanpaths rotated across videos) after each phase.
key=value: model, data, cache1, cache2, s1, s2, n1 (phase-1 items), n2 (phase-2 items per task), hb, lr_f, lr_l,
mode (gazeqwen | lora_only: the same curriculum with the injection off), out (best_model.pt in the released format)."""
import sys, time, torch, numpy as np, collections
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items, answer_logits, answer_loss
from gazeqwen.train import load_split_items, TrainConfig, build_f_theta
from gazeqwen.lora import apply_lora, get_lora_params, get_lora_state_dict
from gazeqwen.checkpoint import save_gazeqwen_checkpoint
from gazeqwen.hooks import GazeLensContext, register_gazelens_hooks
from gazeqwen.model import GazeLens
from gazeqwen.synth import TASKS
torch.set_num_threads(2)
a = dict(x.split('=', 1) for x in sys.argv[1:])
model, data = a.get('model', 'runs/probe/tiny_tok'), a.get('data', 'runs/probe/d800c')
P = get_protocol('aligned'); bb = load_backbone(model, None, 'cpu', None, 'sdpa')
def prep(split, tasks, n, cache, frames):
    it = load_split_items(data, split, P, tasks, None, max_per_task=n, seed=0)
    return prepare_items([i for i in it if len(i.scanpath)] if split == 'train' else it, bb, frames, cache, progress=False)
ph1 = prep('train', a.get('t1', 'OAR').split(','), int(a.get('n1', 2000)), a.get('cache1', 'runs/probe/cache800tok'), P.max_frames_train)
ph2 = prep('train', list(TASKS), int(a.get('n2', 150)), a.get('cache2', 'runs/probe/cache'), P.max_frames_train)
va = prep('val', list(TASKS), 20, a.get('cache2', 'runs/probe/cache'), P.max_frames_eval)
torch.manual_seed(0); apply_lora(bb.model, rank=8, alpha=16.0); lp = get_lora_params(bb.model)
for p in lp: p.requires_grad_(True)
f = build_f_theta(bb, TrainConfig(model_path=model, data_root=data, out_dir='/tmp/x', n_latents=8, d_latent=32, heatmap_bias=float(a.get('hb', 6))), P)
gaze = a.get('mode', 'gazeqwen') == 'gazeqwen'
ctx = GazeLensContext(f, warn_on_skip=False) if gaze else None
if gaze: register_gazelens_hooks(bb.model, ctx)
trained = lp + (list(f.parameters()) if gaze else [])
opt = torch.optim.AdamW([{'params': lp, 'lr': float(a.get('lr_l', 1e-3))}] + ([{'params': list(f.parameters()), 'lr': float(a.get('lr_f', 3e-3))}] if gaze else []))
def val(tag):
    bb.model.eval(); res = {}
    shuf = [va[(i + len(va) // 2) % len(va)].scanpath for i in range(len(va))]  # another item's scanpath (other video)
    with torch.no_grad():
        for name, sps in (('true', None), ('shuffled', shuf))[:2 if gaze else 1]:
            per = collections.defaultdict(list)
            for s in range(0, len(va), 32):
                b = va[s:s + 32]
                if sps is not None:
                    keep = [p.scanpath for p in b]
                    for p, sp in zip(b, sps[s:s + 32]): p.scanpath = sp
                ok = (answer_logits(bb, b, ctx, P).argmax(1) == torch.tensor([p.answer_index for p in b])).tolist()
                if sps is not None:
                    for p, sp in zip(b, keep): p.scanpath = sp
                for p, o in zip(b, ok): per[p.task].append(o)
            res[name] = {t: round(100 * float(np.mean(v))) for t, v in per.items()}
    bb.model.train(); print(tag, res, flush=True)
rng = np.random.default_rng(0); t0 = time.time()
for phase, items, steps in (('phase 1', ph1, int(a.get('s1', 750))), ('phase 2', ph2, int(a.get('s2', 750)))):
    L = []
    for s in range(steps):
        b = [items[i] for i in rng.choice(len(items), 8, replace=False)]
        loss = answer_loss(answer_logits(bb, b, ctx, P), b, 0.0); loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0); opt.step(); opt.zero_grad(set_to_none=True); L.append(float(loss))
    print(phase, len(items), 'items', steps, 'steps, loss', round(float(np.mean(L[-100:])), 3), round(time.time() - t0), 's', flush=True)
    val(phase)
if a.get('out'):
    from pathlib import Path
    Path(a['out']).mkdir(parents=True, exist_ok=True)
    save_gazeqwen_checkpoint(Path(a['out']) / 'best_model.pt', f, {k: v.detach().cpu() for k, v in get_lora_state_dict(bb.model).items()},
                             {'rank': 8, 'alpha': 16.0})
