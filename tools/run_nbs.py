"""Executes the notebooks and stores their outputs in place, or checks that the stored outputs still hold.

    python tools/run_nbs.py                      # execute every notebook of nbs/ and store its outputs (`make nbs`)
    python tools/run_nbs.py nbs/01_model.ipynb   # just these
    python tools/run_nbs.py --check              # execute, fail on an error or on a changed text output (`make nbtest`)

One execution both tests and compares: cells run as `nbdev_test` runs them (same skipped cells: `#|slow`, `#|gpu`
unless `--flags` names them, `#|eval: false`, `nbdev_export(` cells), in a fresh process per notebook, stopping at the
first error. Outputs are made deterministic before they are stored or compared:

- torch, numpy and pandas print floats with 4 significant digits (`PRINT_PRECISION`); tqdm is disabled;
- stderr (warnings, progress bars, log lines) is not stored; a carriage-return progress line keeps its final state;
- memory addresses (`at 0x7f..`), the temporary folder (`<tmp>`), the repository's path (`<repo>`) and durations
  (`12.3 ms`, `took 4.1 s`, `3.2 it/s`) are replaced by placeholders;
- figures are stored as PNG (`image/png`) but never compared: they may differ across machines.

The check compares, cell by cell, every executed cell's stdout, its `text/*` results (plain text, HTML, Markdown)
and the name of any error. Text must match exactly, except that a decimal number may differ by one unit in its last
printed digit (a float rounded on the other side of a boundary on another CPU); so a hand-edited printed number fails.
A notebook with code cells but no stored output at all has not been stored yet: it is only tested, and counted in the summary
(`--strict` fails on it). Cells that were skipped (slow, gpu) keep their stored outputs and are not compared.
"""
from __future__ import annotations
import argparse, json, os, re, subprocess, sys, tempfile, traceback
from concurrent.futures import ThreadPoolExecutor
from configparser import ConfigParser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRINT_PRECISION = 4
PRELUDE = f"""
import os as _os
_os.environ.setdefault('IN_TEST', '1'); _os.environ['TQDM_DISABLE'] = '1'
try:
    import torch as _torch; _torch.set_printoptions(precision={PRINT_PRECISION})
except ImportError: pass
try:
    import numpy as _np; _np.set_printoptions(precision={PRINT_PRECISION})
except ImportError: pass
try:
    import pandas as _pd; _pd.set_option('display.precision', {PRINT_PRECISION})
except ImportError: pass
del _os
"""


def settings():
    "The `[DEFAULT]` section of settings.ini."
    cp = ConfigParser(); cp.read(ROOT / 'settings.ini')
    return cp['DEFAULT']


def default_notebooks():
    "The notebooks of nbs/ in name order (not nbs/experiments: they are run by papermill), minus `.notest` folders."
    nbs = ROOT / settings().get('nbs_path', 'nbs')
    return [p for p in sorted(nbs.glob('*.ipynb')) if not p.name.startswith(('_', '.'))
            and not (p.parent / '.notest').exists()]


# ---------------------------------------------------------------- normalisation
_ADDR = re.compile(r'(<[^<>]*?) at 0x[0-9a-fA-F]+(>)')
_HEX = re.compile(r'\b0x[0-9a-fA-F]{6,}\b')
_DUR = re.compile(r'\b\d+(?:\.\d+)?\s?(?:ms|µs|us|ns)\b'
                  r'|(?<=took )\d+(?:\.\d+)?\s?s(?:ec(?:ond)?s?)?\b'
                  r'|(?<=in )\d+\.\d+\s?s(?:ec(?:ond)?s?)?\b'
                  r'|\b\d+(?:\.\d+)?\s?(?:it/s|s/it)\b')
_PBAR = re.compile(r'^.*\d+%\|.*\|.*$', re.M)


def normalise_text(s: str) -> str:
    "Text output with addresses, temporary/repository paths, durations and progress bars replaced."
    s = '\n'.join(line.rsplit('\r', 1)[-1] for line in s.split('\n'))  # a progress line keeps its final state
    s = _PBAR.sub('<progress>', s)
    s = _ADDR.sub(r'\1\2', s)
    s = _HEX.sub('0x…', s)
    # the repository and its shared folder first: a clone may itself lie in the temporary folder
    s = s.replace(str(ROOT.parent / 'shared'), '../shared').replace(str(ROOT), '<repo>')
    tmp = os.path.realpath(tempfile.gettempdir())
    for t in {tmp, tempfile.gettempdir()}:
        s = re.sub(re.escape(t) + r'/[\w.\-]+', '<tmp>', s)
    return _DUR.sub('<time>', s)


def _lines(s: str) -> list[str]:
    return s.splitlines(True)


def normalise_outputs(outputs: list) -> list:
    "A cell's outputs as stored: stderr dropped, text normalised, no execution counts, no output metadata."
    res = []
    for o in outputs:
        o = dict(o)
        kind = o.get('output_type')
        if kind == 'stream':
            if o.get('name') != 'stdout': continue
            text = normalise_text(''.join(o['text']))
            if res and res[-1]['output_type'] == 'stream':  # merge consecutive stdout chunks
                res[-1]['text'] = _lines(''.join(res[-1]['text']) + text); continue
            res.append({'name': 'stdout', 'output_type': 'stream', 'text': _lines(text)})
        elif kind in ('execute_result', 'display_data'):
            data = {}
            for k, v in o.get('data', {}).items():
                if k.startswith('text/') or k == 'application/json':
                    v = _lines(normalise_text(''.join(v) if isinstance(v, list) else v)) if k.startswith('text/') else v
                data[k] = v
            out = {'data': data, 'metadata': {}, 'output_type': kind}
            if kind == 'execute_result': out['execution_count'] = None
            res.append(out)
        elif kind == 'error':
            res.append({'ename': o['ename'], 'evalue': normalise_text(str(o['evalue'])), 'output_type': 'error',
                        'traceback': []})
    return res


def text_view(outputs: list) -> list[tuple[str, str]]:
    "What the check compares: stdout, `text/*` data and error names, in order (pictures are left out)."
    view = []
    for o in outputs:
        kind = o.get('output_type')
        if kind == 'stream' and o.get('name') == 'stdout': view.append(('stdout', ''.join(o['text'])))
        elif kind in ('execute_result', 'display_data'):
            for k in sorted(o.get('data', {})):
                if k.startswith('text/'):
                    v = o['data'][k]
                    view.append((k, _ADDR.sub(r'\1\2', ''.join(v) if isinstance(v, list) else v)))
        elif kind == 'error': view.append(('error', o['ename']))
    return view


_NUM = re.compile(r'-?\d+\.(\d+)(?:[eE]([-+]?\d+))?')


def same_text(a: str, b: str) -> bool:
    "Equal text, except that decimal numbers may differ by one unit in their last printed digit."
    if a == b: return True
    if _NUM.sub('#', a) != _NUM.sub('#', b): return False
    for x, y in zip(_NUM.finditer(a), _NUM.finditer(b)):
        if x.group(0) == y.group(0): continue
        ulp = max(10.0 ** (-len(x.group(1)) + int(x.group(2) or 0)), 10.0 ** (-len(y.group(1)) + int(y.group(2) or 0)))
        if abs(float(x.group(0)) - float(y.group(0))) > ulp * 1.0001: return False
    return True


def first_difference(stored: list, now: list) -> str | None:
    "None when the text views agree, else a short description of the first difference."
    if len(stored) != len(now):
        return f'{len(stored)} text outputs stored, {len(now)} produced now: stored {stored!r:.300} / now {now!r:.300}'
    for (ka, a), (kb, b) in zip(stored, now):
        if ka != kb: return f'stored a {ka} output, now a {kb} output'
        if not same_text(a, b):
            la, lb = a.splitlines(), b.splitlines()
            for i, (x, y) in enumerate(zip(la + [''] * len(lb), lb + [''] * len(la))):
                if not same_text(x, y): return f'{ka} line {i + 1}: stored {x!r}, now {y!r}'
    return None


# ---------------------------------------------------------------- execution
def _skip(cell, flags: set) -> bool:
    "The cells `nbdev_test` skips: markdown, `nbdev_export(` calls, `#|eval: false`, and cells with a skipped flag."
    from nbdev.process import extract_directives
    if cell.cell_type != 'code': return True
    if 'nbdev_export' + '(' in cell.source: return True
    direc = extract_directives(cell, remove=False) or {}
    if direc.get('eval:', [''])[0].lower() == 'false': return True
    return bool(flags & direc.keys())


def _real_fixtures_absent() -> bool:
    "True when `../shared/fixtures/real` (or `$GAZEQWEN_SHARED/fixtures/real`) is not there."
    shared = Path(os.environ['GAZEQWEN_SHARED']) if os.environ.get('GAZEQWEN_SHARED') else ROOT.parent / 'shared'
    return not (shared / 'fixtures' / 'real').is_dir()

# Cells that read the real StreamGaze fixtures (their source names `real_fixtures`, or `REAL`/`real`, its result) print what they found; where the
# fixtures are absent (any clone without ../shared) they print that they skipped, so they are executed but not compared.
NO_REAL_FIXTURES = _real_fixtures_absent()
READS_REAL = re.compile(r'real_fixtures|\bREAL\b|\breal\b')  # the call, or the names the notebooks give its result


def run_notebook(path: Path, flags: set, check: bool) -> dict:
    "Execute one notebook; store its outputs, or compare them with the stored ones. Returns a summary dict."
    from execnb.nbio import read_nb
    from execnb.shell import CaptureShell
    from fastcore.xtras import working_directory
    path = Path(path).resolve()
    raw = json.loads(path.read_text())
    nb = read_nb(path)
    code = [c for c in raw['cells'] if c['cell_type'] == 'code']
    stored = any(c.get('outputs') for c in code) or not code  # no code cell: nothing to store
    sys.path.insert(0, str(ROOT))
    shell = CaptureShell(path, mpl_format='png')
    res = {'path': str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path), 'ok': True, 'stored': stored, 'ran': 0, 'skipped': 0, 'diffs': []}
    with working_directory(path.parent):
        shell.run(PRELUDE)
        for i, cell in enumerate(nb.cells):
            if _skip(cell, flags):
                res['skipped'] += cell.cell_type == 'code'; continue
            shell.cell(cell)
            res['ran'] += 1
            new = normalise_outputs(cell.get('outputs', []))
            if shell.exc:
                res.update(ok=False, error=f"cell {i}: " + ''.join(traceback.format_exception(
                    type(shell.exc), shell.exc, shell.exc.__traceback__))[-3000:])
                return res
            if check and stored and not (NO_REAL_FIXTURES and READS_REAL.search(cell.source)):
                d = first_difference(text_view(raw['cells'][i].get('outputs', [])), text_view(new))
                if d: res['diffs'].append(f'cell {i} ({cell.source.splitlines()[0][:60]!r}): {d}')
            raw['cells'][i]['outputs'] = new
            raw['cells'][i]['execution_count'] = None
    if check:
        res['ok'] = not res['diffs']
        return res
    path.write_text(json.dumps(raw, indent=1, ensure_ascii=False, sort_keys=True) + '\n')
    from nbdev.clean import nbdev_clean
    with working_directory(ROOT): nbdev_clean(fname=str(path))  # the stored form is what `nbdev_clean` keeps
    return res


def _worker(args):
    path, flags, check = args
    try: return run_notebook(path, flags, check)
    except Exception: return {'path': str(path), 'ok': False, 'stored': False, 'diffs': [], 'error': traceback.format_exc()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('paths', nargs='*', help='notebooks (default: every notebook of nbs/)')
    ap.add_argument('--check', action='store_true', help='compare with the stored outputs instead of storing')
    ap.add_argument('--flags', default='', help='space-separated flags of cells to run that are skipped by default')
    ap.add_argument('--n-workers', type=int, default=1, help='notebooks executed at once (one process each)')
    ap.add_argument('--strict', action='store_true', help='with --check: fail on a notebook with no stored outputs')
    ap.add_argument('--one', action='store_true', help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    paths = [Path(p).resolve() for p in a.paths] or default_notebooks()
    flags = set(settings().get('tst_flags', '').split()) - set(a.flags.split())
    if a.one:  # one notebook, in this process (a child of the run below): its result as the last line of stdout
        print(json.dumps(_worker((paths[0], flags, a.check)))); return
    def child(p):  # each notebook in its own process, which may start processes of its own (not a daemon)
        cmd = [sys.executable, __file__, '--one', '--flags', a.flags] + (['--check'] if a.check else []) + [str(p)]
        r = subprocess.run(cmd, capture_output=True, text=True)
        try: return json.loads(r.stdout.strip().splitlines()[-1])
        except (IndexError, ValueError):
            return {'path': str(p), 'ok': False, 'stored': False, 'diffs': [], 'error': (r.stdout + r.stderr)[-4000:]}
    with ThreadPoolExecutor(max(1, a.n_workers)) as ex: results = list(ex.map(child, paths))
    failed = [r for r in results if not r['ok']]
    unstored = [r['path'] for r in results if not r['stored']]
    for r in results:
        if r.get('error'): print(f"FAILED {r['path']}: {r['error']}", file=sys.stderr)
        for d in r['diffs']: print(f"CHANGED {r['path']}: {d}", file=sys.stderr)
    verb = 'checked' if a.check else 'executed and stored'
    print(f"{len(results) - len(failed)}/{len(results)} notebooks {verb}", end='')
    if a.check and unstored:
        print(f"; {len(unstored)} have no stored outputs (tested only: run `make nbs`): {', '.join(Path(u).name for u in unstored)}", end='')
    print()
    if failed or (a.check and a.strict and unstored): sys.exit(1)


if __name__ == '__main__':
    main()
