"""第 1 章的浏览器测试：静态网站上（没有内核）用滑块逐步查看形状 widget，图都在，不向外发请求。"""

from __future__ import annotations

from conftest import off_machine, open_page

CHAPTER = "chapters/01_architecture.html"


def test_shape_widget_steps_on_static_page(page):
    open_page(page, CHAPTER)
    widget = page.locator(".book-shapes").first
    widget.wait_for(state="visible", timeout=20_000)
    widget.scroll_into_view_if_needed()
    text = widget.inner_text()
    assert "第 1 步：源序列词嵌入 × √d_model" in text
    assert "(batch=3, seq_len=5, d_model=32)" in text
    handle = widget.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(9):  # to the last stage: the linear layer
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "el => el.innerText.includes('第 10 步：线性层 → logits')", arg=widget.element_handle()
    )
    assert "(batch=3, seq_len=6, vocab_size=13)" in widget.inner_text()
    # only the current panel is shown (the others sit in hidden tabs)
    assert "第 1 步：" not in widget.inner_text()
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def test_architecture_figures_are_shown(page):
    open_page(page, CHAPTER)
    images = page.locator("article img")
    assert images.count() >= 2  # one layer, and the unrolled stack
    for i in range(images.count()):
        assert images.nth(i).evaluate("img => img.naturalWidth") > 200
