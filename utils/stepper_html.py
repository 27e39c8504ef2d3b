"""把 ``AttentionSteps`` 的每一步渲染成 HTML（纯函数，供 widget 使用，可单独测试）。

Pure functions that turn one stage of ``AttentionSteps`` into an HTML snippet
showing which numbers combine. The widget in ``utils.widgets`` only arranges
these snippets; everything shown is computed here from the steps, and every
piece of text is HTML-escaped.
"""

from __future__ import annotations

import html
import math

import numpy as np

from .numpy_attention import AttentionSteps

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
