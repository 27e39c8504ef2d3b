"""浏览器测试：投影模式（issue 17）。

On a 1920 x 1080 screen, in Chromium: the header button and the key P switch projector mode
on and off; in it the sidebars are gone and the body text, headings, code, printed output,
tables, formulas and widgets are at least 24 px (measured with getComputedStyle); the mode
is remembered when the teacher opens another chapter; → and ← move to the next / previous
section (h2, h3) while ↑ ↓ still scroll; a widget's slider still steps with the arrow keys
(they belong to the widget while it has the focus); no console errors, no request off the
machine.
"""

from __future__ import annotations

import pytest
from conftest import off_machine

CHAPTER = "chapters/02_self_attention.html"
OTHER = "chapters/03_embedding.html"
MIN_PX = 24


@pytest.fixture
def projector_page(browser, site_url):
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.requests, page.errors, page.console = [], [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.console.append(m.text) if m.type == "error" else None)
    page.site_url = site_url
    yield page
    context.close()


def _open(page, path):
    page.goto(f"{page.site_url}/{path}", wait_until="networkidle")
    page.locator(".widget-subarea .jupyter-widgets").first.wait_for(timeout=30_000)


def _on(page) -> bool:
    return page.evaluate("document.documentElement.classList.contains('book-projector')")


def _px(page, selector: str) -> float:
    """Font size (px) of the first rendered element matching ``selector`` in the article."""
    return page.evaluate(
        """(sel) => {
          const el = [...document.querySelectorAll(sel)].find(e => e.getClientRects().length);
          if (!el) throw new Error('nothing visible matches ' + sel);
          return parseFloat(getComputedStyle(el).fontSize);
        }""",
        selector,
    )


SIZED = {
    "正文": ".bd-article section > p",
    "小节标题 h2": ".bd-article h2",
    "代码": ".bd-article div.cell_input pre",
    "打印的输出": ".bd-article .cell_output pre",
    "表格": ".bd-article .cell_output table td, .bd-article table td",
    "公式": ".bd-article mjx-container",
    "widget 标签": ".jupyter-widgets .widget-label",
    "widget 按钮": ".jupyter-widgets button",
    "widget 读数": ".jupyter-widgets .widget-readout",
    "widget 内容": ".jupyter-widgets .widget-html-content",
}


def test_switch_enlarges_everything_and_hides_the_sidebars(projector_page):
    page = projector_page
    _open(page, CHAPTER)
    assert not _on(page)
    button = page.locator(".article-header-buttons .book-projector-button")
    assert button.count() == 1 and button.get_attribute("aria-pressed") == "false"
    before = {name: _px(page, sel) for name, sel in SIZED.items()}
    assert page.locator(".bd-sidebar-primary").is_visible()

    page.keyboard.press("p")
    assert _on(page)
    assert button.get_attribute("aria-pressed") == "true"
    after = {name: _px(page, sel) for name, sel in SIZED.items()}
    print("font sizes (px), normal -> projector:", {k: (before[k], after[k]) for k in after})
    assert after["正文"] >= MIN_PX
    for name in (
        "小节标题 h2",
        "表格",
        "公式",
        "widget 标签",
        "widget 按钮",
        "widget 读数",
        "widget 内容",
    ):
        assert after[name] >= MIN_PX, f"{name}: {after[name]} px"
    for name in ("代码", "打印的输出"):  # monospace, a little smaller than the text
        assert after[name] >= 0.9 * MIN_PX, f"{name}: {after[name]} px"
    for name in after:
        assert after[name] > before[name], name
    assert not page.locator(".bd-sidebar-primary").is_visible()
    assert not page.locator(".bd-sidebar-secondary").is_visible()
    # The article uses the room the sidebars left, and nothing scrolls sideways.
    width = page.evaluate("document.querySelector('.bd-article').getBoundingClientRect().width")
    assert width > 1400
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    button.click()  # and off again with the button
    assert not _on(page)
    assert button.get_attribute("aria-pressed") == "false"
    assert _px(page, SIZED["正文"]) == before["正文"]
    assert page.locator(".bd-sidebar-primary").is_visible()
    button.click()
    assert _on(page)
    assert not page.errors and not page.console, (page.errors, page.console)
    assert not off_machine(page.requests), off_machine(page.requests)


def test_mode_is_remembered_across_pages(projector_page):
    page = projector_page
    _open(page, CHAPTER)
    page.keyboard.press("p")
    assert page.evaluate("localStorage.getItem('book-projector')") == "1"
    # The next chapter starts in projector mode, before its first paint (no flash).
    page.goto(f"{page.site_url}/{OTHER}", wait_until="commit")
    page.wait_for_function("document.body !== null")
    assert _on(page)
    page.wait_for_load_state("networkidle")
    assert _px(page, SIZED["正文"]) >= MIN_PX
    button = page.locator(".book-projector-button")
    assert button.get_attribute("aria-pressed") == "true"
    page.keyboard.press("p")  # off, and remembered off
    page.goto(f"{page.site_url}/{CHAPTER}", wait_until="networkidle")
    assert not _on(page)
    assert not page.errors and not page.console, (page.errors, page.console)


def _section_at_top(page) -> str:
    """The text of the last h1/h2/h3 whose top is at or above the header line."""
    return page.evaluate(
        """() => {
          const root = document.documentElement;
          const limit = parseFloat(getComputedStyle(root).scrollPaddingTop) + 4;
          const hs = [...document.querySelectorAll('.bd-article :is(h1, h2, h3)')]
            .filter(h => !h.closest('.cell_output') && h.getClientRects().length);
          let cur = hs[0];
          for (const h of hs) if (h.getBoundingClientRect().top <= limit) cur = h;
          return cur.textContent.replace('#', '').trim();
        }"""
    )


def _headings(page) -> list[str]:
    return page.evaluate(
        """() => [...document.querySelectorAll('.bd-article h1, .bd-article h2, .bd-article h3')]
            .filter(h => !h.closest('.cell_output') && h.getClientRects().length)
            .map(h => h.textContent.replace('#', '').trim())"""
    )


def test_arrow_keys_move_between_sections(projector_page):
    page = projector_page
    _open(page, CHAPTER)
    page.keyboard.press("p")
    page.evaluate("window.scrollTo(0, 0)")
    headings = _headings(page)
    assert len(headings) > 5
    for expected in headings[1:5]:
        page.keyboard.press("ArrowRight")
        assert _section_at_top(page) == expected
    page.keyboard.press("ArrowLeft")
    assert _section_at_top(page) == headings[3]
    # ↓ still scrolls a little, within the section.
    y = page.evaluate("window.scrollY")
    page.keyboard.press("ArrowDown")
    page.wait_for_timeout(300)
    assert 0 < page.evaluate("window.scrollY") - y < 200
    # Outside projector mode the arrows do not jump.
    page.keyboard.press("p")
    y = page.evaluate("window.scrollY")
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(200)
    assert page.evaluate("window.scrollY") == y
    assert not page.errors and not page.console, (page.errors, page.console)


def test_widget_keeps_its_arrow_keys_in_projector_mode(projector_page):
    page = projector_page
    _open(page, CHAPTER)
    page.keyboard.press("p")
    stepper = page.locator(".attn-stepper").first
    stepper.scroll_into_view_if_needed()
    readout = stepper.locator(".widget-readout").first
    handle = stepper.locator(".widget-slider .noUi-handle").first
    handle.focus()
    y = page.evaluate("window.scrollY")
    for step in ("② 权重", "③ Q、K、V", "④ 注意力分数"):
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([el, s]) => el.textContent.includes(s)", arg=[readout.element_handle(), step]
        )
    assert abs(page.evaluate("window.scrollY") - y) < 50, "方向键应当属于 widget，而不是换小节"
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(
        "([el, s]) => el.textContent.includes(s)", arg=[readout.element_handle(), "③ Q、K、V"]
    )
    # The toggle buttons still switch the example, and the text is projector-sized.
    stepper.get_by_role("button", name="输入 2", exact=True).click()
    page.wait_for_function("el => el.innerText.includes('输入 2')", arg=stepper.element_handle())
    assert _px(page, ".attn-stepper .widget-html-content") >= MIN_PX
    # "p" typed while a widget has the focus does not switch the mode off.
    handle.focus()
    page.keyboard.press("p")
    assert _on(page)
    assert not page.errors and not page.console, (page.errors, page.console)
    assert not off_machine(page.requests), off_machine(page.requests)
