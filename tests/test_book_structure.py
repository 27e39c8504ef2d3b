"""每一章都满足“完成”的标准：在目录里、有 widget、有可展开答案的练习、输出已保存。

A chapter is done when it is in the table of contents, steps through its idea with a
widget, ends with exercises whose answers can be revealed, and has its executed
outputs stored (nbval compares them). These checks read the notebooks as files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _source(cell) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def test_every_chapter_is_in_the_table_of_contents_and_back():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    listed = re.findall(r"file:\s*(chapters/\S+)", toc)
    assert sorted(listed) == sorted(f"chapters/{p.stem}" for p in CHAPTERS)
    assert listed == sorted(listed), "目录应按章节编号排序"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_chapter_has_title_widget_exercises_and_outputs(path):
    cells = _cells(path)
    number = int(path.stem.split("_")[0])
    title = "# 预备知识" if number == 0 else f"# 第 {number} 章"  # 00: the prerequisites page
    assert _source(cells[0]).startswith(title), "第一个单元应是本章标题"

    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), "每个代码单元都应已执行"
    widgets = [o for c in code for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    assert widgets or number == 0, "每章至少有一个 widget（预备知识那一页除外）"

    markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^## (\d+\.\d+ )?练习", markdown, flags=re.M), "应有“练习”一节"
    assert markdown.count('<details class="answer">') >= 3, "练习至少 3 道，答案可展开"
    assert markdown.count("<summary>答案</summary>") == markdown.count('<details class="answer">')


# The label every live-training cell prints: its numbers are this machine's run.
LIVE_LABEL = "本机这一次"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_output_is_hidden_from_nbval_except_timings_and_live_runs(path):
    """Only a timing or a labelled live training may skip comparison, by the cell tag."""
    for cell in _cells(path):
        src = _source(cell)
        assert "NBVAL" not in src, (
            "不要在代码里写 NBVAL 注释（读者看得见）；用 nbval-ignore-output 标签"
        )
        if "nbval-ignore-output" in cell["metadata"].get("tags", []):
            assert LIVE_LABEL in src or re.search(r"perf_counter|time_rnn", src), (
                "只有计时和标明“本机这一次”的现场训练可以不比较输出：\n" + src
            )


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_figures_are_stored_as_images_only(path):
    """No ``<Figure size …>`` text beside a figure (setup_figures shows the PNG only)."""
    for cell in _cells(path):
        for out in cell.get("outputs", []):
            text = out.get("data", {}).get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            assert "<Figure size" not in text and "Axes>" not in text, _source(cell)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_stored_widget_state_has_every_widget_the_outputs_show(path):
    """The site is built from the stored outputs: each widget needs its stored state."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    state = nb["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    models = state.get("state", {})
    shown = [
        o["data"][WIDGET_VIEW]["model_id"]
        for c in nb["cells"]
        for o in c.get("outputs", [])
        if WIDGET_VIEW in o.get("data", {})
    ]
    assert shown or path.stem.startswith("00_"), "每章至少有一个 widget"
    missing = [m for m in shown if m not in models]
    assert not missing, f"notebook 里没有保存这些 widget 的状态（请运行 make execute）：{missing}"


def _page_text(path) -> str:
    cells = _cells(path)
    return "\n".join(_source(c) for c in cells)


PAGES = CHAPTERS + sorted(ROOT.glob("*.md"))


@pytest.mark.parametrize("path", [p for p in PAGES if p.name != "README.md"], ids=lambda p: p.stem)
def test_pages_show_no_test_plumbing(path):
    """A page does not point into tests/, scripts/ or the README (none of them is on the site)."""
    text = _page_text(path) if path.suffix == ".ipynb" else path.read_text(encoding="utf-8")
    for needle in ("tests/", "scripts/", "README", "nbval", "make test"):
        assert needle not in text, f"页面里不应提到 {needle}"
