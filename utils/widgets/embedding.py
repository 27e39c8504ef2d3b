"""查看词嵌入的 widget：选一个词，看它的 one-hot 行、它从 W 里取出的那一行、它最近的词。

Works both live and on the static site (see utils/widgets/base.py): for every preset word
and every stage the HTML is computed in Python up front and put into nested ``Tab``
widgets with hidden tab bars; the word ``Dropdown`` and the stage ``ToggleButtons``
are tied to the tabs with ``jslink``, so stepping needs no kernel. In JupyterLab the
reader can also type any word of the vocabulary (Text + Enter): its panels are
computed and it is added to the list. An empty or unknown word shows a Chinese
message and leaves everything as it was.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..models.word2vec import Vocab, nearest_neighbours
from .base import BASE_STYLE, Editor, hidden_tabs, link_index

STAGES = ("① one-hot 行", "② × W = 取出一行", "③ 最近的词")

STYLE = """<style>
.book-emb-explorer { font-size: 16px; line-height: 1.5; max-width: 100%; }
.book-emb-explorer .widget-tab-contents { padding: 4px 0; }
.book-emb-explorer .emb-stage, .book-emb-explorer .emb-stage p { white-space: normal; }
.book-emb-explorer p { margin: 4px 0; }
.book-emb-explorer table.book-matrix td.gap { border: none; color: #666; }
.book-emb-explorer table.book-matrix th { white-space: nowrap; }
.book-emb-explorer table.book-matrix td { padding: 2px 5px; }
.book-emb-explorer .emb-scroll { overflow-x: auto; max-width: 100%; }
</style>"""


def _fmt(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    return "0" if float(s) == 0 and decimals == 0 else s.replace("-0.00", "0.00")


def _columns(i: int, vocab_size: int) -> list[int | None]:
    """Which one-hot positions to show: both ends, and i with its neighbours (None = “…”)."""
    keep = sorted({0, 1, vocab_size - 1, *(j for j in (i - 1, i, i + 1) if 0 <= j < vocab_size)})
    cols: list[int | None] = []
    for j in keep:
        if cols and cols[-1] is not None and j - cols[-1] > 1:
            cols.append(None)
        cols.append(j)
    return cols


def one_hot_table(vocab: Vocab, i: int) -> str:
    """The one-hot row of word i, with the long runs of zeros shown as “…”."""
    cols = _columns(i, len(vocab))
    head = "".join(
        '<td class="gap">…</td>' if j is None else f'<th class="{"hl" if j == i else ""}">{j}</th>'
        for j in cols
    )
    words = "".join(
        '<td class="gap"></td>'
        if j is None
        else f'<th class="{"hl" if j == i else ""}">{html.escape(vocab.words[j])}</th>'
        for j in cols
    )
    vals = "".join(
        '<td class="gap">…</td>'
        if j is None
        else f'<td class="{"hl" if j == i else ""}">{1 if j == i else 0}</td>'
        for j in cols
    )
    return (
        '<div class="emb-scroll"><table class="book-matrix">'
        f"<caption>one-hot 行（长 {len(vocab)}，只显示两端和第 {i} 位附近）</caption>"
        f"<tr><th>编号</th>{head}</tr><tr><th>词</th>{words}</tr>"
        f"<tr><th>值</th>{vals}</tr></table></div>"
    )


def w_rows_table(vocab: Vocab, vectors: np.ndarray, i: int, per_line: int = 8) -> str:
    """Rows i-1, i, i+1 of W (row i highlighted), two decimals, ``per_line`` columns a block."""
    d_model = vectors.shape[1]
    rows = [j for j in (i - 1, i, i + 1) if 0 <= j < len(vocab)]
    blocks = ""
    for start in range(0, d_model, per_line):
        cols = range(start, min(start + per_line, d_model))
        head = "".join(f"<th>{c}</th>" for c in cols)
        blocks += f"<tr><th>行＼列</th>{head}</tr>"
        for j in rows:
            cls = "hl" if j == i else ""
            cells = "".join(f'<td class="{cls}">{_fmt(vectors[j, c], 2)}</td>' for c in cols)
            blocks += f'<tr><th class="{cls}">{j}：{html.escape(vocab.words[j])}</th>{cells}</tr>'
    return (
        '<div class="emb-scroll"><table class="book-matrix">'
        f"<caption>W 的第 {rows[0]}–{rows[-1]} 行（W 形状 ({len(vocab)}, {d_model})，"
        f"保留两位小数）</caption>{blocks}</table></div>"
    )


def neighbours_table(neighbours: list[tuple[str, float]]) -> str:
    body = "".join(
        f"<tr><td>{r}</td><td>{html.escape(w)}</td><td>{s:.4f}</td></tr>"
        for r, (w, s) in enumerate(neighbours, start=1)
    )
    return (
        '<table class="book-matrix"><caption>余弦相似度最高的词</caption>'
        f"<tr><th>名次</th><th>词</th><th>余弦相似度</th></tr>{body}</table>"
    )


def render_panel(vocab: Vocab, vectors: np.ndarray, word: str, stage: int, k: int = 5) -> str:
    """One panel: stage 0 = one-hot row; 1 = + the row of W it selects; 2 = + neighbours."""
    if stage not in range(len(STAGES)):
        raise ValueError(f"stage（步骤）必须是 0 到 {len(STAGES) - 1} 之间的整数，实际是 {stage!r}")
    i = vocab.id_of(word)
    w = html.escape(word)
    parts = [
        f"<p>“<b>{w}</b>”在词表里的编号是 <b>{i}</b>（词表共 {len(vocab)} 个词，"
        f"在语料里出现 {vocab.counts[i]} 次）。它的 one-hot 向量有 {len(vocab)} 个分量，"
        f"只有第 {i} 位是 1，其余 {len(vocab) - 1} 个都是 0：</p>",
        one_hot_table(vocab, i),
    ]
    if stage >= 1:
        parts += [
            f"<p>one-hot 行乘以嵌入矩阵 W：第 {i} 位的 1 只“选中”W 的第 {i} 行，"
            f"其余行都乘以 0。所以结果就是 W 的第 {i} 行——“{w}”的词向量"
            f"（{vectors.shape[1]} 维）：</p>",
            w_rows_table(vocab, vectors, i),
        ]
    if stage >= 2:
        parts += [
            f"<p>用词向量找与“{w}”方向最接近的词（余弦相似度）。"
            "换成 one-hot，任何两个不同的词余弦相似度都是 0，找不出谁更近。</p>",
            neighbours_table(nearest_neighbours(vectors, vocab, word, k)),
        ]
    return f'<div class="emb-stage">{"".join(parts)}</div>'


class EmbeddingExplorer:
    """``display(EmbeddingExplorer(vocab, vectors, words).widget)``。"""

    def __init__(self, vocab: Vocab, vectors, words, k: int = 5):
        if not isinstance(vocab, Vocab):
            raise ValueError(
                "vocab 必须是 utils.models.word2vec.Vocab（train_word2vec 返回的词表）"
            )
        vectors = np.asarray(vectors, dtype=np.float64)
        if vectors.ndim != 2 or vectors.shape[0] != len(vocab):
            raise ValueError(
                f"vectors 必须是 ({len(vocab)}, d_model) 的矩阵（每个词一行），"
                f"实际形状 {vectors.shape}"
            )
        if not np.isfinite(vectors).all():
            raise ValueError("vectors 含有 NaN 或无穷大（inf）")
        if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k < len(vocab):
            raise ValueError(f"k（近邻个数）必须是 1 到 {len(vocab) - 1} 之间的整数，实际是 {k!r}")
        words = [words] if isinstance(words, str) else list(words)
        if not words:
            raise ValueError("words（预先算好的词）不能为空")
        for w in words:
            vocab.id_of(w)  # raises a Chinese error for an unknown word
        self.vocab, self.vectors, self.k = vocab, vectors, k
        self.words = list(dict.fromkeys(words))

        self.word_picker = W.Dropdown(options=self.words, description="词：")
        self.stage_picker = W.ToggleButtons(options=list(STAGES), description="步骤：")
        self.stage_picker.style.button_width = "auto"
        for c in (self.word_picker, self.stage_picker):
            c.style.description_width = "3em"

        self.panels: dict[tuple[str, int], W.HTML] = {}
        self.stage_tabs: list[W.Tab] = [self._stage_tabs_for(w) for w in self.words]
        self.word_tabs = hidden_tabs(self.stage_tabs, titles=self.words)
        self._links = [link_index(self.word_picker, self.word_tabs)]
        self._links += [link_index(self.stage_picker, t) for t in self.stage_tabs]

        # Typing a word (needs a running kernel).
        self.entry = W.Text(placeholder="例如：苹果", description="输入：")
        self.entry.style.description_width = "3em"
        hint = f"词表共 {len(vocab)} 个词。输入一个词后按回车，就会算出它的三步并加到上面的列表里。"
        self.editor = Editor("✎ 输入一个词", [self.entry], hint, self._apply)
        self.message = self.editor.message
        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.word_picker,
                self.stage_picker,
                self.word_tabs,
                self.editor.widget,
            ]
        )
        self.widget.add_class("book-emb-explorer")

    def _stage_tabs_for(self, word: str) -> W.Tab:
        for s in range(len(STAGES)):
            self.panels[word, s] = W.HTML(render_panel(self.vocab, self.vectors, word, s, self.k))
        return hidden_tabs([self.panels[word, s] for s in range(len(STAGES))], titles=STAGES)

    def show_word(self, text) -> bool:
        """显示输入的词；空输入或不在词表里时给出中文提示，保留原来的状态。返回是否成功。"""
        return self.editor.submit(text)

    def _apply(self, text) -> str:
        word = str(text if text is not None else "").strip()
        if not word:
            raise ValueError("输入是空的：请输入一个词，例如 苹果")
        if word not in self.vocab:
            sample = "、".join(self.words[:5])
            raise ValueError(
                f"“{word}”不在词表里（词表共 {len(self.vocab)} 个词），可以试试：{sample}"
            )
        if word not in self.words:
            tabs = self._stage_tabs_for(word)
            tabs.selected_index = self.stage_picker.index
            self.stage_tabs.append(tabs)
            self._links.append(link_index(self.stage_picker, tabs))
            self.words.append(word)
            self.word_tabs.children = tuple(self.stage_tabs)
            self.word_tabs.titles = tuple(self.words)
            self.word_picker.options = list(self.words)
        self.word_picker.value = word
        self.word_tabs.selected_index = self.words.index(word)
        return f"正在显示“{word}”（编号 {self.vocab.index[word]}）"
