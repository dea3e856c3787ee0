"""The stored-output check of tools/run_nbs.py: it passes on an unchanged notebook and fails on a hand-edited number."""
import importlib.util, json, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location('run_nbs', ROOT / 'tools' / 'run_nbs.py')
run_nbs = importlib.util.module_from_spec(spec); spec.loader.exec_module(run_nbs)


def check(path):
    "Exit status and output of `run_nbs.py --check PATH` in a fresh process."
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'run_nbs.py'), '--check', str(path)], cwd=ROOT,
                       capture_output=True, text=True, timeout=600)
    return r.returncode, r.stdout + r.stderr


def test_normalise_text():
    tmp = run_nbs.tempfile.gettempdir()
    s = (f'<Foo at 0x7f3a2b1c9d80> {tmp}/tmpab_12x/out.json {run_nbs.ROOT}/nbs took 3.2 s, 12.5 ms, 4.1it/s\n'
         ' 50%|##| 1/2\rdone\n 40%|####| 2/5 [00:01<00:02]\n')
    assert run_nbs.normalise_text(s) == '<Foo> <tmp>/out.json <repo>/nbs took <time>, <time>, <time>\ndone\n<progress>\n'
    assert run_nbs.normalise_text('a clip of 8 s, 2.5 s long') == 'a clip of 8 s, 2.5 s long'  # not a duration


def test_same_text_tolerates_one_last_digit_only():
    assert run_nbs.same_text('acc 0.1234, n = 12', 'acc 0.1235, n = 12')      # a rounding boundary on another CPU
    assert not run_nbs.same_text('acc 0.1234, n = 12', 'acc 0.1244, n = 12')  # two units: a real change
    assert not run_nbs.same_text('n = 12', 'n = 13')                          # integers are exact
    assert not run_nbs.same_text('p = 1.5e-05', 'p = 2.5e-05')
    assert run_nbs.same_text('p = 1.5e-05', 'p = 1.6e-05')
    assert not run_nbs.same_text('0.1234 x', '0.1234 y')


def test_tiny_notebook_store_then_check(tmp_path):
    "Store a small notebook's outputs, check it (passes), edit a printed number by hand, check again (fails)."
    nb = {'cells': [{'cell_type': 'code', 'id': 'c1', 'metadata': {}, 'execution_count': None, 'outputs': [],
                     'source': 'import torch\nprint(torch.tensor([1/3, 2/3]))\nprint(f"mean {0.5:.3f}")'},
                    {'cell_type': 'code', 'id': 'c2', 'metadata': {}, 'execution_count': None, 'outputs': [],
                     'source': '#|slow\nprint("slow cell")'}],
          'metadata': {'kernelspec': {'display_name': 'python3', 'language': 'python', 'name': 'python3'}},
          'nbformat': 4, 'nbformat_minor': 5}
    path = tmp_path / 'tiny.ipynb'; path.write_text(json.dumps(nb))
    res = run_nbs.run_notebook(path, {'slow', 'gpu'}, check=False)
    assert res['ok'] and res['ran'] == 1 and res['skipped'] == 1, res
    stored = json.loads(path.read_text())
    text = ''.join(stored['cells'][0]['outputs'][0]['text'])
    assert text == 'tensor([0.3333, 0.6667])\nmean 0.500\n', text  # 4 digits: the stored precision
    assert stored['cells'][1]['outputs'] == []                     # skipped: nothing stored
    rc, out = check(path)
    assert rc == 0, out
    path.write_text(path.read_text().replace('mean 0.500', 'mean 0.700'))
    rc, out = check(path)
    assert rc == 1 and 'CHANGED' in out and "'mean 0.700'" in out and "'mean 0.500'" in out, out


def test_check_fails_on_hand_edited_stats_notebook(tmp_path):
    "The committed 15_stats with its outputs passes the check; with one printed accuracy edited by hand it fails."
    src = ROOT / 'nbs' / '15_stats.ipynb'
    nb = json.loads(src.read_text())
    outs = [o for c in nb['cells'] for o in c.get('outputs', [])]
    if not outs: pytest.skip('nbs/15_stats.ipynb carries no stored outputs (run `make nbs NBS=nbs/15_stats.ipynb`)')
    target = tmp_path / '15_stats.ipynb'
    shutil.copy(src, target)
    rc, out = check(target)
    assert rc == 0, out
    md = next(o for o in outs if 'text/markdown' in o.get('data', {}))
    line = next(l for l in md['data']['text/markdown'] if l.startswith('| OTP |'))
    num = line.split('|')[2].strip()  # the baseline's printed accuracy, e.g. '38.9'
    edited = line.replace(f'| {num} |', f'| {float(num) + 1:.1f} |', 1)
    assert edited != line
    text = target.read_text()
    old = json.dumps(line, ensure_ascii=False)[1:-1]
    assert old in text
    target.write_text(text.replace(old, json.dumps(edited, ensure_ascii=False)[1:-1], 1))
    rc, out = check(target)
    assert rc == 1 and 'CHANGED' in out and 'text/markdown' in out, out
