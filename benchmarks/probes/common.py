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
