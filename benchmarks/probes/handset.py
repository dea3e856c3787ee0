"""A fixed (not learned) V-JEPA stand-in: per 16-px patch, the mean of each colour channel over a 4x4 grid of 4-px
sub-blocks (48 channels) and over the whole patch (3), blocks set to identity; written into a copy of a tiny model."""
import shutil, sys, torch
from pathlib import Path
from gazeqwen.tiny import tiny_vjepa_config
from gazeqwen.vjepa_features import VJEPA21Encoder
from gazeqwen.pipeline import save_tiny_vjepa
src, out = Path(sys.argv[1]), Path(sys.argv[2])
cfg = tiny_vjepa_config(); P, D, tub = cfg['patch_size'], cfg['embed_dim'], cfg['tubelet_size']
enc = VJEPA21Encoder(**cfg)
with torch.no_grad():
    for p in enc.parameters(): p.zero_()
    for n in enc.norms_block: n.weight.fill_(1.0)
    for b in enc.blocks: b.norm1.weight.fill_(1.0); b.norm2.weight.fill_(1.0)
    for pe, t in ((enc.patch_embed, tub), (enc.patch_embed_img, 1)):
        w = pe.proj.weight  # (D, 3, t, P, P)
        s = P // 4
        for i in range(4):
            for j in range(4):
                for c in range(3):
                    w[(i * 4 + j) * 3 + c, c, :, i * s:(i + 1) * s, j * s:(j + 1) * s] = 1.0 / (t * s * s)
        for c in range(3): w[48 + c, c] = 1.0 / (t * P * P)
shutil.copytree(src, out, dirs_exist_ok=True)
save_tiny_vjepa(enc.eval(), cfg, out)
x = torch.randn(1, 3, 8, 128, 128); print('ok', enc(x).shape, out)
