"""浏览器端到端测试（第 6 章）：静态网页上（没有内核）逐步查看 ViT 的 widget。

Opens the built chapter in the system Chromium, steps the ViT explorer with its slider
and buttons (front-end jslink only), and checks what a reader sees: the test image's
index and true digit (fixed by the seeded split), 16 patches, the (1, 17, 64) token
shape, the layer/head named at the attention stage, attention percentages that sum to
100, and a prediction whose probabilities sum to 100. No request may leave the machine.
"""

from __future__ import annotations

import re

from conftest import off_machine, open_page

from utils.models.vit import load_digits_split

CHAPTER = "chapters/07_vision_transformer.html"
PICKED_DIGITS = (0, 1, 3, 4, 7, 8)  # the chapter's six images: the first test image of each


def _text(page) -> str:
    return page.locator(".vit-explorer").first.inner_text()


def _wait_for(page, explorer, text):
    page.wait_for_function(
        "([el, t]) => el.innerText.includes(t)", arg=[explorer.element_handle(), text]
    )


def _percent(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"(\d+\.\d)%", text)]


def test_vit_explorer_steps_on_static_page(page):
    split = load_digits_split()
    picks = [int((split.y_test == d).nonzero()[0]) for d in PICKED_DIGITS]
    open_page(page, CHAPTER)
    explorer = page.locator(".vit-explorer").first
    explorer.wait_for(state="visible", timeout=20_000)
    explorer.scroll_into_view_if_needed()

    # ① patches of the first image
    text = _text(page)
    assert f"测试集第 {picks[0]} 张图，真实数字 0" in text, text
    assert "16 个块" in text and "(1, 17, 64)" not in text

    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    page.keyboard.press("ArrowRight")  # ② tokens
    _wait_for(page, explorer, "(1, 17, 64)")
    assert "CLS" in _text(page)

    page.keyboard.press("ArrowRight")  # ③ attention, layer 1, head 1 by default
    _wait_for(page, explorer, "第 1 层、头 1")
    explorer.get_by_role("button", name="第 3 层", exact=True).click()
    explorer.get_by_role("button", name="头 2", exact=True).click()
    _wait_for(page, explorer, "第 3 层、头 2")
    text = _text(page)
    self_w = float(re.search(r"CLS 对自己：(\d+\.\d)%", text).group(1))
    table = text.split("对各块的权重（%）")[1].split("换图")[0]
    cells = [float(v) for v in re.findall(r"\d+\.\d", table)]
    assert len(cells) == 16, text
    assert abs(sum(cells) + self_w - 100) <= 17 * 0.05 + 1e-9
    explorer.get_by_role("button", name="平均", exact=True).click()
    _wait_for(page, explorer, "第 3 层、所有头的平均")

    handle.focus()
    page.keyboard.press("ArrowRight")  # ④ prediction
    _wait_for(page, explorer, "真实 0")
    probs = _percent(_text(page))
    assert len(probs) == 11 and abs(sum(probs[1:]) - 100) <= 10 * 0.05 + 1e-9

    # Another image with the toggle buttons: the panels follow, at the same stage.
    label = f"#{picks[4]}（7）"
    explorer.get_by_role("button", name=label, exact=True).click()
    _wait_for(page, explorer, "真实 7")
    assert "真实 0" not in _text(page)
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
