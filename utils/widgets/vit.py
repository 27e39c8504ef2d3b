"""逐步查看 ViT 怎样读一张手写数字：切块 → token → 第 L 层第 H 个头的注意力 → 预测。

Works both live and on the static site (see utils/widgets/base.py): for a handful of test
images, every stage -- and at the attention stage every layer and head -- is rendered to
HTML in Python up front and put into nested ``Tab``s with hidden tab bars. The controls
(which image, which stage, which layer, which head) are tied to the tabs with ``jslink``,
which runs in the browser. In JupyterLab a text box (test-set index + Enter) replaces the
selected image and recomputes its panels; bad input shows a Chinese message and keeps
the last good panels.
"""

from __future__ import annotations

import html

import ipywidgets as W
import torch

from ..models.vit import DigitsSplit, ViT, VitTrace, trace
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, parse_int, step_slider

STAGES = ("① 切块", "② token 序列", "③ 注意力", "④ 预测")

STYLE = """<style>
.vit-explorer { font-size: 15px; line-height: 1.5; max-width: 100%; }
.vit-explorer .widget-tab-contents { padding: 4px 0; }
.vit-stage p { margin: 4px 0; }
.vit-row { display: flex; flex-wrap: wrap; gap: 18px; align-items: flex-start; }
table.vit-img { border-collapse: collapse; margin: 4px 0; }
table.vit-img td { width: 22px; height: 22px; padding: 0; border: 1px solid #ddd;
  font-size: 10px; text-align: center; color: #111; }
table.vit-img td.pt { border-top: 2px solid #c0392b; }
table.vit-img td.pl { border-left: 2px solid #c0392b; }
table.vit-img caption, table.vit-tok caption { font-weight: bold; text-align: left; }
.vit-patches { display: flex; flex-wrap: wrap; gap: 6px; max-width: 640px; }
.vit-patch { text-align: center; font-size: 12px; }
table.vit-tok { border-collapse: collapse; margin: 4px 0;
  font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
table.vit-tok th, table.vit-tok td { border: 1px solid #ccc; padding: 1px 5px; text-align: right;
  color: #111; }
table.vit-tok th { background: #f3f3f3; font-weight: normal; }
.vit-bar-row { display: flex; align-items: center; gap: 6px; font-family: monospace; }
.vit-bar { height: 14px; background: #2563eb; }
.vit-bar.top { background: #16a34a; }
</style>"""


def _gray(v: float) -> str:
    """像素值 0..1 -> 背景色（0 白，1 黑），白底黑字。"""
    level = int(round(255 * (1 - min(max(v, 0.0), 1.0))))
    return f"rgb({level},{level},{level})"


def _red(w: float, w_max: float) -> str:
    a = 0.0 if w_max <= 0 else min(max(w / w_max, 0.0), 1.0)
    return f"rgba(220,38,38,{0.85 * a:.3f})"


def _diverging(v: float, v_max: float) -> str:
    a = 0.0 if v_max <= 0 else min(abs(v) / v_max, 1.0)
    return f"rgba(37,99,235,{0.7 * a:.3f})" if v >= 0 else f"rgba(234,88,12,{0.7 * a:.3f})"


def image_table(image, patch_size: int, *, caption: str = "", weights=None) -> str:
    """图像的 HTML 表格：每个像素一格（灰度背景），红线画出块的边界。

    ``weights`` (grid, grid): optional attention per patch, drawn as a red layer over each
    patch's pixels (the digit stays visible as the cell text colour).
    """
    img = image.reshape(image.shape[-2:])
    height, width = img.shape
    w_max = float(weights.max()) if weights is not None else 0.0
    rows = []
    for r in range(height):
        cells = []
        for c in range(width):
            cls = []
            if r % patch_size == 0 and r:
                cls.append("pt")
            if c % patch_size == 0 and c:
                cls.append("pl")
            v = float(img[r, c])
            if weights is None:
                style = f"background:{_gray(v)}"
                text = ""
            else:
                w = float(weights[r // patch_size, c // patch_size])
                style = f"background:{_red(w, w_max)}"
                text = "●" if v > 0.4 else ""
            cells.append(f'<td class="{" ".join(cls)}" style="{style}">{text}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f'<table class="vit-img">{cap}{"".join(rows)}</table>'


def render_patches(t: VitTrace, patch_size: int, test_index: int, label: int) -> str:
    n, dim = t.patches.shape
    h, w = t.image.shape[-2:]
    grid = h // patch_size
    tiles = []
    for i in range(n):
        vec = ", ".join(f"{float(v):.2f}" for v in t.patches[i])
        tile = image_table(t.patches[i].reshape(patch_size, patch_size), patch_size)
        tiles.append(f'<div class="vit-patch">块 {i + 1}{tile}<br>[{vec}]</div>')
    return (
        '<div class="vit-stage">'
        f"<p>测试集第 {test_index} 张图，真实数字 <b>{label}</b>。{h}×{w} 的图按 "
        f"patch_size = {patch_size} 切成 {grid}×{grid} = <b>{n} 个块</b>（红线），"
        f"按行编号；每块展平成 {dim} 个数。</p>"
        f'<div class="vit-row">{image_table(t.image, patch_size, caption="图像")}'
        f'<div class="vit-patches">{"".join(tiles)}</div></div></div>'
    )


def render_tokens(t: VitTrace, show_dims: int = 8) -> str:
    seq_len, d_model = t.tokens.shape
    shown = t.tokens[:, :show_dims]
    v_max = float(shown.abs().max())
    head = "".join(f"<th>{j + 1}</th>" for j in range(show_dims))
    rows = []
    for i in range(seq_len):
        name = "CLS" if i == 0 else f"块 {i}"
        cells = "".join(
            f'<td style="background:{_diverging(float(v), v_max)}">{float(v):.2f}</td>'
            for v in shown[i]
        )
        rows.append(f"<tr><th>{name}</th>{cells}</tr>")
    return (
        '<div class="vit-stage">'
        f"<p>卷积投影把每块变成 d_model = {d_model} 维的向量；前面再加一个 CLS token，"
        f"每个位置加上位置向量。送进编码器的序列形状 (batch, seq_len, d_model) = "
        f"<b>(1, {seq_len}, {d_model})</b>。下表只显示前 {show_dims} 维"
        "（蓝 = 正，橙 = 负）。</p>"
        f'<table class="vit-tok"><tr><th>位置</th>{head}</tr>{"".join(rows)}</table></div>'
    )


def render_attention(t: VitTrace, patch_size: int, layer: int, head: int | None) -> str:
    attn = t.attention[layer]  # (num_heads, seq_len, seq_len)
    row = attn.mean(dim=0)[0] if head is None else attn[head, 0]  # (seq_len,)
    patches = row[1:]
    grid = int(round(len(patches) ** 0.5))
    weights = patches.reshape(grid, grid)
    who = "所有头的平均" if head is None else f"头 {head + 1}"
    order = torch.argsort(patches, descending=True)[:3].tolist()
    top = "、".join(f"块 {i + 1}（{100 * float(patches[i]):.1f}%）" for i in order)
    cells = "".join(
        "<tr>"
        + "".join(
            f'<td style="background:{_red(float(weights[r, c]), float(weights.max()))}">'
            f"{100 * float(weights[r, c]):.1f}</td>"
            for c in range(grid)
        )
        + "</tr>"
        for r in range(grid)
    )
    overlay = image_table(
        t.image, patch_size, caption="叠在图上（红色越深越受关注）", weights=weights
    )
    return (
        '<div class="vit-stage">'
        f"<p><b>第 {layer + 1} 层、{who}</b>：CLS token（第 0 个位置）的 query 与所有 key 做"
        "缩放点积、softmax，得到它对每个位置的注意力权重（一行和为 100%）。"
        f"CLS 对自己：{100 * float(row[0]):.1f}%；关注最多的块：{top}。</p>"
        '<div class="vit-row">'
        f"{overlay}"
        f'<table class="vit-tok"><caption>对各块的权重（%）</caption>{cells}</table>'
        "</div></div>"
    )


def render_prediction(t: VitTrace, label: int) -> str:
    pred = t.prediction
    rows = []
    for d, p in enumerate(t.probs.tolist()):
        cls = "vit-bar top" if d == pred else "vit-bar"
        rows.append(
            f'<div class="vit-bar-row"><span>{d}</span>'
            f'<div class="{cls}" style="width:{max(1, round(300 * p))}px"></div>'
            f"<span>{100 * p:.1f}%</span></div>"
        )
    verdict = "✓ 正确" if pred == label else "✗ 错误"
    return (
        '<div class="vit-stage">'
        "<p>最后一层输出里 CLS 位置的向量经过 LayerNorm 和一个 Linear 层，得到 10 个分数；"
        f"softmax 后是每个数字的概率。预测 <b>{pred}</b>（{100 * float(t.probs[pred]):.1f}%），"
        f"真实 <b>{label}</b>：{verdict}。</p>{''.join(rows)}</div>"
    )


def parse_index(text, n: int) -> int:
    """把输入解析成测试集编号 0..n-1；不合法时抛出中文 ValueError。"""
    value = parse_int(text, "测试集编号")
    if not 0 <= value < n:
        raise ValueError(f"编号 {value} 超出范围：测试集只有 {n} 张图（0 到 {n - 1}）")
    return value


class VitExplorer:
    """``display(VitExplorer(model, split).widget)``：逐步查看 ViT 读图的过程。"""

    def __init__(self, model: ViT, split: DigitsSplit, indices=(0, 1, 2, 3, 4, 5)):
        if not isinstance(model, ViT):
            raise ValueError(f"model 必须是 ViT，实际是 {type(model).__name__}")
        self.model, self.split = model, split
        n_test = len(split.y_test)
        self.indices = [parse_index(i, n_test) for i in indices]
        if not self.indices:
            raise ValueError("indices 至少要有一张图")
        self.num_layers = len(model.blocks)
        self.num_heads = model.blocks[0].self_attn.num_heads
        self.head_names = [f"头 {h + 1}" for h in range(self.num_heads)] + ["平均"]

        self.image_picker = W.ToggleButtons(options=self._labels(), description="图像：")
        self.stage_slider = step_slider(STAGES)
        self.layer_picker = W.ToggleButtons(
            options=[f"第 {i + 1} 层" for i in range(self.num_layers)], description="层："
        )
        self.head_picker = W.ToggleButtons(options=self.head_names, description="头：")
        for c in (self.image_picker, self.stage_slider, self.layer_picker, self.head_picker):
            c.style.description_width = "3.5em"
        for c in (self.image_picker, self.layer_picker, self.head_picker):
            c.style.button_width = "auto"

        # Panels: image -> stage; the attention stage -> layer -> head.
        self.panels: dict[tuple, W.HTML] = {}
        image_tabs, layer_tabs, head_tabs, stage_tabs = [], [], [], []
        for s in range(len(self.indices)):
            per_layer = []
            for layer in range(self.num_layers):
                heads = [self._panel(s, "attn", layer, h) for h in range(len(self.head_names))]
                t = hidden_tabs(heads, self.head_names)
                head_tabs.append(t)
                per_layer.append(t)
            lt = hidden_tabs(per_layer)
            layer_tabs.append(lt)
            st = hidden_tabs(
                [self._panel(s, "patches"), self._panel(s, "tokens"), lt, self._panel(s, "pred")],
                STAGES,
            )
            stage_tabs.append(st)
            image_tabs.append(st)
        self.image_tabs = hidden_tabs(image_tabs)
        for s in range(len(self.indices)):
            self._fill(s)
        self._links = [link_index(self.image_picker, self.image_tabs)]
        self._links += [link_index(self.stage_slider, t) for t in stage_tabs]
        self._links += [link_index(self.layer_picker, t) for t in layer_tabs]
        self._links += [link_index(self.head_picker, t) for t in head_tabs]

        # Editing (needs a running kernel).
        self.index_input = W.Text(
            description="换图：",
            placeholder=f"测试集编号 0–{n_test - 1}，按回车",
            layout=W.Layout(width="22em"),
        )
        self.index_input.style.description_width = "3.5em"
        hint = (
            f"输入测试集里的编号（0–{n_test - 1}）并按回车，"
            "上面选中的那张图换成它，全部步骤重新计算。"
        )
        self.editor = Editor("✎ 换一张测试图", [self.index_input], hint, self._apply)
        self.message = self.editor.message
        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.image_picker,
                self.stage_slider,
                self.layer_picker,
                self.head_picker,
                self.image_tabs,
                self.editor.widget,
            ]
        )
        self.widget.add_class("vit-explorer")

    def _labels(self) -> list[str]:
        return [f"#{i}（{int(self.split.y_test[i])}）" for i in self.indices]

    def _panel(self, s, kind, layer=None, head=None) -> W.HTML:
        key = (s, kind, layer, head)
        self.panels[key] = W.HTML()
        return self.panels[key]

    def _render(self, idx: int) -> dict[tuple, str]:
        """Every panel of test image ``idx``: {(kind, layer, head): html}."""
        label = int(self.split.y_test[idx])
        t = trace(self.model, self.split.x_test[idx])
        p = self.model.patch_size
        values = {
            ("patches", None, None): render_patches(t, p, idx, label),
            ("tokens", None, None): render_tokens(t),
            ("pred", None, None): render_prediction(t, label),
        }
        for layer in range(self.num_layers):
            for h in range(len(self.head_names)):
                head = None if h == self.num_heads else h
                values["attn", layer, h] = render_attention(t, p, layer, head)
        return values

    def _fill(self, s: int, values: dict[tuple, str] | None = None) -> None:
        values = values or self._render(self.indices[s])
        for key, value in values.items():
            self.panels[(s, *key)].value = value

    def show_index(self, text) -> bool:
        """把当前选中的那张图换成测试集第 ``text`` 张并重算；出错时提示并保留原来的面板。"""
        return self.editor.submit(text)

    def _apply(self, text) -> str:
        idx = parse_index(text, len(self.split.y_test))
        values = self._render(idx)  # computed before any panel changes
        slot = self.image_picker.index or 0
        self.indices[slot] = idx
        self._fill(slot, values)
        # Renaming the options resets the selection; put it back on the replaced image.
        self.image_picker.options = self._labels()
        self.image_picker.index = slot
        label = int(self.split.y_test[idx])
        return f"已换成测试集第 {idx} 张图（真实数字 {label}），全部步骤已重算"
