"""浏览器端到端测试（第 3 章）：在没有内核的静态网页上切换词嵌入 widget 的词和步骤。

Run on a build of the site (``make book``, or a private build named by $BOOK_HTML).
The expected numbers are recomputed here from the chapter's reference word2vec model,
so the test checks that the page shows what the code computes.
"""

from __future__ import annotations

import pytest
from conftest import off_machine, open_page

from utils.models.corpus import load_sentences
from utils.models.reference import load_reference
from utils.models.word2vec import build_vocab, nearest_neighbours

CHAPTER = "chapters/03_embedding.html"


@pytest.fixture(scope="module")
def model():
    vectors = load_reference("word2vec").in_embed.weight.detach().numpy()
    return build_vocab(load_sentences()), vectors


def _visible(page) -> str:
    # inner_text only returns what is rendered, so the hidden tabs do not count.
    return page.locator(".book-emb-explorer").first.inner_text()


def test_embedding_widget_steps_on_static_page(page, model):
    vocab, vectors = model
    open_page(page, CHAPTER)
    box = page.locator(".book-emb-explorer").first
    box.wait_for(state="visible", timeout=20_000)
    box.scroll_into_view_if_needed()

    # Stage 1 for the first preset word: its index and the one-hot row only.
    i = vocab.index["苹果"]
    text = _visible(page)
    assert f"“苹果”在词表里的编号是 {i}" in text
    assert f"词表共 {len(vocab)} 个词" in text
    assert "余弦相似度最高的词" not in text

    # Stage 2: the row of W it selects (two decimals).
    box.get_by_role("button", name="② × W = 取出一行").click()
    row = [f"{x:.2f}".replace("-0.00", "0.00") for x in vectors[i][:3]]
    page.wait_for_function(
        "([el, s]) => el.innerText.includes(s)", arg=[box.element_handle(), f"W 的第 {i - 1}"]
    )
    text = _visible(page)
    for x in row:
        assert x in text

    # Stage 3: the nearest words with their cosine similarities.
    box.get_by_role("button", name="③ 最近的词").click()
    near = nearest_neighbours(vectors, vocab, "苹果", 5)
    page.wait_for_function(
        "([el, s]) => el.innerText.includes(s)", arg=[box.element_handle(), f"{near[0][1]:.4f}"]
    )
    text = _visible(page)
    for w, s in near:
        assert w in text and f"{s:.4f}" in text

    # Pick another word in the dropdown: stage 3 stays selected (jslink, no kernel).
    box.locator("select").first.select_option(label="猫")
    j = vocab.index["猫"]
    page.wait_for_function(
        "([el, s]) => el.innerText.includes(s)", arg=[box.element_handle(), f"编号是 {j}"]
    )
    text = _visible(page)
    assert "“苹果”在词表里" not in text
    for w, s in nearest_neighbours(vectors, vocab, "猫", 5):
        assert w in text and f"{s:.4f}" in text

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
