"""utils.widgets.vit：每个面板的 HTML、控件与面板的 jslink、换图与不合法的输入。

The model here is a small untrained ViT (fixed seed): the widget is a view, and what
it shows must agree with ``utils.models.vit.trace`` whatever the weights are.
"""

from __future__ import annotations

import re

import ipywidgets as W
import pytest
import torch

from utils.models.vit import ViT, load_digits_split, trace
from utils.widgets.vit import (
    STAGES,
    VitExplorer,
    image_table,
    parse_index,
    render_attention,
    render_prediction,
)


@pytest.fixture(scope="module")
def split():
    return load_digits_split()


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ViT(d_model=16, num_heads=2, num_layers=2).eval()


@pytest.fixture
def explorer(model, split):
    return VitExplorer(model, split, indices=(0, 1, 2))


def _percentages(text: str) -> list[float]:
    return [float(v) for v in re.findall(r"(\d+\.\d)%", text)]


def test_panels_and_links(explorer):
    # 3 images × (3 plain stages + 2 layers × (2 heads + mean))
    assert len(explorer.panels) == 3 * (3 + 2 * 3)
    assert list(explorer.stage_slider.options) == list(STAGES)
    assert explorer.head_picker.options == ("头 1", "头 2", "平均")
    assert all(type(link).__name__ == "Link" for link in explorer._links)
    assert len(explorer._links) == 1 + 3 + 3 + 3 * 2
    sources = {(id(link.source[0]), link.source[1]) for link in explorer._links}
    assert (id(explorer.head_picker), "index") in sources
    assert "vit-explorer" in explorer.widget._dom_classes
    # the image tabs hold the stage tabs; the attention stage holds layers, then heads
    stage_tabs = explorer.image_tabs.children[0]
    assert isinstance(stage_tabs, W.Tab) and len(stage_tabs.children) == len(STAGES)
    layer_tabs = stage_tabs.children[2]
    assert len(layer_tabs.children) == 2 and len(layer_tabs.children[0].children) == 3


def test_panels_show_what_the_model_computes(explorer, model, split):
    idx = explorer.indices[1]
    label = int(split.y_test[idx])
    t = trace(model, split.x_test[idx])
    patches = explorer.panels[1, "patches", None, None].value
    assert f"测试集第 {idx} 张图，真实数字 <b>{label}</b>" in patches
    assert "<b>16 个块</b>" in patches
    tokens = explorer.panels[1, "tokens", None, None].value
    assert "(1, 17, 16)" in tokens
    assert f"{float(t.tokens[0, 0]):.2f}" in tokens
    pred = explorer.panels[1, "pred", None, None].value
    assert f"预测 <b>{t.prediction}</b>" in pred and f"真实 <b>{label}</b>" in pred
    # head 2 of layer 1: the CLS row, in percent, sums to 100 with the CLS weight on itself
    attn = explorer.panels[1, "attn", 0, 1].value
    row = t.attention[0][1, 0]
    assert f"CLS 对自己：{100 * float(row[0]):.1f}%" in attn
    assert "第 1 层、头 2" in attn
    cells = [float(v) for v in re.findall(r">(\d+\.\d)</td>", attn)]
    assert len(cells) == 16
    assert abs(sum(cells) + 100 * float(row[0]) - 100) < 16 * 0.05 + 0.05
    mean = explorer.panels[1, "attn", 1, 2].value
    assert "第 2 层、所有头的平均" in mean


def test_prediction_percentages_sum_to_100(model, split):
    t = trace(model, split.x_test[5])
    shown = _percentages(render_prediction(t, int(split.y_test[5])))
    assert len(shown) == 11  # the headline + one per digit
    assert abs(sum(shown[1:]) - 100) < 10 * 0.05 + 1e-9


def test_image_table_draws_patch_borders_and_escapes_caption():
    img = torch.zeros(8, 8)
    out = image_table(img, 2, caption="<b>x</b>")
    assert out.count("<tr>") == 8 and out.count("<td") == 64
    assert out.count('class="pt') == 3 * 8  # three inner horizontal borders
    assert "&lt;b&gt;" in out


def test_attention_render_rejects_nothing_silently(model, split):
    t = trace(model, split.x_test[0])
    html_text = render_attention(t, 2, 1, None)
    assert "所有头的平均" in html_text


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "请输入"),
        ("abc", "不是数字"),
        ("3.5", "必须是整数"),
        ("-1", "超出范围"),
        ("360", "超出范围"),
    ],
)
def test_parse_index_rejects_bad_input(text, message):
    with pytest.raises(ValueError, match=message):
        parse_index(text, 360)


def test_parse_index_accepts_spaces():
    assert parse_index(" 42 ", 360) == 42


def test_new_index_recomputes_the_selected_image(explorer, split):
    explorer.image_picker.index = 2
    old = explorer.panels[0, "patches", None, None].value
    assert explorer.show_index("100")
    assert explorer.indices == [0, 1, 100]
    assert explorer.image_picker.index == 2
    assert explorer.image_picker.options[2] == f"#100（{int(split.y_test[100])}）"
    assert "测试集第 100 张图" in explorer.panels[2, "patches", None, None].value
    assert explorer.panels[0, "patches", None, None].value == old  # other images untouched
    assert "✓" in explorer.message.value


@pytest.mark.parametrize("bad", ["abc", "999", "<script>alert(1)</script>"])
def test_bad_input_keeps_the_last_good_state(explorer, bad):
    before = {k: p.value for k, p in explorer.panels.items()}
    indices = list(explorer.indices)
    explorer.index_input.value = bad  # what typing + Enter does in JupyterLab
    assert {k: p.value for k, p in explorer.panels.items()} == before
    assert explorer.indices == indices
    assert "⚠" in explorer.message.value and "上一次有效" in explorer.message.value
    assert "<script>" not in explorer.message.value


def test_explorer_rejects_bad_arguments(model, split):
    with pytest.raises(ValueError, match="超出范围"):
        VitExplorer(model, split, indices=(0, 400))
    with pytest.raises(ValueError, match="ViT"):
        VitExplorer(object(), split)
