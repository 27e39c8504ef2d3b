"""浏览器端到端测试：在真实的 Chromium 里打开构建好的静态网站（没有内核）。

End-to-end test of the built static site in the system Chromium, driven by
Playwright. It serves ``_build/html`` on localhost, steps the self-attention
widget with the keyboard and the toggle buttons, checks the numbers a reader
sees at every stage, and records every request the page makes: none may leave
the machine. Run ``make book`` first (``make test`` does).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import off_machine, open_page

CHAPTER = "chapters/02_self_attention.html"


def _stepper_text(page) -> str:
    # inner_text only returns what is rendered, so hidden tabs do not count.
    return page.locator(".attn-stepper").first.inner_text()


def test_widget_steps_on_static_page(page):
    open_page(page, CHAPTER)
    stepper = page.locator(".attn-stepper").first
    stepper.wait_for(state="visible", timeout=20_000)
    stepper.scroll_into_view_if_needed()

    expected = [
        ("① 输入", ["[1, 0, 1, 0]"]),
        ("② 权重", ["W_query", "W_key", "W_value"]),
        ("③ Q、K、V", ["query 1 = [1, 0, 2]"]),
        ("④ 注意力分数", ["scores1 = [2, 4, 4]", "q1 · k2 = 1×4 + 0×4 + 2×0 = 4"]),
        ("⑤ softmax", ["[0.0634, 0.4683, 0.4683]"]),
        ("⑥ 加权 value", ["0.0634 × [1, 2, 3] = [0.0634, 0.1268, 0.1901]"]),
        ("⑦ 求和 = 输出", ["[1.9366, 6.6831, 1.5951]"]),
    ]
    handle = stepper.locator(".widget-slider .noUi-handle").first
    for step, (name, numbers) in enumerate(expected):
        if step:
            handle.focus()
            page.keyboard.press("ArrowRight")
        readout = stepper.locator(".widget-readout").first
        page.wait_for_function(
            "([el, name]) => el.textContent.includes(name)", arg=[readout.element_handle(), name]
        )
        text = _stepper_text(page)
        for number in numbers:
            assert number in text, f"步骤 {name} 应显示 {number}，实际显示：\n{text}"
    # Only the current step is visible: the output of step 7 is not shown with step 1's text.
    assert "alignment vectors（加权后的 value）" not in _stepper_text(page)

    # Switch to input 2 and to the scaled formula with the toggle buttons (jslink, no kernel).
    stepper.get_by_role("button", name="输入 2", exact=True).click()
    page.wait_for_function(
        "el => el.innerText.includes('[2.0000, 7.9640, 0.0540]')", arg=stepper.element_handle()
    )
    stepper.get_by_role("button", name="除以 √d_k（论文的公式）").click()
    stepper.get_by_role("button", name="输入 1", exact=True).click()
    page.wait_for_function(
        "el => el.innerText.includes('[1.8639, 6.3194, 1.7042]')", arg=stepper.element_handle()
    )
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


CHAPTERS = sorted(
    f"chapters/{p.stem}.html"
    for p in (Path(__file__).resolve().parent.parent / "chapters").glob("*.ipynb")
)


@pytest.mark.parametrize("path", CHAPTERS)
def test_every_chapter_page_works_offline(page, path):
    """Every chapter: nothing leaves the machine, no page errors, every figure loads,
    the hidden tab bars of the widgets stay hidden, and an answer can be revealed."""
    open_page(page, path)
    page.wait_for_timeout(500)
    assert not off_machine(page.requests), off_machine(page.requests)
    assert not page.errors, page.errors
    # The figures load lazily (scripts/book_pages.py): each one as the reader scrolls to it.
    assert page.eval_on_selector_all(
        "article img", "imgs => imgs.every(i => i.loading === 'lazy')"
    ), "every figure should load lazily"
    figures = page.locator("article img")
    for i in range(figures.count()):
        figures.nth(i).scroll_into_view_if_needed()
        figures.nth(i).evaluate(
            "i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })"
        )
        assert figures.nth(i).evaluate("i => i.complete && i.naturalWidth > 0"), (path, i)
    if "00_prerequisites" not in path:  # 预备知识 has exercises but no widget
        page.locator(".widget-tab").first.wait_for(state="attached", timeout=20_000)
        bars = page.locator(".book-hidden-tabs > .lm-TabBar")
        assert bars.count() > 0
        assert all(not bars.nth(i).is_visible() for i in range(bars.count()))
    answer = page.locator("details.answer").first
    assert not answer.evaluate("el => el.open")
    answer.locator("summary").click()
    assert answer.evaluate("el => el.open")


@pytest.mark.parametrize("path", ["intro.html", "search.html?q=注意力"])
def test_pages_send_no_request_off_the_machine(page, path):
    open_page(page, path)
    page.wait_for_timeout(500)
    assert not off_machine(page.requests), off_machine(page.requests)
    assert not page.errors, page.errors


def test_math_is_typeset_locally(page):
    open_page(page, CHAPTER)
    # The formulas in the article, typeset by the site's own MathJax (not raw "$...$").
    first = page.locator("article mjx-container").first
    first.wait_for(state="visible", timeout=20_000)
    assert "softmax" in first.text_content()
    assert any("/_static/mathjax/" in u for u in page.requests)
    assert "$\\sqrt{d_k}$" not in page.locator("article").inner_text()


def test_chinese_search_finds_words(page):
    open_page(page, "search.html?q=注意力")
    page.wait_for_selector("#search-results li", timeout=20_000)
    assert "自注意力" in page.locator("#search-results").inner_text()


def test_formulas_are_typeset_as_the_reader_scrolls(page):
    """MathJax typesets a formula when it comes into view (_config.yml: ui/lazy; chapters 2
    and 4 have about 175 formulas each, and typesetting them all at once held their widgets
    back): at first only the formulas near the top are typeset; scrolling to the end of the
    page, every one the reader has seen is (those in closed answers wait until opened)."""
    open_page(page, "chapters/04_positional_encoding.html")
    page.evaluate("() => MathJax.startup.promise.then(() => null)")
    count = """() => [document.querySelectorAll('article mjx-container').length,
        document.querySelectorAll('article mjx-container mjx-math').length]"""
    total, typeset = page.evaluate(count)
    assert total > 100 and typeset < total / 2, (total, typeset)
    while page.evaluate("() => innerHeight + scrollY < document.body.scrollHeight - 2"):
        page.mouse.wheel(0, 600)
        page.wait_for_timeout(60)
    shown = """() => [...document.querySelectorAll('article mjx-container')]
        .filter(c => !c.closest('details:not([open])'))"""
    page.wait_for_function(
        f"() => ({shown})().every(c => c.querySelector('mjx-math'))", timeout=20_000
    )
    assert page.evaluate(f"() => ({shown})().length") > 100
    # An answer with a formula, opened: its formulas are typeset too.
    answer = page.locator("details.answer", has=page.locator("mjx-container")).first
    answer.locator("summary").click()
    answer.locator("mjx-container mjx-math").first.wait_for(timeout=20_000)
    assert answer.evaluate(
        "d => [...d.querySelectorAll('mjx-container')].every(c => c.querySelector('mjx-math'))"
    )
