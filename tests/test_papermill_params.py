"""The experiment notebooks run under papermill as users call it: the `parameters` tag survives `nbdev_clean`."""
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = sorted((ROOT / 'nbs' / 'experiments').glob('*.ipynb'))


def params_cells(nb):
    return [c for c in nb['cells'] if 'parameters' in c.get('metadata', {}).get('tags', [])]


@pytest.mark.parametrize('path', EXPERIMENTS, ids=lambda p: p.stem)
def test_parameters_cell_tagged_and_kept_by_nbdev_clean(path, tmp_path):
    nb = json.loads(path.read_text())
    cells = params_cells(nb)
    assert len(cells) == 1 and ''.join(cells[0]['source']).startswith('# Parameters'), f'{path.name}: tag the parameters cell'
    copy = tmp_path / path.name; shutil.copy(path, copy)
    subprocess.run([str(Path(sys.executable).parent / 'nbdev_clean'), '--fname', str(copy)], cwd=ROOT, check=True)
    kept = params_cells(json.loads(copy.read_text()))
    assert len(kept) == 1, f"nbdev_clean dropped the parameters tag of {path.name}: allowed_cell_metadata_keys = tags"


def test_tagged_copy_keeps_a_single_tag(tmp_path):
    from gazeqwen.experiments import tagged_copy
    dst = tagged_copy(ROOT / 'nbs' / 'experiments' / 'train.ipynb', tmp_path / 'train.ipynb')
    cells = params_cells(json.loads(dst.read_text()))
    assert len(cells) == 1 and cells[0]['metadata']['tags'].count('parameters') == 1


def test_papermill_injects_after_the_parameters_cell(tmp_path):
    "`papermill nbs/experiments/train.ipynb out.ipynb -p ...`: the config cell sees the injected values."
    pm = shutil.which('papermill', path=str(Path(sys.executable).parent))
    if pm is None: print('papermill not installed'); pytest.skip('papermill not installed')
    out = tmp_path / 'out.ipynb'
    r = subprocess.run([pm, 'nbs/experiments/train.ipynb', str(out), '--cwd', str(ROOT), '-p', 'run', 'pm_check',
                        '-p', 'results_dir', str(tmp_path / 'results'), '-p', 'model_path', str(tmp_path / 'no_model'),
                        '-p', 'data_root', str(tmp_path / 'no_data'), '-p', 'out_dir', str(tmp_path / 'work'),
                        '-p', 'epochs', '1', '-p', 'max_items', '8', '-p', 'num_threads', '1'],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode != 0  # no model folder: training stops with a clear error, after the config cell
    nb = json.loads(out.read_text())
    tags = [c['metadata'].get('tags', []) for c in nb['cells']]
    i = next(i for i, t in enumerate(tags) if 'parameters' in t)
    assert 'injected-parameters' in tags[i + 1], tags
    cfg = ''.join(''.join(o.get('data', {}).get('text/plain', '')) for o in nb['cells'][i + 2].get('outputs', []))
    assert f"model_path='{tmp_path / 'no_model'}'" in cfg and 'max_items=8' in cfg and 'epochs=1' in cfg, cfg
    assert str(tmp_path / 'no_model') in r.stderr + r.stdout  # the error names the missing model folder

@pytest.mark.parametrize('path', EXPERIMENTS, ids=lambda p: p.stem)
def test_papermill_infers_every_parameter(path, caplog):
    """`papermill --help-notebook` (`inspect_notebook`) reads every assignment of the parameters cell: a second '=' on a
    line (in a comment, say) makes papermill skip it with 'Unable to parse line', printed during every run."""
    import ast, papermill as pm
    (cell,) = params_cells(json.loads(path.read_text()))
    names = [t.id for node in ast.parse(''.join(cell['source'])).body if isinstance(node, ast.Assign) for t in node.targets]
    with caplog.at_level('WARNING', logger='papermill'):
        found = pm.inspect_notebook(str(path))
    assert not [r.getMessage() for r in caplog.records if 'Unable to parse' in r.getMessage()]
    assert sorted(found) == sorted(names), (path.name, sorted(set(names) ^ set(found)))
