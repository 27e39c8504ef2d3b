"""第 6 章的推荐 widget：一步一步看 SASRec 怎样给一个会话推荐下一件物品。

Steps for one session: (1) the items become tokens (ids); (2..) in each layer, the
attention of the last position (the one that recommends) over the history, mean over
heads; (last) the scores → probabilities → the top 5, next to the popularity baseline's
top 5, with the item the planted chain says comes next highlighted in both.
Every step of every preset session is computed up front into ``HTML`` panels in hidden
``Tab``s, tied to a ``Dropdown`` (which session) and a ``SelectionSlider`` (which step)
with ``jslink`` (utils.widgets.base), so stepping works on the static site. In JupyterLab the
reader can type a new session (item names separated by commas); bad input shows a Chinese
message and keeps the last good panels.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..models.recommender import (
    ITEMS,
    SASRec,
    chain_next,
    check_sessions,
    is_chain_item,
    next_in_chain,
    parse_items,
    popularity_scores,
    recommend,
)
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, shade, step_number, step_slider

# Sessions the widget opens with: a test user's 7 items (the chain 手机 → 手机壳 → 耳机 has
# only 充电宝 left), a chain that has only begun (咖啡机) among everyday items, a session with
# no chain item at all, and a short session: only 4 items, where the model predicts the
# 5th, a position at which the training data rarely has the chain's next item.
PRESETS = (
    "洗发水，洗发水，手机，手机壳，鸡蛋，零食，耳机",
    "大米，洗发水，面包，矿泉水，牙膏，咖啡机，食用油",
    "纸巾，矿泉水，牙膏",
    "纸巾，相机，矿泉水，存储卡",
)
TOP_K = 5

STYLE = """<style>
.book-rec { font-size: 16px; line-height: 1.5; max-width: 100%; }
.book-rec .book-hidden-tabs > .widget-tab-contents { padding: 4px 0 !important; }
.book-rec table.book-matrix caption { white-space: nowrap; }
.rec-row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.rec-items { font-size: 18px; margin: 6px 0; }
.rec-items span { display: inline-block; padding: 2px 6px; margin: 2px; border-radius: 4px;
  border: 1px solid #bbb; color: #111; }
.rec-items span.rec-chain { border: 2px solid #b45309; }
.rec-items span.rec-query { outline: 2px dashed #1d4ed8; }
</style>"""


def _kind(item: int) -> str:
    return "链条物品" if is_chain_item(item) else "日常用品"


def _rank(scores: np.ndarray, item: int) -> int:
    """1 + how many items score strictly higher (ties share the better rank)."""
    return 1 + int((scores > scores[item]).sum())


class RecTrace:
    """One session, everything the panels show: the recommendation over all items, the
    popularity counts, the item the planted chain says comes next (or None), and the
    training sessions (to count where that item occurred)."""

    def __init__(self, model: SASRec, session: list[int], popularity, train: np.ndarray):
        self.session = list(session)
        self.rec = recommend(model, self.session, k=model.num_items)  # every item, ranked
        self.probs = np.zeros(model.num_items)
        for name, p in zip(self.rec.top_items, self.rec.top_probs, strict=True):
            self.probs[ITEMS.index(name)] = p
        self.popularity = popularity  # (num_items,) counts in the training sessions
        self.train = train  # (num_users, session_len) the training sessions
        self.expected = chain_next(self.session)

    @property
    def num_layers(self) -> int:
        return len(self.rec.layer_attention)


def step_labels(num_layers: int) -> list[str]:
    """The step slider's options: tokens, one step per layer, then the recommendation."""
    return (
        [f"{step_number(1)} 物品 → token"]
        + [f"{step_number(i + 2)} 第 {i + 1} 层注意力" for i in range(num_layers)]
        + [f"{step_number(num_layers + 2)} 打分 → 推荐"]
    )


def _chips(trace: RecTrace, weights: np.ndarray | None) -> str:
    esc = html.escape
    spans = []
    for t, (item, name) in enumerate(zip(trace.session, trace.rec.session, strict=True)):
        classes = ["rec-chain"] if is_chain_item(item) else []
        if t == len(trace.session) - 1:
            classes.append("rec-query")
        style = f' style="background:{shade(weights[t])}"' if weights is not None else ""
        spans.append(f'<span class="{" ".join(classes)}"{style}>{esc(name)}</span>')
    return f'<div class="rec-items">{"".join(spans)}</div>'


def _tokens_panel(trace: RecTrace) -> str:
    esc = html.escape
    rows = "".join(
        f"<tr><td>{t}</td><th>{esc(name)}</th><td>{item}</td><td>{_kind(item)}</td></tr>"
        for t, (item, name) in enumerate(zip(trace.session, trace.rec.session, strict=True))
    )
    table = (
        '<table class="book-matrix"><caption>会话里的物品</caption>'
        f"<tr><th>位置</th><th>物品</th><th>编号</th><th>类别</th></tr>{rows}</table>"
    )
    return (
        f"<p>这个会话有 {len(trace.session)} 件物品。和 5.1 节的字一样，每件物品就是一个 "
        "token：用它的编号查物品嵌入表，得到一个向量，再加上它所在位置的位置向量。"
        "橙色边框的是链条物品，虚线框的是最后一件：要给出推荐的就是这个位置。</p>"
        f"{_chips(trace, None)}{table}"
    )


def _attention_panel(trace: RecTrace, layer: int) -> str:
    esc = html.escape
    w = trace.rec.layer_attention[layer]  # (T,)
    on_chain = sum(a for item, a in zip(trace.session, w, strict=True) if is_chain_item(item))
    rows = "".join(
        f"<tr><th>{esc(name)}</th><td>{_kind(item)}</td><td>{a:.4f}</td></tr>"
        for item, name, a in zip(trace.session, trace.rec.session, w, strict=True)
    )
    table = (
        f'<table class="book-matrix"><caption>第 {layer + 1} 层的注意力权重</caption>'
        f"<tr><th>物品</th><th>类别</th><th>权重</th></tr>{rows}"
        f"<tr><th>合计</th><td></td><td>{w.sum():.4f}</td></tr></table>"
    )
    return (
        f"<p>第 {layer + 1} 层：最后一个位置对每件历史物品的注意力（各头平均；因果掩码让它只能"
        "看自己和前面的物品）。蓝色越深，权重越大。落在链条物品上的注意力合计 "
        f"<b>{on_chain:.4f}</b>。</p>{_chips(trace, w)}{table}"
    )


def _ranking_table(caption: str, header: str, names, values, fmt: str, expected) -> str:
    esc = html.escape
    rows = "".join(
        f'<tr><td>{r + 1}</td><th class="{"hl" if n == expected else ""}">{esc(n)}</th>'
        f'<td class="{"hl" if n == expected else ""}">{fmt.format(v)}</td></tr>'
        for r, (n, v) in enumerate(zip(names, values, strict=True))
    )
    return (
        f'<table class="book-matrix"><caption>{esc(caption)}</caption>'
        f"<tr><th>名次</th><th>物品</th><th>{esc(header)}</th></tr>{rows}</table>"
    )


def _recommend_panel(trace: RecTrace) -> str:
    esc = html.escape
    pop_order = np.argsort(-trace.popularity, kind="stable")[:TOP_K]
    expected = ITEMS[trace.expected] if trace.expected is not None else None
    shown = expected in trace.rec.top_items[:TOP_K] or trace.expected in pop_order
    model_table = _ranking_table(
        "SASRec 的前 5 名",
        "概率",
        trace.rec.top_items[:TOP_K],
        trace.rec.top_probs[:TOP_K],
        "{:.4f}",
        expected,
    )
    pop_table = _ranking_table(
        "流行度基线的前 5 名",
        "训练中出现次数",
        [ITEMS[i] for i in pop_order],
        [int(trace.popularity[i]) for i in pop_order],
        "{}",
        expected,
    )
    if expected is None:
        verdict = (
            "会话里没有链条物品（或链条已经走到头），埋进数据的规律给不出下一件："
            "模型只能像流行度基线那样，多推荐常买的日常用品。"
        )
    else:
        verdict = (
            f"按埋进数据的规律，下一件应是 <b>“{esc(expected)}”</b>"
            f"{'（表中黄色）' if shown else ''}："
            f"模型把它排在第 <b>{_rank(trace.probs, trace.expected)}</b> 名（共 {len(ITEMS)} 件），"
            f"流行度基线排在第 <b>{_rank(trace.popularity, trace.expected)}</b> 名。"
        )
        n, length = len(trace.session), trace.train.shape[1]
        earlier = int((trace.train[:, :-1] == trace.expected).sum())
        if n < length - 1 and earlier == 0:
            # the model predicts item n + 1, but in training this item only ever came last
            last = int((trace.train[:, -1] == trace.expected).sum())
            why = (
                "（它是链条的最后一件，生成数据时只会放在最后）"
                if next_in_chain(trace.expected) is None
                else ""
            )
            verdict += (
                f"</p><p><b>注意</b>：这个会话只有 {n} 件，模型预测的是第 {n + 1} 件。"
                f"训练会话里，“{esc(expected)}”作为第 {length} 件出现了 {last} 次，"
                f"在前 {length - 1} 件里一次也没有{why}。模型也学到了这个和位置有关的规律。"
                f"在前面补几件日常用品、凑满 {length - 1} 件再试试。"
            )
    return (
        "<p>最后一个位置的输出向量 h 与每件物品的嵌入做点积，得到 "
        f"{len(ITEMS)} 个分数，再用 softmax 变成概率；概率最大的几件就是推荐。{verdict}</p>"
        f'<div class="rec-row">{model_table}{pop_table}</div>'
    )


def render_step(trace: RecTrace, t: int) -> str:
    """第 t 步（从 0 数）的 HTML 面板：0 是 token，1..num_layers 是各层注意力，最后是推荐。"""
    if t == 0:
        return _tokens_panel(trace)
    if t <= trace.num_layers:
        return _attention_panel(trace, t - 1)
    return _recommend_panel(trace)


def session_label(i: int, trace: RecTrace) -> str:
    return f"{i + 1}. {'，'.join(trace.rec.session)}"


class RecommenderStepper:
    """逐步查看一次推荐。``display(RecommenderStepper(model, train_sessions).widget)``。

    ``train_sessions``: the sessions the model was trained on (num_users, session_len): the
    popularity baseline and the counts of where an item occurred come from them.
    ``sessions``: the preset sessions, as text (``parse_items``) or lists of item ids.
    """

    def __init__(self, model: SASRec, train_sessions, sessions=PRESETS):
        self.model = model
        self.train = check_sessions(train_sessions)
        self.popularity = popularity_scores(self.train, model.num_items).numpy()
        self.max_items = self.train.shape[1] - 1  # the history length the model trained on
        self.traces = [self._trace(parse_items(s) if isinstance(s, str) else s) for s in sessions]
        if not self.traces:
            raise ValueError("至少需要一个会话")
        num_steps = self.traces[0].num_layers + 2

        self.session_picker = W.Dropdown(
            options=self._labels(), index=0, description="会话：", layout=W.Layout(width="95%")
        )
        self.step_slider = step_slider(step_labels(self.traces[0].num_layers))
        for c in (self.session_picker, self.step_slider):
            c.style.description_width = "3.5em"
        self.panels = [[W.HTML() for _ in range(num_steps)] for _ in self.traces]
        for i in range(len(self.traces)):
            self._fill(i)
        step_tabs = [hidden_tabs(row) for row in self.panels]
        self.session_tabs = hidden_tabs(step_tabs, titles=[str(i) for i in range(len(step_tabs))])
        self._links = [link_index(self.session_picker, self.session_tabs)]
        self._links += [link_index(self.step_slider, tabs) for tabs in step_tabs]

        # Editing (needs a running kernel).
        field = W.Text(
            value="，".join(self.traces[0].rec.session),
            description="新会话：",
            layout=W.Layout(width="95%"),
        )
        field.style.description_width = "4.5em"
        hint = (
            f"输入 1 到 {self.max_items} 件物品，物品名用逗号隔开"
            "（例如：相机，纸巾，存储卡），按回车后替换当前选中的会话。"
        )
        self.editor = Editor("✎ 换一个会话", [field], hint, self._apply)
        self.message = self.editor.message

        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.session_picker,
                self.step_slider,
                self.session_tabs,
                self.editor.widget,
            ]
        )
        self.widget.add_class("book-rec")

    def _trace(self, session) -> RecTrace:
        return RecTrace(self.model, list(session), self.popularity, self.train)

    def _labels(self) -> list[str]:
        return [session_label(i, t) for i, t in enumerate(self.traces)]

    def _fill(self, i: int) -> None:
        for t, panel in enumerate(self.panels[i]):
            panel.value = render_step(self.traces[i], t)

    def set_session(self, text: str) -> bool:
        """用新会话替换当前选中的那一组步骤；出错时显示中文提示并保留原状。返回是否成功。"""
        return self.editor.submit(text)

    def _apply(self, text) -> str:
        trace = self._trace(parse_items(text, max_items=self.max_items))
        values = [render_step(trace, t) for t in range(len(self.panels[0]))]
        i = self.session_picker.index
        self.traces[i] = trace  # everything computed: now show it
        for panel, value in zip(self.panels[i], values, strict=True):
            panel.value = value
        self.session_picker.options = self._labels()
        self.session_picker.index = i
        return f"已重新计算：推荐前 3 名是 {'、'.join(trace.rec.top_items[:3])}"
