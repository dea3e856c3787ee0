"""Every number in README.md must be what results/ implies: the tables are recomputed from the predictions JSONL."""
import json, math, re
from fractions import Fraction
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'results'
BLOCK = re.compile(r'<!-- begin: (\S+) -->\n(.*?)\n<!-- end: \1 -->', re.S)


def readme_blocks():
    return {m.group(1): m.group(2) for m in BLOCK.finditer((ROOT / 'README.md').read_text())}


def test_readme_blocks_are_the_generated_files():
    blocks = readme_blocks()
    for path, text in blocks.items():
        f = ROOT / path
        if f.is_file(): assert text == f.read_text().strip('\n'), f'README block {path} differs from {path}: run `gazeqwen report`'
        else: assert text.startswith('*(not generated yet'), f'README shows {path}, which does not exist'


def test_readme_tables_recomputed_from_predictions():
    from gazeqwen.report import render_tables, find_predictions
    if not find_predictions(RESULTS): pytest.skip('results/ holds no predictions yet (run `make reproduce`)')
    params = json.loads((RESULTS / 'report.json').read_text())
    files, _ = render_tables(RESULTS, **params)
    blocks = readme_blocks()
    for rel, text in files.items():
        f = RESULTS / rel
        assert f.is_file() and f.read_text() == text + '\n', f'{f} is not what results/*/predictions.jsonl imply'
        key = f'results/{rel}'
        if key in blocks: assert blocks[key] == text, f'README block {key} is not what the predictions imply'
    included = [k for k in blocks if k.startswith('results/tables/') and k != 'results/tables/paper.md']
    assert included, 'README includes no results table'


def test_paper_table_recomputed():
    f = RESULTS / 'tables' / 'paper.md'
    if not f.is_file(): pytest.skip('results/tables/paper.md not generated yet (the audit run writes it)')
    from gazeqwen.audit import paper_audit, overall_audit, paper_markdown
    tab = paper_audit()
    assert f.read_text() == paper_markdown(tab, overall_audit(tab)) + '\n'


def _exact_mcnemar(b, c):
    """Independent exact McNemar: two-sided binomial(n = b + c, 1/2) tail, in exact rationals."""
    n = b + c
    if n == 0: return 1.0
    tail = sum(Fraction(math.comb(n, i)) for i in range(min(b, c) + 1)) / 2 ** n
    return float(min(Fraction(1), 2 * tail))


def test_mcnemar_p_values_independent():
    f = RESULTS / 'tables' / 'summary.json'
    if not f.is_file(): pytest.skip('results/tables/summary.json not generated yet')
    s = json.loads(f.read_text()); checked = 0
    for proto in s['protocols'].values():
        for rows in proto['paired'].values():
            for r in rows:
                if r['b'] is None: continue
                assert abs(r['p'] - _exact_mcnemar(int(r['b']), int(r['c']))) < 1e-12, r; checked += 1
        for r in proto['groups']:
            assert abs(r['p'] - _exact_mcnemar(int(r['b']), int(r['c']))) < 1e-12, r; checked += 1
    assert checked > 0
