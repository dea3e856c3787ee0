"""Sphinx configuration of the gazeqwen site: the notebooks of nbs/ rendered with their stored outputs.

Built by `make docs` (`sphinx-build -c docs . _site`): the source folder is the repository root, so the notebooks'
relative links to `results/` resolve; only `nbs/*.ipynb` are read. Notebooks are never executed here
(`nb_execution_mode = "off"`): run `make nbs` first to store their outputs. Nothing is downloaded: the theme and
MathJax (sphinx-mathjax-offline) are served from the site itself.
"""
import json, re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / 'nbs'

project = 'gazeqwen'
author = 'gazeqwen developers'
copyright = '2026 onwards, gazeqwen developers'

extensions = ['myst_nb', 'sphinx-mathjax-offline']
root_doc = 'nbs/index'
include_patterns = ['nbs/*.ipynb']
exclude_patterns = ['_site', '.venv', '**/.ipynb_checkpoints']
source_suffix = {'.ipynb': 'myst-nb', '.md': 'myst-nb'}

nb_execution_mode = 'off'          # render the stored outputs; never execute while building
nb_merge_streams = True
nb_output_stderr = 'remove'
nb_render_markdown_format = 'myst'  # Markdown outputs (the report's tables) as MyST, so tables render
myst_enable_extensions = ['dollarmath', 'amsmath', 'colon_fence']
myst_heading_anchors = 3
myst_dmath_double_inline = True  # $$...$$ inside a paragraph, as Jupyter renders it
suppress_warnings = ['myst.header', 'misc.highlighting_failure', 'mystnb.unknown_mime_type']

html_theme = 'sphinx_book_theme'
html_title = 'gazeqwen'
html_theme_options = {'show_toc_level': 2, 'use_download_button': True, 'home_page_in_toc': True}
html_show_sourcelink = False
html_copy_source = False


def reading_order(nbs=NBS):
    "Pages after the index: the paper guide, the numbered notebooks in name order, the research log, then any other."
    names = sorted(p.stem for p in nbs.glob('*.ipynb') if not p.name.startswith(('_', '.')) and p.stem != 'index')
    numbered = [n for n in names if re.match(r'\d', n)]
    first = [n for n in ('paper',) if n in names]
    last = [n for n in ('research_log',) if n in names]
    return first + numbered + last + [n for n in names if n not in numbered + first + last]


_DIRECTIVE = re.compile(r'^#\|\s*([\w-]+)')


def _page_cells(nb):
    "As nbdev shows a notebook: `#|default_exp` cells left out, `#|hide` cells show only their output, no `#|` lines."
    for c in nb['cells']:
        if c['cell_type'] != 'code': continue
        src = ''.join(c['source']) if isinstance(c['source'], list) else c['source']
        lines = src.split('\n')
        direcs = [m.group(1) for m in map(_DIRECTIVE.match, lines) if m]
        tags = c.setdefault('metadata', {}).setdefault('tags', [])
        if 'default_exp' in direcs: tags.append('remove-cell')
        elif 'hide' in direcs: tags.append('remove-input')
        c['source'] = '\n'.join(l for l in lines if not _DIRECTIVE.match(l)).strip('\n')
    return nb


def _read_notebook(app, docname, source):
    "Each notebook page as nbdev shows it; the index page also gets the site's table of contents (from the file list)."
    nb = _page_cells(json.loads(source[0]))
    if docname == root_doc:
        toc = '```{toctree}\n:hidden:\n:maxdepth: 1\n\n' + '\n'.join(reading_order()) + '\n```'
        nb['cells'].append({'cell_type': 'markdown', 'metadata': {}, 'source': toc, 'id': 'site-toc'})
    source[0] = json.dumps(nb)


def _root_redirect(app, exc):
    "The site's root `index.html` forwards to the index notebook's page."
    if exc is None and app.builder.format == 'html':
        (Path(app.outdir) / 'index.html').write_text(
            '<!DOCTYPE html><meta charset="utf-8"><meta http-equiv="refresh" content="0; url=nbs/index.html">'
            '<a href="nbs/index.html">gazeqwen</a>\n')


def setup(app):
    app.connect('source-read', _read_notebook)
    app.connect('build-finished', _root_redirect)
