"""第 1 章：用代码画出编码器–解码器的结构图，并用真实的前向传播追踪每一步的形状。

The architecture figure is drawn with matplotlib patches (no downloaded image, labels in
Chinese), and ``trace_shapes`` records the output shape of every stage of a real forward
pass of ``utils.transformer.Transformer`` with forward hooks.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from .transformer import Transformer

# Colours of the kinds of box (the same kind has the same colour in both panels).
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


def _box(ax, x, y, w, h, text, kind, *, fontsize=10, lw=1.2):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            fc=COLORS[kind],
            ec="#374151",
            lw=lw,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)


def _arrow(ax, start, end, *, color="#374151", lw=1.4, style="-|>", rad=0.0, ls="-"):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=12,
            color=color,
            lw=lw,
            linestyle=ls,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )


def _layer_frame(ax, x, y0, y1, w, label):
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y0),
            w,
            y1 - y0,
            boxstyle="round,pad=0.05,rounding_size=0.15",
            fc="#f9fafb",
            ec="#6b7280",
            lw=1.5,
            ls="--",
        )
    )
    ax.text(x - w / 2 - 0.12, (y0 + y1) / 2, label, ha="right", va="center", fontsize=12)


def _check_layers(num_layers) -> int:
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or not 1 <= num_layers <= 8:
        raise ValueError(f"num_layers（层数）必须是 1 到 8 之间的整数，实际是 {num_layers!r}")
    return num_layers


def draw_architecture(num_layers: int = 2, *, norm_first: bool = False):
    """编码器–解码器结构图。左：一层的内部（N× 表示堆叠 N 层）；右：展开的 N 层堆叠，
    编码器的输出（memory）送到**每一个**解码器层的交叉注意力。

    ``norm_first`` chooses where the "残差 + 层归一化" boxes sit: after each sublayer
    (post-norm, the paper) or before it (pre-norm). A pre-norm stack also ends with one
    more LayerNorm (``Encoder.norm`` / ``Decoder.norm``), drawn as a "最后的层归一化" box
    above each stack in both panels; the post-norm drawing has no such box. In the left
    panel a green arrow (``SKIP_COLOR``) draws each residual path: from below a sublayer
    group (below its LayerNorm, for pre-norm) into that group's "残差相加" box. Returns
    the figure.
    """
    num_layers = _check_layers(num_layers)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(13, 7.2), gridspec_kw={"width_ratios": [1.45, 1]})
    _draw_one_layer(ax, norm_first)
    _draw_stacks(ax2, num_layers, norm_first)
    for a in (ax, ax2):
        a.set_axis_off()
    placement = "pre-norm：先归一化再进子层" if norm_first else "post-norm（论文）：子层之后归一化"
    ax.set_title(f"一层的内部（{placement}）", fontsize=13)
    ax2.set_title(f"展开 N = {num_layers} 层：编码器输出送到每个解码器层", fontsize=13)
    fig.tight_layout()
    return fig


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
    side = x + w / 2 + 0.14
    for first in range(0, len(ys), group):
        y_from = ys[first] - h / 2 - (step - h) / 2
        y_to = ys[first + group - 1]
        ax.plot([x], [y_from], "o", color=SKIP_COLOR, ms=3.5)
        verts = [(x, y_from), (side, y_from), (side, y_to), (x + w / 2 + 0.03, y_to)]
        codes = [Path.MOVETO] + [Path.LINETO] * 3
        ax.add_patch(
            FancyArrowPatch(
                path=Path(verts, codes),
                arrowstyle="-|>",
                mutation_scale=10,
                color=SKIP_COLOR,
                lw=1.3,
            )
        )


FINAL_NORM = "最后的层归一化"  # pre-norm only: the LayerNorm after the last layer of a stack


def _draw_one_layer(ax, norm_first):
    enc_x, dec_x, w, h = 2.5, 7.7, 3.4, 0.46
    step = 0.67 if norm_first else 0.72
    # pre-norm: a final LayerNorm box between the N× frame and what comes after it
    final_y, extra = 1.55, (0.8 if norm_first else 0.0)
    # --- inputs, embeddings, positional encoding (bottom) ---
    for x, src in ((enc_x, "源序列：三 百 零 五"), (dec_x, "目标序列（右移一位）：<s> 3 0 5")):
        _box(ax, x, -0.1, w, h, src, "io", fontsize=10)
        _box(ax, x, 0.75, w, h, "词嵌入 × √d_model", "embed")
        _box(ax, x, 1.6, w, h, "+ 位置编码", "embed")
        _arrow(ax, (x, 0.13), (x, 0.52))
        _arrow(ax, (x, 0.98), (x, 1.37))
    # --- encoder layer ---
    enc = _sublayers(norm_first, [("多头自注意力", "attn"), ("前馈网络（FFN）", "ff")])
    y0 = 2.75
    ys = [y0 + i * step for i in range(len(enc))]
    _layer_frame(ax, enc_x, y0 - 0.5, ys[-1] + 0.5, w + 0.5, "N×")
    ax.text(enc_x, ys[-1] + 0.7, "编码器（encoder）", ha="center", va="bottom", fontsize=12)
    _arrow(ax, (enc_x, 1.83), (enc_x, ys[0] - h / 2))
    for (text, kind), y in zip(enc, ys, strict=True):
        _box(ax, enc_x, y, w, h, text, kind)
    for a, b in zip(ys, ys[1:], strict=False):
        _arrow(ax, (enc_x, a + h / 2), (enc_x, b - h / 2))
    group = 3 if norm_first else 2  # boxes per sublayer, ending with 残差相加
    _skip(ax, enc_x, ys, w, h, step, group)
    memory_y = ys[-1] + 1.6 + extra
    _box(ax, enc_x, memory_y, w, h, "编码器输出 memory", "io")
    _arrow(ax, _stack_top(ax, enc_x, ys[-1], w, h, norm_first, final_y), (enc_x, memory_y - h / 2))
    # --- decoder layer ---
    cross = "交叉注意力：Q 来自解码器"
    dec = _sublayers(
        norm_first,
        [("带掩码的多头自注意力", "attn"), (cross, "cross"), ("前馈网络（FFN）", "ff")],
    )
    ys = [y0 + i * step for i in range(len(dec))]
    _layer_frame(ax, dec_x, y0 - 0.5, ys[-1] + 0.5, w + 0.5, "N×")
    _arrow(ax, (dec_x, 1.83), (dec_x, ys[0] - h / 2))
    for (text, kind), y in zip(dec, ys, strict=True):
        _box(ax, dec_x, y, w, h, text, kind)
    for a, b in zip(ys, ys[1:], strict=False):
        _arrow(ax, (dec_x, a + h / 2), (dec_x, b - h / 2))
    _skip(ax, dec_x, ys, w, h, step, group)
    cross_y = ys[[t for t, _ in dec].index(cross)]
    _arrow(ax, (enc_x + w / 2, memory_y), (dec_x - w / 2 - 0.02, cross_y), color="#b91c1c", lw=2.0)
    mid_x, mid_y = (enc_x + dec_x) / 2, (memory_y + cross_y) / 2
    ax.text(mid_x - 0.1, mid_y - 0.1, "K、V", color="#b91c1c", ha="right", va="top", fontsize=11)
    # --- output head ---
    ax.text(dec_x, ys[-1] + 0.7, "解码器（decoder）", ha="center", va="bottom", fontsize=12)
    lin_y = ys[-1] + 1.6 + extra
    _box(ax, dec_x, lin_y, w, h, "线性层（vocab_size 个输出）", "out")
    _box(ax, dec_x, lin_y + 0.85, w, h, "softmax → 下一个词的概率", "out")
    _arrow(ax, _stack_top(ax, dec_x, ys[-1], w, h, norm_first, final_y), (dec_x, lin_y - h / 2))
    _arrow(ax, (dec_x, lin_y + h / 2), (dec_x, lin_y + 0.85 - h / 2))
    ax.text(
        (enc_x + dec_x) / 2,
        -0.75,
        "绿色箭头：残差连接，把这一块的输入 x 直接加到子层的输出上",
        color=SKIP_COLOR,
        ha="center",
        fontsize=10,
    )
    ax.set_xlim(0, 10.2)
    ax.set_ylim(-0.95, lin_y + 1.3)


def _stack_top(ax, x, last_y, w, h, norm_first, final_y):
    """Where the arrow out of a stack starts: the top of its last box, or, for pre-norm,
    the top of the final LayerNorm box drawn ``final_y`` above the last box."""
    if not norm_first:
        return (x, last_y + h / 2)
    y = last_y + final_y
    _box(ax, x, y, w, h, FINAL_NORM, "norm")
    _arrow(ax, (x, last_y + h / 2), (x, y - h / 2))
    return (x, y + h / 2)


def _draw_stacks(ax, num_layers, norm_first=False):
    extra = 0.8 if norm_first else 0.0  # room for the pre-norm final LayerNorm
    ax.set_xlim(0, 7)
    ax.set_ylim(-1.2, 2.0 + 1.3 * num_layers + extra)
    enc_x, dec_x, w, h = 1.6, 5.0, 2.2, 0.7
    ys = [0.8 + 1.3 * i for i in range(num_layers)]
    _box(ax, enc_x, -0.35, w, 0.5, "源序列的向量", "embed", fontsize=10)
    _box(ax, dec_x, -0.35, w, 0.5, "目标序列的向量", "embed", fontsize=10)
    prev_e, prev_d = -0.1, -0.1
    for i, y in enumerate(ys, start=1):
        _box(ax, enc_x, y, w, h, f"编码器层 {i}", "attn")
        _box(ax, dec_x, y, w, h, f"解码器层 {i}", "cross")
        _arrow(ax, (enc_x, prev_e), (enc_x, y - h / 2))
        _arrow(ax, (dec_x, prev_d), (dec_x, y - h / 2))
        prev_e = prev_d = y + h / 2
    memory_y = ys[-1] + 1.1 + extra
    if norm_first:
        for x in (enc_x, dec_x):
            _box(ax, x, ys[-1] + 1.05, w, 0.5, FINAL_NORM, "norm", fontsize=10)
            _arrow(ax, (x, prev_e), (x, ys[-1] + 0.8))
        prev_e = prev_d = ys[-1] + 1.3
    _box(ax, enc_x, memory_y, w, 0.5, "memory", "io")
    _arrow(ax, (enc_x, prev_e), (enc_x, memory_y - 0.25))
    # memory goes to the cross-attention of every decoder layer
    for y in ys:
        _arrow(ax, (enc_x + w / 2, memory_y), (dec_x - w / 2, y), color="#b91c1c", lw=1.6)
    _box(ax, dec_x, memory_y, w, 0.5, "线性层 + softmax", "out")
    _arrow(ax, (dec_x, prev_d), (dec_x, memory_y - 0.25))
    ax.text(
        (enc_x + dec_x) / 2,
        -1.05,
        "红色箭头：同一个 memory 进入每一层的交叉注意力",
        color="#b91c1c",
        ha="center",
        fontsize=10,
    )


# ------------------------------------------------------------------ shapes


def trace_shapes(model: Transformer, src: torch.Tensor, tgt: torch.Tensor) -> list[tuple]:
    """做一次真实的前向传播 ``model(src, tgt)``，用 forward hook 记下每个阶段输出的形状。

    Returns ``[(stage name, shape tuple), ...]`` in the order the stages ran.
    """
    if not isinstance(model, Transformer):
        raise ValueError(
            f"model 必须是 utils.transformer.Transformer，实际是 {type(model).__name__}"
        )
    for name, t in (("src", src), ("tgt", tgt)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"{name} 的形状应为 (batch, seq_len) 的整数张量")
    records: list[tuple] = []
    pos_calls = []

    def hook_for(name):
        def hook(_module, _inputs, output):
            label = name
            if name == "位置编码":
                pos_calls.append(1)
                label = "源序列 + 位置编码" if len(pos_calls) == 1 else "目标序列 + 位置编码"
            records.append((label, tuple(output.shape)))

        return hook

    named = [
        (model.src_embed, "源序列词嵌入 × √d_model"),
        (model.pos, "位置编码"),
        (model.tgt_embed, "目标序列词嵌入 × √d_model"),
        (model.generator, "线性层 → logits"),
        (model.encoder, "编码器输出 memory"),
    ]
    named += [(layer, f"编码器第 {i} 层") for i, layer in enumerate(model.encoder.layers, 1)]
    named += [(layer, f"解码器第 {i} 层") for i, layer in enumerate(model.decoder.layers, 1)]
    handles = [m.register_forward_hook(hook_for(n)) for m, n in named]
    try:
        with torch.no_grad():
            model(src, tgt)
    finally:
        for h in handles:
            h.remove()
    return records
