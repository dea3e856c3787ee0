"""Writes README.md from nbs/index.ipynb, filling each `<!-- include: PATH -->` marker with that generated file.

Markdown cells are copied; code cells become ```python blocks (cells starting with `#|hide` are left out).
A marker line `<!-- include: results/tables/overall.md -->` is replaced by the file's text between
`<!-- begin: PATH -->` and `<!-- end: PATH -->` comments, so every number in README comes from a generated file.
`<!-- include: PATH by COMMAND -->` names the command that writes PATH (default `make reproduce`) in the placeholder
shown while PATH does not exist.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r'^<!-- include: (\S+)(?: by (.+?))? -->$')


def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown':
            parts.append(src)
        elif c['cell_type'] == 'code' and src and not src.lstrip().startswith('#|hide'):
            body = '\n'.join(l for l in src.split('\n') if not l.startswith('#|'))
            parts.append('```python\n' + body + '\n```')
    out = []
    for line in '\n\n'.join(parts).split('\n'):
        m = MARK.match(line.strip())
        if not m:
            out.append(line); continue
        path, cmd = m.group(1), m.group(2) or 'make reproduce'
        f = ROOT / path
        text = f.read_text().strip('\n') if f.exists() else f'*(not generated yet: `{path}` is written by `{cmd}`)*'
        out += [f'<!-- begin: {path} -->', text, f'<!-- end: {path} -->']
    return '<!-- generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file -->\n\n' + '\n'.join(out) + '\n'


if __name__ == '__main__':
    (ROOT / 'README.md').write_text(render())
