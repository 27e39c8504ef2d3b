"""第 5 章的静态网页（没有内核）：在 Chromium 里逐步查看生成 widget 和推荐 widget，核对显示的数字。

Run on a build of the chapter (BOOK_HTML=... or _build/html). The expected numbers are
recomputed here with the chapter's reference models (utils.models.reference), as the chapter does.
"""

from __future__ import annotations

import pytest
from conftest import off_machine, open_page

from utils.models.char_lm import generation_steps, show_char
from utils.models.recommender import parse_items, recommend
from utils.models.reference import load_reference
from utils.widgets.generation import NUM_CHARS, PROMPTS
from utils.widgets.recommender import PRESETS

CHAPTER = "chapters/06_applications.html"


@pytest.fixture(scope="module")
def expected():
    model = load_reference("char_lm")
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


@pytest.fixture(scope="module")
def recommendations():
    model = load_reference("sasrec")
    return [recommend(model, parse_items(text)) for text in PRESETS]


def _wait_for_texts(page, box, wanted):
    page.wait_for_function(
        "([el, w]) => w.every(x => el.innerText.includes(x))",
        arg=[box.element_handle(), wanted],
        timeout=10_000,
    )


def test_recommender_widget_steps_on_static_page(page, recommendations):
    open_page(page, CHAPTER)
    box = page.locator(".book-rec").first
    box.wait_for(state="visible", timeout=20_000)
    box.scroll_into_view_if_needed()
    first = recommendations[0]
    _wait_for_texts(page, box, ["这个会话有 7 件物品", "会话里的物品", *first.session])
    bars = box.locator(".lm-TabBar")
    assert bars.count() == 1 + len(PRESETS)
    assert all(not bars.nth(i).is_visible() for i in range(bars.count())), "tab bars must be hidden"

    handle = box.locator(".widget-slider .noUi-handle").first
    for layer in range(len(first.layer_attention)):  # one step per layer: its weights
        handle.focus()
        page.keyboard.press("ArrowRight")
        weights = [f"{a:.4f}" for a in first.layer_attention[layer]]
        _wait_for_texts(page, box, [f"第 {layer + 1} 层的注意力权重", *weights])
        assert "会话里的物品" not in box.inner_text()  # only the current step is rendered
    handle.focus()
    page.keyboard.press("ArrowRight")
    top = [f"{p:.4f}" for p in first.top_probs[:5]]
    _wait_for_texts(page, box, ["SASRec 的前 5 名", "流行度基线的前 5 名", "“充电宝”", *top])

    # another session: the step slider stays on the last step (jslink, no kernel)
    box.locator("select").first.select_option(index=3)
    short = recommendations[3]
    _wait_for_texts(page, box, ["“三脚架”", "注意", *[f"{p:.4f}" for p in short.top_probs[:5]]])
    assert "“充电宝”" not in box.inner_text()
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
