"""Probe data and model: a slot-order synthetic dataset of N videos and a random tiny model (runs/probe/)."""
import sys, torch, time
from pathlib import Path
from gazeqwen.synth import SynthConfig, generate_dataset
from gazeqwen.stage0 import dataset_words
from gazeqwen.tiny import build_tiny_model, tiny_vjepa_config
from gazeqwen.vjepa_features import VJEPA21Encoder
import gazeqwen.stage0 as s0
n=int(sys.argv[1]); data=Path(f'runs/probe/d{n}'); model=Path('runs/probe/tiny_rand')
t=time.time()
if not data.exists(): generate_dataset(data, SynthConfig.default(n_videos=n, option_order='slot'), progress=False)
print('gen', time.time()-t)
build_tiny_model(model, seed=0, extra_words=dataset_words(data))
torch.manual_seed(0)
s0.save_tiny_vjepa(VJEPA21Encoder(**tiny_vjepa_config()), tiny_vjepa_config(), model)
print('ok')
