"""benchmarks/gpu_7b_check.py, dry-run at tiny shapes on the CPU: the script the GPU check runs still works, and its
parameter counting agrees with the reference system's 7B LoRA count."""
import importlib.util, json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _script():
    spec = importlib.util.spec_from_file_location('gpu_7b_check', ROOT / 'benchmarks' / 'gpu_7b_check.py')
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


def lora_count(layers, hidden, kv_dim, rank=8):
    "LoRA parameters on q_proj (hidden -> hidden) and v_proj (hidden -> kv_dim) of every decoder layer."
    return layers * rank * ((hidden + hidden) + (hidden + kv_dim))


def test_lora_count_formula_matches_reference_7b():
    s = _script().SHAPES['7b']
    kv_dim = s['hidden'] // s['heads'] * s['kv_heads']           # 128 x 4 = 512
    assert lora_count(s['layers'], s['hidden'], kv_dim) == _script().EXPECT['lora_params'] == 2_523_136


def test_dry_run_tiny(tiny_env, tmp_path):
    model, data = tiny_env
    out = tmp_path / 'o.json'
    rc = _script().main(['--scale', 'tiny', '--device', 'cpu', '--data', str(data), '--out', str(out), '--work',
                         str(tmp_path / 'w'), '--frame-side', '112', '--train-items', '8', '--eval-items', '8',
                         '--rounds', '2', '--batch', '4'])
    res = json.loads(out.read_text())
    assert rc == 0 and res['ok'], res['checks']
    s = _script().SHAPES['tiny']
    kv_dim = s['hidden'] // s['heads'] * s['kv_heads']
    for run in ('gazeqwen', 'lora_only', 'gazeqwen_reference'):
        assert res['train'][run]['lora_params'] == lora_count(s['layers'], s['hidden'], kv_dim)
        assert res['train'][run]['f_theta_config']['d_llm'] == s['hidden']
        assert res['train'][run]['f_theta_config']['n_layers'] == s['layers']
    assert res['train']['gazeqwen']['f_theta_config']['gaze_input'] == 'heatmap'
    assert 'gaze_input' not in res['train']['gazeqwen_reference']['f_theta_config']  # coord_pe: the released layout
    assert res['checks']['injection_layers'] == [0, 1, 2, 3]  # the reference's rule (6, 13, 20, 27 for 28 layers)
    assert {res['evaluate'][m]['n'] for m in ('no_gaze', 'lora_only', 'gazeqwen')} == {8}
    assert res['evaluate']['forward']['batch'] == 4 and res['evaluate']['forward']['lora_only_ms'] > 0
