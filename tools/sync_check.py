"""Fails when `nbdev_export`, `nbdev_clean` or the README generator would change any file (notebooks are the source)."""
import hashlib, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WATCH = ['gazeqwen', 'nbs', 'README.md']


def snapshot():
    files = []
    for w in WATCH:
        p = ROOT / w
        files += [p] if p.is_file() else sorted(q for q in p.rglob('*') if q.is_file() and '__pycache__' not in q.parts
                                                and '.ipynb_checkpoints' not in q.parts)
    return {str(f.relative_to(ROOT)): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


before = snapshot()
for cmd in ([str(BIN / 'nbdev_clean')], [str(BIN / 'nbdev_export')], [sys.executable, 'tools/readme.py']):
    subprocess.run(cmd, cwd=ROOT, check=True)
after = snapshot()
changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
if changed:
    print('nbdev_export / nbdev_clean / tools/readme.py changed these files; run `make export` and commit:', *changed, sep='\n  ')
    sys.exit(1)
print(f'sync check: {len(after)} files unchanged by nbdev_export, nbdev_clean and tools/readme.py')
