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
    assert _source(cells[0]).startswith(f"# 第 {number} 章"), "第一个单元应是本章标题"

    code = [c for c in cells if c["cell_type"] == "code"]
    assert code and all(c.get("execution_count") for c in code), "每个代码单元都应已执行"
    widgets = [o for c in code for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})]
    assert widgets, "每章至少有一个 widget"

    markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^## (\d+\.\d+ )?练习", markdown, flags=re.M), "应有“练习”一节"
    assert markdown.count('<details class="answer">') >= 3, "练习至少 3 道，答案可展开"
    assert markdown.count("<summary>答案</summary>") == markdown.count('<details class="answer">')


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_no_output_is_hidden_from_nbval_except_timings(path):
    for cell in _cells(path):
        src = _source(cell)
        if "NBVAL_IGNORE_OUTPUT" in src or "nbval-ignore-output" in cell["metadata"].get(
            "tags", []
        ):
            assert re.search(r"time|perf_counter|计时|耗时|秒", src), (
                "只有计时单元可以不比较输出：\n" + src
            )
        assert "NBVAL_SKIP" not in src
