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

Each page is loaded once; the viewport and the theme are then switched in place (a device
scale factor changes no CSS pixel, so 1280x720 is what the projector lays out). Dark mode is
the theme's own switch: ``data-theme="dark"`` on <html>, what its button sets.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

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
    # MathJax typesets after the page has loaded: wait for it (reading.js measures formulas)
    page.evaluate("() => window.MathJax?.startup?.promise?.then(() => null) ?? null")
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


# ---------------------------------------------------------------- widgets, one by one

NON_TEXT = """() => {
  const parse = c => { const m = /rgba?\\(([^)]+)\\)/.exec(c);
    const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return p.slice(0, 3); };
  const lum = c => { const f = v => (v /= 255) <= 0.03928 ? v / 12.92
    : Math.pow((v + 0.055) / 1.055, 2.4); return 0.2126 * f(c[0]) + 0.7152 * f(c[1])
    + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const x = lum(parse(a)), y = lum(parse(b));
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const bg = e => getComputedStyle(e).backgroundColor;
  const out = {toggles: [], handles: []};
  for (const g of document.querySelectorAll('.cell_output .widget-toggle-buttons')) {
    const on = g.querySelector('button.mod-active');
    const off = g.querySelector('button:not(.mod-active)');
    if (!on || !off) continue;
    out.toggles.push({on_vs_off: ratio(bg(on), bg(off)), pressed: on.getAttribute('aria-pressed'),
      unpressed: off.getAttribute('aria-pressed'),
      on_text: ratio(getComputedStyle(on).color, bg(on))});
  }
  for (const s of document.querySelectorAll('.cell_output .widget-slider')) {
    const h = s.querySelector('.noUi-handle'), t = s.querySelector('.noUi-connects');
    out.handles.push({vs_track: ratio(bg(h), bg(t)), vs_panel: ratio(bg(h), 'rgb(255,255,255)'),
      size: h.getBoundingClientRect().width});
  }
  return out;
}"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_selected_button_and_slider_handle_stand_out(browser, site_url, path):
    ctx, page = _open(browser, site_url, path)
    try:
        for mode in ("light", "dark"):
            _set_theme(page, mode)
            r = page.evaluate(NON_TEXT)
            for t in r["toggles"]:
                assert t["on_vs_off"] >= 3, (path, mode, t)  # WCAG non-text contrast
                assert t["on_text"] >= 4.5, (path, mode, t)
                assert (t["pressed"], t["unpressed"]) == ("true", "false"), (path, mode, t)
            for h in r["handles"]:
                assert h["vs_track"] >= 3 and h["vs_panel"] >= 3, (path, mode, h)
                assert h["size"] >= 20, (path, mode, h)
    finally:
        ctx.close()


# Walk one widget: every choice of its first picker (toggle buttons or dropdown) and every
# step of its slider; measure the widget and the page after each.
def _walk(page, root, measure, max_choices=8, max_steps=16):
    results = []
    toggles = root.locator(".widget-toggle-buttons").first.locator("button")
    select = root.locator(".widget-dropdown select").first
    if root.locator(".widget-toggle-buttons").count():
        choices = [toggles.nth(i) for i in range(min(toggles.count(), max_choices))]
    elif root.locator(".widget-dropdown select").count():
        choices = list(range(min(select.locator("option").count(), max_choices)))
    else:
        choices = [None]
    handle = root.locator(".widget-slider .noUi-handle").first
    steps = 1
    if root.locator(".widget-slider .noUi-handle").count():
        steps = min(int(float(handle.get_attribute("aria-valuemax"))) + 1, max_steps)
    for c in choices:
        if isinstance(c, int):
            select.select_option(index=c)
        elif c is not None:
            c.click()
        if steps > 1:
            handle.focus()
            page.keyboard.press("Home")
        for s in range(steps):
            if s:
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(40)
            results.append(measure())
    return results


@pytest.mark.parametrize("path", CHAPTERS)
def test_widgets_fit_a_projected_screen_at_every_step(browser, site_url, path):
    ctx, page = _open(browser, site_url, path, PROJECTOR, device_scale_factor=1.5)
    try:
        roots = page.locator(".cell_output > .widget-subarea")
        for i in range(roots.count()):
            root = roots.nth(i)
            root.scroll_into_view_if_needed()
            heights = _walk(page, root, lambda r=root: r.bounding_box()["height"])
            assert max(heights) <= MAX_WIDGET_HEIGHT, (path, i, [round(h) for h in heights])
    finally:
        ctx.close()


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_widget_step_widens_the_phone_page(browser, site_url, path):
    ctx, page = _open(browser, site_url, path, PHONE, is_mobile=True, has_touch=True)
    try:
        roots = page.locator(".cell_output > .widget-subarea")
        for i in range(roots.count()):
            root = roots.nth(i)
            root.scroll_into_view_if_needed()
            for r in _walk(page, root, lambda: page.evaluate(SIDEWAYS)):
                assert r["scroll"] <= r["client"], (path, i, r)
    finally:
        ctx.close()


def test_chapter_6_widget_fits_at_step_one(browser, site_url):
    """The issue's worst case: the ViT explorer was 1268 px tall at step ①."""
    path = next(p for p in CHAPTERS if "vision_transformer" in p)
    ctx, page = _open(browser, site_url, path, PROJECTOR)
    try:
        root = page.locator(".cell_output > .widget-subarea:has(.vit-explorer)").first
        assert root.bounding_box()["height"] <= 650
    finally:
        ctx.close()


# --------------------------------------------------------------- controls without a kernel

KERNEL_ONLY = """() => [...document.querySelectorAll(
    '.cell_output input[type=text], .cell_output textarea')].map(i => {
  const note = document.getElementById(i.getAttribute('aria-describedby') || '');
  return {disabled: i.disabled, note: note ? note.textContent : null,
    label: (i.closest('.widget-text, .widget-textarea') || i).innerText.trim(),
    live: !!i.closest('.book-live')};
})"""


@pytest.mark.parametrize("path", CHAPTERS)
def test_text_boxes_need_a_kernel_and_say_so(browser, site_url, path):
    ctx, page = _open(browser, site_url, path)
    try:
        static = page.evaluate("() => document.documentElement.classList.contains('book-static')")
        assert static == bool(page.locator(".cell_output .widget-subarea").count())
        boxes = page.evaluate(KERNEL_ONLY)
        for b in boxes:
            if b["live"]:  # an editor that computes in the page (chapter 4): enabled, no note
                assert not b["disabled"] and b["note"] is None, (path, b)
                continue
            assert b["disabled"], (path, b)
            assert b["note"] and "JupyterLab" in b["note"], (path, b)
        # Opened, an editor shows its note; the box cannot take text.
        page.evaluate(
            "() => document.querySelectorAll('.jupyter-widget-Collapse-header')"
            ".forEach(h => h.click())"
        )
        page.wait_for_timeout(200)
        for i in range(page.locator(".cell_output input[type=text]").count()):
            box = page.locator(".cell_output input[type=text]").nth(i)
            if box.is_visible() and not box.evaluate("b => !!b.closest('.book-live')"):
                assert box.is_disabled()
                note = page.locator(f"#{box.get_attribute('aria-describedby')}")
                assert note.is_visible(), path
    finally:
        ctx.close()


def test_chapter_3_and_6_text_boxes_are_disabled(browser, site_url):
    """The issue's two cases ("输入：", "换图："), wherever the widget puts the box."""
    for key in ("embedding", "vision_transformer"):
        path = next(p for p in CHAPTERS if key in p)
        ctx, page = _open(browser, site_url, path)
        try:
            boxes = page.evaluate(KERNEL_ONLY)
            assert boxes, path
            assert all(b["disabled"] for b in boxes), (path, boxes)
        finally:
            ctx.close()


# ---------------------------------------------------------------------------- figures


def test_figures_open_full_size_on_a_phone(browser, site_url):
    path = next(p for p in CHAPTERS if "applications" in p)
    ctx, page = _open(browser, site_url, path, PHONE, is_mobile=True, has_touch=True)
    try:
        figs = page.locator("article .cell_output img")
        assert figs.count() >= 2
        zoomable = page.locator("article img.book-zoomable")
        assert zoomable.count() == figs.count()  # every figure is shrunk at 390 px
        fig = zoomable.nth(figs.count() - 1)
        fig.scroll_into_view_if_needed()
        natural = fig.evaluate("i => i.naturalWidth")
        assert fig.bounding_box()["width"] < natural
        assert page.locator(".book-zoom-hint").nth(figs.count() - 1).is_visible()

        fig.tap()
        dialog = page.get_by_role("dialog")
        dialog.wait_for(state="visible")
        big = dialog.locator("img")
        assert round(big.bounding_box()["width"]) >= natural  # natural size (and padding)
        # the close button has the focus, Tab stays in the dialog
        assert page.evaluate("() => document.activeElement.className") == "book-lightbox-close"
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        assert dialog.evaluate("(d) => d.contains(document.activeElement)")
        page.keyboard.press("Escape")
        assert not dialog.is_visible()
        assert page.evaluate("() => document.activeElement.classList.contains('book-zoomable')")

        # keyboard: Enter opens it, the button closes it
        page.keyboard.press("Enter")
        dialog.wait_for(state="visible")
        dialog.get_by_role("button").click()
        assert not dialog.is_visible()
        assert not page.errors, page.errors
    finally:
        ctx.close()


def test_figures_that_fit_are_left_alone(browser, site_url):
    ctx, page = _open(browser, site_url, "intro.html", LARGE)
    try:
        for img in page.locator("article img").all():
            w = img.bounding_box()["width"]
            natural = img.evaluate("i => i.naturalWidth")
            if natural <= w * 1.1:
                assert "book-zoomable" not in (img.get_attribute("class") or "")
    finally:
        ctx.close()


# ------------------------------------------------------------------------------ small


@pytest.mark.parametrize("path", ["intro.html", "search.html?q=注意力", CHAPTERS[0]])
def test_one_search_box_on_desktop(browser, site_url, path):
    ctx, page = _open(browser, site_url, path)
    try:
        boxes = page.evaluate(
            """() => [...document.querySelectorAll('.search-button-field, form.bd-search')]
              .filter(e => e.getClientRects().length && !e.closest('dialog')).length"""
        )
        assert boxes == 1, (path, boxes)
        header = page.evaluate(
            "() => document.querySelector('#pst-header').getBoundingClientRect().height"
        )
        assert header == 0
    finally:
        ctx.close()


def test_decoder_input_box_is_not_stretched(browser, site_url):
    """The decoding widget's "① 解码器输入" table sat beside the taller mask table and was
    stretched (the widget is chapter 5's)."""
    rows = []
    for path in ["chapters/05_assembling.html"]:
        ctx, page = _open(browser, site_url, path)
        try:
            rows += page.evaluate(
                """() => [...document.querySelectorAll('.dec-row')].filter(r => r.offsetParent)
                  .map(r => [...r.children].map(c => {
                    const inner = [...c.querySelectorAll('tr, caption')]
                      .reduce((s, e) => s + e.getBoundingClientRect().height, 0);
                    return [c.getBoundingClientRect().height, inner]; }))"""
            )
        finally:
            ctx.close()
    assert rows, "no decoding widget found"
    for row in rows:
        for height, content in row:
            assert height <= content + 6, row


def test_favicon_ico_at_the_root(site_url):
    """Browsers ask for /favicon.ico on the root redirect page (no <link rel=icon>)."""
    import urllib.request

    with urllib.request.urlopen(f"{site_url}/favicon.ico") as r:
        assert r.read()[:4] == b"\x00\x00\x01\x00"  # an ICO file


# ----------------------------------------------------------------------------- search

# The issue's examples: searched as one word, the index had only their parts.
ISSUE_WORDS = {
    "位置编码": "chapters/04_positional_encoding",
    "自注意力": "chapters/02_self_attention",
    "多头注意力": "chapters/02_self_attention",
    "词嵌入": "chapters/03_embedding",
}


def _glossary() -> dict[str, str]:
    """Each Chinese name in the glossary's table -> the first page its row links to."""
    terms = {}
    for line in (ROOT / "glossary.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or "](" not in cells[2]:
            continue
        target = cells[2].split("](", 1)[1].split(")", 1)[0]
        doc = target.rsplit(".", 1)[0]
        for name in re.split(r"[、（）]", cells[0]):
            if name.strip():
                terms[name.strip()] = doc
    return terms


GLOSSARY = _glossary()

# The results as the search page shows them: the first link's page, and how many.
SEARCH_RESULTS = """() => [...document.querySelectorAll('#search-results ul.search li > a')]
  .map(a => new URL(a.href).pathname)"""


def _search(page, site_url, query):
    page.goto(f"{site_url}/search.html?q={quote(query)}")
    page.wait_for_function(
        "() => document.querySelector('#search-results ul.search li') || "
        "/没有|did not match/.test(document.querySelector('#search-results')?.innerText || '')",
        timeout=20_000,
    )
    return [p.split("/", 1)[1].rsplit(".", 1)[0] for p in page.evaluate(SEARCH_RESULTS)[:1]]


@pytest.fixture(scope="module")
def search_page(browser):
    ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    page = ctx.new_page()
    page.errors = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    ctx.close()


def test_glossary_has_terms():
    assert len(GLOSSARY) >= 50, GLOSSARY
    assert GLOSSARY["位置编码"] == "chapters/04_positional_encoding"


@pytest.mark.parametrize("term", list(ISSUE_WORDS) + list(GLOSSARY))
def test_search_finds_glossary_term_explaining_page_first(search_page, site_url, term):
    expected = ISSUE_WORDS.get(term) or GLOSSARY[term]
    first = _search(search_page, site_url, term)
    assert first == [expected], f"搜索“{term}”：第一个结果 {first}，应为 {expected}"
    assert not search_page.errors, search_page.errors


def _titles(browser, site_url) -> dict[str, str]:
    ctx = browser.new_context()
    page = ctx.new_page()
    titles = {}
    try:
        for path in PAGES:
            page.goto(f"{site_url}/{path}")
            h1 = page.locator("article h1").first.evaluate(
                "h => [...h.childNodes].filter(n => !(n.classList && "
                "n.classList.contains('headerlink'))).map(n => n.textContent).join('').trim()"
            )
            titles[path.rsplit(".", 1)[0]] = h1
    finally:
        ctx.close()
    return titles


def test_search_finds_every_page_title(browser, site_url, search_page):
    """Each page's title, whole and without "第 N 章" and the English in brackets."""
    titles = _titles(browser, site_url)
    assert len(titles) == len(PAGES)
    misses = []
    for doc, title in titles.items():
        core = re.sub(r"^第\s*\d+\s*章\s*", "", title)
        core = re.sub(r"（[^）]*）|\([^)]*\)", "", core).strip()
        for query in {title, core} - {""}:
            first = _search(search_page, site_url, query)
            if first != [doc]:
                misses.append((query, first, doc))
    assert not misses, misses
    assert not search_page.errors, search_page.errors


# ------------------------------------------------------------ pickers that change nothing

IDLE_STATE = """(w) => {
  const groups = [...w.querySelectorAll(':scope > .widget-slider ~ .widget-toggle-buttons')];
  const note = w.querySelector('.book-idle-note');
  return {step: w.querySelector('.widget-slider .widget-readout').textContent.trim(),
    groups: groups.length,
    disabled: groups.map(g => [...g.querySelectorAll('button')].every(b => b.disabled)),
    note: note && note.getClientRects().length ? note.textContent : null};
}"""


def test_vit_layer_and_head_pickers_only_at_the_attention_step(browser, site_url):
    """Chapter 7: the layer and head pickers change nothing at steps ①, ② and ④ -- disabled
    there, with a note; enabled at ③ (and picking a head there changes the panel)."""
    path = next(p for p in CHAPTERS if "vision_transformer" in p)
    ctx, page = _open(browser, site_url, path)
    try:
        w = page.locator(".cell_output .vit-explorer").first
        handle = w.locator(".widget-slider .noUi-handle").first
        handle.focus()
        page.keyboard.press("Home")
        states = []
        for s in range(int(float(handle.get_attribute("aria-valuemax"))) + 1):
            if s:
                page.keyboard.press("ArrowRight")
            page.wait_for_timeout(150)
            states.append(w.evaluate(IDLE_STATE))
        assert [st["step"][0] for st in states] == ["①", "②", "③", "④"], states
        for st in states:
            assert st["groups"] == 2, st
            if "注意力" in st["step"]:
                assert st["disabled"] == [False, False] and st["note"] is None, st
            else:
                assert st["disabled"] == [True, True], st
                assert st["note"] and "注意力" in st["note"], st
        # at ③ a head changes what the panel shows
        page.keyboard.press("Home")
        page.keyboard.press("ArrowRight")
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
        text = w.locator(".vit-stage:visible").first.inner_text()
        w.locator(".widget-toggle-buttons").nth(2).locator("button").nth(1).click()
        page.wait_for_timeout(150)
        assert w.locator(".vit-stage:visible").first.inner_text() != text
        assert not page.errors, page.errors
    finally:
        ctx.close()
