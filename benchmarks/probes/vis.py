"""Pretrain the tiny Qwen vision tower like the stand-in (pre.py target=token): dims 0-8 of every merged visual token
are the colour logits of the object at the token centre (8 = table), other dims kept near 0; then stage 0 on that base.
key=value: base (model folder to copy), out, data, n (clips), steps, stage0 (1: run stage 0 after, epochs=E)."""
import sys, json, shutil, time, torch, numpy as np
from pathlib import Path
import torch.nn.functional as F
from gazeqwen.synth import load_synth, COLOURS
from gazeqwen.video import read_clip
from gazeqwen.tiny import load_model_and_processor
from gazeqwen.pipeline import pixel_budget
from gazeqwen.stage0 import token_colour_labels, Stage0Config, train_stage0
torch.set_num_threads(2)
a = dict(x.split('=', 1) for x in sys.argv[1:])
base, out, root = Path(a.get('base', 'runs/probe/tiny_tok')), Path(a['out']), Path(a.get('data', 'runs/probe/d800c'))
shutil.copytree(base, out, dirs_exist_ok=True)
model, proc = load_model_and_processor(out)
meta, split = load_synth(root), json.loads((root / 'split.json').read_text())
mn, mx = pixel_budget(proc); C = len(COLOURS) + 1

def clips(vids, n, seed):
    "Processor inputs and token colour labels of n random 4-s clips."
    rng = np.random.default_rng(seed); X = []
    for _ in range(n):
        name = vids[int(rng.integers(len(vids)))]; v = meta['videos'][name[:-4]]
        b = float(rng.uniform(4, v['n_frames'] / v['fps'] - 0.25)); cl = read_clip(root / 'videos' / name, b - 4, b, max_frames=8)
        fr = cl.qwen_frames(min_pixels=mn, max_pixels=mx)
        enc = proc.video_processor(videos=[fr], return_tensors='pt', do_resize=False, do_sample_frames=False)
        T, H, W = enc['video_grid_thw'][0].tolist()
        lab = torch.stack([token_colour_labels(v, int(cl.indices[min(2 * t, len(cl.indices) - 1)]), H // 2, W // 2) for t in range(T)]).flatten()
        X.append((enc['pixel_values_videos'], enc['video_grid_thw'], lab))
    return X

t0 = time.time(); tr, va = clips(split['train'], int(a.get('n', 800)), 0), clips(split['val'], 100, 1)
print('clips', len(tr), round(time.time() - t0), flush=True)
vis = model.model.visual

def feats(batch):
    pv = torch.cat([b[0] for b in batch]); g = torch.cat([b[1] for b in batch])
    return model.model.get_video_features(pv, g).pooler_output  # per video (T*H/2*W/2, d)

def acc():
    with torch.no_grad():
        p = torch.cat([torch.cat(list(feats(va[i:i + 16])))[..., :C].argmax(-1) for i in range(0, len(va), 16)])
    y = torch.cat([b[2] for b in va]); o = y < len(COLOURS)
    return round(float((p == y)[o].float().mean()), 3), round(float((p == y).float().mean()), 3)

print('before (objects, all)', acc(), flush=True)
vis.requires_grad_(True); opt = torch.optim.AdamW(vis.parameters(), lr=float(a.get('lr', 1e-3)), weight_decay=0.01)
steps = int(a.get('steps', 600)); sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=float(a.get('lr', 1e-3)), total_steps=steps, pct_start=0.1)
rng = np.random.default_rng(0)
for s in range(1, steps + 1):
    batch = [tr[i] for i in rng.choice(len(tr), 8, replace=False)]
    z = torch.cat(list(feats(batch))); y = torch.cat([b[2] for b in batch])
    loss = F.cross_entropy(z[:, :C], y) + 0.1 * z[:, C:].pow(2).mean()
    loss.backward(); torch.nn.utils.clip_grad_norm_(vis.parameters(), 1.0); opt.step(); sched.step(); opt.zero_grad()
    if s % 100 == 0: print(s, round(loss.item(), 3), 'val (objects, all)', acc(), round(time.time() - t0), flush=True)
vis.requires_grad_(False); model.save_pretrained(out)
if a.get('stage0'):
    rep = train_stage0(out, root, Stage0Config(epochs=int(a.get('epochs', 1)), num_threads=2), progress=False)
    print('stage 0', rep['val_before'], rep['val_after'], {k: v['acc'] for k, v in rep['val_after_by_kind'].items()}, round(rep['seconds']))
