# token-level semantic pretraining of the tiny V-JEPA stand-in: after the pipeline's 2x2 pooling to the LLM token grid,
# feature dims 0-8 are the logits of the colour of the object at the token centre (8 = table); other dims are kept quiet
import sys, time, math, torch, numpy as np
from pathlib import Path
import torch.nn.functional as F
from gazeqwen.synth import load_synth, NAMES, COLOURS
from gazeqwen.video import read_clip
from gazeqwen.vjepa_features import VJEPA21Encoder, preprocess_frames
from gazeqwen.tiny import tiny_vjepa_config
import json
torch.set_num_threads(2)
args = dict(a.split('=',1) for a in sys.argv[1:])
root = Path(args.get('data', 'runs/probe/d800')); meta = load_synth(root)
split = json.loads((root / 'split.json').read_text())
CL = list(COLOURS)
def labels(v, k, g):
    "(g, g) name and colour ids at frame k (12 / 8 = background)."
    name = torch.full((g, g), 12); col = torch.full((g, g), 8)
    c = (torch.arange(g) + 0.5) / g
    for o in v['objects']:
        if v['none'][o['id'], k]: continue
        s = v['screen'][o['id'], k]; h = o['size'] / 2
        mx = (c - s[0]).abs() < h; my = (c - s[1]).abs() < h
        m = my[:, None] & mx[None, :]
        name[m] = NAMES.index(o['name']); col[m] = CL.index(o['colour'])
    return name, col
cfg = {**tiny_vjepa_config(), **{k: int(v) for k, v in args.items() if k in ('patch_size', 'embed_dim', 'depth', 'img_size', 'num_heads')}}; g = cfg['img_size'] // cfg['patch_size']; nf = cfg['num_frames']; tub = cfg['tubelet_size']
def sample(vids, n, seed):
    rng = np.random.default_rng(seed); X, YN, YC = [], [], []
    for i in range(n):
        stem = vids[int(rng.integers(len(vids)))][:-4]; v = meta['videos'][stem]
        dur = v['n_frames'] / v['fps']; L = float(rng.uniform(2, 60)); b = float(rng.uniform(min(L, dur - 0.5), dur - 0.25)); a = max(0.0, b - L)
        clip = read_clip(root / 'videos' / f'{stem}.mp4', a, b, max_frames=nf)
        x = preprocess_frames(clip.frames, nf, cfg['img_size'])  # (3, nf, S, S)
        from gazeqwen.vjepa_features import select_frame_indices
        sel = select_frame_indices(len(clip.frames), nf)
        ks = [int(clip.indices[sel[j]]) for j in range(0, nf, tub)]  # first frame of each tubelet
        ln = [labels(v, k, g // 2) for k in ks]
        X.append(x); YN.append(torch.stack([a_ for a_, _ in ln])); YC.append(torch.stack([c_ for _, c_ in ln]))
    return torch.stack(X), torch.stack(YN).flatten(1), torch.stack(YC).flatten(1)
t0 = time.time()
Xtr, Ntr, Ctr = sample(split['train'], int(args.get('n', 1200)), 0)
Xva, Nva, Cva = sample(split['val'], 200, 1)
print('data', Xtr.shape, time.time() - t0, 'bg share', (Ntr == 12).float().mean().item(), flush=True)
torch.manual_seed(0)
enc = VJEPA21Encoder(**cfg); D = cfg['embed_dim']
params = list(enc.parameters())
lam = float(args.get('lam', 0.1))
def pooled(z):  # (B, T'*g*g, D) -> (B, T'*(g/2)^2, D): the 2x2 average that tokens_to_steps' bilinear 2x downscale is
    B = z.shape[0]; Tn = nf // tub
    z = z.reshape(B, Tn, g, g, D).permute(0, 1, 4, 2, 3).reshape(B * Tn, D, g, g)
    z = F.avg_pool2d(z, 2)  # (B*T', D, g/2, g/2)
    return z.reshape(B, Tn, D, g // 2, g // 2).permute(0, 1, 3, 4, 2).reshape(B, -1, D)
steps = int(args.get('steps', 400)); bs = 16; lr = float(args.get('lr', 2e-3))
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
def acc(X, N, C):
    enc.eval()
    with torch.no_grad():
        z = pooled(torch.cat([enc(X[i:i+64]) for i in range(0, len(X), 64)]))
        fg = N != 12
        r = ((z[..., :9].argmax(-1) == C)[fg].float().mean().item(), (z[..., :9].argmax(-1) == C).float().mean().item(),
             (z[..., 9:22].argmax(-1) == N)[fg].float().mean().item())
    enc.train(); return r
rng = np.random.default_rng(0)
for s in range(1, steps + 1):
    idx = torch.as_tensor(rng.choice(len(Xtr), bs, replace=False))
    z = pooled(enc(Xtr[idx]))
    if args.get('names'):  # also the name of the object at each token in dims 9-21 (12 = table)
        loss = F.cross_entropy(z[..., :9].flatten(0, 1), Ctr[idx].flatten()) + \
               F.cross_entropy(z[..., 9:22].flatten(0, 1), Ntr[idx].flatten()) + lam * z[..., 22:].pow(2).mean()
    else:
        loss = F.cross_entropy(z[..., :9].flatten(0, 1), Ctr[idx].flatten()) + lam * z[..., 9:].pow(2).mean()
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    if s % 100 == 0: print(s, round(loss.item(), 3), 'val token acc (colour on objects, colour all, name on objects)', acc(Xva, Nva, Cva), round(time.time() - t0), flush=True)
out = Path(args.get('out', 'runs/probe/tiny_tok')); 
import shutil; shutil.copytree(args.get('base', 'runs/probe/tiny_rand'), out, dirs_exist_ok=True)
from gazeqwen.pipeline import save_tiny_vjepa
save_tiny_vjepa(enc.eval(), cfg, out)
print('saved', out)
