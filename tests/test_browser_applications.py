"""第 5 章的静态网页（没有内核）：在 Chromium 里逐步查看生成 widget，核对显示的数字。

Run on a build of the chapter (BOOK_HTML=... or _build/html). The expected numbers are
recomputed here by training the chapter's model again (seeded, so identical).
"""

from __future__ import annotations

import pytest
from conftest import off_machine, open_page

from utils.applications_widget import NUM_CHARS, PROMPTS
from utils.char_lm import generation_steps, show_char, train_char_lm
from utils.corpus import load_text

CHAPTER = "chapters/05_applications.html"


@pytest.fixture(scope="module")
def expected():
    model = train_char_lm(load_text(), seed=0)[0]
    return [generation_steps(model, p, NUM_CHARS) for p in PROMPTS]


def _check_panel(page, box, steps, t, prompt):
    s = steps[t]
    generated = "".join(show_char(x.chosen) for x in steps[: t + 1])
    wanted = [f"第 {t + 1} 步", f"{s.top_probs[0]:.4f}", f"{s.attention[0]:.4f}", generated]
    page.wait_for_function(
        "([el, w]) => w.every(x => el.innerText.includes(x))",
        arg=[box.element_handle(), wanted],
        timeout=10_000,
    )
    text = box.inner_text()
    assert f"开头“{prompt}”" in text
    for other in range(NUM_CHARS):  # only the current step is rendered
        if other != t:
            assert f"第 {other + 1} 步：" not in text


def test_generation_widget_steps_on_static_page(page, expected):
    open_page(page, CHAPTER)
    box = page.locator(".book-charlm").first
    box.wait_for(state="visible", timeout=20_000)
    box.scroll_into_view_if_needed()
    _check_panel(page, box, expected[0], 0, PROMPTS[0])
    bars = box.locator(".lm-TabBar")
    assert bars.count() == 1 + len(PROMPTS)
    assert all(not bars.nth(i).is_visible() for i in range(bars.count())), "tab bars must be hidden"

    handle = box.locator(".widget-slider .noUi-handle").first
    for t in range(1, 4):
        handle.focus()
        page.keyboard.press("ArrowRight")
        _check_panel(page, box, expected[0], t, PROMPTS[0])

    # another prompt: the step slider stays where it is (jslink, no kernel)
    box.locator("select").first.select_option(label=f"3. {PROMPTS[2]}")
    _check_panel(page, box, expected[2], 3, PROMPTS[2])
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def test_answer_and_figures(page):
    open_page(page, CHAPTER)
    answer = page.locator("details.answer").first
    answer.locator("summary").click()
    assert "16 个 token" in answer.inner_text()
    figures = page.locator("article img")
    assert figures.count() == 3  # attention, patches, recommender
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
