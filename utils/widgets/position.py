"""第 4 章的 widget：选择 pos、i、d_model，看公式代入数字后的 sin/cos、整个向量和相似度。

How it works both live and on the static site (see utils/widgets/base.py): every panel of a
small grid (d_model in D_MODELS, pos in POSITIONS, every pair i) is rendered in Python up
front and put into nested ``Tab`` widgets with hidden tab bars; the controls are tied to
the tabs with ``jslink``, so stepping needs no kernel. The nesting keeps the page light:

    d_model tabs (3) -> pos tabs (16) -> HBox[ i tabs (d_model/2 pair panels), similarity ]

so there are 16·(2 + 4 + 8) = 224 small pair panels and 16·3 = 48 similarity panels.
In JupyterLab the editor (three text boxes, Enter) computes any (pos, i, d_model), also
outside the grid, into a result panel; bad input shows a Chinese message, escaped, and
keeps the last good result. Everything shown is computed by ``utils.nn.positional_encoding``.
"""

from __future__ import annotations

import html

import ipywidgets as W

from ..nn.positional_encoding import pair_terms, positional_encoding_at, similarity_matrix
from .attention import fmt
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, parse_int

D_MODELS = (4, 8, 16)
POSITIONS = tuple(range(16))
N_SIMILAR = 16  # how many positions the similarity table lists
MAX_POS = 1_000_000
MAX_D_MODEL = 1024
PAIR_ROWS = 8  # the vector table shows at most this many pairs around the chosen one

STYLE = """<style>
.pos-explorer { font-size: 15px; line-height: 1.45; max-width: 100%; }
.pos-explorer .widget-tab-contents { padding: 2px 0; }
.pos-explorer .pos-formula { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace;
  background: #f6f8fa; color: #111; padding: 4px 8px; margin: 4px 0; border-radius: 4px; }
.pos-explorer .pos-formula p { margin: 2px 0; line-height: 1.35; font-size: 14px; }
.pos-explorer .pos-bar { display: inline-block; height: 0.8em; background: #60a5fa; }
.pos-explorer .pos-bar.neg { background: #f87171; }
.pos-explorer table.book-matrix td.bar { text-align: left; min-width: 6em; }
.pos-explorer table.book-matrix th, .pos-explorer table.book-matrix td {
  white-space: nowrap; padding: 1px 6px; line-height: 1.3; }
.pos-explorer .pos-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
</style>"""


# ----------------------------------------------------------------------------- input


def check_settings(pos, i, d_model) -> tuple[int, int, int]:
    """检查 (pos, i, d_model)，返回三个整数；不合法时抛出带中文说明的 ValueError。"""
    for name, v in (("pos（位置）", pos), ("i（sin/cos 对的编号）", i), ("d_model", d_model)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError(f"{name}必须是整数，实际是 {v!r}")
    if pos < 0:
        raise ValueError(f"pos（位置）不能是负数，实际是 {pos}：位置从 0 开始数")
    if pos > MAX_POS:
        raise ValueError(f"pos（位置）最大为 {MAX_POS}，实际是 {pos}")
    if d_model < 2 or d_model % 2:
        raise ValueError(f"d_model 必须是不小于 2 的偶数（sin 和 cos 成对出现），实际是 {d_model}")
    if d_model > MAX_D_MODEL:
        raise ValueError(f"d_model 最大为 {MAX_D_MODEL}（表格会太长），实际是 {d_model}")
    if not 0 <= i < d_model // 2:
        raise ValueError(
            f"i 是 sin/cos 对的编号，必须满足 0 ≤ i < d_model/2 = {d_model // 2}，实际是 {i}"
        )
    return pos, i, d_model


def parse_settings(pos_text, i_text, d_model_text) -> tuple[int, int, int]:
    """解析三个文本框；返回 (pos, i, d_model)。"""
    return check_settings(
        parse_int(pos_text, "pos（位置）"),
        parse_int(i_text, "i（sin/cos 对的编号）"),
        parse_int(d_model_text, "d_model"),
    )


# ----------------------------------------------------------------------------- HTML


def render_pair(pos: int, i: int, d_model: int) -> str:
    """公式代入数字：PE(pos, 2i) 与 PE(pos, 2i+1)；整个向量按 sin/cos 对列出，第 i 对高亮。"""
    pos, i, d_model = check_settings(pos, i, d_model)
    t = pair_terms(pos, i, d_model)
    e = html.escape
    two_i = 2 * i
    arg = f"{pos} / 10000^({two_i}/{d_model}) = {pos} / 10000^{fmt(t.exponent)}"
    arg += f" = {pos} / {fmt(t.denominator)} = {fmt(t.angle)}"
    formula = (
        '<div class="pos-formula">'
        f"<p>PE(pos, 2i) = sin(pos / 10000^(2i/d_model))，这里 pos = {pos}，i = {i}，"
        f"d_model = {d_model}，2i = {two_i}：</p>"
        f"<p>角度 = {e(arg)}</p>"
        f"<p>PE({pos}, {two_i}) = sin({fmt(t.angle)}) = <b>{fmt(t.sin)}</b></p>"
        f"<p>PE({pos}, {two_i + 1}) = cos({fmt(t.angle)}) = <b>{fmt(t.cos)}</b></p>"
        f"<p>这一对的波长 2π·10000^({two_i}/{d_model}) = {fmt(t.wavelength)} 个位置</p>"
        "</div>"
    )
    vec = positional_encoding_at(pos, d_model)[0]  # (d_model,)
    n_pairs = d_model // 2
    lo = max(0, min(i - PAIR_ROWS // 2, n_pairs - PAIR_ROWS))
    hi = min(n_pairs, lo + PAIR_ROWS)
    rows = []
    if lo > 0:
        rows.append('<tr><th>⋮</th><td colspan="3">⋮</td></tr>')
    for p in range(lo, hi):
        klass = ' class="hl"' if p == i else ""
        rows.append(
            f"<tr><th{klass}>i = {p}</th><td{klass}>{2 * p}, {2 * p + 1}</td>"
            f"<td{klass}>{fmt(vec[2 * p])}</td><td{klass}>{fmt(vec[2 * p + 1])}</td></tr>"
        )
    if hi < n_pairs:
        rows.append('<tr><th>⋮</th><td colspan="3">⋮</td></tr>')
    table = (
        f'<table class="book-matrix"><caption>PE({pos})：{d_model} 维 = {n_pairs} 对 sin/cos'
        "</caption><tr><th>对</th><th>维度</th><th>sin</th><th>cos</th></tr>"
        f"{''.join(rows)}</table>"
    )
    return f'<div class="pos-pair">{formula}{table}</div>'


def similar_positions(pos: int) -> list[int]:
    """相似度表列出的位置：pos 附近的 N_SIMILAR 个（从 0 起）。"""
    start = max(0, pos - N_SIMILAR // 2)
    return list(range(start, start + N_SIMILAR))


def render_similarity(pos: int, d_model: int) -> str:
    """位置 pos 的编码与附近每个位置的点积和余弦相似度（带条形图）。"""
    pos, _, d_model = check_settings(pos, 0, d_model)
    others = similar_positions(pos)
    pe = positional_encoding_at([pos, *others], d_model)  # (1 + N_SIMILAR, d_model)
    dots = similarity_matrix(pe)[0, 1:]  # (N_SIMILAR,)
    cos = similarity_matrix(pe, cosine=True)[0, 1:]
    rows = []
    for m, dot, c in zip(others, dots.tolist(), cos.tolist(), strict=True):
        klass = ' class="hl"' if m == pos else ""
        width = abs(c) * 4  # em, |cos| <= 1
        bar = f'<span class="pos-bar{" neg" if c < 0 else ""}" style="width:{width:.2f}em"></span>'
        rows.append(
            f"<tr><th{klass}>{m}</th><td{klass}>{m - pos}</td><td{klass}>{fmt(dot)}</td>"
            f'<td{klass}>{fmt(c)}</td><td class="bar">{bar}</td></tr>'
        )
    return (
        f'<table class="book-matrix"><caption>PE({pos}) 与各位置的相似度</caption>'
        "<tr><th>位置 m</th><th>m − pos</th><th>点积</th><th>余弦</th><th></th></tr>"
        f"{''.join(rows)}</table>"
    )


def render_result(pos: int, i: int, d_model: int) -> str:
    """编辑器的结果：公式与向量在左，相似度在右。"""
    return (
        f'<div class="pos-row">{render_pair(pos, i, d_model)}'
        f"{render_similarity(pos, d_model)}</div>"
    )


# ----------------------------------------------------------------------------- widget


class PositionExplorer:
    """选择 d_model、pos、i，查看位置编码。``display(PositionExplorer().widget)``。"""

    def __init__(self, d_models=D_MODELS, positions=POSITIONS):
        d_models, positions = tuple(d_models), tuple(positions)
        if not d_models or not positions or positions != tuple(range(len(positions))):
            raise ValueError("positions 必须是 0, 1, 2, … 连续的位置，d_models 不能为空")
        for d in d_models:
            check_settings(0, 0, d)
        self.d_models, self.positions = d_models, positions
        # One layout and one style model shared by all panels: a lighter page.
        self._shared_layout, self._shared_style = W.Layout(), W.widgets.widget_string.HTMLStyle()
        self._pair_layout = W.Layout(flex="1 1 auto", min_width="22em")

        # Panels, every one precomputed.
        self.pair_panels = {
            (d, p, i): self._html(render_pair(p, i, d))
            for d in d_models
            for p in positions
            for i in range(d // 2)
        }
        self.similarity_panels = {
            (d, p): self._html(render_similarity(p, d)) for d in d_models for p in positions
        }

        # Controls (their values reach the tabs through jslink, in the browser).
        self.d_model_picker = W.ToggleButtons(
            options=[f"d_model = {d}" for d in d_models], description="维度："
        )
        self.pos_slider = W.IntSlider(
            value=0,
            min=0,
            max=len(positions) - 1,
            description="pos：",
            continuous_update=True,
            layout=W.Layout(width="95%"),
        )
        self.i_pickers = {
            d: W.ToggleButtons(options=[f"i = {i}" for i in range(d // 2)], description="i：")
            for d in d_models
        }
        for c in (self.d_model_picker, self.pos_slider, *self.i_pickers.values()):
            c.style.description_width = "3.5em"
        for c in (self.d_model_picker, *self.i_pickers.values()):
            c.style.button_width = "auto"

        # Tabs: d_model -> pos -> HBox[i tabs, similarity].
        self.i_tabs, self.pos_tabs, d_children = {}, {}, []
        for d in d_models:
            per_pos = []
            for p in positions:
                tabs = hidden_tabs([self.pair_panels[d, p, i] for i in range(d // 2)])
                tabs.layout = self._pair_layout  # takes the room the similarity table leaves
                self.i_tabs[d, p] = tabs
                per_pos.append(W.HBox([tabs, self.similarity_panels[d, p]]))
            self.pos_tabs[d] = hidden_tabs(per_pos)
            d_children.append(W.VBox([self.i_pickers[d], self.pos_tabs[d]]))
        self.d_model_tabs = hidden_tabs(d_children)
        self._links = [link_index(self.d_model_picker, self.d_model_tabs)]
        self._links += [
            W.jslink((self.pos_slider, "value"), (self.pos_tabs[d], "selected_index"))
            for d in d_models
        ]
        self._links += [
            link_index(self.i_pickers[d], self.i_tabs[d, p]) for d in d_models for p in positions
        ]

        # Editor (needs a running kernel).
        fields = [
            self._text("pos", "0"),
            self._text("i", "0"),
            self._text("d_model", str(d_models[0])),
        ]
        self.pos_text, self.i_text, self.d_model_text = fields
        self.result = W.HTML()
        hint = (
            "输入任意的 pos、i、d_model（也可以在上面的格子之外，例如 pos = 100、"
            "d_model = 512），按回车后计算。"
        )
        self.editor = Editor(
            "✎ 输入任意的 pos、i、d_model",
            fields,
            hint,
            self._apply,
            extra=[self.result],
            kept="下方仍显示上一次有效的结果。",
        )
        self.message = self.editor.message

        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.d_model_picker,
                self.pos_slider,
                self.d_model_tabs,
                self.editor.widget,
            ]
        )
        self.widget.add_class("pos-explorer")

    def _html(self, value: str) -> W.HTML:
        return W.HTML(value, layout=self._shared_layout, style=self._shared_style)

    @staticmethod
    def _text(name: str, value: str) -> W.Text:
        return W.Text(value=value, description=name, layout=W.Layout(width="16em"))

    @property
    def panel_count(self) -> int:
        return len(self.pair_panels) + len(self.similarity_panels)

    def select(self, pos: int, i: int, d_model: int) -> bool:
        """把控件移到格子里的 (pos, i, d_model)；不在格子里时返回 False，什么也不改。"""
        if d_model not in self.d_models or pos not in self.positions or not 0 <= i < d_model // 2:
            return False
        self.d_model_picker.index = self.d_models.index(d_model)
        self.pos_slider.value = pos
        self.i_pickers[d_model].index = i
        return True

    def set_values(self, pos_text, i_text, d_model_text) -> bool:
        """解析并计算；出错时显示中文提示，保留上一次的有效结果。返回是否成功。"""
        return self.editor.submit(pos_text, i_text, d_model_text)

    def _apply(self, pos_text, i_text, d_model_text) -> str:
        pos, i, d_model = parse_settings(pos_text, i_text, d_model_text)
        self.result.value = render_result(pos, i, d_model)  # computed before it is shown
        moved = self.select(pos, i, d_model)
        where = "上方的控件也已移到这里" if moved else "它不在上方预先算好的格子里"
        return f"已计算 pos = {pos}，i = {i}，d_model = {d_model}（{where}）"
