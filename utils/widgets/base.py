"""静态网页上也能逐步查看的 widget 的公共零件。Shared parts of the book's step-through widgets.

The pattern (see ../shared/FACTS.md and utils/widgets/attention.py): compute every stage in
Python up front, put each stage in an ``HTML`` panel, nest the panels in ``Tab``
widgets whose tab bars are hidden, and tie each control's ``index`` to a tab's
``selected_index`` with ``jslink``. ``jslink`` runs in the browser, so stepping
needs no kernel; recomputing on new input does. ``Stack`` does not switch on the
static page, so it is not used.

Usage::

    panels = [W.HTML(render(i)) for i in range(n)]
    tabs = hidden_tabs(panels)
    slider = step_slider(names)
    links = [link_index(slider, tabs)]
    ok, msg = True, ok_html("已重新计算")
"""

from __future__ import annotations

import html

import ipywidgets as W

from .._validate import quote

# Hides the tab bars of hidden_tabs(); ships with every widget that uses them, so the
# widget looks the same in JupyterLab and on the site. Class names are prefixed book-.
# !important: the widget library's own rule (.jupyter-widgets.widget-tab > .lm-TabBar)
# is more specific and would otherwise show the tab bars on the static page.
BASE_STYLE = """<style>
.book-hidden-tabs > .lm-TabBar, .book-hidden-tabs > .p-TabBar { display: none !important; }
.book-hidden-tabs > .widget-tab-contents { border: none !important; padding: 0 !important; }
.book-msg-ok { color: #166534; }
.book-msg-err { color: #b91c1c; font-weight: bold; }
table.book-matrix { border-collapse: collapse; margin: 4px 0;
  font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; }
table.book-matrix caption { font-weight: bold; text-align: left; }
table.book-matrix th, table.book-matrix td { border: 1px solid #bbb; padding: 2px 8px;
  text-align: right; }
table.book-matrix th { background: #f3f3f3; color: #111; font-weight: normal; }
table.book-matrix .hl { background: #ffe08a; color: #111; font-weight: bold; }
</style>"""


def step_number(n: int) -> str:
    """①, ②, … ⑳ for steps 1–20, then “(21)”: the label of a step never runs out."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"步骤的编号必须是正整数，实际是 {n!r}")
    return chr(0x2460 + n - 1) if n <= 20 else f"({n})"


def hidden_tabs(children, titles=None) -> W.Tab:
    """A ``Tab`` whose tab bar is hidden: a control elsewhere picks the child via jslink."""
    children = list(children)
    if not children:
        raise ValueError("hidden_tabs 至少需要一个面板（panel）")
    tabs = W.Tab(
        children=children, titles=list(titles) if titles else [str(i) for i in range(len(children))]
    )
    tabs.add_class("book-hidden-tabs")
    return tabs


def step_slider(options) -> W.SelectionSlider:
    """The “步骤：” slider every widget steps with: one option per stage, full width."""
    return W.SelectionSlider(
        options=list(options),
        description="步骤：",
        continuous_update=True,
        layout=W.Layout(width="95%"),
    )


def link_index(control, tabs: W.Tab) -> W.Link:
    """Tie ``control.index`` to ``tabs.selected_index`` in the browser (works with no kernel)."""
    return W.jslink((control, "index"), (tabs, "selected_index"))


def shade(weight: float) -> str:
    """A weight in [0, 1] (clipped) -> a CSS background colour from white (0) to blue (1)."""
    w = min(max(float(weight), 0.0), 1.0)
    r, g, b = (int(255 - (255 - c) * w) for c in (59, 130, 246))
    return f"rgb({r},{g},{b})"


def ok_html(message: str) -> str:
    """A green confirmation line; ``message`` is escaped."""
    return f'<span class="book-msg-ok">✓ {html.escape(str(message))}</span>'


def error_html(message, kept: str = "上方仍显示上一次有效的结果。") -> str:
    """A red Chinese error line that says the last good state is kept; ``message`` is escaped
    and cut to MAX_MESSAGE characters (a message may quote what the reader typed)."""
    text = str(message).rstrip("。")
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 1] + "…"
    return f'<span class="book-msg-err">⚠ {html.escape(text)}。{html.escape(kept)}</span>'


MAX_MESSAGE = 200  # characters of an error message shown in a widget
NO_KERNEL = "（静态网页上没有内核，只能逐步查看，不能重算。）"


def parse_int(text, name: str) -> int:
    """把文本解析成整数；不是整数时给出中文提示。'3'、' 3 '、'3.0' 都是 3。"""
    body = str(text).strip()
    if not body:
        raise ValueError(f"{name}是空的：请输入一个整数")
    try:
        value = float(body)
    except ValueError:
        raise ValueError(f"{name}：{quote(body)}不是数字") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"{name}：{quote(body)}不是普通的数（NaN 或无穷大）")
    if not value.is_integer():
        raise ValueError(f"{name}必须是整数，实际是 {quote(body)}")
    return int(value)


class Editor:
    """每个 widget 共用的“✎”编辑区：输入框、一行提示、默认收起的 Accordion。

    The reader types into ``fields`` (``W.Text`` boxes made by the widget) and presses
    Enter; ``apply(*texts)`` then computes and renders everything and returns the
    confirmation to show, or raises ``ValueError``/``TypeError`` with a Chinese message.
    ``apply`` must compute every new panel before it changes any of them, so that an error
    anywhere leaves the widget exactly as it was; the message says so. The editor needs a
    running kernel: on the static page the Accordion stays closed and its hint says why.

        self.editor = Editor("✎ 换一个开头", [W.Text(...)], "输入 1 到 20 个字……", self._apply)
        self.editor.submit("我们")  # what Enter does, callable from code and tests
    """

    def __init__(self, title: str, fields, hint: str, apply, *, extra=(), kept: str | None = None):
        self.fields = list(fields)
        self.apply = apply
        self.kept = kept or "上方仍显示上一次有效的结果。"
        self.message = W.HTML(f"<span>{html.escape(hint)}{NO_KERNEL}</span>")
        self.widget = W.Accordion(
            children=[W.VBox([*self.fields, self.message, *extra])], titles=[title]
        )
        self.widget.selected_index = None  # closed
        for field in self.fields:
            field.continuous_update = False  # recompute on Enter, not on every key
            field.observe(lambda _change: self.submit(), names="value")

    def submit(self, *texts) -> bool:
        """用 ``texts``（默认：输入框里的文字）重算；出错时显示中文提示并保留原状。返回是否成功。"""
        texts = texts or tuple(field.value for field in self.fields)
        try:
            done = self.apply(*texts)
        except (ValueError, TypeError) as err:
            self.message.value = error_html(err, self.kept)
            return False
        except ArithmeticError:  # a safety net: the utils functions raise ValueError first
            self.message.value = error_html("数值太大或太小，无法计算", self.kept)
            return False
        self.message.value = ok_html(done)
        return True
