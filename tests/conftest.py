"""Shared fixtures: a small synthetic dataset and an untrained tiny Qwen2.5-VL, built once per test session."""
import os
from pathlib import Path
import pytest

os.environ.setdefault('HF_HUB_OFFLINE', '1')
os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')


@pytest.fixture(scope='session')
def tiny_env(tmp_path_factory):
    "(model_path, data_root): synth --small (canonical options) and a random tiny model with its narrow V-JEPA."
    from gazeqwen.stage0 import small_tiny_env
    return small_tiny_env(tmp_path_factory.mktemp('tiny_env'), n_videos=6, option_order='canonical')
