"""第 1 章的结构图与形状追踪：图里有中文标签和每一层的交叉注意力箭头；形状来自真实的前向传播。"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402

from utils.architecture_plot import SKIP_COLOR, draw_architecture, trace_shapes  # noqa: E402
from utils.numerals import encode_source, encode_target, make_model  # noqa: E402
from utils.plotting import use_chinese_font  # noqa: E402


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts] + [ax.get_title() for ax in fig.axes]


@pytest.mark.parametrize("num_layers", [1, 2, 4])
@pytest.mark.parametrize("norm_first", [False, True])
def test_drawing_has_every_layer_and_cross_attention_arrow(num_layers, norm_first):
    use_chinese_font()
    fig = draw_architecture(num_layers, norm_first=norm_first)
    texts = _texts(fig)
    for i in range(1, num_layers + 1):
        assert f"编码器层 {i}" in texts and f"解码器层 {i}" in texts
    assert texts.count("N×") == 2
    assert any("交叉注意力" in t for t in texts)
    assert any(("pre-norm" in t) == norm_first for t in texts if "一层的内部" in t)
    if norm_first:
        assert "层归一化" in texts  # the norm sits before the sublayer
        # a pre-norm stack ends with one more LayerNorm: encoder and decoder, both panels
        assert texts.count("最后的层归一化") == 4
    else:
        assert "残差相加 + 层归一化" in texts
        assert "最后的层归一化" not in texts
    # red arrows: one from memory to the cross-attention in the left panel, and one to
    # every decoder layer in the unrolled panel
    red = [
        p
        for ax in fig.axes
        for p in ax.patches
        if isinstance(p, FancyArrowPatch)
        and matplotlib.colors.to_hex(p.get_edgecolor()) == "#b91c1c"
    ]
    assert len(red) == 1 + num_layers
    # the residual path: one skip arrow per sublayer (encoder 2, decoder 3) in the left
    # panel, each from below the sublayer group up into its "残差相加" box
    left = fig.axes[0]
    skips = [
        p
        for p in left.patches
        if isinstance(p, FancyArrowPatch)
        and matplotlib.colors.to_hex(p.get_edgecolor()) == SKIP_COLOR
    ]
    assert len(skips) == 5
    residual_ys = sorted(
        t.get_position()[1] for t in left.texts if t.get_text().startswith("残差相加")
    )
    assert len(residual_ys) == 5
    # path: start below the group -> right -> up -> left into the box (then the head)
    turns = sorted(p.get_path().vertices[2][1] for p in skips)
    assert turns == pytest.approx(residual_ys)
    for p in skips:
        start, turn = p.get_path().vertices[0], p.get_path().vertices[2]
        assert start[1] < turn[1]  # goes up, from below the group
    plt.close(fig)


@pytest.mark.parametrize("bad", [0, 9, 1.5, "2", True])
def test_drawing_rejects_bad_layer_counts(bad):
    with pytest.raises(ValueError, match="num_layers"):
        draw_architecture(bad)


def test_trace_shapes_follows_a_real_forward_pass():
    model = make_model()
    src = encode_source(["三百零五", "两千零八", "一万零五十"])  # (3, 5)
    tgt = encode_target([305, 2008, 10050])[:, :-1]  # (3, 6)
    rows = trace_shapes(model, src, tgt)
    names = [r[0] for r in rows]
    assert names == [
        "源序列词嵌入 × √d_model",
        "源序列 + 位置编码",
        "编码器第 1 层",
        "编码器第 2 层",
        "编码器输出 memory",
        "目标序列词嵌入 × √d_model",
        "目标序列 + 位置编码",
        "解码器第 1 层",
        "解码器第 2 层",
        "线性层 → logits",
    ]
    shapes = dict(rows)
    assert all(s == (3, 5, 32) for n, s in rows[:5])
    assert all(s == (3, 6, 32) for n, s in rows[5:9])
    assert shapes["线性层 → logits"] == (3, 6, 13)
    # the hooks are removed afterwards
    assert all(not m._forward_hooks for m in model.modules())
    # the traced pass is the model's own forward pass
    with torch.no_grad():
        assert model(src, tgt).shape == (3, 6, 13)


def test_trace_shapes_rejects_bad_input():
    model = make_model()
    with pytest.raises(ValueError, match="Transformer"):
        trace_shapes(torch.nn.Linear(2, 2), torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match="src"):
        trace_shapes(model, torch.zeros(2), torch.zeros(1, 2, dtype=torch.long))
