"""The built site (`make docs`, in _site/) shows the notebooks' stored outputs and figures, in reading order.

Skips, saying why, when the site has not been built; build it with `make docs` first.
"""
import html, importlib.util, json, re
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / '_site'


def page(name):
    "Text of a built page, or a skip that says why it is missing."
    p = SITE / 'nbs' / f'{name}.html'
    if not p.exists():
        reason = f'{p.relative_to(ROOT)} not built: run `make docs`'
        print(reason); pytest.skip(reason)
    return p.read_text()


def stored_outputs(name):
    "Stored text outputs of nbs/NAME.ipynb, or a skip when the notebook carries none."
    nb = json.loads((ROOT / 'nbs' / f'{name}.ipynb').read_text())
    outs = [o for c in nb['cells'] for o in c.get('outputs', [])]
    if not outs: print(f'{name} has no stored outputs'); pytest.skip(f'{name} has no stored outputs: run `make nbs`')
    return outs


def images(text):
    "Paths of the page's images that exist in the built site."
    srcs = re.findall(r'<img[^>]* src="([^"]+)"', text)
    return [s for s in srcs if (SITE / 'nbs' / s).resolve().exists()], srcs


def test_model_page_shows_outputs_and_figures():
    text = page('01_model')
    outs = stored_outputs('01_model')
    for o in outs:  # every stored stdout line is on the page
        for line in ''.join(o.get('text', [])).splitlines():
            if line.strip(): assert html.escape(line.strip(), quote=False) in text, line
    assert '10,807,324 parameters' in text
    ok, srcs = images(text)
    n_fig = sum('image/png' in o.get('data', {}) for o in outs)
    assert n_fig >= 4 and len(ok) >= n_fig and ok == srcs, (n_fig, srcs)
    assert 'tex-chtml.js' in text and (SITE / '_static' / 'mathjax' / 'tex-chtml.js').exists()  # math served locally
    assert '#|export' not in text and 'default_exp' not in text  # directives are not shown


def test_stats_page_renders_the_mcnemar_and_holm_table():
    text = page('15_stats')
    stored_outputs('15_stats')
    tables = re.findall(r'<table.*?</table>', text, re.S)
    holm = [t for t in tables if 'Holm p' in t and 'OTP' in t]
    assert holm, 'no rendered table with a Holm p column'
    cells = [re.sub(r'<[^>]+>', '', c).strip() for c in re.findall(r'<t[dh][^>]*>(.*?)</t[dh]>', holm[0], re.S)]
    assert '95% CI (videos)' in cells and 'OTP' in cells and 'Overall (micro)' in cells, cells


def test_pages_in_reading_order():
    text = page('index')
    spec = importlib.util.spec_from_file_location('docs_conf', ROOT / 'docs' / 'conf.py')
    conf = importlib.util.module_from_spec(spec); spec.loader.exec_module(conf)
    order = conf.reading_order()
    assert order[0] == 'paper' if (ROOT / 'nbs' / 'paper.ipynb').exists() else True
    nav = re.findall(r'class="reference internal" href="([\w.-]+)\.html"', text)
    seen = [n for n in dict.fromkeys(nav) if n in order]
    assert seen == order, (seen, order)
    assert all((SITE / 'nbs' / f'{n}.html').exists() for n in order)
    assert (SITE / 'index.html').exists()
