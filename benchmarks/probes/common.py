"""Shared probe helper: idealised f_theta input from the synthetic ground truth."""
import torch
from gazeqwen.synth import NAMES, COLOURS

def ideal_features(meta: dict, p, names: bool = True, noise: float = 0.05, dim: int = 64) -> torch.Tensor:
    "(T, HW, dim): per token, one-hot colour (and name) of the object covering its centre at the step's middle frame; last dim = background."
    v = meta['videos'][p.video[:-4]]; H = int(p.video_grid_thw[1]) // 2; W = int(p.video_grid_thw[2]) // 2
    out = torch.zeros(p.T, H * W, dim)
    for t, (a, b) in enumerate(p.spans.tolist()):
        k = min(v['n_frames'] - 1, int(round((a + b) / 2 * v['fps'])))
        for j in range(H * W):
            cx, cy = (j % W + .5) / W, (j // W + .5) / H; out[t, j, dim - 1] = 1
            for o in v['objects']:
                s = v['screen'][o['id'], k]; h = o['size'] / 2
                if not v['none'][o['id'], k] and abs(cx - s[0]) < h + .5 / W and abs(cy - s[1]) < h + .5 / H:
                    out[t, j, list(COLOURS).index(o['colour'])] = 1; out[t, j, dim - 1] = 0
                    if names: out[t, j, 8 + NAMES.index(o['name'])] = 1
    return out + noise * torch.randn_like(out)


def gt_labels(v: dict, k: int, g: int) -> tuple:
    "(g, g) name and colour ids of the object covering each cell centre at frame k (12 / 8 = background)."
    from gazeqwen.stage0 import token_colour_labels  # the colour rule the package trains the stand-in with
    col = token_colour_labels(v, k, g, g)
    by_colour = {list(COLOURS).index(o['colour']): NAMES.index(o['name']) for o in v['objects']}  # colours are unique per video
    name = torch.tensor([by_colour.get(int(c), 12) for c in col.flatten()]).reshape(g, g)
    return name, col


def sample_clips(root, meta: dict, vids: list, n: int, seed: int, cfg: dict, label_grid: int) -> tuple:
    "n random clips (2-60 s, as the pipeline reads them) as encoder inputs `(n, 3, F, S, S)`, with per-tubelet name and colour labels on a `label_grid` square grid, flattened."
    import numpy as np
    from pathlib import Path
    from gazeqwen.video import read_clip
    from gazeqwen.vjepa_features import preprocess_frames, select_frame_indices
    nf, tub = cfg['num_frames'], cfg['tubelet_size']
    rng = np.random.default_rng(seed); X, YN, YC = [], [], []
    for _ in range(n):
        stem = vids[int(rng.integers(len(vids)))][:-4]; v = meta['videos'][stem]
        dur = v['n_frames'] / v['fps']; L = float(rng.uniform(2, 60)); b = float(rng.uniform(min(L, dur - 0.5), dur - 0.25)); a = max(0.0, b - L)
        clip = read_clip(Path(root) / 'videos' / f'{stem}.mp4', a, b, max_frames=nf)
        sel = select_frame_indices(len(clip.frames), nf)
        ln = [gt_labels(v, int(clip.indices[sel[j]]), label_grid) for j in range(0, nf, tub)]  # first frame of each tubelet
        X.append(preprocess_frames(clip.frames, nf, cfg['img_size']))  # (3, nf, S, S)
        YN.append(torch.stack([a_ for a_, _ in ln])); YC.append(torch.stack([c_ for _, c_ in ln]))
    return torch.stack(X), torch.stack(YN).flatten(1), torch.stack(YC).flatten(1)
