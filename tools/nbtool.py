"""Round-trip notebooks and percent-format text, for authoring notebooks from an editor.

    python tools/nbtool.py topct nbs/01_model.ipynb > /tmp/01_model.pct.py
    python tools/nbtool.py frompct /tmp/01_model.pct.py nbs/01_model.ipynb [IDS_FROM.ipynb]

Cells are separated by lines `# %%` (code) and `# %% [markdown]` (markdown; each line starts with `# `).
The notebooks in nbs/ stay the source of truth; the text form is a scratch copy. `frompct` keeps the cell ids of the
notebook it overwrites (or of IDS_FROM): a cell with the same source keeps its id, else the cell at the same position
of the same type does, so the exported modules' cell references do not churn.
"""
import json, sys
from pathlib import Path

KERNEL = {"kernelspec": {"display_name": "python3", "language": "python", "name": "python3"}}


def nb_to_pct(nb_path):
    nb = json.loads(Path(nb_path).read_text())
    out = []
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            out.append('# %% [markdown]\n' + '\n'.join(('# ' + l) if l else '#' for l in src.split('\n')))
        else:
            out.append('# %%\n' + src)
    return '\n\n'.join(out) + '\n'


def pct_to_nb(text):
    cells, cur, kind = [], None, None
    def flush():
        if cur is None: return
        lines = cur
        while lines and not lines[-1].strip(): lines = lines[:-1]
        while lines and not lines[0].strip(): lines = lines[1:]
        if kind == 'markdown':
            lines = [l[2:] if l.startswith('# ') else (l[1:] if l.startswith('#') else l) for l in lines]
        src = '\n'.join(lines)
        srcl = [l + '\n' for l in src.split('\n')]
        srcl[-1] = srcl[-1][:-1]
        cell = {"cell_type": kind, "metadata": {}, "source": srcl}
        if kind == 'code': cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    for line in text.split('\n'):
        if line.startswith('# %%'):
            flush()
            kind, cur = ('markdown' if '[markdown]' in line else 'code'), []
        elif cur is not None:
            cur.append(line)
    flush()
    return {"cells": cells, "metadata": KERNEL, "nbformat": 4, "nbformat_minor": 5}


def keep_ids(nb, old):
    "Give `nb`'s cells the ids of `old`'s cells: same source first, then same position and type."
    cells = old.get('cells', [])
    by_src = {}
    for c in cells:
        if 'id' in c: by_src.setdefault((c['cell_type'], ''.join(c['source'])), c['id'])
    used = set()
    for i, c in enumerate(nb['cells']):
        cid = by_src.get((c['cell_type'], ''.join(c['source'])))
        if cid in used: cid = None
        if cid is None and i < len(cells) and cells[i]['cell_type'] == c['cell_type'] and cells[i].get('id') not in used:
            cid = cells[i].get('id')
        if cid: c['id'] = cid; used.add(cid)
    return nb


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'topct': sys.stdout.write(nb_to_pct(sys.argv[2]))
    elif cmd == 'frompct':
        nb = pct_to_nb(Path(sys.argv[2]).read_text())
        src = Path(sys.argv[4] if len(sys.argv) > 4 else sys.argv[3])
        if src.is_file(): nb = keep_ids(nb, json.loads(src.read_text()))
        Path(sys.argv[3]).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
    else: raise SystemExit(__doc__)
