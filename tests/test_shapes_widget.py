"""第 1 章的形状 widget（utils/widgets/shapes.py）：面板、jslink、改输入重算、出错保留原状。"""

from __future__ import annotations

import pytest
from ipywidgets.widgets.widget_link import Link

from utils.models.numerals import encode_source, encode_target, make_model
from utils.nn.transformer import trace_shapes
from utils.widgets.shapes import ShapeStepper, describe_shape, render_stage

TEXTS = ["三百零五", "两千零八", "一万零五十"]


@pytest.fixture
def stepper():
    return ShapeStepper(make_model(), TEXTS)


def test_one_panel_per_stage_of_the_real_forward_pass(stepper):
    model = make_model()
    records = trace_shapes(model, encode_source(TEXTS), encode_target([305, 2008, 10050])[:, :-1])
    assert stepper.records == records
    assert len(stepper.panels) == len(records) == 10  # 2 + 2 layers
    assert [p.value for p in stepper.panels] == [
        render_stage(TEXTS, records, t) for t in range(len(records))
    ]
    first = stepper.panels[0].value
    assert "(batch=3, seq_len=5, d_model=32)" in first and 'class="now"' in first
    assert "(batch=3, seq_len=6, vocab_size=13)" in stepper.panels[-1].value


def test_slider_is_linked_in_the_browser(stepper):
    assert all(isinstance(link, Link) for link in stepper._links)
    assert stepper._links[0].source == (stepper.step_slider, "index")
    assert stepper._links[0].target == (stepper.tabs, "selected_index")


def test_describe_shape_names_the_axes():
    assert describe_shape("编码器第 1 层", (2, 4, 8)) == "(batch=2, seq_len=4, d_model=8)"
    assert describe_shape("线性层 → logits", (2, 4, 13)) == "(batch=2, seq_len=4, vocab_size=13)"


def test_typing_a_batch_recomputes_every_panel(stepper):
    assert stepper.editor.submit("十五，九万九千九百九十九") is True
    assert "batch = 2，源序列补齐到 9 个字" in stepper.message.value
    assert "(batch=2, seq_len=9, d_model=32)" in stepper.panels[0].value
    stepper.editor.fields[0].value = "七"  # what Enter does in JupyterLab
    assert "batch = 1" in stepper.message.value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "1 到 8 个"),
        ("abc", "不是中文数字用字"),
        ("<b>一</b>", "不是中文数字用字"),
        ("一，" * 9, "1 到 8 个"),
        ("一" * 100_000, ""),
    ],  # fmt: skip
)
def test_bad_input_keeps_every_panel(stepper, text, fragment):
    before = [p.value for p in stepper.panels]
    assert stepper.editor.submit(text) is False
    message = stepper.message.value
    assert "book-msg-err" in message and fragment in message
    assert "<b>" not in message and len(message) < 400
    assert [p.value for p in stepper.panels] == before
