"""术语表（glossary.md）：每个术语都在它标出的那一页讲到；书里不用术语的其他写法。

The glossary is the book's one list of terms: Chinese, English, and the page that first
explains each. Checked here: every page it links to exists and mentions the term there, and
no page of the book uses a variant the glossary rules out (一个概念只用一个名字).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = (ROOT / "glossary.md").read_text(encoding="utf-8")
PAGES = sorted((ROOT / "chapters").glob("*.ipynb")) + [
    ROOT / "intro.md",
    ROOT / "data_and_models.md",
]


def _tables() -> list[list[list[str]]]:
    """The markdown tables of glossary.md, each a list of rows of cells (header dropped)."""
    tables, rows = [], []
    for line in GLOSSARY.splitlines() + [""]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip("|").split("|")])
        elif rows:
            tables.append(rows[2:])  # header and the |---| line
            rows = []
    return tables


TERMS, VARIANTS = _tables()


def _text(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def test_glossary_has_terms_and_variants():
    assert len(TERMS) >= 40 and len(VARIANTS) >= 5
    names = [row[0] for row in TERMS]
    assert len(names) == len(set(names)), "同一个术语出现了两次"


@pytest.mark.parametrize("row", TERMS, ids=[row[0] for row in TERMS])
def test_term_is_explained_where_the_glossary_says(row):
    chinese, english, where = row
    assert english and re.search(r"[A-Za-z]", english), "每个术语都要有英文"
    links = re.findall(r"\]\(([^)]+)\)", where)
    assert links, f"{chinese}：没有指向讲解它的页面"
    for link in links:
        assert (ROOT / link).is_file(), f"{chinese}：{link} 不存在"
    first = ROOT / links[0]
    # the first of its names (e.g. "查询" of "查询、键、值", "token" of "token（词元）")
    name = re.split(r"[、（，]", chinese)[0]
    assert name in _text(first), f"“{name}”没有出现在 {links[0]} 里"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_no_page_uses_a_ruled_out_variant(path):
    text = _text(path)
    for ruled_out, use in VARIANTS:
        for variant in ruled_out.split("、"):
            assert variant not in text, f"{path.name} 用了“{variant}”：请写“{use}”"
