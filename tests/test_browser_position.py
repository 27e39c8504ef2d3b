"""第 4 章的浏览器测试：在静态网页上（没有内核）切换 d_model、pos、i，核对显示的数。

Run on a build that contains chapter 4 (``make book``, or ``BOOK_HTML=...``). The widget is
stepped with its toggle buttons and the keyboard on the slider; every number checked is
computed here from the formula with ``math``, not typed in.
"""

from __future__ import annotations

import math

from conftest import off_machine, open_page

CHAPTER = "chapters/04_positional_encoding.html"


def _f(v: float) -> str:
    return f"{v:.4f}"


def _wait_for(page, explorer, text: str) -> None:
    page.wait_for_function(
        "([el, t]) => el.innerText.includes(t)", arg=[explorer.element_handle(), text]
    )


def test_position_widget_steps_on_static_page(page):
    open_page(page, CHAPTER)
    explorer = page.locator(".pos-explorer").first
    explorer.wait_for(state="visible", timeout=20_000)
    explorer.scroll_into_view_if_needed()

    # The tab bars of the hidden tabs are not shown (only the controls are).
    visible_bars = explorer.locator(".lm-TabBar").evaluate_all(
        "els => els.filter(e => e.offsetParent !== null).length"
    )
    assert visible_bars == 0

    # Start: d_model = 4, pos = 0, i = 0.
    _wait_for(page, explorer, "PE(0, 0) = sin(0) = 0")
    assert "PE(0, 1) = cos(0) = 1" in explorer.inner_text()

    # d_model = 8, then pos 0 -> 3 with the keyboard, then pair i = 1.
    explorer.get_by_role("button", name="d_model = 8", exact=True).click()
    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    readout = explorer.locator(".widget-readout").first
    page.wait_for_function("el => el.textContent.trim() === '3'", arg=readout.element_handle())
    explorer.get_by_role("button", name="i = 1", exact=True).click()

    angle = 3 / 10000 ** (2 / 8)
    _wait_for(page, explorer, f"PE(3, 2) = sin({_f(angle)}) = {_f(math.sin(angle))}")
    text = explorer.inner_text()
    assert "3 / 10000^(2/8) = 3 / 10000^0.2500 = 3 / 10 = 0.3000" in text
    assert f"PE(3, 3) = cos({_f(angle)}) = {_f(math.cos(angle))}" in text
    assert f"2π·10000^(2/8) = {_f(2 * math.pi * 10)}" in text
    assert "PE(3)：8 维 = 4 对 sin/cos" in text
    # Only the chosen panel is rendered: not pos 0, not pair 0, not d_model 4.
    assert "PE(0, 0) = sin" not in text and "PE(3, 0) = sin" not in text
    assert "4 维 = 2 对" not in text

    # The similarity table of position 3: PE(3)·PE(m) = Σ_i cos((m − 3)·ω_i).
    assert "PE(3) 与各位置的相似度" in text
    dot_next = sum(math.cos(1 / 10000 ** (2 * i / 8)) for i in range(4))
    assert _f(dot_next) in text

    # d_model = 16 keeps pos = 3 (the slider is linked to every d_model's tabs).
    explorer.get_by_role("button", name="d_model = 16", exact=True).click()
    explorer.get_by_role("button", name="i = 7", exact=True).click()
    angle = 3 / 10000 ** (14 / 16)
    _wait_for(page, explorer, f"PE(3, 14) = sin({_f(angle)}) = {_f(math.sin(angle))}")

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def test_figures_and_boxes(page):
    open_page(page, CHAPTER)
    # the figures are the chapter's own PNGs, and the precise-statement boxes are rendered
    assert page.locator("article img").count() >= 4
    assert page.locator(".admonition.important").count() >= 2
