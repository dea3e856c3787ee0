"""Shared fixtures: a small synthetic dataset and an untrained tiny Qwen2.5-VL, built once per test session."""
import os
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')


@pytest.fixture(scope='session')
def tiny_env(tmp_path_factory):
    "(model_path, data_root): synth --small (canonical options) and a random tiny model with its narrow V-JEPA."
    import torch
    from gazeqwen.synth import SynthConfig, generate_dataset
    from gazeqwen.tiny import build_tiny_model, tiny_vjepa_config
    from gazeqwen.vjepa_features import VJEPA21Encoder
    from gazeqwen.pipeline import save_tiny_vjepa
    from gazeqwen.stage0 import dataset_words
    root = tmp_path_factory.mktemp('tiny_env')
    data = root / 'data'
    generate_dataset(data, SynthConfig.small(n_videos=6, option_order='canonical'), progress=False)
    model = build_tiny_model(root / 'tiny', seed=0, extra_words=dataset_words(data))
    torch.manual_seed(0)
    save_tiny_vjepa(VJEPA21Encoder(**tiny_vjepa_config()), tiny_vjepa_config(), model)
    return model, data
