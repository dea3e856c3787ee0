# mini training loop on cached items: how fast can f_theta + LoRA learn the present tasks?
import sys, time, torch, numpy as np, logging
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items, answer_logits, answer_loss
from gazeqwen.train import load_split_items, TrainConfig, build_f_theta
from gazeqwen.lora import apply_lora, get_lora_params
from gazeqwen.hooks import GazeLensContext, register_gazelens_hooks
torch.set_num_threads(2)
args = dict(a.split('=',1) for a in sys.argv[1:])
model = args.get('model', 'runs/probe/tiny_rand'); tasks = args.get('tasks', 'OAR').split(',')
lr_f = float(args.get('lr_f', 3e-3)); lr_l = float(args.get('lr_l', 1e-3)); steps = int(args.get('steps', 300))
mode = args.get('mode', 'gazeqwen'); bs = int(args.get('bs', 8)); amp = float(args.get('amp', 1.0))
nl, dl = int(args.get('nl', 8)), int(args.get('dl', 32)); data = args.get('data', 'runs/probe/d250')
P = get_protocol(args.get('protocol', 'aligned'))
bb = load_backbone(model, None, 'cpu', None, 'sdpa')
tr = load_split_items(data, 'train', P, tasks, None, max_per_task=int(args.get('ntrain', 400)), seed=0)
tr = [t for t in tr if len(t.scanpath)]
va = load_split_items(data, 'val', P, tasks, None, max_per_task=100, seed=0)
ptr = prepare_items(tr, bb, P.max_frames_train, args.get('cache', 'runs/probe/cache'), progress=False)
pva = prepare_items(va, bb, P.max_frames_eval, args.get('cache', 'runs/probe/cache'), progress=False)
if args.get('ideal'):  # idealised colour features from the ground truth: one-hot colour of the object at each token
    sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent)); from common import ideal_features
    from gazeqwen.synth import load_synth
    meta = load_synth(data)
    for p in ptr + pva: p.features = ideal_features(meta, p, names=False)
if args.get('fscale'):  # rescale the frozen features (f_theta input)
    for p in ptr + pva: p.features = p.features * float(args['fscale'])
torch.manual_seed(0)
apply_lora(bb.model, rank=8, alpha=16.0); lp = get_lora_params(bb.model)
for p in lp: p.requires_grad_(True)
cfg = TrainConfig(model_path=model, data_root=data, out_dir='/tmp/x', n_latents=nl, d_latent=dl)
f = build_f_theta(bb, cfg, P)
from gazeqwen.model import GazeLens
torch.manual_seed(0)
f = GazeLens(**{**{k: v for k, v in f.config.items() if k != 'version'}, 'heatmap_bias': float(args.get('hb', 0))})
with torch.no_grad():
    f.amplitude.fill_(amp)
    for e in getattr(f, "gaze_embeds", []): e.mul_(float(args.get("ge", 1.0)))
ctx = GazeLensContext(f, warn_on_skip=False) if mode == 'gazeqwen' else None
if ctx: register_gazelens_hooks(bb.model, ctx)
groups = [{'params': lp, 'lr': lr_l}] + ([{'params': list(f.parameters()), 'lr': lr_f}] if ctx else [])
opt = torch.optim.AdamW(groups, weight_decay=0.0)
def acc(prep):
    bb.model.eval(); r = []
    with torch.no_grad():
        for s in range(0, len(prep), 32):
            b = prep[s:s+32]; r += (answer_logits(bb, b, ctx, P).argmax(1) == torch.tensor([p.answer_index for p in b])).tolist()
    bb.model.train(); return np.mean(r)
rng = np.random.default_rng(0); t0 = time.time(); L = []
for s in range(1, steps + 1):
    idx = rng.choice(len(ptr), bs, replace=False); b = [ptr[i] for i in idx]
    loss = answer_loss(answer_logits(bb, b, ctx, P), b, 0.0); loss.backward()
    torch.nn.utils.clip_grad_norm_(lp + (list(f.parameters()) if ctx else []), 1.0)
    opt.step(); opt.zero_grad(set_to_none=True); L.append(float(loss))
    if s % int(args.get('every', 100)) == 0:
        print(f'step {s} loss {np.mean(L[-50:]):.3f} train_acc {acc(ptr[:200]):.3f} val_acc {acc(pva):.3f} amp {f.amplitude.detach().numpy().round(2)} {time.time()-t0:.0f}s', flush=True)
print('n', len(ptr), len(pva))
bb.model.eval(); per = {}
with torch.no_grad():
    for s_ in range(0, len(pva), 32):
        b = pva[s_:s_+32]; ok = (answer_logits(bb, b, ctx, P).argmax(1) == torch.tensor([p.answer_index for p in b])).tolist()
        for p, o in zip(b, ok): per.setdefault(p.task, []).append(o)
print('val per task', {t: (round(float(np.mean(v)), 3), len(v)) for t, v in per.items()}, flush=True)
