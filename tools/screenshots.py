"""Headless-Chromium screenshots of pages of the built site (`make screenshots`, after `make docs`).

    python tools/screenshots.py [PAGE ...]     # default: nbs/01_model nbs/15_stats; PNGs in _site/_screenshots/

Each page is shot in one window `TALL` pixels high, then cut into 1280 x 2000 parts `NAME-1.png`, `NAME-2.png`, ...
(blank parts below the page's end are dropped). Uses the Debian `chromium` package (`apt-get install chromium`) with
its networking features off, so it works offline.
"""
import shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / '_site'
WIDTH, PART, TALL = 1280, 2000, 16000
FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars',
         '--virtual-time-budget=5000']


def screenshot(page: str, out_dir: Path = SITE / '_screenshots') -> list[Path]:
    "Screenshot `_site/PAGE.html` into `out_dir/NAME-i.png` parts; a clear error when the site or Chromium is missing."
    from PIL import Image
    html = SITE / f'{page}.html'
    if not html.exists(): raise SystemExit(f'{html} not found: run `make docs` first')
    exe = shutil.which('chromium') or shutil.which('chromium-browser') or shutil.which('google-chrome')
    if exe is None: raise SystemExit('chromium not found: `apt-get install chromium` (Debian) or install Chrome')
    out_dir.mkdir(parents=True, exist_ok=True)
    name = page.replace('/', '_')
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / 'full.png'
        subprocess.run([exe, *FLAGS, f'--window-size={WIDTH},{TALL}', f'--user-data-dir={tmp}/profile',
                        f'--screenshot={full}', html.as_uri()], check=True, capture_output=True, timeout=180)
        if not full.exists(): raise SystemExit(f'chromium wrote no screenshot for {html}')
        img = Image.open(full).convert('RGB')
        parts = []
        for i, top in enumerate(range(0, img.height, PART)):
            part = img.crop((0, top, WIDTH, min(top + PART, img.height)))
            lo, hi = part.convert('L').getextrema()
            if lo == hi: break  # blank: below the end of the page
            parts.append(out_dir / f'{name}-{i + 1}.png'); part.save(parts[-1])
    return parts


if __name__ == '__main__':
    for page in sys.argv[1:] or ['nbs/01_model', 'nbs/15_stats']:
        print(*screenshot(page.replace('.html', '')), sep='\n')
