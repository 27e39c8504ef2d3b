"""第 1 章的 widget：一步一步看一次真实的前向传播，每一步的张量是什么形状、在做什么。

Works both live and on the static site (see utils/widgets/base.py): the forward pass of
``trace_shapes`` is run in Python up front, one HTML panel per stage in hidden tabs tied to
the step slider with ``jslink``. In JupyterLab the reader can type other Chinese numerals
(the source sentences of the batch) and the whole trace is recomputed.
"""

from __future__ import annotations

import html
import re

import ipywidgets as W

from ..models.numerals import chinese_to_int, encode_source, encode_target
from ..nn.transformer import Transformer, trace_shapes
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, step_slider

STYLE = """<style>
.book-shapes { font-size: 16px; line-height: 1.5; }
.book-shapes .shape-flow { display: flex; flex-wrap: wrap; gap: 4px 18px; }
.book-shapes ol { margin: 4px 0; padding-left: 1.8em; }
.book-shapes li { color: #6b7280; }
.book-shapes li.done { color: #111827; }
.book-shapes li.now { color: #111827; font-weight: bold; background: #ffe08a; }
.book-shapes .shape { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
</style>"""

# What happens at each stage, and where the book explains it.
NOTES = {
    "源序列词嵌入": (
        "每个字的编号查表变成一个 d_model 维的向量，再乘以 √d_model（词嵌入：第 3 章）。"
    ),
    "源序列 + 位置编码": "每个位置加上一个表示“第几个”的向量，形状不变（位置编码：第 4 章）。",
    "编码器第": (
        "多头自注意力（第 2 章）+ 前馈网络，各带残差与层归一化（第 5 章）；"
        "形状不变，所以能一层层堆叠。"
    ),
    "编码器输出": "编码器最后一层的输出，叫 memory：源序列每个位置一个向量，送进每一个解码器层。",
    "目标序列词嵌入": "解码器的输入（<s> 加上已经生成的词）同样查表、乘以 √d_model。",
    "目标序列 + 位置编码": "同样加上位置编码。",
    "解码器第": (
        "带因果掩码的自注意力 + 交叉注意力（query 来自解码器，key、value 来自 memory）"
        "+ 前馈网络（第 5 章）。"
    ),
    "线性层": "最后一个线性层把 d_model 变成目标词表的大小：每个位置对“下一个词”的打分（logits）。",
}
DIM_NAMES = ("batch", "seq_len", "d_model")


def note_for(stage: str) -> str:
    for prefix, note in NOTES.items():
        if stage.startswith(prefix):
            return note
    return ""


def describe_shape(stage: str, shape: tuple) -> str:
    """(3, 5, 32) -> '(batch=3, seq_len=5, d_model=32)'; the logits' last axis is vocab_size."""
    names = (*DIM_NAMES[:2], "vocab_size") if stage.startswith("线性层") else DIM_NAMES
    return "(" + ", ".join(f"{n}={s}" for n, s in zip(names, shape, strict=True)) + ")"


def render_stage(texts, records, t: int) -> str:
    """Panel ``t``: the list of every stage, the ones done in black, stage t highlighted."""
    e = html.escape
    items = []
    for k, (stage, shape) in enumerate(records):
        klass = "now" if k == t else ("done" if k < t else "")
        items.append(
            f'<li class="{klass}">{e(stage)}：<span class="shape">{e(str(shape))}</span></li>'
        )
    stage, shape = records[t]
    return (
        '<div class="shape-panel">'
        f"<p>这一批源序列：{e('、'.join(texts))}（短的在右边补 &lt;pad&gt;）</p>"
        f"<p><b>第 {t + 1} 步：{e(stage)}</b>　输出形状 "
        f'<span class="shape">{e(describe_shape(stage, shape))}</span></p>'
        f"<p>{e(note_for(stage))}</p>"
        f"<ol>{''.join(items)}</ol></div>"
    )


_SPLIT = re.compile(r"[,，、;；\s]+")  # numerals are separated by commas or spaces


def _trace(model: Transformer, texts) -> list[tuple]:
    src = encode_source(texts)  # (batch, T_src); raises a Chinese error on a bad numeral
    tgt = encode_target([chinese_to_int(t) for t in texts])[:, :-1]  # the decoder's input
    return trace_shapes(model, src, tgt)


class ShapeStepper:
    """逐步查看一次前向传播的形状。``display(ShapeStepper(model, ["三百零五", ...]).widget)``。"""

    def __init__(self, model: Transformer, texts):
        self.model = model
        self.texts = [str(t).strip() for t in texts]
        self.records = _trace(model, self.texts)
        self.panels = [W.HTML(render_stage(self.texts, self.records, t)) for t in range(len(self))]
        self.step_slider = step_slider(f"{t + 1}. {s}" for t, (s, _) in enumerate(self.records))
        self.step_slider.style.description_width = "3.5em"
        self.tabs = hidden_tabs(self.panels)
        self._links = [link_index(self.step_slider, self.tabs)]
        field = W.Text(value="，".join(self.texts), description="源序列：")
        field.layout.width = "95%"
        hint = "输入 1 到 8 个中文数字（用逗号隔开），按回车后重新做一次前向传播，看形状怎样变。"
        self.editor = Editor("✎ 换一批源序列", [field], hint, self._apply)
        self.message = self.editor.message
        self.widget = W.VBox(
            [W.HTML(BASE_STYLE + STYLE), self.step_slider, self.tabs, self.editor.widget]
        )
        self.widget.add_class("book-shapes")

    def __len__(self) -> int:
        return len(self.records)

    def _apply(self, text) -> str:
        texts = [t for t in _SPLIT.split(str(text).strip()) if t]
        if not 1 <= len(texts) <= 8:
            raise ValueError(f"请输入 1 到 8 个中文数字，用逗号隔开（现在是 {len(texts)} 个）")
        records = _trace(self.model, texts)
        values = [render_stage(texts, records, t) for t in range(len(records))]
        self.texts, self.records = texts, records  # everything computed: now show it
        for panel, value in zip(self.panels, values, strict=True):
            panel.value = value
        src_len = records[0][1][1]
        return f"已重新计算：batch = {len(texts)}，源序列补齐到 {src_len} 个字"
