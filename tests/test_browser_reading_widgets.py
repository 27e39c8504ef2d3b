"""浏览器测试：读者看到的静态网站，一个 widget 一个 widget 地看（issue 19）——选中的按钮与滑块、
投影屏幕上的高度、手机上的横向滚动、静态网页上需要内核的输入框、放大图片、小问题、第 7 章的层与头。

The page-wide audits (sizes, contrast, sideways scrolling) are in test_browser_reading.py; this
module is separate so that pytest-xdist can run it beside them. Helpers come from there.
"""

from __future__ import annotations

import pytest
from test_browser_reading import (
    CHAPTERS,
    LARGE,
    MAX_WIDGET_HEIGHT,
    PHONE,
    PROJECTOR,
    SIDEWAYS,
    _open,
    _set_theme,
)

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


@pytest.mark.parametrize("path", [p for p in CHAPTERS if "prerequisites" not in p])
def test_every_text_box_computes_in_the_page(browser, site_url, path):
    """Issue 19 found text boxes that did nothing on the static page (chapters 3 and 7's
    "输入：", "换图："); issue 18 made every chapter's editor compute in the page. Every text
    box of every chapter is now in a live editor (class book-live) and enabled."""
    ctx, page = _open(browser, site_url, path)
    try:
        assert page.evaluate(KERNEL_ONLY), path
        page.wait_for_function(
            f"() => ({KERNEL_ONLY})().every(b => b.live && !b.disabled)", timeout=30_000
        )
    finally:
        ctx.close()


# ---------------------------------------------------------------------------- figures


def test_figures_open_full_size_on_a_phone(browser, site_url):
    path = next(p for p in CHAPTERS if "applications" in p)
    ctx, page = _open(browser, site_url, path, PHONE, is_mobile=True, has_touch=True)
    try:
        figs = page.locator("article .cell_output img")
        assert figs.count() >= 2
        for i in range(figs.count()):  # the figures load lazily, as the reader scrolls
            figs.nth(i).scroll_into_view_if_needed()
            figs.nth(i).evaluate(
                "i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })"
            )
        page.wait_for_timeout(300)
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
