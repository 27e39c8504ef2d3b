"""逐步演示 widget 的测试：输入解析、预先算好的面板、改输入后重算、出错时保持原样、jslink。"""

from __future__ import annotations

import html

import numpy as np
import pytest

from utils.nn.examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X, notes_example
from utils.nn.numpy_attention import attention_steps
from utils.widgets.attention import (
    MAX_ABS_INPUT,
    STAGES,
    AttentionStepper,
    fmt,
    fmt_vec,
    matrix_table,
    matrix_text,
    parse_matrix,
    parse_row,
    render_stage,
)

# ---------------------------------------------------------------- parse_row


@pytest.mark.parametrize(
    "text",
    ["1, 0, 1, 0", "1 0 1 0", "[1,0,1,0]", "1，0，1，0", "  1 ,0,  1,0  ", "(1; 0; 1; 0)"],
)
def test_parse_row_accepts(text):
    row = parse_row(text, 4, "第 1 行")
    assert isinstance(row, np.ndarray)
    np.testing.assert_array_equal(row, [1.0, 0.0, 1.0, 0.0])


def test_parse_row_accepts_decimals_and_negatives():
    np.testing.assert_array_equal(parse_row("-1.5, 2e2, 0.25", 3, "x"), [-1.5, 200.0, 0.25])
    np.testing.assert_array_equal(parse_row("1000, -1000", 2, "x"), [1000.0, -1000.0])


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "是空的"),
        ("   ", "是空的"),
        ("[]", "是空的"),
        ("a, b, c, d", "“a”不是数字"),
        ("1, 0, 1", "应有 4 个数，实际有 3 个"),
        ("1, 0, 1, 0, 5", "应有 4 个数，实际有 5 个"),
        ("nan, 0, 1, 0", "NaN 或无穷大"),
        ("1, inf, 1, 0", "NaN 或无穷大"),
        ("1, 0, -inf, 0", "NaN 或无穷大"),
        ("1e9, 0, 1, 0", "数值过大"),
        ("1, 0, 1, 1000.5", "数值过大"),
    ],
)
def test_parse_row_rejects(text, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        parse_row(text, 4, "第 2 行")
    assert str(info.value).startswith("第 2 行")  # names the row


def test_parse_row_empty_example_has_the_right_length():
    with pytest.raises(ValueError, match="请输入 3 个数，例如 1, 0, 1$"):
        parse_row(" ", 3, "x")
    with pytest.raises(ValueError, match="请输入 4 个数，例如 1, 0, 1, 0$"):
        parse_row("", 4, "x")


# ---------------------------------------------------------------- parse_matrix


@pytest.mark.parametrize(
    "text",
    [
        "1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1",
        "1 0 1/1 0 0/0 0 1/0 1 1",
        "[1, 0, 1] / [1, 0, 0] / [0, 0, 1] / [0, 1, 1]",
        "1，0，1／1，0，0／0，0，1／0，1，1",
    ],
)
def test_parse_matrix_accepts(text):
    np.testing.assert_array_equal(parse_matrix(text, 4, 3, "W_query"), NOTES_W_QUERY)


def test_matrix_text_reads_back():
    assert matrix_text(NOTES_W_QUERY) == "1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1"
    for m in (NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE, np.array([[0.1, -2.5e-7], [1e3, -0.0]])):
        rows, cols = m.shape
        np.testing.assert_array_equal(parse_matrix(matrix_text(m), rows, cols, "W"), m)


@pytest.mark.parametrize(
    "text, message",
    [
        (
            "",
            "W_key 是空的：请输入 4 行、每行 3 个数，行与行之间用 / 分隔，"
            "例如 1, 0, 1 / 1, 0, 1 / 1, 0, 1 / 1, 0, 1",
        ),
        ("1, 0, 1 / 1, 0, 0 / 0, 0, 1", "W_key 应有 4 行（行与行之间用 / 分隔），实际有 3 行"),
        ("1 0 1 1 0 0 0 0 1 0 1 1", "W_key 应有 4 行（行与行之间用 / 分隔），实际有 1 行"),
        ("1, 0, 1 / / 0, 0, 1 / 0, 1, 1", "W_key 第 2 行是空的：请输入 3 个数，例如 1, 0, 1"),
        ("1, 0, 1 / 1, 0 / 0, 0, 1 / 0, 1, 1", "W_key 第 2 行应有 3 个数，实际有 2 个"),
        ("1, 0, 1 / 1, 0, 0 / 0, x, 1 / 0, 1, 1", "W_key 第 3 行：“x”不是数字"),
        ("1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, nan", "W_key 第 4 行含有 NaN 或无穷大（inf）"),
        ("1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1001", "W_key 第 4 行的数值过大"),
    ],
)
def test_parse_matrix_rejects(text, message):
    with pytest.raises(ValueError) as info:
        parse_matrix(text, 4, 3, "W_key")
    assert str(info.value).startswith(message)


def test_max_abs_input_in_message():
    with pytest.raises(ValueError, match=f"绝对值不超过 {MAX_ABS_INPUT:g}"):
        parse_row("1e9 0 0 0", 4, "x")


# ---------------------------------------------------------------- the stepper

N, D_MODEL = 3, 4


@pytest.fixture(scope="module")
def fresh_values():
    st = AttentionStepper()
    return {key: p.value for key, p in st.panels.items()}


@pytest.fixture
def stepper():
    return AttentionStepper()


def snapshot(stepper):
    return {key: p.value for key, p in stepper.panels.items()}


def test_panels_keys(stepper):
    assert len(STAGES) == 7
    expected = {(i, s, t) for i in range(3) for s in (False, True) for t in range(7)}
    assert set(stepper.panels) == expected
    assert len(stepper.panels) == 42
    assert all(p.value.startswith('<div class="attn-stage">') for p in stepper.panels.values())


def test_panel_numbers(stepper):
    assert "[2, 4, 4]" in stepper.panels[0, False, 3].value
    assert "[0.0634, 0.4683, 0.4683]" in stepper.panels[0, False, 4].value
    assert "[1.9366, 6.6831, 1.5951]" in stepper.panels[0, False, 6].value
    assert "[1.8639, 6.3194, 1.7042]" in stepper.panels[0, True, 6].value
    assert "[1.8639, 6.3194, 1.7042]" not in stepper.panels[0, False, 6].value
    assert "[4, 16, 12]" in stepper.panels[1, False, 3].value
    assert "输入 3" in stepper.panels[2, False, 0].value


def test_panels_are_render_stage(stepper):
    for s in (False, True):
        steps = notes_example(scaled=s)
        for i in range(N):
            for t in range(len(STAGES)):
                assert stepper.panels[i, s, t].value == render_stage(steps, i, t)


def test_tabs_hold_the_panels(stepper):
    assert len(stepper.row_tabs.children) == N
    for i, scale_tab in enumerate(stepper.row_tabs.children):
        assert len(scale_tab.children) == 2
        for s, stage_tab in zip((False, True), scale_tab.children, strict=True):
            assert list(stage_tab.children) == [stepper.panels[i, s, t] for t in range(7)]


def test_inputs_show_the_example(stepper):
    assert [t.value for t in stepper.inputs] == ["1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"]


def test_set_inputs_valid_recomputes(stepper):
    ok = stepper.set_inputs(["1, 0, 1, 0", "0, 0, 0, 0", "1, 1, 1, 1"])
    assert ok is True
    np.testing.assert_array_equal(stepper.steps[False].x[1], [0, 0, 0, 0])
    # key 2 is now 0, so query 1 = [1, 0, 2] scores [2, 0, 4]
    np.testing.assert_array_equal(stepper.steps[False].scores[0], [2, 0, 4])
    assert "[2, 0, 4]" in stepper.panels[0, False, 3].value
    assert "[2, 4, 4]" not in stepper.panels[0, False, 3].value
    assert "book-msg-ok" in stepper.message.value
    assert "已重新计算" in stepper.message.value
    assert "[0, 0, 0, 0]" in stepper.message.value


def test_set_inputs_zero_row_gives_uniform_weights(stepper):
    # with input 1 all zeros its query is 0: scores [0, 0, 0], weights 1/3 each
    assert stepper.set_inputs(["0, 0, 0, 0", "0, 2, 0, 2", "1, 1, 1, 1"]) is True
    np.testing.assert_array_equal(stepper.steps[False].scores[0], [0, 0, 0])
    np.testing.assert_allclose(stepper.steps[False].weights[0], [1 / 3] * 3, atol=1e-15)
    assert "[0, 0, 0]" in stepper.panels[0, False, 3].value
    assert "[0.3333, 0.3333, 0.3333]" in stepper.panels[0, False, 4].value
    assert "0.3333" in stepper.panels[0, True, 4].value
    assert "✓" in stepper.message.value


def test_edit_text_triggers_recompute(stepper):
    stepper.inputs[0].value = "0 0 0 0"  # as if the reader typed it and pressed Enter
    assert "0.3333" in stepper.panels[0, False, 4].value
    assert "book-msg-ok" in stepper.message.value


def test_set_inputs_then_back_restores(stepper, fresh_values):
    assert stepper.set_inputs(["2, 2, 2, 2", "0, 2, 0, 2", "1, 1, 1, 1"])
    assert snapshot(stepper) != fresh_values
    assert stepper.set_inputs(["1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"])
    assert snapshot(stepper) == fresh_values


BAD = {
    "not a number": (["1, 0, 1, 0", "0, x, 0, 2", "1, 1, 1, 1"], "不是数字"),
    "wrong length": (["1, 0, 1", "0, 2, 0, 2", "1, 1, 1, 1"], "应有 4 个数"),
    "nan": (["1, 0, 1, 0", "0, 2, 0, 2", "1, nan, 1, 1"], "NaN 或无穷大"),
    "inf": (["inf, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"], "NaN 或无穷大"),
    "huge": (["1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1e9"], "数值过大"),
    "empty": (["1, 0, 1, 0", "", "1, 1, 1, 1"], "是空的"),
    "too few rows": (["1, 0, 1, 0", "0, 2, 0, 2"], "需要 3 行输入，实际有 2 行"),
    "html": (["<script>alert(1)</script>", "0, 2, 0, 2", "1, 1, 1, 1"], "不是数字"),
}


@pytest.mark.parametrize("texts, fragment", BAD.values(), ids=BAD.keys())
def test_set_inputs_bad_keeps_everything(stepper, fresh_values, texts, fragment):
    # first change to a different valid state, so "unchanged" is not just "the default"
    assert stepper.set_inputs(["1, 0, 1, 0", "0, 0, 0, 0", "1, 1, 1, 1"])
    before = snapshot(stepper)
    steps_before = stepper.steps
    assert before != fresh_values

    assert stepper.set_inputs(texts) is False
    assert snapshot(stepper) == before
    assert stepper.steps is steps_before
    msg = stepper.message.value
    assert "book-msg-err" in msg
    assert fragment in msg
    assert "上一次有效的输入" in msg
    assert "<script>" not in msg


def test_set_inputs_bad_html_is_escaped(stepper, fresh_values):
    assert stepper.set_inputs(["<script>alert(1)</script>", "0, 2, 0, 2", "1, 1, 1, 1"]) is False
    msg = stepper.message.value
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in msg
    assert "<script>" not in msg and "</script>" not in msg
    assert "第 1 行" in msg and "不是数字" in msg
    assert snapshot(stepper) == fresh_values


def test_set_inputs_bad_html_in_other_chars_escaped(stepper):
    assert stepper.set_inputs(['1, 0, 1, "&<b>', "0, 2, 0, 2", "1, 1, 1, 1"]) is False
    msg = stepper.message.value
    assert "&quot;&amp;&lt;b&gt;" in msg
    assert "<b>" not in msg


def test_bad_edit_via_text_widget(stepper, fresh_values):
    stepper.inputs[2].value = "1, 1, 1"
    assert snapshot(stepper) == fresh_values
    assert "book-msg-err" in stepper.message.value
    assert "第 3 行" in stepper.message.value


# ---------------------------------------------------------------- editing the weights


def test_weight_boxes_show_the_example(stepper):
    assert [t.description for t in stepper.weight_inputs] == ["W_query", "W_key", "W_value"]
    assert [t.value for t in stepper.weight_inputs] == [
        matrix_text(NOTES_W_QUERY),
        matrix_text(NOTES_W_KEY),
        matrix_text(NOTES_W_VALUE),
    ]
    assert stepper.weight_inputs[0].value == "1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1"
    assert "4 行 3 列" in stepper.weight_message.value


def test_set_weights_recomputes_every_panel(stepper):
    w_q = np.array([[0.5, -1, 0], [2, 0, 1], [0, 0.25, 0], [-3, 1, 1]])
    texts = [matrix_text(w_q), matrix_text(NOTES_W_KEY), matrix_text(NOTES_W_VALUE)]
    assert stepper.set_weights(texts) is True
    assert "已用新的权重重新计算全部步骤" in stepper.weight_message.value
    for s in (False, True):
        steps = attention_steps(NOTES_X, w_q, NOTES_W_KEY, NOTES_W_VALUE, scaled=s)
        for i in range(N):
            for t in range(len(STAGES)):
                assert stepper.panels[i, s, t].value == render_stage(steps, i, t)
    # the inputs editor then computes with the new weights
    assert stepper.set_inputs(["0, 0, 0, 1", "0, 2, 0, 2", "1, 1, 1, 1"])
    x = np.array([[0, 0, 0, 1], [0, 2, 0, 2], [1, 1, 1, 1]], dtype=float)
    steps = attention_steps(x, w_q, NOTES_W_KEY, NOTES_W_VALUE, scaled=True)
    assert stepper.panels[0, True, 6].value == render_stage(steps, 0, 6)


def test_set_weights_back_restores(stepper, fresh_values):
    texts = [t.value for t in stepper.weight_inputs]
    assert stepper.set_weights(["1 1 1 / 1 1 1 / 1 1 1 / 1 1 1", texts[1], texts[2]])
    assert snapshot(stepper) != fresh_values
    assert stepper.set_weights(texts)
    assert snapshot(stepper) == fresh_values


BAD_WEIGHTS = {
    "rows": (["1, 0, 1 / 1, 0, 0", None, None], "W_query 应有 4 行"),
    "columns": ([None, "0, 0 / 1, 1 / 0, 1 / 1, 1", None], "W_key 第 1 行应有 3 个数，实际有 2 个"),
    "not a number": ([None, None, "0, 2, 0 / 0, 3, 0 / 1, 0, 3 / 1, 1, <b>"], "“<b>”不是数字"),
    "huge": ([None, None, "0, 2, 0 / 0, 3, 0 / 1, 0, 3 / 1, 1, -1e4"], "W_value 第 4 行的数值过大"),
    "empty": (["", None, None], "W_query 是空的"),
    "too few": (["1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1"], "需要 3 个权重矩阵，实际有 1 个"),
}


@pytest.mark.parametrize("texts, fragment", BAD_WEIGHTS.values(), ids=BAD_WEIGHTS.keys())
def test_set_weights_bad_keeps_everything(stepper, texts, fragment):
    good = [t.value for t in stepper.weight_inputs]
    assert stepper.set_weights(["1 1 1 / 1 1 1 / 1 1 1 / 1 1 1", good[1], good[2]])
    before, steps_before, weights_before = snapshot(stepper), stepper.steps, stepper._weights
    texts = [good[k] if t is None else t for k, t in enumerate(texts)]
    assert stepper.set_weights(texts) is False
    assert snapshot(stepper) == before
    assert stepper.steps is steps_before and stepper._weights is weights_before
    msg = stepper.weight_message.value
    assert "book-msg-err" in msg
    assert html.escape(fragment) in msg
    assert "上一次有效的权重" in msg
    assert "<b>" not in msg
    # the inputs editor still computes with the last good weights
    assert stepper.set_inputs(["1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"])
    np.testing.assert_array_equal(stepper.steps[False].w_query, np.ones((4, 3)))


def test_bad_edit_via_weight_box(stepper, fresh_values):
    stepper.weight_inputs[1].value = "1, 1, 1"
    assert snapshot(stepper) == fresh_values
    assert "W_key 应有 4 行" in stepper.weight_message.value


def test_links(stepper):
    links = stepper._links
    assert len(links) == 1 + 3 + 6
    for link in links:
        assert link.target[1] == "selected_index"
        assert link.source[1] == "index"
    assert links[0].source[0] is stepper.row_picker
    assert links[0].target[0] is stepper.row_tabs
    scale_tabs = list(stepper.row_tabs.children)
    stage_tabs = [t for st in scale_tabs for t in st.children]
    assert [lk.source[0] for lk in links[1:4]] == [stepper.scale_picker] * 3
    assert [lk.target[0] for lk in links[1:4]] == scale_tabs
    assert [lk.source[0] for lk in links[4:]] == [stepper.stage_slider] * 6
    assert [lk.target[0] for lk in links[4:]] == stage_tabs
    # the controls have as many options as the tabs they drive
    assert len(stepper.row_picker.options) == len(stepper.row_tabs.children)
    assert len(stepper.scale_picker.options) == 2
    assert len(stepper.stage_slider.options) == 7


@pytest.mark.parametrize("row, stage", [(-1, 0), (3, 0), (0, -1), (0, 7)])
def test_render_stage_out_of_range(row, stage):
    with pytest.raises(ValueError, match="必须在 0..[26] 之间"):
        render_stage(notes_example(), row, stage)


def test_stepper_rejects_bad_initial_input():
    with pytest.raises(ValueError, match="含有 NaN"):
        AttentionStepper(x=np.full((3, 4), np.nan))


# ---------------------------------------------------------------- stepper_html helpers


@pytest.mark.parametrize(
    "v, s",
    [
        (2.0, "2"),
        (0.468311, "0.4683"),
        (-0.0, "0"),
        (0, "0"),
        (-3.0, "-3"),
        (1.93662, "1.9366"),
        (2.00000000001, "2"),
        (1e7 + 0.5, "1.0000e+07"),
    ],
)
def test_fmt(v, s):
    assert fmt(v) == s


def test_fmt_vec():
    assert fmt_vec(np.array([2.0, 4.0, 4.0])) == "[2, 4, 4]"
    assert fmt_vec([0.0634, 1]) == "[0.0634, 1]"


def test_matrix_table_escapes():
    out = matrix_table(
        np.eye(2),
        title="<t>",
        row_names=["<script>", "a&b"],
        col_names=["<c>", "d"],
        cls='x"y',
    )
    assert "<script>" not in out and "<t>" not in out and "<c>" not in out
    assert "&lt;script&gt;" in out
    assert "a&amp;b" in out
    assert "&lt;t&gt;" in out and "&lt;c&gt;" in out
    assert "x&quot;y" in out


def test_matrix_table_highlight():
    out = matrix_table([[1, 2], [3, 4]], title="m", row_names=["r1", "r2"], hl_rows=(1,))
    assert '<th class="hl">r2</th><td class="hl">3</td><td class="hl">4</td>' in out
    assert '<th>r1</th><td class="">1</td>' in out
