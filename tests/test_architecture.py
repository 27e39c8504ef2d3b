"""第 1 章的结构图与形状追踪：图里有中文标签和每一层的交叉注意力箭头；形状来自真实的前向传播。"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from matplotlib.path import Path  # noqa: E402

from utils.models.numerals import encode_source, encode_target, make_model  # noqa: E402
from utils.nn.transformer import trace_shapes  # noqa: E402
from utils.plots import use_chinese_font  # noqa: E402
from utils.plots.architecture import CROSS_COLOR, SKIP_COLOR, draw_architecture  # noqa: E402

PAGE_WIDTH = 7.0  # inches: the book's page shows figures at most ~700 px wide at 100 dpi


def _texts(*figs):
    return [t.get_text() for fig in figs for ax in fig.axes for t in ax.texts] + [
        ax.get_title() for fig in figs for ax in fig.axes
    ]


def _arrows(fig, color):
    return [
        p
        for ax in fig.axes
        for p in ax.patches
        if isinstance(p, FancyArrowPatch) and matplotlib.colors.to_hex(p.get_edgecolor()) == color
    ]


@pytest.mark.parametrize("num_layers", [1, 2, 4])
@pytest.mark.parametrize("norm_first", [False, True])
def test_drawing_has_every_layer_and_cross_attention_arrow(num_layers, norm_first):
    use_chinese_font()
    layer_fig, stack_fig = draw_architecture(num_layers, norm_first=norm_first)
    texts = _texts(layer_fig, stack_fig)
    for i in range(1, num_layers + 1):
        assert f"编码器层 {i}" in texts and f"解码器层 {i}" in texts
    assert texts.count("N×") == 2
    assert any("交叉注意力" in t for t in texts)
    assert any(("pre-norm" in t) == norm_first for t in texts if "一层的内部" in t)
    if norm_first:
        assert "层归一化" in texts  # the norm sits before the sublayer
        # a pre-norm stack ends with one more LayerNorm: encoder and decoder, both figures
        assert texts.count("最后的层归一化") == 4
    else:
        assert "残差相加 + 层归一化" in texts
        assert "最后的层归一化" not in texts
    # red arrows: one from memory to the cross-attention in the one-layer figure, and one
    # to every decoder layer in the unrolled stack
    assert len(_arrows(layer_fig, CROSS_COLOR)) == 1
    assert len(_arrows(stack_fig, CROSS_COLOR)) == num_layers
    # the residual path: one skip arrow per sublayer (encoder 2, decoder 3) in the
    # one-layer figure, each from below the sublayer group up into its "残差相加" box
    layer_ax = layer_fig.axes[0]
    skips = _arrows(layer_fig, SKIP_COLOR)
    assert len(skips) == 5
    residual_ys = sorted(
        t.get_position()[1] for t in layer_ax.texts if t.get_text().startswith("残差相加")
    )
    assert len(residual_ys) == 5
    # path: start below the group -> right -> up -> left into the box (then the head)
    turns = sorted(p.get_path().vertices[2][1] for p in skips)
    assert turns == pytest.approx(residual_ys)
    for p in skips:
        start, turn = p.get_path().vertices[0], p.get_path().vertices[2]
        assert start[1] < turn[1]  # goes up, from below the group
    plt.close(layer_fig)
    plt.close(stack_fig)


def _crossed_arrows(fig, text, pad_px=3):
    """The arrows (FancyArrowPatch) whose drawn line or head passes within ``pad_px``
    pixels of ``text``'s rendered extent. Each sub-path is checked on its own: the
    compound path's CLOSEPOLY vertex (0, 0) is not a point of the drawing."""
    renderer = fig.canvas.get_renderer()
    box = text.get_window_extent(renderer).padded(pad_px)
    hits = []
    for p in (p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)):
        path = p.get_transform().transform_path(p.get_path())
        if any(
            Path(q).intersects_bbox(box, filled=False) for q in path.to_polygons(closed_only=False)
        ):
            hits.append(p)
    return hits


@pytest.mark.parametrize("norm_first", [False, True])
def test_drawing_is_legible_on_the_page(norm_first):
    """Projected in class: text is >= 10 pt on a page at most PAGE_WIDTH wide, and no
    label sits on an arrow -- except "K、V", which names the red memory arrow and sits on
    its middle on a white background."""
    use_chinese_font()
    figs = draw_architecture(2, norm_first=norm_first)
    for fig in figs:
        fig.canvas.draw()
        shrink = min(1.0, PAGE_WIDTH / fig.get_figwidth())
        texts = [t for ax in fig.axes for t in ax.texts] + [ax.title for ax in fig.axes]
        assert min(t.get_fontsize() for t in texts) * shrink >= 10
        labels = [t for ax in fig.axes for t in ax.texts]
        assert [t.get_text() for t in labels].count("K、V") == (fig is figs[0])
        for t in labels:
            hits = _crossed_arrows(fig, t)
            if t.get_text() == "K、V":
                assert hits == _arrows(fig, CROSS_COLOR)  # on the red arrow, no other
                (red,) = hits
                span = red.get_path().get_extents()  # of a straight arrow, in inches
                middle = ((span.x0 + span.x1) / 2, (span.y0 + span.y1) / 2)
                assert t.get_position() == pytest.approx(middle, abs=0.1)
                assert matplotlib.colors.to_hex(t.get_bbox_patch().get_facecolor()) == "#ffffff"
            else:
                assert not hits, t.get_text()
    for fig in figs:
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
    with pytest.raises(TypeError, match="model 必须是 Transformer"):
        trace_shapes(torch.nn.Linear(2, 2), torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(TypeError, match="src 必须是整数张量"):
        trace_shapes(model, torch.zeros(1, 2), torch.zeros(1, 2, dtype=torch.long))
    with pytest.raises(ValueError, match="src 的形状"):
        trace_shapes(model, torch.ones(2, dtype=torch.long), torch.ones(1, 2, dtype=torch.long))
