"""逐步演示自注意力的 widget：在 JupyterLab 里可改输入并重算，在静态网页上也能逐步查看。

How it works both live and on the static site (see ../shared/FACTS.md):
every stage for every input row and both scalings is computed in Python up
front and put into nested ``Tab`` widgets of ``HTML`` panels. The controls
(which row, scaled or not, which step) are tied to the tabs with ``jslink``,
which runs in the browser, so stepping needs no kernel. Editing the inputs (the
"✎ 修改输入" editor) or the three weight matrices ("✎ 修改权重") recomputes all
panels: in JupyterLab here, in Python; on the static site in the page, by
assets/js/live-attention.js, which mirrors parse_row, parse_matrix and render_stage
(tests/test_browser_live_attention.py compares the two). Bad input shows a
Chinese message and leaves every panel as it was.
"""

from __future__ import annotations

import html
import math
import re

import ipywidgets as W
import numpy as np

from ..nn.examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X
from ..nn.numpy_attention import AttentionSteps, attention_steps
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, step_slider

STAGES = (
    "① 输入",
    "② 权重",
    "③ Q、K、V",
    "④ 注意力分数",
    "⑤ softmax",
    "⑥ 加权 value",
    "⑦ 求和 = 输出",
)


def fmt(v: float) -> str:
    """整数显示为整数，其余保留 4 位小数：2 -> '2'，0.46831 -> '0.4683'。"""
    v = float(v)
    r = round(v)
    if abs(v - r) < 5e-10:
        return str(int(r))
    if abs(v) >= 1e6:
        return f"{v:.4e}"
    return f"{v:.4f}"


def fmt_vec(v) -> str:
    """[1, 0, 2] 这样的向量写法。"""
    return "[" + ", ".join(fmt(a) for a in np.ravel(v)) + "]"


def matrix_table(
    m, *, title: str, row_names, col_names=None, hl_rows=(), hl_cols=(), cls: str = ""
) -> str:
    """一个带标题的矩阵表格；``hl_rows``/``hl_cols`` 里的行列高亮。"""
    m = np.atleast_2d(m)
    e = html.escape
    head = ""
    if col_names is not None:
        head = "<tr><th></th>" + "".join(f"<th>{e(c)}</th>" for c in col_names) + "</tr>"
    body = []
    for r, row in enumerate(m):
        cells = []
        for c, val in enumerate(row):
            klass = "hl" if (r in hl_rows or c in hl_cols) else ""
            cells.append(f'<td class="{klass}">{e(fmt(val))}</td>')
        rklass = ' class="hl"' if r in hl_rows else ""
        body.append(f"<tr><th{rklass}>{e(row_names[r])}</th>{''.join(cells)}</tr>")
    return (
        f'<table class="attn-matrix {e(cls)}"><caption>{e(title)}</caption>'
        f"{head}{''.join(body)}</table>"
    )


def _dot_terms(a, b) -> str:
    """'1×0 + 0×1 + 2×1' ——点积的每一项。"""
    return " + ".join(f"{fmt(x)}×{fmt(y)}" for x, y in zip(a, b, strict=True))


def render_stage(steps: AttentionSteps, row: int, stage: int) -> str:
    """第 ``stage`` 步（0..6）对第 ``row`` 个输入（0 起）的 HTML。"""
    n = steps.x.shape[0]
    if not 0 <= row < n:
        raise ValueError(f"row 必须在 0..{n - 1} 之间，实际是 {row}")
    if not 0 <= stage < len(STAGES):
        raise ValueError(f"stage 必须在 0..{len(STAGES) - 1} 之间，实际是 {stage}")
    i = row
    names = [f"输入 {j + 1}" for j in range(n)]
    e = html.escape
    x, q, k, v = steps.x, steps.query, steps.key, steps.value
    s, a = steps.scores[i], steps.weights[i]
    lines: list[str] = []

    if stage == 0:
        lines.append(
            f"<p>{n} 个输入，每个是一行 d_model = {x.shape[1]} 维的向量。"
            f"当前跟踪 <b>输入 {i + 1}</b> = {e(fmt_vec(x[i]))}（高亮）。</p>"
        )
        lines.append(matrix_table(x, title="输入 X", row_names=names, hl_rows=(i,)))
    elif stage == 1:
        lines.append(
            "<p>三个权重矩阵，形状都是 (d_model, d_k)。真实模型里它们由训练学得；"
            "这里是固定的示例值（默认取笔记中的例子）。</p>"
        )
        d = [f"第 {r + 1} 行" for r in range(x.shape[1])]
        lines.append(
            '<div class="attn-row">'
            + matrix_table(steps.w_query, title="W_query", row_names=d)
            + matrix_table(steps.w_key, title="W_key", row_names=d)
            + matrix_table(steps.w_value, title="W_value", row_names=d)
            + "</div>"
        )
    elif stage == 2:
        lines.append(
            f"<p>query = x · W_query，key = x · W_key，value = x · W_value。"
            f"输入 {i + 1} 的 query 逐个分量计算：</p><ul>"
        )
        for c in range(q.shape[1]):
            terms = _dot_terms(x[i], steps.w_query[:, c])
            lines.append(f"<li>q{i + 1}[{c + 1}] = {e(terms)} = <b>{e(fmt(q[i, c]))}</b></li>")
        lines.append(f"</ul><p>query {i + 1} = <b>{e(fmt_vec(q[i]))}</b></p>")
        lines.append(
            '<div class="attn-row">'
            + matrix_table(q, title="Q（query）", row_names=names, hl_rows=(i,))
            + matrix_table(k, title="K（key）", row_names=names)
            + matrix_table(v, title="V（value）", row_names=names)
            + "</div>"
        )
    elif stage == 3:
        scale_note = (
            f"，再除以 √d_k = √{steps.d_k} = {fmt(math.sqrt(steps.d_k))}" if steps.scaled else ""
        )
        lines.append(
            f"<p>query {i + 1} = {e(fmt_vec(q[i]))} 与每个 key 做点积{e(scale_note)}：</p><ul>"
        )
        for j in range(n):
            dot = float(q[i] @ k[j])
            text = f"q{i + 1} · k{j + 1} = {_dot_terms(q[i], k[j])} = {fmt(dot)}"
            if steps.scaled:
                text += f"；{fmt(dot)} / {fmt(math.sqrt(steps.d_k))} = {fmt(s[j])}"
            lines.append(f"<li>{e(text)}</li>")
        lines.append(f"</ul><p>注意力分数 scores{i + 1} = <b>{e(fmt_vec(s))}</b></p>")
        lines.append(
            '<div class="attn-row">'
            + matrix_table(q, title="Q（query）", row_names=names, hl_rows=(i,))
            + matrix_table(k, title="K（全部用到）", row_names=names, cls="attn-used")
            + "</div>"
        )
    elif stage == 4:
        z = s - s.max()
        ez = np.exp(z)
        lines.append(
            f"<p>softmax(s)_j = e^(s_j) / Σ_l e^(s_l)。先把每个分数减去最大值 {e(fmt(s.max()))}"
            "（分子分母同乘一个数，结果不变，但不会溢出）：</p><ul>"
        )
        for j in range(n):
            lines.append(f"<li>e^({e(fmt(s[j]))} − {e(fmt(s.max()))}) = {e(fmt(ez[j]))}</li>")
        lines.append(f"</ul><p>总和 Σ = {e(fmt(ez.sum()))}；逐个相除：</p><ul>")
        for j in range(n):
            lines.append(
                f"<li>a{i + 1},{j + 1} = {e(fmt(ez[j]))} / {e(fmt(ez.sum()))} = "
                f"<b>{e(fmt(a[j]))}</b></li>"
            )
        lines.append(f"</ul><p>注意力权重 = <b>{e(fmt_vec(a))}</b>，和为 {e(fmt(a.sum()))}</p>")
        lines.append(
            matrix_table(
                np.vstack([s, a]),
                title=f"输入 {i + 1}：分数 → 权重",
                row_names=["分数", "权重"],
                col_names=[f"对输入 {j + 1}" for j in range(n)],
                hl_rows=(1,),
            )
        )
    elif stage == 5:
        lines.append(
            "<p>每个权重乘以对应的 value，得到 alignment vectors（加权后的 value）：</p><ul>"
        )
        for j in range(n):
            lines.append(
                f"<li>{e(fmt(a[j]))} × {e(fmt_vec(v[j]))} = "
                f"<b>{e(fmt_vec(steps.weighted[i, j]))}</b></li>"
            )
        lines.append("</ul>")
        lines.append(matrix_table(v, title="V（value）", row_names=names, cls="attn-used"))
    else:
        terms = " + ".join(fmt_vec(w) for w in steps.weighted[i])
        lines.append(
            f"<p>把 alignment vectors 逐分量相加：</p>"
            f"<p>{e(terms)} = <b>{e(fmt_vec(steps.output[i]))}</b></p>"
            f"<p>这就是输入 {i + 1} 的输出（output {i + 1}）。"
            "（各项显示为四位小数，相加时末位可能差 1。）</p>"
        )
        lines.append(matrix_table(steps.output, title="全部输出", row_names=names, hl_rows=(i,)))
    return f'<div class="attn-stage">{"".join(lines)}</div>'


MAX_ABS_INPUT = 1000.0
SCALINGS = ("不缩放（笔记的算法）", "除以 √d_k（论文的公式）")

# The style travels with the widget, so it looks the same in JupyterLab and on the site.
STYLE = """<style>
.attn-stepper { font-size: 16px; line-height: 1.5; max-width: 100%; }
.attn-stepper .widget-tab-contents { padding: 4px 0; }
.attn-stage ul { margin: 2px 0 6px 0; }
.attn-stage p { margin: 4px 0; }
.attn-row { display: flex; flex-wrap: wrap; gap: 16px; }
table.attn-matrix { border-collapse: collapse; margin: 4px 0;
  font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table.attn-matrix caption { font-weight: bold; text-align: left; }
table.attn-matrix th, table.attn-matrix td { border: 1px solid #bbb; padding: 2px 8px;
  text-align: right; }
table.attn-matrix td { color: inherit; }
table.attn-matrix th { background: #f3f3f3; color: #111; font-weight: normal; }
table.attn-matrix .hl { background: #ffe08a; color: #111; font-weight: bold; }
table.attn-used td { background: #dbeafe; color: #111; }
</style>"""

_SPLIT = re.compile(r"[,，、;；\s]+")


def parse_row(text: str, length: int, label: str) -> np.ndarray:
    """把 '1, 0, 1, 0'（也接受中文逗号、空格、方括号）解析成长度为 ``length`` 的向量。

    Raises ``ValueError`` with a Chinese message for: empty input, something
    that is not a number, the wrong length, NaN/inf, or |value| > MAX_ABS_INPUT.
    """
    body = str(text).strip().strip("[]()（）【】").strip()
    if not body:
        raise ValueError(f"{label}是空的：请输入 {length} 个数，例如 {_example_row(length)}")
    parts = [p for p in _SPLIT.split(body) if p]
    values = []
    for p in parts:
        try:
            values.append(float(p))
        except ValueError:
            raise ValueError(f"{label}：“{p}”不是数字") from None
    if len(values) != length:
        raise ValueError(f"{label}应有 {length} 个数，实际有 {len(values)} 个")
    arr = np.array(values)
    if not np.isfinite(arr).all():
        raise ValueError(f"{label}含有 NaN 或无穷大（inf），请输入普通的数")
    if np.abs(arr).max() > MAX_ABS_INPUT:
        raise ValueError(f"{label}的数值过大：请输入绝对值不超过 {MAX_ABS_INPUT:g} 的数")
    return arr


def _example_row(length: int) -> str:
    """'1, 0, 1, 0' cut or extended to ``length`` numbers (for the messages)."""
    return ", ".join("1" if k % 2 == 0 else "0" for k in range(length))


_ROWS = re.compile(r"[/／]")


def parse_matrix(text: str, rows: int, cols: int, label: str) -> np.ndarray:
    """把 '1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1' 解析成 ``rows`` 行 ``cols`` 列的矩阵。

    Rows are separated by '/' (or the full-width '／'); each row is read by ``parse_row``
    (commas or spaces between the numbers), so its messages name the matrix and the row:
    'W_query 第 2 行应有 3 个数，实际有 2 个'. Raises ``ValueError`` with a Chinese message.
    """
    body = str(text).strip()
    if not body:
        example = " / ".join(_example_row(cols) for _ in range(rows))
        raise ValueError(
            f"{label} 是空的：请输入 {rows} 行、每行 {cols} 个数，行与行之间用 / 分隔，"
            f"例如 {example}"
        )
    parts = _ROWS.split(body)
    if len(parts) != rows:
        raise ValueError(f"{label} 应有 {rows} 行（行与行之间用 / 分隔），实际有 {len(parts)} 行")
    return np.vstack([parse_row(p, cols, f"{label} 第 {r + 1} 行") for r, p in enumerate(parts)])


def matrix_text(m) -> str:
    """The text a weight box starts with: '1, 0, 1 / 1, 0, 0 / …' (parse_matrix reads it back)."""
    return " / ".join(", ".join(_plain(v) for v in row) for row in np.atleast_2d(m))


WEIGHT_NAMES = ("W_query", "W_key", "W_value")


class AttentionStepper:
    """逐步查看笔记例子的自注意力计算。``display(AttentionStepper().widget)``。"""

    def __init__(self, x=NOTES_X, w_query=NOTES_W_QUERY, w_key=NOTES_W_KEY, w_value=NOTES_W_VALUE):
        self._weights = (w_query, w_key, w_value)
        self.steps = self._compute(x)  # {scaled: AttentionSteps}; raises on bad x
        n = self.steps[False].x.shape[0]
        d_model = self.steps[False].x.shape[1]

        # Controls. Their values reach the panels through jslink (in the browser).
        self.row_picker = W.ToggleButtons(
            options=[f"输入 {i + 1}" for i in range(n)], description="跟踪："
        )
        self.scale_picker = W.ToggleButtons(options=list(SCALINGS), description="缩放：")
        self.stage_slider = step_slider(STAGES)
        for c in (self.row_picker, self.scale_picker, self.stage_slider):
            c.style.description_width = "3.5em"
        for c in (self.row_picker, self.scale_picker):
            c.style.button_width = "auto"  # show the whole label

        # Panels: rows -> scalings -> stages, every one precomputed.
        self.panels = {
            (i, s, t): W.HTML() for i in range(n) for s in (False, True) for t in range(len(STAGES))
        }
        self._fill_panels()
        stage_tabs, scale_tabs = [], []
        for i in range(n):
            per_scale = [
                hidden_tabs([self.panels[i, s, t] for t in range(len(STAGES))], titles=STAGES)
                for s in (False, True)
            ]
            stage_tabs += per_scale
            scale_tabs.append(hidden_tabs(per_scale, titles=SCALINGS))
        self.row_tabs = hidden_tabs(scale_tabs, titles=[f"输入 {i + 1}" for i in range(n)])
        self._links = [link_index(self.row_picker, self.row_tabs)]
        self._links += [link_index(self.scale_picker, t) for t in scale_tabs]
        self._links += [link_index(self.stage_slider, t) for t in stage_tabs]

        # Editing (needs a running kernel).
        self.inputs = [
            W.Text(
                value=", ".join(_plain(v) for v in self.steps[False].x[i]),
                description=f"输入 {i + 1}",
                layout=W.Layout(width="20em"),
            )
            for i in range(n)
        ]
        hint = f"每行 {d_model} 个数，用逗号或空格分隔；按回车后重新计算全部步骤。"
        self.editor = Editor(
            "✎ 修改输入",
            self.inputs,
            hint,
            self._apply,
            kept="上方的步骤仍按上一次有效的输入显示。",
        )
        self.message = self.editor.message

        # The second step of editing: the three weight matrices (same shapes as now).
        steps = self.steps[False]
        self.weight_inputs = [
            W.Text(
                value=matrix_text(m),
                description=name,
                layout=W.Layout(width="26em"),
            )
            for name, m in zip(
                WEIGHT_NAMES, (steps.w_query, steps.w_key, steps.w_value), strict=True
            )
        ]
        d_k, d_v = steps.w_query.shape[1], steps.w_value.shape[1]
        shape = (
            f"{d_model} 行 {d_k} 列"
            if d_k == d_v
            else f"{d_model} 行（W_value {d_v} 列，其余 {d_k} 列）"
        )
        hint = (
            f"每个矩阵 {shape}：一行的数用逗号或空格分隔，行与行之间用 / 分隔；"
            "按回车后重新计算全部步骤。"
        )
        self.weight_editor = Editor(
            "✎ 修改权重",
            self.weight_inputs,
            hint,
            self._apply_weights,
            kept="上方的步骤仍按上一次有效的权重显示。",
        )
        self.weight_message = self.weight_editor.message

        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.row_picker,
                self.scale_picker,
                self.stage_slider,
                self.row_tabs,
                self.editor.widget,
                self.weight_editor.widget,
            ]
        )
        self.widget.add_class("attn-stepper")

    def _compute(self, x, weights=None) -> dict[bool, AttentionSteps]:
        weights = self._weights if weights is None else weights
        return {s: attention_steps(x, *weights, scaled=s) for s in (False, True)}

    def _fill_panels(self) -> None:
        for (i, s, t), panel in self.panels.items():
            panel.value = render_stage(self.steps[s], i, t)

    def set_inputs(self, texts) -> bool:
        """解析文本并重算；出错时显示中文提示并保留上一次的有效状态。返回是否成功。"""
        return self.editor.submit(*texts)

    def set_weights(self, texts) -> bool:
        """用三段文字（W_query、W_key、W_value）重算；出错时显示中文提示并保留原状。返回是否成功。"""
        return self.weight_editor.submit(*texts)

    def _apply(self, *texts) -> str:
        n, d_model = self.steps[False].x.shape
        if len(texts) != n:
            raise ValueError(f"需要 {n} 行输入，实际有 {len(texts)} 行")
        rows = [parse_row(t, d_model, f"第 {i + 1} 行") for i, t in enumerate(texts)]
        self._show(self._compute(np.vstack(rows)))
        return f"已重新计算：{'；'.join(fmt_vec(r) for r in self.steps[False].x)}"

    def _apply_weights(self, *texts) -> str:
        steps = self.steps[False]
        if len(texts) != len(WEIGHT_NAMES):
            raise ValueError(f"需要 {len(WEIGHT_NAMES)} 个权重矩阵，实际有 {len(texts)} 个")
        d_model = steps.x.shape[1]
        cols = (steps.w_query.shape[1], steps.w_key.shape[1], steps.w_value.shape[1])
        weights = tuple(
            parse_matrix(t, d_model, c, name)
            for t, c, name in zip(texts, cols, WEIGHT_NAMES, strict=True)
        )
        self._show(self._compute(steps.x, weights))
        self._weights = weights
        return "已用新的权重重新计算全部步骤"

    def _show(self, steps: dict[bool, AttentionSteps]) -> None:
        # render everything first: extreme but legal numbers must not leave half the panels new
        values = {key: render_stage(steps[key[1]], key[0], key[2]) for key in self.panels}
        self.steps = steps
        for key, panel in self.panels.items():
            panel.value = values[key]


def _plain(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
