"""幻灯片（scripts/make_slides.py、scripts/mark_slides.py）：每章一套 reveal.js 幻灯片，离线打开。

- Every notebook's slide boundaries (``metadata.slideshow``) are what scripts/mark_slides.py
  derives from its headings: a new ``#``/``##``/``###`` heading without a boundary fails here
  (fix: ``python scripts/mark_slides.py``). The rules themselves, ``--check`` and the cutting of
  a markdown cell at a heading in its middle are tested on small made-up notebooks.
- ``make_slides.py --only 02_self_attention`` builds chapter 2's deck into a temporary copy of
  the site (its ``_static`` is the built site's, ``make book``); a deck names nothing off the
  machine; an unknown chapter or a site that is not built is an error (exit code != 0).
- In Chromium, served over HTTP: reveal.js starts; no request leaves the machine and none
  fails; the slides are the notebook's boundaries; MathJax typesets the formulas of the first
  slide; the Chinese title is there (and drawn with the book's web font when the computer has
  no Chinese font); the widget shows on its slide and its slider steps with the arrow keys,
  with no kernel, while the slide stays; a tall slide scrolls before the deck pages on; cells
  tagged hide-input show only their figure and hide-cell cells are collapsed.
- The book's own pages do not load reveal.js or the decks' files.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import SITE, off_machine

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))
DECK = "02_self_attention"


def _load(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mark_slides = _load("mark_slides")


# --- slide boundaries in the notebooks ------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_slide_boundaries_are_up_to_date(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    changes = mark_slides.mark(nb)
    assert not changes, (
        f"{path.name} 的幻灯片边界（metadata.slideshow）不是最新的，请运行 "
        "python scripts/mark_slides.py：\n" + "\n".join(changes)
    )


def _cell(kind, source, tags=(), outputs=None, slide=None):
    cell = {"cell_type": kind, "id": f"c{len(source)}-{kind}", "metadata": {}}
    cell["source"] = source
    if tags:
        cell["metadata"]["tags"] = list(tags)
    if slide:
        cell["metadata"]["slideshow"] = {"slide_type": slide}
    if kind == "code":
        cell["outputs"] = outputs or []
        cell["execution_count"] = 1 if outputs else None
    return cell


OUT = [{"output_type": "stream", "name": "stdout", "text": "1\n"}]


def _notebook():
    return {
        "cells": [
            _cell("markdown", "# 第 9 章 标题\n\n引言"),
            _cell("code", "import numpy as np"),  # no output: plumbing
            _cell("markdown", "## 9.1 一节\n\n### 不是第一行"),
            _cell("code", "print(1)", outputs=OUT, slide="skip"),  # wrong: fixed
            _cell("markdown", "\n### 9.1.1 小节"),
            _cell("markdown", "正文 #不是标题\n\n#### 四级标题不分页", slide="-"),
            _cell("code", "fig", tags=["hide-input"], outputs=OUT),
            _cell("code", "check()", tags=["hide-cell"], outputs=OUT),
            _cell("code", "x", tags=["remove-cell"], outputs=OUT),
        ],
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_mark_slides_rules_only_touch_slideshow_and_are_idempotent(tmp_path):
    nb = _notebook()
    nb["cells"][2]["metadata"]["slideshow"] = {"slide_type": "-", "data": {"x": "1"}}
    before = json.loads(json.dumps(nb))
    assert mark_slides.mark(nb)
    types = [mark_slides.current_type(c) for c in nb["cells"]]
    assert types == ["slide", "skip", "slide", "-", "subslide", "-", "-", "-", "skip"]
    assert nb["cells"][2]["metadata"]["slideshow"] == {"slide_type": "slide", "data": {"x": "1"}}
    assert "slideshow" not in nb["cells"][3]["metadata"]  # "-" is written as no entry
    for old, new in zip(before["cells"], nb["cells"], strict=True):
        old["metadata"].pop("slideshow", None)
        new = json.loads(json.dumps(new))
        new["metadata"].pop("slideshow", None)
        assert old == new  # sources, outputs, tags untouched
    assert mark_slides.mark(nb) == []  # idempotent

    # The command line: --check reports and changes nothing; a run fixes; --check then passes.
    path = tmp_path / "nb.ipynb"
    path.write_text(mark_slides.dumps(_notebook()), encoding="utf-8")
    text = path.read_text(encoding="utf-8")
    assert mark_slides.main(["--check", str(path)]) == 1
    assert path.read_text(encoding="utf-8") == text
    assert mark_slides.main([str(path)]) == 0
    assert mark_slides.main(["--check", str(path)]) == 0
    fixed = path.read_text(encoding="utf-8")
    assert mark_slides.main([str(path)]) == 0
    assert path.read_text(encoding="utf-8") == fixed


def test_split_markdown_at_headings():
    text = (
        "上一节的结尾。\n\n## 2.2 新的一节\n\n文字\n\n```python\n# 注释，不是标题\n```\n\n"
        '<div class="admonition">\n\n### 框里的标题不切\n\n</div>\n\n### 2.2.1 小节\n\n结尾'
    )
    parts = mark_slides.split_markdown(text)
    assert [kind for _, kind in parts] == ["-", "slide", "subslide"]
    assert parts[0][0] == "上一节的结尾。"
    assert parts[1][0].startswith("## 2.2 新的一节") and "框里的标题不切" in parts[1][0]
    assert parts[2][0] == "### 2.2.1 小节\n\n结尾"
    assert "".join(p for p, _ in parts).replace("\n", "") == text.replace("\n", "")
    assert mark_slides.split_markdown("## 开头\n\n文字") == [("## 开头\n\n文字", "slide")]


# --- building a deck -------------------------------------------------------------------------


def _run_make_slides(*args):
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "make_slides.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


@pytest.fixture(scope="module")
def deck_site(tmp_path_factory):
    """A temporary site: the built site's _static (make book) and chapter 2's deck."""
    if not (SITE / "_static").is_dir():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    site = tmp_path_factory.mktemp("deck_site")
    (site / "_static").symlink_to(SITE / "_static", target_is_directory=True)
    result = _run_make_slides("--only", DECK, "--site", str(site))
    assert result.returncode == 0, result.stdout + result.stderr
    return site


def test_make_slides_builds_the_deck(deck_site):
    built = sorted(p.name for p in (deck_site / "slides").iterdir())
    assert built == [f"{DECK}.slides.html", "jupyterlab.css"]
    html = (deck_site / "slides" / f"{DECK}.slides.html").read_text(encoding="utf-8")
    assert "<title>第 2 章 自注意力机制" in html
    assert 'type="application/vnd.jupyter.widget-state+json"' in html
    # Every file the deck loads is the site's own: no address with a scheme or a host.
    urls = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"', html)
    assert urls and not [u for u in urls if re.match(r"^(?:[a-z]+:)?//", u, re.I)], urls
    assert "../_static/vendor/reveal.js-" in html and "../_static/mathjax/" in html


def test_make_slides_fails_loudly(tmp_path):
    assert _run_make_slides("--only", "no_such_chapter").returncode != 0
    empty = _run_make_slides("--site", str(tmp_path))  # no _static: not built
    assert empty.returncode != 0 and "make book" in empty.stderr


# --- the deck in Chromium --------------------------------------------------------------------


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def deck_url(deck_site):
    handler = functools.partial(_Quiet, directory=str(deck_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/slides/{DECK}.slides.html"
    server.shutdown()
    server.server_close()


def _expected_slides(name):
    """(horizontal slides, all slides) of a deck, from the notebook's metadata and the
    headings inside cells, as make_slides.py cuts them."""
    nb = json.loads((ROOT / "chapters" / f"{name}.ipynb").read_text(encoding="utf-8"))
    kinds = []
    for cell in nb["cells"]:
        kinds.append(mark_slides.current_type(cell))
        if cell["cell_type"] == "markdown":
            kinds += [k for _, k in mark_slides.split_markdown("".join(cell["source"]))[1:]]
    return kinds.count("slide"), kinds.count("slide") + kinds.count("subslide")


def test_deck_in_chromium(browser, deck_url):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    requests, errors, failed = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else 0)
    try:
        page.goto(deck_url, wait_until="networkidle")
        page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=20_000)

        # The notebook's boundaries, as slides.
        horizontal, total = _expected_slides(DECK)
        assert page.evaluate("Reveal.getHorizontalSlides().length") == horizontal
        assert page.evaluate("Reveal.getTotalSlides()") == total

        # The first slide: the Chinese title, and MathJax has typeset its formulas.
        first = page.locator(".reveal .slides section.present").last
        assert first.locator("h1").inner_text().startswith("第 2 章 自注意力机制")
        first.locator("mjx-container").first.wait_for(state="visible", timeout=20_000)
        assert "\\sqrt" not in first.inner_text()  # no TeX left as text
        assert "自注意力" in page.title()
        system_cjk = page.evaluate("document.documentElement.dataset.bookSystemCjk")
        if (SITE / "_static" / "css" / "fonts.css").is_file() and system_cjk == "no":
            page.wait_for_function(
                """() => [...document.fonts].some(f =>
                    f.family.replace(/["']/g, '') === 'Book Noto Sans CJK SC'
                    && f.status === 'loaded')""",
                timeout=20_000,
            )

        # hide-input: the figures without their code; hide-cell: collapsed.
        hidden_input = page.locator(".jp-CodeCell.celltag_hide-input")
        assert hidden_input.count() >= 3
        assert page.locator(".jp-CodeCell.celltag_hide-input .jp-InputArea").count() == 0
        assert page.locator(".jp-CodeCell.celltag_hide-input img").count() == hidden_input.count()
        collapsed = page.locator("details.book-hidden-cell")
        assert collapsed.count() >= 2
        assert page.evaluate(
            "[...document.querySelectorAll('details.book-hidden-cell')].every(d => !d.open)"
        )

        # A tall slide: → scrolls it first, and only then goes on.
        indices = page.evaluate(
            """() => {
                const tall = [...document.querySelectorAll('.slides > section > section')]
                    .find(s => { Reveal.slide(...Object.values(Reveal.getIndices(s)));
                                 return s.scrollHeight > s.clientHeight + 100; });
                return Reveal.getIndices(tall);
            }"""
        )
        page.keyboard.press("ArrowRight")
        assert page.evaluate("Reveal.getCurrentSlide().scrollTop") > 0
        assert page.evaluate("Reveal.getIndices()") == indices

        # The widget on its slide: it rendered from the stored state and steps with the keys.
        stepper = page.locator(".attn-stepper").first
        page.wait_for_function(
            "() => document.querySelector('.attn-stepper .widget-slider')", timeout=20_000
        )
        page.evaluate(
            """() => { const s = document.querySelector('.attn-stepper').closest('section');
                       const i = Reveal.getIndices(s); Reveal.slide(i.h, i.v); }"""
        )
        stepper.scroll_into_view_if_needed()
        assert stepper.is_visible()
        where = page.evaluate("Reveal.getIndices()")
        readout = stepper.locator(".widget-readout").first
        assert readout.inner_text() == "① 输入"
        stepper.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "el => el.textContent.includes('② 权重')", arg=readout.element_handle()
        )
        assert page.evaluate("Reveal.getIndices()") == where  # the slide stayed

        assert errors == []
        assert failed == []
        assert off_machine(requests) == []
    finally:
        context.close()


# --- the book's pages ------------------------------------------------------------------------


def test_book_pages_do_not_load_the_decks_files():
    pages = [p for p in SITE.rglob("*.html") if "slides" not in p.relative_to(SITE).parts]
    assert pages, "请先运行 make book"
    for page in pages:
        text = page.read_text(encoding="utf-8")
        loaded = re.findall(r'<(?:script|link)\b[^>]*?\b(?:src|href)="([^"]*)"', text)
        assert not [u for u in loaded if "reveal.js" in u or "/slides/" in u], page
