"""许可：LICENSE（代码，MIT）、LICENSE-CONTENT（正文与图片，CC BY-SA 4.0），每一页的页脚都写明。

Reads the files and the built site (``make book``, or $BOOK_HTML): the two licence texts are
the ones they claim to be, the package metadata names MIT, every page of the table of
contents carries the footer notice with links to the licence page's three sections, and the
licence page is in the table of contents and links to both full texts. (That the footer's
links work from every folder is checked in Chromium by tests/test_classroom_pack.py.)
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml
from conftest import SITE

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("license-content", "license-code", "license-third-party")


def _toc_docs() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return [toc["root"]] + [entry["file"] for entry in toc["chapters"]]


def test_licence_files():
    mit = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert mit.startswith("MIT License") and "Permission is hereby granted, free of charge" in mit
    cc = (ROOT / "LICENSE-CONTENT").read_text(encoding="utf-8")
    assert cc.startswith("Attribution-ShareAlike 4.0 International")
    for number in range(1, 9):
        assert f"Section {number} --" in cc, number
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert "LICENSES" in _toc_docs()


@pytest.mark.parametrize("doc", _toc_docs())
def test_every_page_has_the_licence_footer(doc):
    page = SITE / f"{doc}.html"
    if not page.is_file():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    html = page.read_text(encoding="utf-8")
    footer = re.search(r'<p class="book-license">(.*?)</p>', html, re.S)
    assert footer, f"{doc}：页脚没有许可声明"
    text = re.sub(r"<[^>]+>", "", footer.group(1))
    for words in ("CC BY-SA 4.0", "MIT 许可证"):
        assert words in text, (doc, text)
    targets = re.findall(r'data-book-root-href="LICENSES\.html#([\w-]+)"', footer.group(1))
    assert targets == list(SECTIONS), targets


def test_licence_page_has_its_sections_and_the_full_texts():
    html = (SITE / "LICENSES.html").read_text(encoding="utf-8")
    for anchor in SECTIONS:
        assert f'id="{anchor}"' in html, anchor
    downloads = re.findall(r'href="(_downloads/[^"]+)"', html)
    assert {d.rsplit("/", 1)[-1] for d in downloads} == {"LICENSE", "LICENSE-CONTENT"}
    for link in downloads:
        assert (SITE / link).read_bytes() == (ROOT / link.rsplit("/", 1)[-1]).read_bytes()
