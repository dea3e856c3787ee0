"""Every number in README.md must be what results/ implies: the tables are recomputed from the predictions JSONL."""
import json, math, re
from fractions import Fraction
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / 'results'
BLOCK = re.compile(r'<!-- begin: (\S+) -->\n(.*?)\n<!-- end: \1 -->', re.S)
NUMBER = re.compile(r'(?<![\w.])[-−]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?')


def _unit(tok: str) -> float:
    "One unit in the last printed digit of a decimal as written (`43.6` → 0.1, `7.4e-10` → 1e-11); 0 for counts (`960`)."
    mant, _, exp = tok.partition('e')
    if '.' not in mant and not exp: return 0.0  # counts are integers: exact everywhere
    dec = len(mant.partition('.')[2])
    return 10.0 ** (-dec + (int(exp) if exp else 0))


def _value(tok: str) -> float: return float(tok.replace(',', '').replace('−', '-'))


def same_up_to_rounding(got: str, want: str) -> str | None:
    """None when `got` and `want` are the same text up to numbers that differ by at most one unit in their last printed
    digit (a recomputation on another CPU may round a borderline value the other way) and identical counts; else what
    differs."""
    if NUMBER.split(got) != NUMBER.split(want): return 'the text around the numbers differs'
    for a, b in zip(NUMBER.findall(got), NUMBER.findall(want)):
        if abs(_value(a) - _value(b)) > max(_unit(a), _unit(b)) * (1 + 1e-9): return f'{a} vs {b}'
    return None


def test_same_up_to_rounding():
    "The tolerant comparison passes last-digit rounding and fails a real change."
    assert same_up_to_rounding('| OAR | 64.0 | 7.4e-10 | 1,234 |', '| OAR | 64.0 | 7.4e-10 | 1,234 |') is None
    assert same_up_to_rounding('Δ = +15.2, p = 7.5e-10', 'Δ = +15.1, p = 7.4e-10') is None
    assert same_up_to_rounding('Δ = +15.3', 'Δ = +15.1') == '15.3 vs 15.1'
    assert same_up_to_rounding('n = 961', 'n = 960') == '961 vs 960'  # counts are exact
    assert same_up_to_rounding('| OAR | 64.0 |', '| OAR | 64.0 | x') is not None


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
        # recomputed now vs stored: numbers within one unit of their last printed digit (never exact: see above)
        diff = same_up_to_rounding(text + '\n', f.read_text()) if f.is_file() else 'missing'
        assert diff is None, f'{f} is not what results/*/predictions.jsonl imply: {diff}'
        key = f'results/{rel}'
        if key in blocks:
            diff = same_up_to_rounding(text, blocks[key])
            assert diff is None, f'README block {key} is not what the predictions imply: {diff}'
    included = [k for k in blocks if k.startswith('results/tables/') and k != 'results/tables/paper.md']
    assert included, 'README includes no results table'


def test_paper_table_recomputed():
    f = RESULTS / 'tables' / 'paper.md'
    if not f.is_file(): pytest.skip('results/tables/paper.md not generated yet (the audit run writes it)')
    from gazeqwen.audit import paper_audit, overall_audit, paper_markdown
    tab = paper_audit()
    diff = same_up_to_rounding(paper_markdown(tab, overall_audit(tab)) + '\n', f.read_text())  # last-digit tolerance
    assert diff is None, f'{f} is not what the audit computes now: {diff}'


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
