# dense supervised pretraining of the tiny V-JEPA stand-in on the synthetic ground truth
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
root = Path(args.get('data', 'runs/probe/d250')); meta = load_synth(root)
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
        ln = [labels(v, k, g) for k in ks]
        X.append(x); YN.append(torch.stack([a_ for a_, _ in ln])); YC.append(torch.stack([c_ for _, c_ in ln]))
    return torch.stack(X), torch.stack(YN).flatten(1), torch.stack(YC).flatten(1)
t0 = time.time()
Xtr, Ntr, Ctr = sample(split['train'], int(args.get('n', 1200)), 0)
Xva, Nva, Cva = sample(split['val'], 200, 1)
print('data', Xtr.shape, time.time() - t0, 'bg share', (Ntr == 12).float().mean().item(), flush=True)
torch.manual_seed(0)
enc = VJEPA21Encoder(**cfg); D = cfg['embed_dim']
hn, hc = torch.nn.Linear(D, 13), torch.nn.Linear(D, 9)
params = list(enc.parameters()) + list(hn.parameters()) + list(hc.parameters())
steps = int(args.get('steps', 400)); bs = 16; lr = float(args.get('lr', 2e-3))
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
def acc(X, N, C):
    enc.eval()
    with torch.no_grad():
        z = torch.cat([enc(X[i:i+64]) for i in range(0, len(X), 64)])
        fg = N != 12
        r = ((hn(z).argmax(-1) == N)[fg].float().mean().item(), (hc(z).argmax(-1) == C)[fg].float().mean().item())
    enc.train(); return r
rng = np.random.default_rng(0)
for s in range(1, steps + 1):
    idx = torch.as_tensor(rng.choice(len(Xtr), bs, replace=False))
    z = enc(Xtr[idx])
    loss = F.cross_entropy(hn(z).flatten(0, 1), Ntr[idx].flatten()) + F.cross_entropy(hc(z).flatten(0, 1), Ctr[idx].flatten())
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    if s % 100 == 0: print(s, round(loss.item(), 3), 'val fg acc (name, colour)', acc(Xva, Nva, Cva), round(time.time() - t0), flush=True)
out = Path(args.get('out', 'runs/probe/tiny_pre')); 
import shutil; shutil.copytree('runs/probe/tiny_rand', out, dirs_exist_ok=True)
from gazeqwen.pipeline import save_tiny_vjepa
save_tiny_vjepa(enc.eval(), cfg, out)
print('saved', out)
