"""第 1 章逐步解码 widget 的测试：预先算好的面板、jslink、自己输入后重算、出错时保持原样。

A model that is not trained is enough here: the panels show whatever it does.
"""

from __future__ import annotations

import html

import pytest

from utils.models.numerals import make_model
from utils.models.reference import load_reference
from utils.widgets.decoding import (
    CUSTOM_LABEL,
    EXAMPLES,
    NUM_STEPS,
    DecodingStepper,
    render_step,
    trace,
)


@pytest.fixture(scope="module")
def model():
    return make_model().eval()


@pytest.fixture
def stepper(model):
    return DecodingStepper(model)


def _values(stepper):
    return [[p.value for p in row] for row in stepper.panels]


def test_every_step_of_every_example_is_precomputed(stepper):
    assert len(stepper.panels) == len(EXAMPLES) + 1
    assert all(len(row) == NUM_STEPS for row in stepper.panels)
    assert list(stepper.picker.options) == [*EXAMPLES, CUSTOM_LABEL]
    assert len(stepper.step_slider.options) == NUM_STEPS
    for e, text in enumerate(stepper.texts):
        answer, steps = stepper.traces[e]
        for t, panel in enumerate(stepper.panels[e]):
            assert f"正确答案：<b>{answer}</b>" in panel.value
            if t < len(steps):
                assert f"第 {t + 1} 步" in panel.value
                assert "&lt;s&gt;" in panel.value  # the decoder input starts with <s>, escaped
                # the causal-mask row: positions 0..t may be seen, the rest are hidden
                assert panel.value.count("✓ 可以看") == t + 1
                assert panel.value.count("✗ 遮住") == len(steps) - 1 - t
                for c in text:
                    assert f"<th>{c}</th>" in panel.value  # cross-attention columns
                assert "概率" in panel.value
            else:
                assert "已经结束" in panel.value


def test_controls_are_jslinked_to_hidden_tabs(stepper):
    links = stepper._links
    assert all(type(link).__name__ == "Link" for link in links)
    assert links[0].source == (stepper.picker, "index")
    assert links[0].target == (stepper.example_tabs, "selected_index")
    step_tabs = stepper.example_tabs.children
    assert {id(link.target[0]) for link in links[1:]} == {id(t) for t in step_tabs}
    assert all(link.source == (stepper.step_slider, "index") for link in links[1:])
    assert "book-hidden-tabs" in stepper.example_tabs._dom_classes
    assert "dec-stepper" in stepper.widget._dom_classes
    assert "<style>" in stepper.widget.children[0].value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "是空的"),
        ("abc", "不是中文数字用字"),
        ("十万", "超出范围"),
        ("九万九千九百九十九九", "太长了"),
        ("五五", "不是规范"),
        ("<b>x</b>", "不是中文数字用字"),
    ],
)
def test_bad_input_shows_a_message_and_keeps_the_panels(stepper, text, fragment):
    before, index = _values(stepper), stepper.picker.index
    assert stepper.set_custom(text) is False
    assert fragment in html.unescape(stepper.message.value)
    assert "book-msg-err" in stepper.message.value
    assert "<b>x</b>" not in stepper.message.value  # escaped
    assert _values(stepper) == before and stepper.picker.index == index


def test_typing_a_numeral_recomputes_the_custom_panels(stepper):
    before = _values(stepper)
    stepper.editor.fields[0].value = "九万零九"  # the observer decodes it
    assert "book-msg-ok" in stepper.message.value
    after = _values(stepper)
    assert after[:-1] == before[:-1]  # the examples stay
    assert after[-1] != before[-1]
    assert "正确答案：<b>90009</b>" in after[-1][0]
    assert stepper.picker.index == len(EXAMPLES)


def test_the_last_panel_reports_the_translation(model):
    answer, steps = trace(model, "三百零五")
    assert answer == 305
    end = render_step("三百零五", answer, steps, NUM_STEPS)
    assert "模型的译文" in end and "已经结束" in end


def test_trained_model_panels_show_the_right_digits():
    """With the chapter's reference model, 三百零五 comes out right; the finished panel
    then says so."""
    model = load_reference("numerals")
    answer, steps = trace(model, "三百零五")
    chosen = [s.chosen for s in steps]
    panels = [render_step("三百零五", answer, steps, t) for t in range(NUM_STEPS)]
    assert len(chosen) == 4  # 3, 0, 5, </s>
    assert "选中：<b>3</b>" in panels[0] and "选中：<b>&lt;/s&gt;</b>" in panels[3]
    assert "模型的译文：<b>305</b>　✓" in panels[4]
