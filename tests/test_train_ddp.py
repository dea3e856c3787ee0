"""Data-parallel training: two torchrun CPU processes reach the weights of one process on the same global batches."""
import json, os, shutil, subprocess, sys
from pathlib import Path
import torch

BIN = Path(sys.executable).parent


def _weights(run: Path) -> dict:
    ck = torch.load(run / 'last.pt', map_location='cpu', weights_only=True)
    return {**{'f.' + k: v for k, v in ck['state_dict'].items()}, **{'l.' + k: v for k, v in ck['lora_state_dict'].items()}}


def test_two_processes_match_one(tiny_env, tmp_path):
    model, data = tiny_env
    cfg = dict(model_path=str(model), data_root=str(data), epochs=1, max_items=24, max_val_items=4, items_per_step=8,
               micro_batch=4, d_latent=32, n_latents=8, progress=False, num_threads=1, cache_dir=str(tmp_path / 'cache'))
    env = {**os.environ, 'GAZEQWEN_BACKEND': 'gloo', 'OMP_NUM_THREADS': '1'}
    (tmp_path / 'one.json').write_text(json.dumps({**cfg, 'out_dir': str(tmp_path / 'one')}))
    (tmp_path / 'two.json').write_text(json.dumps({**cfg, 'out_dir': str(tmp_path / 'two')}))
    subprocess.run([str(BIN / 'gazeqwen'), 'train', '--config', str(tmp_path / 'one.json')], check=True, env=env)
    subprocess.run([str(BIN / 'torchrun'), '--standalone', '--nproc_per_node', '2', str(BIN / 'gazeqwen'), 'train',
                    '--config', str(tmp_path / 'two.json')], check=True, env=env)
    one, two = _weights(tmp_path / 'one'), _weights(tmp_path / 'two')
    assert one.keys() == two.keys()
    init = torch.load(tmp_path / 'one' / 'last.pt', weights_only=True)
    log1 = json.loads((tmp_path / 'one' / 'train_log.json').read_text())
    log2 = json.loads((tmp_path / 'two' / 'train_log.json').read_text())
    assert log1['world_size'] == 1 and log2['world_size'] == 2 and len(log1["step_losses"]) == 3
    diff = max((one[k] - two[k]).abs().max().item() for k in one)
    assert diff < 1e-5, f'max weight difference {diff}'
    # training moved the weights (the comparison is not between two untouched initialisations)
    lora_b = [v for k, v in one.items() if k.endswith('lora_B')]
    assert max(v.abs().max().item() for v in lora_b) > 1e-4
    for a, b in zip(log1['step_losses'], log2['step_losses']): assert abs(a - b) < 1e-5
