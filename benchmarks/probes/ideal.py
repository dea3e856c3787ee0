# f_theta alone (linear head) on ideal features: can it learn the gazed colour's slot?
import sys, torch, numpy as np
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items
from gazeqwen.train import load_split_items, TrainConfig, build_f_theta
from gazeqwen.synth import load_synth, NAMES, COLOURS
from gazeqwen.model import GazeLens
torch.set_num_threads(2)
args = dict(a.split('=',1) for a in sys.argv[1:])
P = get_protocol('aligned'); bb = load_backbone(args.get('model', 'runs/probe/tiny_rand'), None, 'cpu', None, 'sdpa')
meta = load_synth('runs/probe/d250')
sys.path.insert(0, str(__import__('pathlib').Path(__file__).parent)); from common import ideal_features
ideal = lambda p: ideal_features(meta, p)
tasks = args.get('tasks', 'OAR').split(',')
tr = load_split_items('runs/probe/d250', 'train', P, tasks, None, max_per_task=400, seed=0); tr=[t for t in tr if len(t.scanpath)]
va = load_split_items('runs/probe/d250', 'val', P, tasks, None, max_per_task=100, seed=0)
ptr = prepare_items(tr, bb, P.max_frames_train, args.get('cache', 'runs/probe/cache'), progress=False)
pva = prepare_items(va, bb, P.max_frames_eval, args.get('cache', 'runs/probe/cache'), progress=False)
if args.get('ideal', '1') == '1':
    for p in ptr + pva: p.features = ideal(p)
torch.manual_seed(0)
f = GazeLens(d_vjepa=64, d_llm=128, n_latents=int(args.get('nl', 8)), d_latent=int(args.get('dl', 32)), n_layers=8,
             gaze_input='heatmap', heatmap_bias=float(args.get('hb', 0)))
with torch.no_grad():
    for q in f.proj_outs: torch.nn.init.normal_(q.weight, std=0.02)
    for e in f.gaze_embeds: e.mul_(float(args.get('ge', 1)))
head = torch.nn.Linear(128, 4)
opt = torch.optim.AdamW(list(f.parameters()) + list(head.parameters()), lr=float(args.get('lr', 3e-3)), weight_decay=0)
def out(b):
    r = []
    for p in b:
        H, W = int(p.video_grid_thw[1])//2, int(p.video_grid_thw[2])//2
        res = f.residual_from_signal(p.features, f.gaze_signal(p.scanpath, p.spans, H, W), 1)
        r.append(res[-1].mean(0) if args.get('last') else res.mean((0, 1)))
    return head(torch.stack(r))
rng = np.random.default_rng(0); L=[]; R=[]
for s in range(1, int(args.get('steps', 400))+1):
    b = [ptr[i] for i in rng.choice(len(ptr), 8, replace=False)]; y = torch.tensor([p.answer_index for p in b])
    lg = out(b); loss = torch.nn.functional.cross_entropy(lg, y); loss.backward(); opt.step(); opt.zero_grad()
    L.append(loss.item()); R += (lg.argmax(1)==y).tolist()
    if s % 100 == 0:
        with torch.no_grad(): va_acc = np.mean([(out([p]).argmax(1).item()==p.answer_index) for p in pva])
        print(s, round(np.mean(L[-100:]),3), 'train', round(np.mean(R[-400:]),3), 'val', round(va_acc,3), flush=True)
