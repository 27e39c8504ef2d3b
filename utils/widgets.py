"""逐步演示自注意力的 widget：在 JupyterLab 里可改输入并重算，在静态网页上也能逐步查看。

How it works both live and on the static site (see ../shared/FACTS.md):
every stage for every input row and both scalings is computed in Python up
front and put into nested ``Tab`` widgets of ``HTML`` panels. The controls
(which row, scaled or not, which step) are tied to the tabs with ``jslink``,
which runs in the browser, so stepping needs no kernel. Editing the inputs
does need a kernel: it recomputes all panels in Python. Bad input shows a
Chinese message and leaves every panel as it was.
"""

from __future__ import annotations

import re

import ipywidgets as W
import numpy as np

from .examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X
from .numpy_attention import AttentionSteps, attention_steps
from .stepper import BASE_STYLE, error_html, hidden_tabs, link_index, ok_html, step_slider
from .stepper_html import STAGES, fmt_vec, render_stage

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
        raise ValueError(f"{label}是空的：请输入 {length} 个数，例如 1, 0, 1, 0")
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
                continuous_update=False,
                layout=W.Layout(width="20em"),
            )
            for i in range(n)
        ]
        for t in self.inputs:
            t.observe(self._on_edit, names="value")
        self.message = W.HTML(
            f"<span>每行 {d_model} 个数，用逗号或空格分隔；按回车后重新计算全部步骤。"
            "（静态网页上没有内核，只能逐步查看，不能重算。）</span>"
        )
        editor = W.Accordion(children=[W.VBox([*self.inputs, self.message])], titles=["✎ 修改输入"])
        editor.selected_index = None

        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.row_picker,
                self.scale_picker,
                self.stage_slider,
                self.row_tabs,
                editor,
            ]
        )
        self.widget.add_class("attn-stepper")

    def _compute(self, x) -> dict[bool, AttentionSteps]:
        return {s: attention_steps(x, *self._weights, scaled=s) for s in (False, True)}

    def _fill_panels(self) -> None:
        for (i, s, t), panel in self.panels.items():
            panel.value = render_stage(self.steps[s], i, t)

    def set_inputs(self, texts) -> bool:
        """解析文本并重算；出错时显示中文提示并保留上一次的有效状态。返回是否成功。"""
        n, d_model = self.steps[False].x.shape
        try:
            rows = [parse_row(t, d_model, f"第 {i + 1} 行") for i, t in enumerate(texts)]
            if len(rows) != n:
                raise ValueError(f"需要 {n} 行输入，实际有 {len(rows)} 行")
            steps = self._compute(np.vstack(rows))
        except ValueError as err:
            self.message.value = error_html(err, kept="上方的步骤仍按上一次有效的输入显示。")
            return False
        self.steps = steps
        self._fill_panels()
        shown = "；".join(fmt_vec(r) for r in steps[False].x)
        self.message.value = ok_html(f"已重新计算：{shown}")
        return True

    def _on_edit(self, _change) -> None:
        self.set_inputs([t.value for t in self.inputs])


def _plain(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))
