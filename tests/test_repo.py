"""Repository-level checks that are not a single module's business."""
from pathlib import Path
import configparser, re

ROOT = Path(__file__).resolve().parents[1]


def test_ci_calls_readme_test_command():
    ci = (ROOT / '.ci' / 'run').read_text()
    assert 'make test' in ci
    assert 'make test' in (ROOT / 'README.md').read_text()


def test_nbdev_pinned_to_2():
    cfg = configparser.ConfigParser(delimiters=['=']); cfg.read(ROOT / 'settings.ini')
    dev = cfg['DEFAULT']['dev_requirements']
    assert 'nbdev==2.4.14' in dev and 'execnb==0.1.18' in dev


def test_reference_fixtures_present():
    names = {p.name for p in (ROOT / 'tests' / 'fixtures' / 'reference').iterdir()}
    assert {'gazelens_parity.pt', 'vjepa21_parity.pt', 'hooked_forward_parity.pt'} <= names


def test_notebooks_committed_without_outputs():
    import json
    for nb in (ROOT / 'nbs').rglob('*.ipynb'):
        for c in json.loads(nb.read_text())['cells']:
            assert not c.get('outputs'), f'{nb} has outputs: run nbdev_clean'
