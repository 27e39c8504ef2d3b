"""Build every chapter as a reveal.js slide deck, from the outputs stored in the notebooks.

    python scripts/make_slides.py                         # all chapters -> _build/html/slides/
    python scripts/make_slides.py --only 02_self_attention
    python scripts/make_slides.py --site DIR              # a built site other than _build/html

Run it after ``make book``: the decks live in the built site
(``_build/html/slides/NAME.slides.html``) and every front-end file they load is one the site
already serves from ``_static/``, so a deck opens with no request off the machine (over HTTP,
like the site: ``make serve``):

- reveal.js 6.0.2 (assets/vendor/reveal.js-6.0.2/, MIT; see its README.md);
- require.js and the widget manager (assets/vendor/requirejs-2.3.8/, html-manager-1.0.15/), with
  the site's js/widgets-offline.js, which points the widget manager at its font files and gives
  it the MathJax 2 call it makes in MathJax 3 terms; the decks show the widget state stored in
  the notebooks, so the widgets step with no kernel, as on the site;
- MathJax 3 from sphinx-mathjax-offline (_static/mathjax/tex-chtml.js);
- the Chinese web font (css/fonts.css, fonts/load.js), when the site has it;
- assets/slides/deck.css (the decks' look) and deck.js (starts reveal.js).

It is ``jupyter nbconvert --to slides`` (nbconvert's SlidesExporter) with those URLs in its
traits (``SlidesExporter.reveal_url_prefix``, ``HTMLExporter.require_js_url``,
``HTMLExporter.mathjax_url``, ``HTMLExporter.widget_renderer_url``) and a small template
(``TEMPLATE``) that keeps the cells-to-sections part of nbconvert's reveal template
(reveal/base.html.j2) and replaces its page (reveal/index.html.j2), which would also load jQuery
and mermaid from CDNs, link a reveal.js theme (the default, ``simple``, imports Google fonts) and
call MathJax 2's API on every slide change.

Slide boundaries come from the cells' ``metadata.slideshow`` (scripts/mark_slides.py sets them
from the headings); a markdown cell with a heading in its middle is cut there for the deck
(mark_slides.split_markdown). Cells tagged hide-input show only their output; hide-cell cells
are collapsed behind "显示代码", as on the site. Links to other chapters open the book's pages.

The output is deterministic: the same notebooks give the same files, byte for byte.
Exits non-zero when a deck cannot be built.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import os
import posixpath
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import mark_slides  # noqa: E402  (scripts/ is not a package)

CHAPTERS = ROOT / "chapters"
SITE = ROOT / "_build" / "html"
REVEAL = "vendor/reveal.js-6.0.2"

# Under the site's _static/: (path, needed). The optional ones come from another part of the
# book (the Chinese web font); a deck without them still works on a computer with a CJK font.
STATIC = {
    "reveal": (f"{REVEAL}/dist/reveal.js", True),
    "reveal_css": (f"{REVEAL}/dist/reveal.css", True),
    "reveal_notes": (f"{REVEAL}/dist/plugin/notes.js", True),
    "require": ("vendor/requirejs-2.3.8/require.js", True),
    "widgets_offline": ("js/widgets-offline.js", True),
    "embed": ("vendor/html-manager-1.0.15/embed-amd.js", True),
    "mathjax": ("mathjax/tex-chtml.js", True),
    "deck_css": ("slides/deck.css", True),
    "deck_js": ("slides/deck.js", True),
    "fonts_css": ("css/fonts.css", False),
    "fonts_js": ("fonts/load.js", False),
    "favicon": ("favicon.svg", False),
}
LAB_CSS = "jupyterlab.css"  # nbconvert's JupyterLab styles, written once next to the decks

TEMPLATE = r"""
{%- extends 'base.html.j2' -%}
{#- reveal/base.html.j2: one <section> per slide and subslide, from the cells' metadata. -#}

{%- block header -%}
<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
{% if resources.book.favicon -%}
<link rel="icon" href="{{ resources.book.favicon }}">
{% endif -%}
<title>{{ resources.book.title | escape_html }}</title>
<link rel="stylesheet" href="{{ resources.reveal.url_prefix }}/dist/reveal.css">
<link rel="stylesheet" href="{{ resources.book.lab_css }}">
{% for css in resources.inlining.css -%}
<style>
{{ css }}
</style>
{% endfor -%}
{% for href in resources.book.css -%}
<link rel="stylesheet" href="{{ href }}">
{% endfor -%}
<script>
window.MathJax = {
  tex: {
    inlineMath: [["$", "$"], ["\\(", "\\)"]],
    displayMath: [["$$", "$$"], ["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true
  },
  options: { ignoreHtmlClass: "tex2jax_ignore", processHtmlClass: "tex2jax_process" }
};
</script>
<script defer src="{{ resources.mathjax_url }}"></script>
<script src="{{ resources.require_js_url }}"></script>
{%- if "widgets" in nb.metadata %}
<script src="{{ resources.book.widgets_offline }}"></script>
<script async src="{{ resources.widget_renderer_url }}"></script>
{%- endif %}
{% for src in resources.book.head_js -%}
<script src="{{ src }}"></script>
{% endfor -%}
</head>
{%- endblock header -%}

{%- block body_header -%}
<body class="jp-Notebook book-deck" data-jp-theme-light="true"
  data-jp-theme-name="JupyterLab Light">
<div class="reveal">
<div class="slides">
{%- endblock body_header -%}

{%- block codecell -%}
{%- if 'hide-cell' in cell.metadata.get('tags', []) -%}
<details class="book-hidden-cell"><summary>显示代码</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock codecell -%}

{%- block body_footer -%}
</div>
</div>
<a class="book-deck-page" href="{{ resources.book.page }}" title="打开本章的网页">本章网页</a>
{%- endblock body_footer -%}

{%- block footer -%}
{{ super() }}
<script src="{{ resources.book.deck_js }}" data-reveal="{{ resources.reveal.url_prefix }}"></script>
</body>
</html>
{%- endblock footer -%}
"""


def _rel(target: str, start: str) -> str:
    return posixpath.relpath(target, start)


_LINK = re.compile(r"(\]\()([^)\s#]+)(#[^)\s]*)?(\))")


def rewrite_links(text: str, page_dir: str, deck_dir: str) -> str:
    """Markdown links written for chapters/*.ipynb (``02_self_attention.ipynb``,
    ``../glossary.md``) -> the site's pages, relative to the deck's folder."""

    def fix(m):
        target = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("/"):
            return m.group(0)
        stem, ext = posixpath.splitext(target)
        if ext not in (".ipynb", ".md"):
            return m.group(0)
        page = posixpath.normpath(posixpath.join(page_dir, stem + ".html"))
        return f"{m.group(1)}{_rel(page, deck_dir)}{m.group(3) or ''}{m.group(4)}"

    return _LINK.sub(fix, text)


def prepare(nb, deck_dir: str):
    """The notebook as the deck shows it (a copy; the file is not touched): markdown cells cut
    at their headings, links to the site's pages, the chapter's title."""
    import nbformat

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            cells.append(cell)
            continue
        parts = mark_slides.split_markdown(cell.source)
        for k, (text, kind) in enumerate(parts):
            part = copy.deepcopy(cell)
            part.source = rewrite_links(text, "chapters", deck_dir)
            if k:  # the first part keeps the cell's own metadata (and id)
                part.id = f"{cell.get('id', 'cell')}-{k}"
                part.metadata.pop("slideshow", None)
                if kind != mark_slides.CONTINUE:
                    part.metadata["slideshow"] = {"slide_type": kind}
            cells.append(part)
    nb.cells = cells
    for cell in nb.cells:
        first = next((ln for ln in cell.source.split("\n") if ln.strip()), "")
        if cell.cell_type == "markdown" and first.startswith("# "):
            title = re.sub(r"\$([^$]*)\$", r"\1", first[2:]).strip()
            nb.metadata["title"] = title
            break
    nbformat.validate(nb)
    return nb


def _ids():
    """Stands in for the template's uuid4(): the same notebook gets the same element ids."""
    counter = itertools.count(1)
    return lambda: f"widget-view-{next(counter)}"


def make_exporter(static_url: str):
    from jinja2 import DictLoader
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    c = Config()
    c.SlidesExporter.reveal_url_prefix = f"{static_url}/{REVEAL}"
    c.HTMLExporter.require_js_url = f"{static_url}/{STATIC['require'][0]}"
    c.HTMLExporter.mathjax_url = f"{static_url}/{STATIC['mathjax'][0]}"
    c.HTMLExporter.widget_renderer_url = f"{static_url}/{STATIC['embed'][0]}"
    c.HTMLExporter.jquery_url = ""  # not loaded by the template
    c.HTMLExporter.language_code = "zh"
    c.HTMLExporter.exclude_anchor_links = True
    c.TemplateExporter.exclude_input_prompt = True
    c.TemplateExporter.exclude_output_prompt = True
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {"hide-input", "remove-input"}
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    exporter = SlidesExporter(
        config=c,
        extra_loaders=[DictLoader({"book-slides.html.j2": TEMPLATE})],
        template_file="book-slides.html.j2",
    )
    return exporter


def lab_css(exporter) -> str:
    """nbconvert's JupyterLab styles (light theme), which its templates would inline in every
    deck: written once next to the decks instead."""
    for base in exporter.template_paths:
        index = Path(base) / "static" / "index.css"
        theme = Path(base) / "static" / "theme-light.css"
        if index.is_file() and theme.is_file():
            head = "/* nbconvert's JupyterLab styles (BSD-3-Clause, Project Jupyter), copied by\n"
            head += " * scripts/make_slides.py from the installed nbconvert. */\n"
            return head + index.read_text(encoding="utf-8") + "\n" + theme.read_text("utf-8")
    raise FileNotFoundError("nbconvert 的 lab 模板里没有 static/index.css")


def _write_if_changed(path: Path, text: str) -> None:
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build(notebook: Path, exporter, out: Path, urls: dict) -> Path:
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    stale = mark_slides.mark(copy.deepcopy(nb))
    if stale:
        print(
            f"注意：{notebook.name} 有 {len(stale)} 个单元格的幻灯片边界不是最新的"
            "（运行 python scripts/mark_slides.py）",
            file=sys.stderr,
        )
    deck_dir = "slides"
    nb = prepare(nb, deck_dir)
    resources = {
        "metadata": {"name": notebook.stem},
        "book": {
            **urls,
            "title": f"{nb.metadata.get('title', notebook.stem)} · 幻灯片",
            "page": _rel(f"chapters/{notebook.stem}.html", deck_dir),
        },
    }
    exporter.environment.globals["uuid4"] = _ids()
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    target = out / f"{notebook.stem}.slides.html"
    _write_if_changed(target, body)
    return target


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="只构建这一章（如 02_self_attention）；可重复",
    )
    parser.add_argument("--site", type=Path, default=SITE, help="构建好的网站（默认 _build/html）")
    args = parser.parse_args(argv)

    site = args.site.resolve()
    static = site / "_static"
    missing = [p for p, needed in STATIC.values() if needed and not (static / p).is_file()]
    if missing:
        print(
            f"{static} 里缺少 {', '.join(missing)}：请先运行 make book",
            file=sys.stderr,
        )
        return 1
    notebooks = sorted(CHAPTERS.glob("*.ipynb"))
    if args.only:
        by_name = {nb.stem: nb for nb in notebooks}
        unknown = [n for n in args.only if n not in by_name]
        if unknown:
            print(
                f"没有这一章：{', '.join(unknown)}（可选：{', '.join(by_name)}）", file=sys.stderr
            )
            return 2
        notebooks = [by_name[n] for n in args.only]

    out = site / "slides"
    out.mkdir(parents=True, exist_ok=True)
    static_url = _rel("_static", "slides")
    urls = {key: f"{static_url}/{path}" for key, (path, _) in STATIC.items()}
    urls["css"] = [urls["fonts_css"]] if (static / STATIC["fonts_css"][0]).is_file() else []
    urls["css"].append(urls["deck_css"])
    urls["head_js"] = [urls["fonts_js"]] if (static / STATIC["fonts_js"][0]).is_file() else []
    urls["lab_css"] = LAB_CSS
    for key, (path, needed) in STATIC.items():
        if not needed and not (static / path).is_file():
            urls[key] = ""

    if not args.only:  # a renamed or removed chapter leaves no deck behind
        names = {f"{nb.stem}.slides.html" for nb in notebooks}
        for old in out.glob("*.slides.html"):
            if old.name not in names:
                old.unlink()
                print(f"删除了过时的 {os.path.relpath(old)}")

    exporter = make_exporter(static_url)
    _write_if_changed(out / LAB_CSS, lab_css(exporter))
    failed = 0
    for notebook in notebooks:
        start = time.perf_counter()
        try:
            target = build(notebook, exporter, out, urls)
        except Exception as exc:  # one bad chapter must not hide the others
            failed += 1
            print(f"失败：{notebook.name}：{type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        size = target.stat().st_size / 1e6
        secs = time.perf_counter() - start
        print(f"{os.path.relpath(target)}  {size:.2f} MB  {secs:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
