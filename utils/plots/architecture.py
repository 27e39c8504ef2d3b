"""第 1 章与第 5 章：用代码画出编码器–解码器的结构图，并用真实的前向传播追踪每一步的形状。

The architecture is drawn with matplotlib patches (no downloaded image, labels in
Chinese) as two figures: one layer in detail (``draw_layer``) and the unrolled N-layer
stack (``draw_stack``). Both are drawn in inches (one data unit = one inch), so the font
sizes below are the sizes on a page that shows the figure at its natural width; the
book's page is about 7 inches wide at 100 dpi. ``trace_shapes`` records the output shape
of every stage of a real forward pass of ``utils.nn.transformer.Transformer`` with forward
hooks.
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

# Colours of the kinds of box (the same kind has the same colour in both figures).
COLORS = {
    "attn": "#fde68a",  # attention
    "cross": "#fca5a5",  # cross-attention
    "ff": "#bfdbfe",  # feed-forward
    "norm": "#e5e7eb",  # add & norm
    "embed": "#d9f99d",  # embeddings and positional encoding
    "out": "#ddd6fe",  # linear + softmax
    "io": "#ffffff",
}
SKIP_COLOR = "#047857"  # the residual (skip) path around each sublayer
CROSS_COLOR = "#b91c1c"  # memory -> cross-attention

# Font sizes (points), chosen for classroom projection.
BOX_SIZE = 13  # labels in boxes
LABEL_SIZE = 14  # 编码器 / 解码器 / N×
NOTE_SIZE = 13  # the coloured note under each figure
TITLE_SIZE = 15
TITLE_ROOM = 0.5  # inches above the drawing for the title


def _canvas(width, ymin, ymax, title):
    """A figure whose axes map one data unit to one inch: x in [0, width], y in
    [ymin, ymax], with ``TITLE_ROOM`` inches above for the title."""
    height = math.ceil((ymax - ymin) * 100 - 1e-6) / 100  # a whole number of pixels
    ymax = ymin + height
    fig = plt.figure(figsize=(width, height + TITLE_ROOM))
    ax = fig.add_axes((0, 0, 1, height / (height + TITLE_ROOM)))
    ax.set_xlim(0, width)
    ax.set_ylim(ymin, ymax)
    ax.set_axis_off()
    ax.set_title(title, fontsize=TITLE_SIZE, pad=6)
    return fig, ax


def _box(ax, x, y, w, h, text, kind, *, fontsize=BOX_SIZE, lw=1.2):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.06",
            fc=COLORS[kind],
            ec="#374151",
            lw=lw,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, linespacing=1.3)


def _arrow(ax, start, end, *, color="#374151", lw=1.4, style="-|>", rad=0.0, ls="-"):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=13,
            color=color,
            lw=lw,
            linestyle=ls,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


FRAME_PAD = 0.3  # from the boxes to the dashed frame of a layer (inches)


def _layer_frame(ax, x, y_bottom, y_top, w, *, side):
    """The dashed frame around one layer, ``y_bottom``/``y_top`` being the outer edges of
    its first and last box; "N×" outside the frame on ``side`` ("left" or "right"), at
    mid-height. Returns the y of the frame's top edge."""
    half = w / 2 + FRAME_PAD
    y0, y1 = y_bottom - FRAME_PAD, y_top + FRAME_PAD
    ax.add_patch(
        FancyBboxPatch(
            (x - half, y0),
            2 * half,
            y1 - y0,
            boxstyle="round,pad=0.04,rounding_size=0.12",
            fc="#f9fafb",
            ec="#6b7280",
            lw=1.5,
            ls="--",
        )
    )
    sign = -1 if side == "left" else 1
    ax.text(
        x + sign * (half + 0.12),
        (y0 + y1) / 2,
        "N×",
        ha="right" if side == "left" else "left",
        va="center",
        fontsize=LABEL_SIZE,
    )
    return y1 + 0.04


def _check_layers(num_layers) -> int:
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or not 1 <= num_layers <= 8:
        raise ValueError(f"num_layers（层数）必须是 1 到 8 之间的整数，实际是 {num_layers!r}")
    return num_layers


def draw_architecture(num_layers: int = 2, *, norm_first: bool = False):
    """编码器–解码器结构图，画成两幅图：``(draw_layer(norm_first),
    draw_stack(num_layers, norm_first))``——一层的内部（N× 表示堆叠 N 层），和展开的
    N 层堆叠（编码器的输出 memory 送到**每一个**解码器层的交叉注意力）。

    ``norm_first`` chooses where the "残差 + 层归一化" boxes sit: after each sublayer
    (post-norm, the paper) or before it (pre-norm). A pre-norm stack also ends with one
    more LayerNorm (``Encoder.norm`` / ``Decoder.norm``), drawn as a "最后的层归一化" box
    above each stack in both figures; the post-norm drawing has no such box. Returns the
    two figures.
    """
    num_layers = _check_layers(num_layers)
    return draw_layer(norm_first), draw_stack(num_layers, norm_first)


def _sublayers(norm_first, names):
    """[(text, kind)] for a layer's boxes, bottom to top."""
    out = []
    for text, kind in names:
        if norm_first:
            out += [("层归一化", "norm"), (text, kind), ("残差相加 +", "norm")]
        else:
            out += [(text, kind), ("残差相加 + 层归一化", "norm")]
    return out


def _skip(ax, x, ys, w, h, step, group):
    """Draw the residual path of every sublayer group: from just below the group's first
    box (the sublayer for post-norm, its LayerNorm for pre-norm) out to the right side,
    up, and into the group's "残差相加" box. ``ys`` are the box centres, bottom to top,
    in groups of ``group`` boxes ending with the 残差相加 box."""
    side = x + w / 2 + 0.15
    for first in range(0, len(ys), group):
        y_from = ys[first] - h / 2 - (step - h) / 2
        y_to = ys[first + group - 1]
        ax.plot([x], [y_from], "o", color=SKIP_COLOR, ms=4)
        verts = [(x, y_from), (side, y_from), (side, y_to), (x + w / 2 + 0.03, y_to)]
        codes = [Path.MOVETO] + [Path.LINETO] * 3
        ax.add_patch(
            FancyArrowPatch(
                path=Path(verts, codes),
                arrowstyle="-|>",
                mutation_scale=11,
                color=SKIP_COLOR,
                lw=1.4,
            )
        )


FINAL_NORM = "最后的层归一化"  # pre-norm only: the LayerNorm after the last layer of a stack


def draw_layer(norm_first: bool = False):
    """一层的内部：左边编码器层、右边解码器层，外面的虚线框与 N× 表示同样的层堆叠 N 次。

    A green arrow (``SKIP_COLOR``) draws each residual path: from below a sublayer group
    (below its LayerNorm, for pre-norm) into that group's "残差相加" box. The red arrow
    (``CROSS_COLOR``) takes the encoder's output memory, as K and V, to the decoder's
    cross-attention. Returns the figure.
    """
    w, h = 2.7, 0.36  # box width and height (inches)
    step = 0.52  # between the centres of the boxes in a layer
    out_step = 0.6  # between the centres of the boxes outside the layers
    enc_x, dec_x = 2.2, 6.45
    width = 8.65
    io_h = 0.58  # the input boxes have two lines
    io_y = 0.95
    group = 3 if norm_first else 2  # boxes per sublayer, ending with 残差相加
    enc = _sublayers(norm_first, [("多头自注意力", "attn"), ("前馈网络（FFN）", "ff")])
    cross = "交叉注意力：Q 来自解码器"
    dec = _sublayers(
        norm_first,
        [("带掩码的多头自注意力", "attn"), (cross, "cross"), ("前馈网络（FFN）", "ff")],
    )
    emb_y = io_y + io_h / 2 + out_step - h / 2
    pos_y = emb_y + out_step
    y0 = pos_y + h / 2 + 0.62  # centre of a layer's first box
    dec_ys = [y0 + i * step for i in range(len(dec))]
    # above a stack: the frame, its label, (pre-norm: 最后的层归一化,) then the output box
    above = h / 2 + FRAME_PAD + 0.45 + h / 2
    lin_y = dec_ys[-1] + above + (out_step if norm_first else 0.0)
    top = lin_y + out_step + h / 2 + 0.12
    placement = "pre-norm：先归一化再进子层" if norm_first else "post-norm（论文）：子层之后归一化"
    fig, ax = _canvas(width, 0.0, top, f"一层的内部（{placement}）")

    def stack(x, names, ys, side, label):
        """Inputs, embeddings and one layer (framed) of a stack; returns the top of the
        stack's last box (pre-norm: of its final LayerNorm)."""
        src = "源序列\n三 百 零 五" if x == enc_x else "目标序列（右移一位）\n<s> 3 0 5"
        _box(ax, x, io_y, w, io_h, src, "io")
        _box(ax, x, emb_y, w, h, "词嵌入 × √d_model", "embed")
        _box(ax, x, pos_y, w, h, "+ 位置编码", "embed")
        _arrow(ax, (x, io_y + io_h / 2), (x, emb_y - h / 2))
        _arrow(ax, (x, emb_y + h / 2), (x, pos_y - h / 2))
        _arrow(ax, (x, pos_y + h / 2), (x, ys[0] - h / 2))
        frame_top = _layer_frame(ax, x, ys[0] - h / 2, ys[-1] + h / 2, w, side=side)
        # the label beside the arrow out of the stack, not on it
        ax.text(x - 0.15, frame_top + 0.08, label, ha="right", va="bottom", fontsize=LABEL_SIZE)
        for (text, kind), y in zip(names, ys, strict=True):
            _box(ax, x, y, w, h, text, kind)
        for a, b in zip(ys, ys[1:], strict=False):
            _arrow(ax, (x, a + h / 2), (x, b - h / 2))
        _skip(ax, x, ys, w, h, step, group)
        end = ys[-1] + h / 2
        if norm_first:
            final_y = ys[-1] + above
            _box(ax, x, final_y, w, h, FINAL_NORM, "norm")
            _arrow(ax, (x, end), (x, final_y - h / 2))
            end = final_y + h / 2
        return end

    # --- encoder layer and memory ---
    enc_ys = [y0 + i * step for i in range(len(enc))]
    end = stack(enc_x, enc, enc_ys, "left", "编码器（encoder）")
    memory_y = end + out_step - h / 2 if norm_first else enc_ys[-1] + above
    _box(ax, enc_x, memory_y, w, h, "编码器输出 memory", "io")
    _arrow(ax, (enc_x, end), (enc_x, memory_y - h / 2))
    # --- decoder layer and output head ---
    end = stack(dec_x, dec, dec_ys, "right", "解码器（decoder）")
    _box(ax, dec_x, lin_y, w, h, "线性层（vocab_size 个输出）", "out")
    _box(ax, dec_x, lin_y + out_step, w, h, "softmax → 下一个词的概率", "out")
    _arrow(ax, (dec_x, end), (dec_x, lin_y - h / 2))
    _arrow(ax, (dec_x, lin_y + h / 2), (dec_x, lin_y + out_step - h / 2))
    # --- memory -> cross-attention, labelled at its middle ---
    cross_y = dec_ys[[t for t, _ in dec].index(cross)]
    start, stop = (enc_x + w / 2, memory_y), (dec_x - w / 2 - 0.02, cross_y)
    _arrow(ax, start, stop, color=CROSS_COLOR, lw=2.0)
    ax.text(
        (start[0] + stop[0]) / 2,
        (start[1] + stop[1]) / 2,
        "K、V",
        color=CROSS_COLOR,
        ha="center",
        va="center",
        fontsize=LABEL_SIZE,
        bbox=dict(fc="white", ec="none", pad=1.5),
    )
    ax.text(
        width / 2,
        0.12,
        "绿色箭头：残差连接，把这一块的输入 x 直接加到子层的输出上",
        color=SKIP_COLOR,
        ha="center",
        va="bottom",
        fontsize=NOTE_SIZE,
    )
    return fig


def draw_stack(num_layers: int = 2, norm_first: bool = False):
    """展开的 N 层堆叠：编码器的输出 memory 送到**每一个**解码器层的交叉注意力（红色
    箭头）。pre-norm 时每个堆叠的最后还有一个“最后的层归一化”。Returns the figure."""
    num_layers = _check_layers(num_layers)
    w, h, io_h = 2.0, 0.6, 0.45
    enc_x, dec_x, width = 1.25, 4.45, 5.7
    io_y = 0.78
    ys = [io_y + io_h / 2 + 0.45 + h / 2 + 1.05 * i for i in range(num_layers)]
    end = ys[-1] + h / 2
    final_y = end + 0.45 + io_h / 2  # pre-norm only
    memory_y = (final_y + io_h / 2 if norm_first else end) + 0.45 + io_h / 2
    fig, ax = _canvas(
        width,
        0.0,
        memory_y + io_h / 2 + 0.12,
        f"展开 N = {num_layers} 层：编码器输出送到每个解码器层",
    )
    _box(ax, enc_x, io_y, w, io_h, "源序列的向量", "embed")
    _box(ax, dec_x, io_y, w, io_h, "目标序列的向量", "embed")
    prev = io_y + io_h / 2
    for i, y in enumerate(ys, start=1):
        _box(ax, enc_x, y, w, h, f"编码器层 {i}", "attn")
        _box(ax, dec_x, y, w, h, f"解码器层 {i}", "cross")
        for x in (enc_x, dec_x):
            _arrow(ax, (x, prev), (x, y - h / 2))
        prev = y + h / 2
    if norm_first:
        for x in (enc_x, dec_x):
            _box(ax, x, final_y, w, io_h, FINAL_NORM, "norm")
            _arrow(ax, (x, prev), (x, final_y - io_h / 2))
        prev = final_y + io_h / 2
    _box(ax, enc_x, memory_y, w, io_h, "memory", "io")
    _box(ax, dec_x, memory_y, w, io_h, "线性层 + softmax", "out")
    for x in (enc_x, dec_x):
        _arrow(ax, (x, prev), (x, memory_y - io_h / 2))
    # memory goes to the cross-attention of every decoder layer
    for y in ys:
        _arrow(ax, (enc_x + w / 2, memory_y), (dec_x - w / 2, y), color=CROSS_COLOR, lw=1.7)
    ax.text(
        width / 2,
        0.1,
        "红色箭头：同一个 memory 进入每一层的交叉注意力",
        color=CROSS_COLOR,
        ha="center",
        va="bottom",
        fontsize=NOTE_SIZE,
    )
    return fig


# ------------------------------------------------------------------ shapes
