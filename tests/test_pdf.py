"""讲义 PDF（scripts/make_pdf.py）：离线打印，widget 打印当前的一步，答案展开，中文正确。

Builds the printable PDF of a part of the book (the front page and chapter 4: about 20
A4 pages, some 25 s: the singlehtml build, then Chromium) with ``scripts/make_pdf.py`` into
a temporary folder, and checks the PDF through its text layer (pypdf):

- A4 sheets, a sensible number of them;
- the Chinese titles of the front page and of chapter 4 print as text (with no CJK font,
  Chromium prints every Chinese character as an empty box, which the text layer gives
  back as U+0000: that fails here);
- chapter 4's widget prints its first panel (PE(0)·PE(1) = cos 1 + cos 0.01 = 1.5403 for
  d_model = 4) and none of its hidden panels (sin 3 = 0.1411 is only on the pos = 3
  panel): both numbers are only in the widget state, so they can print only if the widget
  rendered;
- an answer prints open (628.3185, the wavelength in exercise 2's answer, is only inside
  its ``<details class="answer">``): assets/css/print.css opens it, as for a reader's Ctrl+P;
- no request left the machine and the page raised no error.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "chapters/04_positional_encoding"
FIRST_PANEL = "1.5403"  # PE(0)·PE(1), d_model = 4: on the widget's first panel
HIDDEN_PANEL = "0.1411"  # sin 3: only on the panel for pos = 3
ANSWER = "628.3185"  # 2π·100: only in the answer to exercise 2
A4 = (595, 842)  # points

pypdf = pytest.importorskip("pypdf", reason="需要 pypdf（requirements.txt）")


def _load_make_pdf():
    spec = importlib.util.spec_from_file_location("make_pdf", ROOT / "scripts" / "make_pdf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_pdf = _load_make_pdf()


@pytest.fixture(scope="module")
def printed(tmp_path_factory):
    """(report, text of every page, reader, the printed html) for the front page + chapter 4."""
    tmp = tmp_path_factory.mktemp("pdf")
    out = tmp / "book.pdf"
    report = make_pdf.make_pdf(out, only=[CHAPTER], build=tmp / "build")
    reader = pypdf.PdfReader(out)
    pages = [page.extract_text() or "" for page in reader.pages]
    html = (tmp / "build" / "_build" / "singlehtml" / "intro.html").read_text(encoding="utf-8")
    return report, pages, reader, html


def _title(notebook: Path) -> str:
    """The notebook's first heading, without the English in brackets: 第 4 章 位置编码."""
    import nbformat

    first = nbformat.read(notebook, as_version=4).cells[0].source.splitlines()[0]
    return re.sub(r"（.*?）", "", first.lstrip("# ")).strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_is_a4_and_complete(printed):
    report, pages, reader, _ = printed
    assert 10 <= len(pages) <= 40, f"{len(pages)} 页"
    for page in reader.pages:
        size = (round(float(page.mediabox.width)), round(float(page.mediabox.height)))
        assert size == A4, size
    assert report["views"] == report["rendered"] == 1  # chapter 4 has one widget
    assert report["mathjax"] > 50 and report["rawMath"] == 0
    assert not report["brokenImages"]


def test_chinese_prints_as_text(printed):
    _, pages, _, _ = printed
    text = "".join(pages)
    boxes = text.count("\x00")
    assert boxes == 0, (
        f"{boxes} 个字符打印成了空框（没有能显示它们的字体）。网站要自带中文网页字体"
        "（assets/css/fonts.css），不能依赖系统字体。"
    )
    squashed = _squash(text)
    for title in ("前言", _title(ROOT / f"{CHAPTER}.ipynb")):
        assert _squash(title) in squashed, f"PDF 里没有标题“{title}”"


def test_widget_prints_its_current_panel_only(printed):
    _, pages, _, html = printed
    state = re.findall(
        r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', html, re.S
    )
    static = re.sub(
        r'<script type="application/vnd.jupyter.widget-state\+json">.*?</script>',
        "",
        html,
        flags=re.S,
    )
    # Both numbers come only from the widget (else this test would prove nothing).
    for number in (FIRST_PANEL, HIDDEN_PANEL):
        assert number not in static and any(number in s for s in state), number
    text = "".join(pages)
    assert FIRST_PANEL in text, "widget 的第一步没有打印出来"
    assert HIDDEN_PANEL not in text, "widget 隐藏的步骤也打印出来了"


def test_answers_print_open(printed):
    _, pages, _, html = printed
    answers = re.findall(r'<details class="answer">.*?</details>', html, re.S)
    assert any(ANSWER in a for a in answers)
    outside = re.sub(r'<details class="answer">.*?</details>', "", html, flags=re.S)
    assert ANSWER not in outside
    assert ANSWER in "".join(pages), "答案没有展开打印"


def test_nothing_left_the_machine(printed):
    report, *_ = printed
    assert report["requests"] > 0
    assert report["off_machine"] == []
    assert report["page_errors"] == []
