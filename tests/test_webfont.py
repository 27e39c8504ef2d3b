"""网页中文字体（assets/fonts/）：包含页面上用到的每一个字，许可证随字体一起发布。

The site ships Noto Sans CJK SC cut down to the characters of the book's pages
(scripts/make_webfont.py). A page whose text gains a character the subset lacks would show
it as an empty box on a computer with no Chinese font: these tests fail until the script is
run again. Reading WOFF2 needs the ``brotli`` package (requirements.txt).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPEC = importlib.util.spec_from_file_location("make_webfont", ROOT / "scripts" / "make_webfont.py")
make_webfont = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(make_webfont)

RERUN = "请运行 .venv/bin/python scripts/make_webfont.py 重新生成网页字体"


@pytest.fixture(scope="module")
def shipped() -> set[str]:
    try:
        import brotli  # noqa: F401  (fontTools needs it to read WOFF2)
    except ImportError:
        pytest.fail("读取 WOFF2 需要 brotli：请把 brotli 加进 requirements.txt（make install）")
    return make_webfont.font_characters(make_webfont.OUT)


def test_subset_has_every_character_of_the_pages(shipped):
    used = make_webfont.page_characters() | make_webfont.interface_characters()
    full = make_webfont.font_characters(make_webfont.source_font_path())
    missing = (used & full) - shipped
    assert not missing, f"网页字体缺少 {len(missing)} 个字：{''.join(sorted(missing))}。{RERUN}"


def test_pages_are_read_from_sources_outputs_and_widget_state(tmp_path):
    """A character only in a widget's state, only in an output or only in a Markdown page
    listed in _toc.yml is collected, and the check reports it missing from the font."""
    rare = {"widget": "龘", "output": "齉", "page": "靐"}
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "source": ["print(1)"],
                "metadata": {},
                "outputs": [{"output_type": "stream", "name": "stdout", "text": [rare["output"]]}],
            }
        ],
        "metadata": {
            "widgets": {
                "application/vnd.jupyter.widget-state+json": {
                    "state": {"m": {"state": {"value": f"<b>{rare['widget']}</b>"}}}
                }
            }
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / "01_x.ipynb").write_text(json.dumps(nb), "utf-8")
    (tmp_path / "guide").mkdir()
    (tmp_path / "guide" / "teacher.md").write_text(f"# 教师指南 {rare['page']}", "utf-8")
    (tmp_path / "README.md").write_text("不在网站上：鼺", "utf-8")
    (tmp_path / "_toc.yml").write_text(
        "root: intro\nchapters:\n  - file: chapters/01_x\n  - file: guide/teacher\n", "utf-8"
    )
    (tmp_path / "_config.yml").write_text("title: 书\n", "utf-8")
    chars = make_webfont.page_characters(tmp_path)
    assert set(rare.values()) <= chars
    assert "鼺" not in chars  # README.md is not a page of the site
    missing = make_webfont.missing_characters(tmp_path, make_webfont.OUT)
    assert set(rare.values()) <= missing


def test_subset_is_a_small_woff2_with_its_licence():
    data = make_webfont.OUT.read_bytes()
    assert data[:4] == b"wOF2"
    assert 100_000 < len(data) < 2_000_000, len(data)
    from fontTools.ttLib import TTFont

    with TTFont(str(make_webfont.OUT)) as font:
        names = {r.nameID: r.toUnicode() for r in font["name"].names if r.platformID == 3}
    assert "SIL Open Font License" in names[13]
    assert "Adobe" in names[0]  # the copyright notice travels with the font
    licence = (make_webfont.FONT_DIR / "OFL.txt").read_text("utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence


def test_characters_list_matches_the_font(shipped):
    listed = (make_webfont.CHARS_OUT).read_text("utf-8")
    assert listed == make_webfont.characters_text(shipped), RERUN


def test_script_output_is_deterministic():
    """The shipped file is exactly what the script makes from today's pages."""
    data = make_webfont.subset_font(
        make_webfont.source_font_path(), make_webfont.wanted_characters()
    )
    assert data == make_webfont.OUT.read_bytes(), RERUN


def test_font_is_declared_for_the_site():
    css = (ROOT / "assets" / "css" / "fonts.css").read_text("utf-8")
    assert f"../fonts/{make_webfont.OUT.name}" in css
    assert "font-display: swap" in css
    config = (ROOT / "_config.yml").read_text("utf-8")
    assert "css/fonts.css" in config and "fonts/load.js" in config
