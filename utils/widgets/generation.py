"""第 6 章的 widget：看字符级语言模型一个字一个字地生成。

Each step shows the context so far, the causal-attention row of the last position (last
layer, mean over heads), the five most probable next characters and the one chosen
(greedy). Every step of every preset prompt is computed up front into ``HTML`` panels in
hidden ``Tab``s; a ``Dropdown`` (which prompt) and a ``SelectionSlider`` (which step) are
tied to the tabs with ``jslink`` (utils.widgets.base), so stepping works on the static site.
In JupyterLab the reader can type a new prompt: it replaces the selected prompt's panels;
bad input (empty, unknown characters, too long) shows a Chinese message and keeps the
last good panels.
"""

from __future__ import annotations

import html

import ipywidgets as W

from ..models.char_lm import CharLM, GenStep, generation_steps, show_char
from .base import BASE_STYLE, Editor, hidden_tabs, link_index, shade, step_slider

PROMPTS = ("我喜欢", "今天天气", "杭州是")
NUM_CHARS = 10

STYLE = """<style>
.book-charlm { font-size: 16px; line-height: 1.5; max-width: 100%; }
.book-charlm .book-hidden-tabs > .widget-tab-contents { padding: 4px 0 !important; }
.book-charlm table.book-matrix caption { white-space: nowrap; }
.charlm-row { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
.charlm-ctx { font-size: 22px; letter-spacing: 2px; margin: 6px 0; }
.charlm-ctx span { padding: 2px 3px; border-radius: 3px; color: #111; }
.charlm-ctx .charlm-next { border: 2px solid #b45309; background: #fff7ed; }
.charlm-gen { font-size: 18px; }
</style>"""


def render_step(steps: list[GenStep], t: int, prompt: str) -> str:
    """第 t 步（从 0 数）的 HTML 面板。"""
    step = steps[t]
    esc = html.escape
    cells = "".join(
        f'<span style="background:{shade(a)}">{esc(show_char(c))}</span>'
        for c, a in zip(step.context, step.attention, strict=True)
    )
    nxt = esc(show_char(step.chosen))
    ctx = f'<div class="charlm-ctx">{cells}<span class="charlm-next">{nxt}</span></div>'
    attn_rows = "".join(
        f"<tr><th>{esc(show_char(c))}</th><td>{a:.4f}</td></tr>"
        for c, a in zip(step.context, step.attention, strict=True)
    )
    attn_table = (
        '<table class="book-matrix"><caption>注意力权重</caption>'
        f"<tr><th>字</th><th>权重</th></tr>{attn_rows}</table>"
    )
    top_rows = "".join(
        f'<tr><th class="{"hl" if i == 0 else ""}">{esc(show_char(c))}</th>'
        f'<td class="{"hl" if i == 0 else ""}">{p:.4f}</td></tr>'
        for i, (c, p) in enumerate(zip(step.top_chars, step.top_probs, strict=True))
    )
    top_table = (
        '<table class="book-matrix"><caption>前 5 个候选</caption>'
        f"<tr><th>字</th><th>概率</th></tr>{top_rows}</table>"
    )
    generated = "".join(show_char(s.chosen) for s in steps[: t + 1])
    return (
        f"<div><p>第 {t + 1} 步：模型看到 {len(step.context)} 个字（蓝色越深，最后一个字对它的"
        f"注意力越大），选出概率最大的字 <b>“{esc(show_char(step.chosen))}”</b>。</p>"
        f"{ctx}"
        f'<div class="charlm-row">{attn_table}{top_table}</div>'
        f'<p class="charlm-gen">开头“{esc(prompt)}” → 已生成：<b>{esc(generated)}</b></p></div>'
    )


class GenerationStepper:
    """逐字查看字符级语言模型的贪心生成。``display(GenerationStepper(model).widget)``。"""

    def __init__(self, model: CharLM, prompts=PROMPTS, num_chars: int = NUM_CHARS):
        self.model, self.num_chars = model, num_chars
        self.prompts = list(prompts)
        self.steps = [generation_steps(model, p, num_chars) for p in self.prompts]

        self.prompt_picker = W.Dropdown(
            options=self._labels(), index=0, description="开头：", layout=W.Layout(width="22em")
        )
        self.step_slider = step_slider(f"第 {t + 1} 个字" for t in range(num_chars))
        for c in (self.prompt_picker, self.step_slider):
            c.style.description_width = "3.5em"
        self.panels = [[W.HTML() for _ in range(num_chars)] for _ in self.prompts]
        for i in range(len(self.prompts)):
            self._fill(i)
        step_tabs = [hidden_tabs(row) for row in self.panels]
        self.prompt_tabs = hidden_tabs(step_tabs, titles=self.prompts)
        self._links = [link_index(self.prompt_picker, self.prompt_tabs)]
        self._links += [link_index(self.step_slider, tabs) for tabs in step_tabs]

        # Editing (needs a running kernel).
        longest = model.max_len - num_chars + 1
        field = W.Text(value=self.prompts[0], description="新开头：", layout=W.Layout(width="22em"))
        field.style.description_width = "4.5em"
        hint = f"输入 1 到 {longest} 个语料里出现过的字，按回车后替换当前选中的开头。"
        self.editor = Editor("✎ 换一个开头", [field], hint, self._apply)
        self.message = self.editor.message

        self.widget = W.VBox(
            [
                W.HTML(BASE_STYLE + STYLE),
                self.prompt_picker,
                self.step_slider,
                self.prompt_tabs,
                self.editor.widget,
            ]
        )
        self.widget.add_class("book-charlm")

    def _labels(self) -> list[str]:
        return [f"{i + 1}. {p}" for i, p in enumerate(self.prompts)]

    def _fill(self, i: int) -> None:
        for t, panel in enumerate(self.panels[i]):
            panel.value = render_step(self.steps[i], t, self.prompts[i])

    def set_prompt(self, text: str) -> bool:
        """用新开头替换当前选中的那一组步骤；出错时显示中文提示并保留原状。返回是否成功。"""
        return self.editor.submit(text)

    def _apply(self, text) -> str:
        prompt = str(text).strip()
        steps = generation_steps(self.model, prompt, self.num_chars)
        i = self.prompt_picker.index
        values = [render_step(steps, t, prompt) for t in range(self.num_chars)]
        self.prompts[i], self.steps[i] = prompt, steps  # everything computed: now show it
        for panel, value in zip(self.panels[i], values, strict=True):
            panel.value = value
        self.prompt_picker.options = self._labels()
        self.prompt_picker.index = i
        return f"已重新生成：{prompt} → {''.join(show_char(s.chosen) for s in steps)}"
