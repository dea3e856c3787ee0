# Pretraining of the tiny V-JEPA stand-in on the synthetic ground truth (key=value arguments).
#   target=patch (default): linear name and colour heads on every encoder patch (data runs/probe/d250, out tiny_pre)
#   target=token: after the pipeline's 2x2 pooling to the LLM token grid, feature dims 0-8 are the logits of the
#     colour of the object at the token centre (8 = table), other dims pushed to 0 (weight lam); names=1 also puts the
#     name logits in dims 9-21 (data runs/probe/d800, out tiny_tok)
import sys, time, json, shutil, torch, numpy as np
from pathlib import Path
import torch.nn.functional as F
from gazeqwen.synth import load_synth
from gazeqwen.vjepa_features import VJEPA21Encoder
from gazeqwen.tiny import tiny_vjepa_config
from gazeqwen.pipeline import save_tiny_vjepa
sys.path.insert(0, str(Path(__file__).parent)); from common import sample_clips
torch.set_num_threads(2)
args = dict(a.split('=', 1) for a in sys.argv[1:])
token = args.get('target', 'patch') == 'token'
root = Path(args.get('data', 'runs/probe/d800' if token else 'runs/probe/d250')); meta = load_synth(root)
split = json.loads((root / 'split.json').read_text())
cfg = {**tiny_vjepa_config(), **{k: int(v) for k, v in args.items() if k in ('patch_size', 'embed_dim', 'depth', 'img_size', 'num_heads')}}
g, nf, tub, D = cfg['img_size'] // cfg['patch_size'], cfg['num_frames'], cfg['tubelet_size'], cfg['embed_dim']
t0 = time.time()
Xtr, Ntr, Ctr = sample_clips(root, meta, split['train'], int(args.get('n', 1200)), 0, cfg, g // 2 if token else g)
Xva, Nva, Cva = sample_clips(root, meta, split['val'], 200, 1, cfg, g // 2 if token else g)
print('data', Xtr.shape, time.time() - t0, 'bg share', (Ntr == 12).float().mean().item(), flush=True)
torch.manual_seed(0)
enc = VJEPA21Encoder(**cfg)
hn, hc = torch.nn.Linear(D, 13), torch.nn.Linear(D, 9)
params = list(enc.parameters()) + ([] if token else list(hn.parameters()) + list(hc.parameters()))
lam, names = float(args.get('lam', 0.1)), bool(args.get('names'))

def pooled(z):  # (B, T'*g*g, D) -> (B, T'*(g/2)^2, D): the 2x2 average that tokens_to_steps' bilinear 2x downscale is
    B = z.shape[0]; Tn = nf // tub
    z = z.reshape(B, Tn, g, g, D).permute(0, 1, 4, 2, 3).reshape(B * Tn, D, g, g)
    z = F.avg_pool2d(z, 2)  # (B*T', D, g/2, g/2)
    return z.reshape(B, Tn, D, g // 2, g // 2).permute(0, 1, 3, 4, 2).reshape(B, -1, D)

def logits(z):
    "(name, colour) logits per label cell."
    if not token: return hn(z), hc(z)
    z = pooled(z); return z[..., 9:22], z[..., :9]

def loss_fn(z, N, C):
    ln, lc = logits(z)
    if not token: return F.cross_entropy(ln.flatten(0, 1), N.flatten()) + F.cross_entropy(lc.flatten(0, 1), C.flatten())
    z = pooled(z); quiet = z[..., 22:] if names else z[..., 9:]
    return F.cross_entropy(lc.flatten(0, 1), C.flatten()) + lam * quiet.pow(2).mean() + \
           (F.cross_entropy(ln.flatten(0, 1), N.flatten()) if names else 0.0)

def acc(X, N, C):
    "Validation accuracy: name on objects, colour on objects, colour on all cells."
    enc.eval()
    with torch.no_grad():
        ln, lc = logits(torch.cat([enc(X[i:i + 64]) for i in range(0, len(X), 64)]))
        fg = N != 12
        r = ((ln.argmax(-1) == N)[fg].float().mean().item(), (lc.argmax(-1) == C)[fg].float().mean().item(),
             (lc.argmax(-1) == C).float().mean().item())
    enc.train(); return r

steps = int(args.get('steps', 400)); bs = 16; lr = float(args.get('lr', 2e-3))
opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.1)
rng = np.random.default_rng(0)
for s in range(1, steps + 1):
    idx = torch.as_tensor(rng.choice(len(Xtr), bs, replace=False))
    loss = loss_fn(enc(Xtr[idx]), Ntr[idx], Ctr[idx])
    loss.backward(); torch.nn.utils.clip_grad_norm_(params, 1.0); opt.step(); sched.step(); opt.zero_grad()
    if s % 100 == 0:
        print(s, round(loss.item(), 3), 'val acc (name on objects, colour on objects, colour all)', acc(Xva, Nva, Cva),
              round(time.time() - t0), flush=True)
out = Path(args.get('out', 'runs/probe/tiny_tok' if token else 'runs/probe/tiny_pre'))
shutil.copytree(args.get('base', 'runs/probe/tiny_rand'), out, dirs_exist_ok=True)
save_tiny_vjepa(enc.eval(), cfg, out)
print('saved', out)
