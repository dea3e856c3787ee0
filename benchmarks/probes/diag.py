import sys, torch, numpy as np, logging
args = dict(a.split('=', 1) for a in sys.argv[1:])
from gazeqwen.pipeline import load_backbone, get_protocol, prepare_items
from gazeqwen.train import load_split_items
from gazeqwen.model import heatmap_weights
from gazeqwen.synth import COLOURS
torch.set_num_threads(2)
P = get_protocol('aligned')
bb = load_backbone(args.get('model', 'runs/probe/tiny_rand'), None, 'cpu', None, 'sdpa')
def feats(split, n):
    items = load_split_items(args.get('data', 'runs/probe/d250'), split, P, ['OAR'], None, max_per_task=n, seed=0)
    prep = prepare_items(items, bb, P.max_frames_train if split=='train' else P.max_frames_eval, args.get('cache', 'runs/probe/cache'), progress=False)
    X1, X2, X3, y = [], [], [], []
    for it, p in zip(items, prep):
        if len(p.scanpath) == 0: continue
        T = p.T; H, W = int(p.video_grid_thw[1])//2, int(p.video_grid_thw[2])//2
        w = heatmap_weights(p.scanpath, p.spans, H, W, 0.1)  # (T, HW)
        wl = w[-1] / w[-1].sum().clamp(min=1e-9)
        f = p.features[-1]  # (HW, D)
        X1.append((wl[:, None] * f).sum(0).numpy())
        ve = p.vision_embeds.reshape(T, H*W, -1)[-1]
        X2.append((wl[:, None] * ve).sum(0).numpy())
        X3.append(f.mean(0).numpy())
        ans = p.answer_index; 
        y.append(it.options[ans].split('. ',1)[1] if hasattr(it,'options') else ans)
    return np.array(X1), np.array(X2), np.array(X3), np.array(y)
a = feats('train', 400); b = feats('val', 200)
print('n', len(a[3]), len(b[3]), 'classes', sorted(set(a[3])))
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
for i, name in enumerate(['vjepa@gaze', 'vision@gaze', 'vjepa mean']):
    s = StandardScaler().fit(a[i]); m = LogisticRegression(max_iter=2000, C=1.0).fit(s.transform(a[i]), a[3])
    print(name, 'train', m.score(s.transform(a[i]), a[3]), 'val', m.score(s.transform(b[i]), b[3]))
