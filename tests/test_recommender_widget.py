"""第 5 章的推荐 widget（utils/widgets/recommender.py）：预先算好的面板、jslink、出错时保留原状。"""

from __future__ import annotations

import numpy as np
import pytest
from ipywidgets.widgets.widget_link import Link

from utils.models.recommender import ITEMS, parse_items, popularity_scores, recommend
from utils.widgets.base import shade
from utils.widgets.recommender import PRESETS, RecommenderStepper, render_step, step_labels


@pytest.fixture(scope="module")
def train(rec_split):
    return rec_split[0]


@pytest.fixture(scope="module")
def model(rec_trained):
    return rec_trained[0]  # the chapter's model


@pytest.fixture
def stepper(model, train):
    return RecommenderStepper(model, train)


def _texts(stepper, i):
    return [p.value for p in stepper.panels[i]]


def test_every_step_of_every_session_is_precomputed(model, stepper):
    num_layers = len(model.encoder.layers)
    assert len(stepper.panels) == len(PRESETS)
    assert all(len(row) == num_layers + 2 for row in stepper.panels)
    assert list(stepper.step_slider.options) == step_labels(num_layers)
    for i, text in enumerate(PRESETS):
        trace = stepper.traces[i]
        assert trace.session == parse_items(text)
        panels = _texts(stepper, i)
        assert panels == [render_step(trace, t) for t in range(num_layers + 2)]
        r = recommend(model, parse_items(text))
        for name in r.session:  # step 1: every item, with its id
            assert f"<th>{name}</th><td>{ITEMS.index(name)}</td>" in panels[0]
        for layer in range(num_layers):  # steps 2..: that layer's weights
            for a in r.layer_attention[layer]:
                assert f"{a:.4f}" in panels[1 + layer]
        for name, p in zip(r.top_items[:5], r.top_probs[:5], strict=True):  # last: the top 5
            assert name in panels[-1] and f"{p:.4f}" in panels[-1]
        assert "流行度基线的前 5 名" in panels[-1] and "3510" in panels[-1]  # 纸巾's count


def test_the_panels_say_what_the_chain_expects(stepper, train):
    last = [_texts(stepper, i)[-1] for i in range(len(PRESETS))]
    assert "下一件应是 <b>“充电宝”</b>" in last[0]
    assert "模型把它排在第 <b>1</b> 名" in last[0]
    assert "下一件应是 <b>“咖啡豆”</b>" in last[1]
    assert "没有链条物品" in last[2]  # 纸巾，矿泉水，牙膏
    # the short camera session: 三脚架 (a chain's last item) only ever came 8th in training
    tripod = ITEMS.index("三脚架")
    assert (train[:, :-1] == tripod).sum() == 0
    assert "下一件应是 <b>“三脚架”</b>" in last[3]
    assert f"作为第 8 件出现了 {(train[:, -1] == tripod).sum()} 次" in last[3]
    assert "在前 7 件里一次也没有（它是链条的最后一件" in last[3]
    assert all("<b>注意</b>" not in text for text in last[:3])


def test_no_position_note_for_a_middle_chain_item(stepper):
    # 手机壳 follows 手机 at every position in training: a short session gets no note
    stepper.session_picker.index = 0
    assert stepper.set_session("纸巾，手机，矿泉水") is True
    last = _texts(stepper, 0)[-1]
    assert "下一件应是 <b>“手机壳”</b>" in last and "<b>注意</b>" not in last


def test_popularity_baseline_comes_from_the_training_sessions(stepper, train):
    assert np.array_equal(stepper.popularity, popularity_scores(train).numpy())


def test_controls_are_linked_in_the_browser(stepper):
    links = stepper._links
    assert all(isinstance(link, Link) for link in links)
    assert links[0].source == (stepper.session_picker, "index")
    assert links[0].target == (stepper.session_tabs, "selected_index")
    assert len(links) == 1 + len(PRESETS)
    assert all(link.source == (stepper.step_slider, "index") for link in links[1:])
    assert "book-rec" in stepper.widget._dom_classes
    assert "book-hidden-tabs" in stepper.widget.children[0].value


@pytest.mark.parametrize(
    "bad, message",
    [
        ("", "会话是空的"),
        ("   ", "会话是空的"),
        ("相机，电视", "不认识的物品：“电视”"),
        ("，".join(["纸巾"] * 8), "会话太长"),
        ("<script>", "&lt;script&gt;"),
    ],
)
def test_bad_input_shows_chinese_message_and_keeps_panels(stepper, bad, message):
    before = [_texts(stepper, i) for i in range(len(PRESETS))]
    options = stepper.session_picker.options
    assert stepper.set_session(bad) is False
    assert message in stepper.message.value
    assert "book-msg-err" in stepper.message.value and "<script>" not in stepper.message.value
    assert [_texts(stepper, i) for i in range(len(PRESETS))] == before
    assert stepper.session_picker.options == options


def test_good_input_replaces_the_selected_session(model, stepper):
    others = _texts(stepper, 0)
    stepper.session_picker.index = 2
    assert stepper.set_session(" 吉他、纸巾 ") is True
    assert stepper.traces[2].session == parse_items("吉他，纸巾")
    assert _texts(stepper, 2) == [render_step(stepper.traces[2], t) for t in range(4)]
    assert _texts(stepper, 0) == others
    assert stepper.session_picker.index == 2
    assert stepper.session_picker.options[2] == "3. 吉他，纸巾"
    top = recommend(model, parse_items("吉他，纸巾")).top_items[:3]
    assert stepper.message.value == (
        f'<span class="book-msg-ok">✓ 已重新计算：推荐前 3 名是 {"、".join(top)}</span>'
    )
    # the editor is wired to set_session
    stepper.editor.fields[0].value = "电视"
    assert "不认识的物品：“电视”" in stepper.message.value
    assert "book-msg-err" in stepper.message.value


def test_bad_training_sessions_are_refused(model):
    with pytest.raises(ValueError, match="会话的形状"):
        RecommenderStepper(model, np.zeros(8, dtype=int))


def test_shade_maps_weights_to_white_through_blue():
    assert shade(0.0) == "rgb(255,255,255)" and shade(1.0) == "rgb(59,130,246)"
    assert shade(-0.5) == shade(0.0) and shade(3.0) == shade(1.0)  # clipped to [0, 1]
    assert shade(np.float32(0.5)) == "rgb(157,192,250)"


def test_step_labels_never_run_out():
    """A model with many layers still gets a label for every step (①…⑳, then (21), …)."""
    labels = step_labels(30)
    assert len(labels) == 32 and len(set(labels)) == 32
    assert labels[0].startswith("①") and labels[19].startswith("⑳")
    assert labels[20].startswith("(21) 第 20 层") and labels[-1].startswith("(32) 打分")
