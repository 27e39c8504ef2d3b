"""第 4 章 widget 的测试：面板里的数、标签页的嵌套与 jslink、编辑器的重算与出错时保持原样。"""

from __future__ import annotations

import math

import ipywidgets as W
import pytest

from utils.nn.positional_encoding import positional_encoding
from utils.widgets.attention import fmt
from utils.widgets.base import parse_int
from utils.widgets.position import (
    D_MODELS,
    MAX_D_MODEL,
    MAX_POS,
    N_SIMILAR,
    POSITIONS,
    PositionExplorer,
    check_settings,
    parse_settings,
    render_pair,
    render_result,
    render_similarity,
    similar_positions,
)

# ------------------------------------------------------------------ parsing


@pytest.mark.parametrize(
    "text, value", [("3", 3), (" 3 ", 3), ("3.0", 3), ("-2", -2), ("1e2", 100)]
)
def test_parse_int_accepts(text, value):
    assert parse_int(text, "pos") == value


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "是空的"),
        ("  ", "是空的"),
        ("abc", "“abc”不是数字"),
        ("1.5", "必须是整数"),
        ("nan", "NaN 或无穷大"),
        ("inf", "NaN 或无穷大"),
        ("<script>", "不是数字"),
    ],
)
def test_parse_int_rejects(text, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        parse_int(text, "pos（位置）")
    assert str(info.value).startswith("pos（位置）")


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((-1, 0, 4), "pos（位置）不能是负数"),
        ((MAX_POS + 1, 0, 4), f"pos（位置）最大为 {MAX_POS}"),
        ((0, 0, 5), "d_model 必须是不小于 2 的偶数"),
        ((0, 0, 0), "d_model 必须是不小于 2 的偶数"),
        ((0, 0, MAX_D_MODEL + 2), f"d_model 最大为 {MAX_D_MODEL}"),
        ((0, 2, 4), "0 ≤ i < d_model/2 = 2"),
        ((0, -1, 4), "0 ≤ i < d_model/2"),
        ((1.0, 0, 4), "pos（位置）必须是整数"),
        ((0, True, 4), "i（sin/cos 对的编号）必须是整数"),
    ],
)
def test_check_settings_rejects(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        check_settings(*args)


def test_parse_settings():
    assert parse_settings("3", "1", "8") == (3, 1, 8)
    with pytest.raises(ValueError, match="i（sin/cos 对的编号）：“x”不是数字"):
        parse_settings("3", "x", "8")


# ------------------------------------------------------------------ HTML


def test_render_pair_fills_in_the_formula():
    h = render_pair(3, 1, 8)
    assert "3 / 10000^(2/8) = 3 / 10000^0.2500 = 3 / 10 = 0.3000" in h
    assert f"PE(3, 2) = sin(0.3000) = <b>{math.sin(0.3):.4f}</b>" in h
    assert f"PE(3, 3) = cos(0.3000) = <b>{math.cos(0.3):.4f}</b>" in h
    assert "0.2955" in h and "0.9553" in h
    assert "62.8319" in h  # wavelength 2π·10
    # the chosen pair is highlighted, the others are not
    assert '<th class="hl">i = 1</th>' in h and '<th class="hl">i = 0</th>' not in h


@pytest.mark.parametrize("d_model", D_MODELS)
def test_render_pair_shows_the_whole_vector(d_model):
    pe = positional_encoding(16, d_model)
    for pos in (0, 7, 15):
        h = render_pair(pos, 0, d_model)
        for dim in range(d_model):
            assert f">{fmt(pe[pos, dim])}<" in h


def test_render_pair_large_d_model_shows_a_window():
    h = render_pair(100, 200, 512)
    assert "i = 200" in h and "i = 0<" not in h and "⋮" in h
    assert f"{math.sin(100 / 10000 ** (400 / 512)):.4f}" in h


def test_render_similarity_numbers():
    h = render_similarity(3, 16)
    pe = positional_encoding(N_SIMILAR, 16)
    s = pe @ pe.T
    for m in range(N_SIMILAR):
        assert f"<td>{fmt(s[3, m])}</td>" in h or f'<td class="hl">{fmt(s[3, m])}</td>' in h
    assert '<th class="hl">3</th>' in h
    assert '<td class="hl">8</td>' in h  # PE(3)·PE(3) = d_model/2


def test_similar_positions():
    assert similar_positions(0) == list(range(16))
    assert similar_positions(15) == list(range(7, 23))
    assert similar_positions(100) == list(range(92, 108))


def test_render_rejects_bad_input():
    with pytest.raises(ValueError, match="偶数"):
        render_pair(0, 0, 3)
    with pytest.raises(ValueError, match="不能是负数"):
        render_similarity(-1, 4)
    with pytest.raises(ValueError, match="0 ≤ i"):
        render_result(0, 4, 8)


# ------------------------------------------------------------------ the widget


@pytest.fixture(scope="module")
def fresh():
    return PositionExplorer()


@pytest.fixture
def explorer():
    return PositionExplorer()


def test_panel_counts(fresh):
    assert fresh.panel_count == 16 * (2 + 4 + 8) + 16 * 3 == 272
    assert set(fresh.pair_panels) == {
        (d, p, i) for d in D_MODELS for p in POSITIONS for i in range(d // 2)
    }


def test_panels_are_the_render_functions(fresh):
    for (d, p, i), panel in fresh.pair_panels.items():
        assert panel.value == render_pair(p, i, d)
    for (d, p), panel in fresh.similarity_panels.items():
        assert panel.value == render_similarity(p, d)


def test_tabs_nesting(fresh):
    assert len(fresh.d_model_tabs.children) == len(D_MODELS)
    for k, d in enumerate(D_MODELS):
        box = fresh.d_model_tabs.children[k]
        assert box.children[0] is fresh.i_pickers[d]
        pos_tabs = box.children[1]
        assert pos_tabs is fresh.pos_tabs[d] and len(pos_tabs.children) == 16
        for p, hbox in enumerate(pos_tabs.children):
            i_tabs, sim = hbox.children
            assert list(i_tabs.children) == [fresh.pair_panels[d, p, i] for i in range(d // 2)]
            assert sim is fresh.similarity_panels[d, p]
        assert "book-hidden-tabs" in pos_tabs._dom_classes


def test_links_are_jslinks(fresh):
    links = fresh._links
    assert all(isinstance(link, W.widgets.widget_link.Link) for link in links)
    assert len(links) == 1 + len(D_MODELS) + 16 * len(D_MODELS)
    assert links[0].source == (fresh.d_model_picker, "index")
    assert links[0].target == (fresh.d_model_tabs, "selected_index")
    pos_links = links[1 : 1 + len(D_MODELS)]
    assert all(link.source == (fresh.pos_slider, "value") for link in pos_links)
    # IntSlider values are the tab indices 0..15
    assert (fresh.pos_slider.min, fresh.pos_slider.max) == (0, 15)


def test_widget_has_its_class_and_style(fresh):
    assert "pos-explorer" in fresh.widget._dom_classes
    style = fresh.widget.children[0].value
    assert "book-hidden-tabs" in style and ".pos-explorer" in style


def test_set_values_inside_grid_moves_controls(explorer):
    assert explorer.set_values("5", "3", "16") is True
    assert explorer.d_model_picker.index == D_MODELS.index(16)
    assert explorer.pos_slider.value == 5
    assert explorer.i_pickers[16].index == 3
    assert explorer.result.value == render_result(5, 3, 16)
    assert "book-msg-ok" in explorer.message.value and "控件也已移到这里" in explorer.message.value


def test_set_values_outside_grid_recomputes(explorer):
    assert explorer.set_values("100", "3", "512") is True
    assert "PE(100, 6) = sin(" in explorer.result.value
    angle = 100 / 10000 ** (6 / 512)
    assert f"<b>{math.sin(angle):.4f}</b>" in explorer.result.value
    assert "不在上方预先算好的格子里" in explorer.message.value
    assert explorer.pos_slider.value == 0  # controls untouched


def test_text_edit_triggers_compute(explorer):
    explorer.pos_text.value = "40"  # as if typed + Enter (i = 0, d_model = 4)
    assert "PE(40, 0) = sin(40" in explorer.result.value
    assert "book-msg-ok" in explorer.message.value


BAD = {
    "negative pos": (("-1", "0", "8"), "不能是负数"),
    "odd d_model": (("3", "0", "7"), "偶数"),
    "i too big": (("3", "4", "8"), "0 ≤ i &lt; d_model/2 = 4"),
    "not a number": (("three", "0", "8"), "“three”不是数字"),
    "empty": (("", "0", "8"), "是空的"),
    "fraction": (("3", "0.5", "8"), "必须是整数"),
    "huge d_model": (("3", "0", "4096"), "d_model 最大为"),
    "html": (("<b>x</b>", "0", "8"), "不是数字"),
}


@pytest.mark.parametrize("texts, fragment", BAD.values(), ids=BAD.keys())
def test_bad_input_keeps_last_good_state(explorer, fresh, texts, fragment):
    assert explorer.set_values("9", "2", "8")
    result_before = explorer.result.value
    controls_before = (explorer.d_model_picker.index, explorer.pos_slider.value)
    assert explorer.set_values(*texts) is False
    assert explorer.result.value == result_before
    assert (explorer.d_model_picker.index, explorer.pos_slider.value) == controls_before
    msg = explorer.message.value
    assert "book-msg-err" in msg and fragment in msg and "上一次有效的结果" in msg
    assert "<b>x" not in msg
    for key, panel in explorer.pair_panels.items():
        assert panel.value == fresh.pair_panels[key].value


def test_bad_html_is_escaped(explorer):
    assert explorer.set_values("<script>alert(1)</script>", "0", "8") is False
    assert "&lt;script&gt;" in explorer.message.value
    assert "<script>" not in explorer.message.value


def test_constructor_rejects_bad_grid():
    with pytest.raises(ValueError, match="偶数"):
        PositionExplorer(d_models=(4, 5))
    with pytest.raises(ValueError, match="连续的位置"):
        PositionExplorer(positions=(1, 2, 3))
