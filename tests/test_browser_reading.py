"""浏览器测试：读者看到的静态网站——widget 的字号、深色模式的对比度、手机上的横向滚动、
放大图片、静态网页上需要内核的输入框（issue 19；assets/css/reading.css、assets/js/reading.js）。

The static site as readers use it, measured in the system Chromium (tests/conftest.py):

- every widget's text (labels, buttons, readouts, inputs, panels, tables) is at least as
  large as the prose, at 1366x768 (desktop), 1280x720 (a 1920x1080 projector at 150 %),
  1920x1080 and 390x844 (phone); selected toggle buttons stand out from the others and the
  slider handle from its track (non-text contrast >= 3:1); each widget fits 720 px in height
  at every step of its slider and every choice of its first picker, on the projector;
- text boxes that need a kernel are disabled on the static page, with a note that says so;
- no page scrolls sideways at 390 px, at any step of any widget; formulas and tables wider
  than the column scroll in their own box, with edge shadows as the hint;
- every text on every page (answers opened, every panel of every widget shown) has contrast
  >= 4.5:1 against what is behind it, in light and in dark mode;
- figures shown smaller than their natural size open full size in a lightbox (mouse and
  keyboard; Esc closes it and gives the focus back);
- one search box on a desktop page; chapter 1's decoder-input box is not stretched;
  /favicon.ico is served at the site's root;
- search finds every page title and glossary term, the page that explains it first;
- chapter 7's layer and head pickers are disabled, with a note, at the steps where they
  change nothing.

This module holds the page-wide audits; the widget-by-widget checks are in
test_browser_reading_widgets.py and the search in test_browser_search.py (separate modules, so
that pytest-xdist runs them side by side). Each page is loaded once; the viewport and the
theme are then switched in place (a device scale factor changes no CSS pixel, so 1280x720 is
what the projector lays out). Dark mode is
the theme's own switch: ``data-theme="dark"`` on <html>, what its button sets.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import off_machine

ROOT = Path(__file__).resolve().parent.parent

DESKTOP = (1366, 768)
PROJECTOR = (1280, 720)  # 1920x1080 at 150 %
LARGE = (1920, 1080)
PHONE = (390, 844)
SIZES = {"desktop": DESKTOP, "projector": PROJECTOR, "1920": LARGE, "phone": PHONE}
MAX_WIDGET_HEIGHT = 720


def _pages() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]] + [c["file"] for c in toc.get("chapters", [])]
    return [f"{f}.html" for f in files]


PAGES = _pages()
CHAPTERS = [p for p in PAGES if p.startswith("chapters/")]

# ----------------------------------------------------------------------------- page JS

# The prose size: a paragraph of the article that is not output.
PROSE_SIZE = """() => {
  const p = [...document.querySelectorAll('article.bd-article p')]
    .find(e => !e.closest('.cell_output, details, table, .admonition'));
  return parseFloat(getComputedStyle(p).fontSize);
}"""

# Every element of a widget that shows text, hidden panels included (getComputedStyle works
# on them too); not the tab bars that are never shown, not the pixel cells of an image.
WIDGET_FONT_SIZES = """(prose) => {
  const bad = []; let n = 0;
  for (const root of document.querySelectorAll('.cell_output .widget-subarea')) {
    for (const e of root.querySelectorAll('*')) {
      if (e.closest('.lm-TabBar, style, script, table.vit-img, mjx-container')) continue;
      const own = [...e.childNodes].some(t => t.nodeType === 3 && t.textContent.trim());
      if (!own && !e.matches('input, select, textarea, button')) continue;
      n++;
      const size = parseFloat(getComputedStyle(e).fontSize);
      if (size < prose - 0.01) {
        bad.push(size + 'px ' + e.tagName + '.' + String(e.className).slice(0, 40) + ' "' +
          (e.value || e.textContent).trim().slice(0, 30) + '"');
      }
    }
  }
  return {n, bad: bad.slice(0, 15), nbad: bad.length};
}"""

# WCAG contrast of every visible text against the colours behind it (alpha-composited up to
# the first opaque background). Inputs count by their value. Disabled controls are exempt.
CONTRAST = """() => {
  const parse = c => { const m = /rgba?\\(([^)]+)\\)/.exec(c); if (!m) return null;
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (t, b) => [0, 1, 2].map(i => t[i] * t[3] + b[i] * (1 - t[3])).concat([1]);
  const lum = c => { const f = v => (v /= 255) <= 0.03928 ? v / 12.92
    : Math.pow((v + 0.055) / 1.055, 2.4); return 0.2126 * f(c[0]) + 0.7152 * f(c[1])
    + 0.0722 * f(c[2]); };
  const behind = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg; };
  const shown = e => { if (!e.getClientRects().length) return false;
    if (getComputedStyle(e).visibility === 'hidden') return false;
    for (let a = e; a; a = a.parentElement) if (getComputedStyle(a).opacity === '0') return false;
    return true; };
  const bad = []; let n = 0;
  for (const e of document.querySelectorAll('article.bd-article, article.bd-article *')) {
    if (e.closest('svg, mjx-assistive-mml, .lm-TabBar')) continue;
    const own = [...e.childNodes].some(t => t.nodeType === 3 && t.textContent.trim());
    const field = e.matches('input:not([type=range]):not([type=checkbox]), select, textarea');
    if (!own && !field) continue;
    if (!shown(e) || e.disabled || e.closest('[disabled]')) continue;
    const bg = behind(e); const fg = over(parse(getComputedStyle(e).color), bg);
    const l1 = lum(fg), l2 = lum(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    n++;
    if (ratio < 4.5) bad.push(ratio.toFixed(2) + ' ' + e.tagName + '.' +
      String(e.className).slice(0, 30) + ' "' + (e.value || e.textContent).trim().slice(0, 30) +
      '" ' + getComputedStyle(e).color + ' on rgb(' + bg.slice(0, 3).map(Math.round) + ')');
  }
  return {n, bad: bad.slice(0, 15), nbad: bad.length};
}"""

# Show everything a reader can reach: every answer, every accordion, every panel of every
# widget (their tabs are hidden: the controls pick one at a time).
REVEAL_ALL = """() => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  document.querySelectorAll('.cell_output .lm-mod-hidden')
    .forEach(e => e.classList.remove('lm-mod-hidden'));
}"""

SIDEWAYS = """() => {
  const se = document.scrollingElement;
  return {scroll: se.scrollWidth, client: se.clientWidth};
}"""

# Boxes wider than the column that scroll by themselves: display formulas and tables.
SCROLL_BOXES = """() => {
  const out = [];
  const boxes = document.querySelectorAll('article div.math mjx-container, ' +
    'article .pst-scrollable-table-container, article span.math');
  for (const b of boxes) {
    if (!b.getClientRects().length) continue;
    const inner = b.matches('span.math') ? b.querySelector('mjx-container') : b;
    const wide = inner && (b.matches('span.math')
      ? inner.getBoundingClientRect().width > b.parentElement.getBoundingClientRect().width + 1
      : b.scrollWidth > b.clientWidth + 1);
    if (!wide) continue;
    const cs = getComputedStyle(b);
    out.push({text: b.textContent.trim().slice(0, 30), overflow: cs.overflowX,
      scrolls: b.scrollWidth > b.clientWidth + 1, hint: cs.backgroundImage.includes('gradient'),
      tab: b.getAttribute('tabindex')});
  }
  return out;
}"""


def _set_theme(page, mode: str) -> None:
    page.evaluate(
        "m => { const d = document.documentElement.dataset; d.theme = m; d.mode = m; }",
        mode,
    )
    page.wait_for_timeout(50)


def _resize(page, size) -> None:
    page.set_viewport_size({"width": size[0], "height": size[1]})
    page.wait_for_timeout(250)  # reading.js re-measures on resize (next animation frame)


def _open(browser, site_url, path, size=DESKTOP, **context):
    ctx = browser.new_context(viewport={"width": size[0], "height": size[1]}, **context)
    page = ctx.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(f"{site_url}/{path}", wait_until="networkidle")
    if page.locator('script[type="application/vnd.jupyter.widget-state+json"]').count():
        page.locator(".cell_output .widget-subarea").first.wait_for(
            state="attached", timeout=20_000
        )
    # MathJax typesets after the page has loaded, each formula as it scrolls into view
    # (_config.yml: ui/lazy): typeset them all, as a reader scrolling through would see them,
    # and wait (reading.js measures formulas)
    page.evaluate(
        """() => window.MathJax?.startup?.promise
            ?.then(() => MathJax.startup.document.lazyTypesetAll?.())
            .then(() => null) ?? null"""
    )
    page.wait_for_timeout(300)
    return ctx, page


@pytest.fixture(scope="module")
def audits(browser, site_url):
    """Each page, loaded once, measured at every size and in both themes (see the module
    docstring): {path: {...}}."""
    results = {}
    for path in PAGES + ["search.html?q=注意力", "genindex.html"]:
        ctx, page = _open(browser, site_url, path)
        r = {"errors": page.errors, "off": off_machine(page.requests)}
        r["prose"] = page.evaluate(PROSE_SIZE) if path in PAGES else None
        for name, size in SIZES.items():
            _resize(page, size)
            r[f"sideways/{name}"] = page.evaluate(SIDEWAYS)
            if path in CHAPTERS:
                r[f"fonts/{name}"] = page.evaluate(WIDGET_FONT_SIZES, r["prose"])
            if name in ("phone", "desktop"):
                r[f"boxes/{name}"] = page.evaluate(SCROLL_BOXES)
        _resize(page, DESKTOP)
        if path in PAGES:
            page.evaluate(REVEAL_ALL)
            page.wait_for_timeout(300)
            for mode in ("light", "dark"):
                _set_theme(page, mode)
                r[f"contrast/{mode}"] = page.evaluate(CONTRAST)
            _resize(page, PHONE)
            r["contrast/dark-phone"] = page.evaluate(CONTRAST)
        results[path] = r
        ctx.close()
    return results


# ------------------------------------------------------------------------------ tests


@pytest.mark.parametrize("path", PAGES + ["search.html?q=注意力", "genindex.html"])
def test_page_loads_cleanly(audits, path):
    assert not audits[path]["errors"], audits[path]["errors"]
    assert not audits[path]["off"], audits[path]["off"]


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", CHAPTERS)
def test_widget_text_as_large_as_prose(audits, path, size):
    r = audits[path][f"fonts/{size}"]
    assert r["nbad"] == 0, f"{path} {size}: prose {audits[path]['prose']}px; {r}"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("path", PAGES + ["search.html?q=注意力", "genindex.html"])
def test_no_page_scrolls_sideways(audits, path, size):
    r = audits[path][f"sideways/{size}"]
    assert r["scroll"] <= r["client"], f"{path} at {size}: {r}"


@pytest.mark.parametrize("size", ["phone", "desktop"])
@pytest.mark.parametrize("path", PAGES)
def test_wide_formulas_and_tables_scroll_visibly(audits, path, size):
    """A formula or table wider than the column scrolls in its own box (not cut off), shows
    edge shadows where there is more, and can be reached with the keyboard."""
    for box in audits[path][f"boxes/{size}"]:
        assert box["overflow"] in ("auto", "scroll"), (path, size, box)
        assert box["scrolls"], (path, size, box)
        assert box["hint"], (path, size, box)
        assert box["tab"] == "0", (path, size, box)


def test_chapter_2_wide_equation_scrolls(audits):
    wide = [b for b in audits["chapters/02_self_attention.html"]["boxes/desktop"] if b["scrolls"]]
    assert wide, "the 1047-px equation of step 3 should be found as a box that scrolls"


@pytest.mark.parametrize("mode", ["light", "dark", "dark-phone"])
@pytest.mark.parametrize("path", PAGES)
def test_text_contrast(audits, path, mode):
    r = audits[path][f"contrast/{mode}"]
    assert r["n"] > 0
    assert r["nbad"] == 0, f"{path} ({mode}): {r['nbad']} texts below 4.5:1: {r['bad']}"
