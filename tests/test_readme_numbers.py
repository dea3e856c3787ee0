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


def _seed_runs_present(results):
    from gazeqwen.report import seed_folders
    return len(seed_folders(results, 'tuning')) > 1 or bool(seed_folders(results, 'confirmation'))


def _check_seed_tables(results, readme_blocks_):
    """Recompute the seed, confirmation-draw and side-by-side tables from `results`' predictions; compare with the stored
    files and the README blocks (numbers within one unit of their last printed digit), and the pooled p-values with an
    independent exact computation. Returns the number of tables checked."""
    from gazeqwen.report import seed_tables
    label = json.loads((results / 'report.json').read_text())['label'] if (results / 'report.json').is_file() else None
    files, summary = seed_tables(results, **({'label': label} if label else {}))
    assert files, f'{results} holds seed runs but seed_tables wrote no table'
    for rel, text in files.items():
        f = results / rel
        diff = same_up_to_rounding(text + '\n', f.read_text()) if f.is_file() else 'missing'
        assert diff is None, f'{f} is not what the seed predictions imply: {diff}'
        key = f'results/{rel}'
        if readme_blocks_ is not None:
            assert key in readme_blocks_, f'README does not include {key}'
            diff = same_up_to_rounding(text, readme_blocks_[key])
            assert diff is None, f'README block {key} is not what the predictions imply: {diff}'
    stored = json.loads((results / 'tables' / 'seeds.json').read_text())
    for draw, protos in stored.items():
        for proto, s in protos.items():
            for r in s['seeds']:  # per seed: exact McNemar from b, c
                assert abs(r['p'] - _exact_mcnemar(int(r['b']), int(r['c']))) < 1e-12, r
            for r in s['pooled']:  # pooled over seeds: the sums of the per-seed counts, and the stratified p
                rows = [x for x in s['seeds'] if x['group'] == r['group']]
                assert (r['b'], r['c']) == (sum(x['b'] for x in rows), sum(x['c'] for x in rows)), r
                assert abs(r['p_stratified'] - _exact_stratified([x['b'] for x in rows], [x['c'] for x in rows])) < 1e-12, r
                assert abs(r['delta_mean'] - sum(x['delta'] for x in rows) / len(rows)) < 1e-12, r
    return len(files)


def _exact_stratified(bs, cs):
    """Independent exact stratified test: the null distribution of Σb by explicit enumeration of the convolution."""
    dist = {0: Fraction(1)}
    for b, c in zip(bs, cs):
        n, new = b + c, {}
        for k, w in dist.items():
            for i in range(n + 1): new[k + i] = new.get(k + i, 0) + w * Fraction(math.comb(n, i), 2 ** n)
        dist = new
    B = sum(bs)
    lo, hi = sum(w for k, w in dist.items() if k <= B), sum(w for k, w in dist.items() if k >= B)
    return float(min(Fraction(1), 2 * min(lo, hi)))


def test_seed_tables_recomputed_from_predictions():
    if not _seed_runs_present(RESULTS):
        pytest.skip('results/ holds no seed or confirmation-draw runs yet (run `make reproduce-full`)')
    assert _check_seed_tables(RESULTS, readme_blocks()) >= 3


def test_seed_tables_wiring_on_fake_results(tmp_path):
    """The same check on a small synthetic results folder (three seeds, two draws): it passes on what the report
    writes, and fails when a stored number or count is changed."""
    import random
    from gazeqwen.report import report, PROTOCOLS, SHUFFLED, task_groups
    from gazeqwen.stats import TASKS
    free, res = task_groups()['gaze-free'], tmp_path / 'results'
    for k, sub in enumerate(['.', 'seed1', 'seed2', 'confirm/seed0', 'confirm/seed1', 'confirm/seed2']):
        for j, proto in enumerate(PROTOCOLS):
            for i, mode in enumerate(('lora_only', 'gazeqwen', SHUFFLED)):
                rng, rows = random.Random(100 * k + 10 * j + i), []
                for t in TASKS:
                    acc = 0.8 if mode == 'gazeqwen' and t not in free else 0.5
                    for q in range(10):
                        ok = rng.random() < acc
                        rows.append(dict(question_id=f'{t}/{q}', task=t, video=f'v{q % 4}.mp4', answer='A', prediction='A' if ok else 'B',
                                         probs=[0.25] * 4, correct=ok, mode=mode, protocol=proto))
                f = res / sub / f'eval_{proto}_{mode}' / 'predictions.jsonl'; f.parent.mkdir(parents=True, exist_ok=True)
                f.write_text(''.join(json.dumps(r) + '\n' for r in rows))
    report(res, n_boot=20, figures=False, readme=False)
    assert _seed_runs_present(res)
    assert _check_seed_tables(res, None) == 5
    f = res / 'tables' / 'seeds_aligned.md'; text = f.read_text()
    row = next(l for l in text.splitlines() if l.startswith('| 1 | gaze-dependent |'))
    cells = row.split(' | '); cells[5] = str(int(cells[5]) + 1)  # one more discordant b
    f.write_text(text.replace(row, ' | '.join(cells)))
    with pytest.raises(AssertionError, match='is not what the seed predictions imply'): _check_seed_tables(res, None)
