"""第 5 章的 widget：一步一步看贪心解码（greedy decoding）——中文数字 → 阿拉伯数字。

Each step shows what the decoder sees and does: the decoder input so far, the row of the
causal mask for the current position, the cross-attention row over the source
characters (every layer, averaged over heads), and the chosen token with its
probability. Every step of every example is precomputed into HTML panels inside hidden
``Tab``s, tied to the controls with ``jslink`` (utils.widgets.base), so the widget steps on the
static site with no kernel. In JupyterLab, typing a numeral and pressing Enter decodes it
with the trained model; bad input shows a Chinese message and keeps the last good panels.
"""

from __future__ import annotations

import html

import ipywidgets as W
import torch

from ..models.numerals import (
    BOS_ID,
    EOS_ID,
    MAX_TARGET_LEN,
    TGT_VOCAB,
    chinese_to_int,
    decode_target,
    encode_source,
)
from ..nn.transformer import DecodeStep, Transformer
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, step_slider

NUM_STEPS = MAX_TARGET_LEN + 1  # at most 5 digits, then </s>
EXAMPLES = ("三百零五", "两千零八", "一万零五十", "四万零七百零三")
CUSTOM_LABEL = "✎ 自己输入"

STYLE = """<style>
.dec-stepper { font-size: 15px; line-height: 1.5; max-width: 100%; }
.dec-stepper p { margin: 4px 0; }
.dec-stepper table.book-matrix td { text-align: center; min-width: 2.2em; }
.dec-stepper table.book-matrix td.future { color: #9ca3af; background: #f3f4f6; }
.dec-stepper table.book-matrix td.masked { color: #b91c1c; background: #fee2e2; }
.dec-stepper table.book-matrix td.seen { color: #166534; background: #dcfce7; }
.dec-stepper .dec-chosen { font-size: 18px; }
.dec-stepper .dec-row { display: flex; flex-wrap: wrap; gap: 18px; }
.dec-stepper table.book-matrix caption { white-space: nowrap; }
</style>"""


def tok(i: int) -> str:
    """A target token for display: <s>, </s> or a digit."""
    return TGT_VOCAB[int(i)]


def trace(model: Transformer, text: str) -> tuple[int, list[DecodeStep]]:
    """检查输入（中文数字），然后用模型逐步贪心解码。返回 (正确答案, 每一步)。"""
    answer = chinese_to_int(text)  # raises ValueError with a Chinese message
    src = encode_source(text.strip())  # (1, T_src)
    model.eval()
    return answer, model.greedy_decode_trace(src, BOS_ID, EOS_ID, max_len=NUM_STEPS)


def _heat_cell(w: float, best: bool) -> str:
    # white -> blue, with the value printed; the largest weight of the row is outlined.
    # Black text up to alpha 0.93, white above: both keep a contrast of at least 4.5 : 1
    # (between about 0.55 and 0.93 neither white nor a dark grey would).
    alpha = min(1.0, max(0.0, float(w)))
    color = "#fff" if alpha > 0.93 else "#000"
    outline = "outline: 2px solid #b45309;" if best else ""
    return (
        f'<td style="background: rgba(37, 99, 235, {alpha:.3f}); color: {color}; {outline}">'
        f"{w:.4f}</td>"
    )


def render_step(text: str, answer: int, steps: list[DecodeStep], t: int) -> str:
    """第 t 步（从 0 数）的面板 HTML。t 超过实际步数时显示“解码已结束”。"""
    chars = list(text.strip())
    out_digits = decode_target(s.chosen for s in steps)
    full_inputs = steps[-1].inputs  # the decoder input of the last step: every position
    head = (
        f"<p>源序列：<b>{html.escape(text.strip())}</b>（{len(chars)} 个字）"
        f"　正确答案：<b>{answer}</b></p>"
    )
    if t >= len(steps):
        ok = out_digits == str(answer)
        verdict = "✓ 与正确答案一致" if ok else "✗ 与正确答案不同"
        return (
            f'<div class="dec-step">{head}<p>解码在第 {len(steps)} 步输出了 '
            f"<code>{html.escape(tok(EOS_ID))}</code>，已经结束。</p>"
            f'<p class="dec-chosen">模型的译文：<b>{html.escape(out_digits)}</b>　{verdict}</p>'
            "</div>"
        )
    step = steps[t]
    # 1) decoder input so far
    row = "".join(f"<td>{html.escape(tok(i))}</td>" for i in step.inputs)
    inputs = (
        '<table class="book-matrix"><caption>① 解码器输入（到目前为止）</caption>'
        f"<tr><th>词</th>{row}</tr></table>"
    )
    # 2) the causal-mask row of the current position over the whole decoder input
    cells_tok, cells_mask = [], []
    for j, i in enumerate(full_inputs):
        if j <= t:
            cells_tok.append(f'<td class="seen">{html.escape(tok(i))}</td>')
            cells_mask.append('<td class="seen">✓ 可以看</td>')
        else:
            cells_tok.append('<td class="future">（未生成）</td>')
            cells_mask.append('<td class="masked">✗ 遮住</td>')
    positions = "".join(f"<th>{j}</th>" for j in range(len(cells_tok)))
    mask = (
        f'<table class="book-matrix"><caption>② 因果掩码：位置 {t} 这一行</caption>'
        f"<tr><th>位置</th>{positions}</tr><tr><th>词</th>{''.join(cells_tok)}</tr>"
        f"<tr><th>掩码</th>{''.join(cells_mask)}</tr></table>"
    )
    # 3) cross-attention over the source characters, every layer (mean over heads)
    weights = step.cross_attention.mean(dim=1)  # (num_layers, num_heads, T_src) -> (L, T_src)
    rows = []
    for layer, w in enumerate(weights, start=1):
        best = int(w.argmax())
        cells = "".join(_heat_cell(float(v), j == best) for j, v in enumerate(w))
        rows.append(f"<tr><th>第 {layer} 层</th>{cells}</tr>")
    src_head = "".join(f"<th>{html.escape(c)}</th>" for c in chars)
    cross = (
        '<table class="book-matrix"><caption>③ 交叉注意力：这一步看源序列的哪个字（各头平均）'
        f"</caption><tr><th></th>{src_head}</tr>{''.join(rows)}</table>"
    )
    # 4) the chosen token and the runners-up
    top = torch.topk(step.probs, k=3)
    alts = "".join(
        f"<tr><td>{html.escape(tok(i))}</td><td>{float(p):.4f}</td></tr>"
        for p, i in zip(top.values, top.indices, strict=True)
    )
    chosen = (
        f'<p class="dec-chosen">④ 选中：<b>{html.escape(tok(step.chosen))}</b>'
        f"（概率 {float(step.probs[step.chosen]):.4f}）</p>"
        '<table class="book-matrix"><caption>概率最大的 3 个词</caption>'
        f"<tr><th>词</th><th>概率</th></tr>{alts}</table>"
    )
    so_far = decode_target(s.chosen for s in steps[:t]) or "（无）"  # chosen before this step
    return (
        f'<div class="dec-step">{head}<p>第 {t + 1} 步：解码器根据源序列和已生成的 '
        f"{t + 1} 个词（含 &lt;s&gt;）预测下一个词。此前已输出：<b>{html.escape(so_far)}</b>"
        f'</p><div class="dec-row">{inputs}{mask}</div>{cross}{chosen}</div>'
    )


def render_all(text: str, answer: int, steps: list[DecodeStep]) -> list[str]:
    """NUM_STEPS 个面板（不足的步数显示“已结束”）。"""
    return [render_step(text, answer, steps, t) for t in range(NUM_STEPS)]


class DecodingStepper:
    """逐步查看贪心解码。``display(DecodingStepper(model).widget)``。"""

    def __init__(self, model: Transformer, examples=EXAMPLES, custom: str = "十五"):
        self.model = model
        self.texts = [*examples, custom]
        self.traces = [trace(model, t) for t in self.texts]  # raises on a bad example
        self.panels = [[W.HTML() for _ in range(NUM_STEPS)] for _ in self.texts]
        for e in range(len(self.texts)):
            self._fill(e)

        self.picker = W.ToggleButtons(options=[*examples, CUSTOM_LABEL], description="例子：")
        self.picker.style.button_width = "auto"
        self.step_slider = step_slider(f"第 {t + 1} 步" for t in range(NUM_STEPS))
        for c in (self.picker, self.step_slider):
            c.style.description_width = "3.5em"
        step_tabs = [hidden_tabs(p) for p in self.panels]
        self.example_tabs = hidden_tabs(step_tabs, titles=self.texts)
        self._links = [link_index(self.picker, self.example_tabs)]
        self._links += [link_index(self.step_slider, t) for t in step_tabs]

        field = W.Text(value=custom, description="中文数字", layout=W.Layout(width="22em"))
        hint = (
            "输入 0 到 99999 之间的中文数字（如 三百零五、两千零八），按回车后"
            f"用模型重新解码，结果在“{CUSTOM_LABEL}”里。"
        )
        self.editor = Editor("✎ 自己输入", [field], hint, self._apply)
        self.message = self.editor.message
        self.widget = W.VBox(
            [W.HTML(BASE_STYLE + STYLE), self.picker, self.step_slider, self.example_tabs]
            + [self.editor.widget]
        )
        self.widget.add_class("dec-stepper")

    def _fill(self, e: int) -> None:
        answer, steps = self.traces[e]
        for panel, value in zip(
            self.panels[e], render_all(self.texts[e], answer, steps), strict=True
        ):
            panel.value = value

    def set_custom(self, text: str) -> bool:
        """解码用户输入的中文数字；出错时显示中文提示并保留上一次的有效面板。返回是否成功。"""
        return self.editor.submit(text)

    def _apply(self, text) -> str:
        result = trace(self.model, str(text))
        e = len(self.texts) - 1
        text = str(text).strip()
        values = render_all(text, *result)
        self.texts[e], self.traces[e] = text, result  # everything computed: now show it
        for panel, value in zip(self.panels[e], values, strict=True):
            panel.value = value
        self.picker.index = e
        return f"已重新解码“{text}”：模型输出 {decode_target(s.chosen for s in result[1])}"
