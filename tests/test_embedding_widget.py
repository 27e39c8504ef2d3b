"""词嵌入 widget 的测试：预先算好的面板、jslink、输入新词、空输入与未知词的中文提示。"""

from __future__ import annotations

import html

import numpy as np
import pytest

from utils.models.word2vec import Vocab, nearest_neighbours
from utils.widgets.embedding import (
    STAGES,
    EmbeddingExplorer,
    one_hot_table,
    render_panel,
    w_rows_table,
)

WORDS = ["苹果", "香蕉", "猫", "狗", "<b>", "红色"]


@pytest.fixture(scope="module")
def model():
    rng = np.random.default_rng(0)
    vocab = Vocab(WORDS, [5, 4, 3, 3, 1, 2])
    vectors = rng.normal(size=(len(WORDS), 4))
    vectors[1] = vectors[0] + 0.01  # 香蕉 right next to 苹果
    return vocab, vectors


@pytest.fixture
def explorer(model):
    return EmbeddingExplorer(*model, ["苹果", "猫"], k=3)


def test_panels_are_precomputed_for_every_word_and_stage(explorer):
    assert set(explorer.panels) == {(w, s) for w in ("苹果", "猫") for s in range(3)}
    assert len(STAGES) == 3
    assert explorer.word_tabs.children == tuple(explorer.stage_tabs)
    assert all(len(t.children) == 3 for t in explorer.stage_tabs)


def test_stage_contents(model, explorer):
    vocab, vectors = model
    p0 = explorer.panels["苹果", 0].value
    p1 = explorer.panels["苹果", 1].value
    p2 = explorer.panels["苹果", 2].value
    assert "编号是 <b>0</b>" in p0 and "one-hot 行" in p0 and "W 的第" not in p0
    assert "W 的第 0–1 行" in p1 and f"{vectors[0, 0]:.2f}" in p1 and "余弦" not in p1
    near = nearest_neighbours(vectors, vocab, "苹果", 3)
    assert near[0][0] == "香蕉"
    for w, s in near:
        assert f"<td>{html.escape(w)}</td><td>{s:.4f}</td>" in p2


def test_one_hot_table_shows_a_single_one():
    vocab = Vocab([f"w{i}" for i in range(20)], [1] * 20)
    t = one_hot_table(vocab, 10)
    assert t.count('class="hl">1</td>') == 1
    assert t.count(">0</td>") == 5  # positions 0, 1, 9, 11 and 19
    assert t.count("…") == 4  # two gaps, in the index row and the value row
    assert "长 20" in t


def test_w_rows_table_highlights_the_row(model):
    vocab, vectors = model
    t = w_rows_table(vocab, vectors, 0)  # first row: no row above
    assert "0：苹果" in t and "1：香蕉" in t and "W 的第 0–1 行" in t
    assert t.count('<td class="hl">') == vectors.shape[1]


def test_words_are_escaped(model):
    vocab, vectors = model
    panel = render_panel(vocab, vectors, "<b>", 2)
    assert "“<b>&lt;b&gt;</b>”" in panel


def test_render_panel_bad_stage(model):
    with pytest.raises(ValueError, match="stage"):
        render_panel(*model, "猫", 3)


def test_controls_are_jslinked_to_the_tabs(explorer):
    links = explorer._links
    assert all(type(lk).__name__ == "Link" for lk in links)
    assert (explorer.word_picker, "index") == links[0].source
    assert (explorer.word_tabs, "selected_index") == links[0].target
    targets = {lk.target[0] for lk in links[1:]}
    assert targets == set(explorer.stage_tabs)
    assert all(lk.source == (explorer.stage_picker, "index") for lk in links[1:])


def test_widget_has_its_class_and_style(explorer):
    assert "book-emb-explorer" in explorer.widget._dom_classes
    style = explorer.widget.children[0].value
    assert ".book-hidden-tabs" in style and ".book-emb-explorer" in style


def test_typing_a_known_word_adds_it(explorer):
    before = {k: p.value for k, p in explorer.panels.items()}
    assert explorer.show_word(" 狗 ")
    assert explorer.words == ["苹果", "猫", "狗"]
    assert list(explorer.word_picker.options) == explorer.words
    assert explorer.word_picker.value == "狗"
    assert explorer.word_tabs.selected_index == 2
    assert len(explorer.word_tabs.children) == 3
    assert "编号是 <b>3</b>" in explorer.panels["狗", 0].value
    assert all(explorer.panels[k].value == v for k, v in before.items())
    assert "正在显示“狗”" in explorer.message.value
    # the new word's stages follow the stage buttons too
    assert explorer._links[-1].target == (explorer.stage_tabs[-1], "selected_index")
    # a preset word just selects it
    assert explorer.show_word("苹果") and explorer.word_picker.value == "苹果"
    assert len(explorer.words) == 3


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "输入是空的"),
        ("   ", "输入是空的"),
        (None, "输入是空的"),
        ("火星人", "“火星人”不在词表里"),
    ],
)
def test_bad_entry_shows_message_and_keeps_state(explorer, text, fragment):
    explorer.show_word("狗")
    state = (list(explorer.words), explorer.word_picker.value, explorer.word_tabs.selected_index)
    values = {k: p.value for k, p in explorer.panels.items()}
    assert not explorer.show_word(text)
    assert fragment in explorer.message.value
    assert "book-msg-err" in explorer.message.value and "上一次有效" in explorer.message.value
    assert state == (
        list(explorer.words),
        explorer.word_picker.value,
        explorer.word_tabs.selected_index,
    )
    assert values == {k: p.value for k, p in explorer.panels.items()}


def test_error_message_is_escaped(explorer):
    assert not explorer.show_word("<script>x</script>")
    assert "<script>" not in explorer.message.value
    assert "&lt;script&gt;" in explorer.message.value


def test_entry_box_triggers_show_word(explorer):
    explorer.entry.value = "狗"
    assert explorer.word_picker.value == "狗"
    explorer.entry.value = "不存在的词"
    assert "不在词表里" in explorer.message.value and explorer.word_picker.value == "狗"


@pytest.mark.parametrize(
    "args, fragment",
    [
        (("vocab", np.zeros((6, 4)), ["猫"]), "Vocab"),
        ((None, np.zeros((5, 4)), ["猫"]), "(6, d_model)"),
        ((None, np.full((6, 4), np.nan), ["猫"]), "NaN"),
        ((None, None, []), "不能为空"),
        ((None, None, ["火星人"]), "不在词表里"),
    ],
)
def test_constructor_rejects_bad_input(model, args, fragment):
    vocab, vectors = model
    a = (vocab if args[0] is None else args[0], vectors if args[1] is None else args[1], args[2])
    with pytest.raises((ValueError, KeyError), match=fragment):
        EmbeddingExplorer(*a)


@pytest.mark.parametrize("k", [0, 6, 2.5, True])
def test_constructor_rejects_bad_k(model, k):
    with pytest.raises(ValueError, match="k（近邻个数）"):
        EmbeddingExplorer(*model, ["猫"], k=k)
