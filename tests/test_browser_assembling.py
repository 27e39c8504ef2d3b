"""第 5 章的浏览器测试：在静态网站上（没有内核）逐步查看解码 widget、切换例子，且不向外发请求。

Run on a build of the chapter:
    BOOK_HTML=/tmp/jb/_build/html .venv/bin/python -m pytest tests/test_browser_assembling.py
"""

from __future__ import annotations

from conftest import off_machine, open_page

CHAPTER = "chapters/05_assembling.html"


def _visible_text(stepper) -> str:
    return stepper.inner_text()  # only the rendered (selected) tabs count


def test_decoding_widget_steps_on_static_page(page):
    open_page(page, CHAPTER)
    stepper = page.locator(".dec-stepper").first
    stepper.wait_for(state="visible", timeout=20_000)
    stepper.scroll_into_view_if_needed()

    # The first example: 三百零五 -> 305. Step 1 sees only <s>.
    text = _visible_text(stepper)
    assert "源序列：三百零五" in text and "正确答案：305" in text
    assert "第 1 步" in text and "选中：3" in text
    assert text.count("✓ 可以看") == 1

    handle = stepper.locator(".widget-slider .noUi-handle").first
    for step, digit in ((2, "0"), (3, "5"), (4, "</s>")):
        handle.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([el, s]) => el.innerText.includes(s)",
            arg=[stepper.element_handle(), f"第 {step} 步"],
        )
        text = _visible_text(stepper)
        assert f"选中：{digit}" in text, text
        assert text.count("✓ 可以看") == step
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("el => el.innerText.includes('已经结束')", arg=stepper.element_handle())
    assert "模型的译文：305" in _visible_text(stepper)

    # Another example with the toggle buttons (jslink, no kernel); the slider stays at 5.
    stepper.get_by_role("button", name="两千零八", exact=True).click()
    page.wait_for_function(
        "el => el.innerText.includes('正确答案：2008')", arg=stepper.element_handle()
    )
    assert "选中：</s>" in _visible_text(stepper)  # 2, 0, 0, 8, </s>: step 5 is the end token
    stepper.get_by_role("button", name="四万零七百零三", exact=True).click()
    page.wait_for_function(
        "el => el.innerText.includes('正确答案：40703')", arg=stepper.element_handle()
    )
    assert "选中：3" in _visible_text(stepper)

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def test_figures(page):
    open_page(page, CHAPTER)
    images = page.locator("article img")
    assert images.count() >= 5  # pre-norm architecture (2), masks, loss, cross-attention
