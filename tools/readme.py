"""Writes README.md from nbs/index.ipynb, filling each `<!-- include: PATH -->` marker with that generated file.

Markdown cells are copied; code cells become ```python blocks (cells starting with `#|hide` are left out, except
`#|hide` cells calling `include_file('PATH')`, which show a generated file in the notebook and become include markers
here). Links are written relative to `nbs/` in the notebook (`01_model.ipynb`, `../results/figures/x.png`) and
rewritten relative to the repository root here (`nbs/01_model.ipynb`, `results/figures/x.png`).
A marker line `<!-- include: results/tables/overall.md -->` is replaced by the file's text between
`<!-- begin: PATH -->` and `<!-- end: PATH -->` comments, so every number in README comes from a generated file.
`<!-- include: PATH by COMMAND -->` names the command that writes PATH (default `make reproduce`) in the placeholder
shown while PATH does not exist.
"""
import json, re, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MARK = re.compile(r'^<!-- include: (\S+)(?: by (.+?))? -->$')
INCLUDE = re.compile(r"^include_file\('([^']+)'(?:, by='([^']+)')?\)$")
LINK = re.compile(r'\]\((?!https?:|#|/)([^)\s]+)\)')


def root_link(target: str) -> str:
    "A link written from nbs/ as seen from the repository root."
    return target[3:] if target.startswith('../') else 'nbs/' + target


def render(nb_path=ROOT / 'nbs' / 'index.ipynb'):
    nb = json.loads(Path(nb_path).read_text())
    parts = []
    for c in nb['cells']:
        src = ''.join(c['source']).strip('\n')
        if c['cell_type'] == 'markdown':
            parts.append(LINK.sub(lambda m: f'](' + root_link(m.group(1)) + ')', src))
        elif c['cell_type'] == 'code' and src.lstrip().startswith('#|hide'):
            body = '\n'.join(l for l in src.split('\n') if not l.startswith('#|')).strip()
            m = INCLUDE.match(body)
            if m: parts.append(f'<!-- include: {m.group(1)}' + (f' by {m.group(2)}' if m.group(2) else '') + ' -->')
        elif c['cell_type'] == 'code' and src:
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
