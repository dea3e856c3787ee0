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


def test_stored_outputs_are_deterministic():
    "Stored outputs carry no memory address, temporary path, local path, duration, progress bar or stderr."
    import json
    bad = re.compile(r' at 0x[0-9a-fA-F]{4,}|/tmp/tmp|' + re.escape(str(ROOT)) + r'|\d ?ms\b|\d+%\|')
    n = 0
    for nb in (ROOT / 'nbs').rglob('*.ipynb'):
        for i, c in enumerate(json.loads(nb.read_text())['cells']):
            for o in c.get('outputs', []):
                n += 1
                assert not (o.get('output_type') == 'stream' and o.get('name') == 'stderr'), f'{nb.name} cell {i}: stderr stored'
                text = ''.join(o.get('text', '')) + ''.join(''.join(v) for k, v in o.get('data', {}).items() if k.startswith('text/'))
                m = bad.search(text)
                assert m is None, f'{nb.name} cell {i}: {m.group(0)!r} in a stored output: store with `make nbs`'
            assert c.get('execution_count') is None, f'{nb.name} cell {i}: execution count stored: run nbdev_clean'
    print(f'{n} stored outputs checked')
