"""讲义 PDF（scripts/make_pdf.py）：离线打印，widget 打印当前的一步，答案展开，中文正确。

Builds the printable PDF of a part of the book (the front page and chapter 4: 20 A4 pages
in about 25 s: the singlehtml build, then Chromium) with ``scripts/make_pdf.py`` into a
temporary folder, and checks the PDF through its text layer (pypdf):

- A4 sheets, a sensible number of them;
- the Chinese titles print as text (with no CJK font, Chromium prints every Chinese
  character as an empty box, which the text layer gives back as U+0000: that fails here);
- chapter 4's widget prints its first panel (PE(0)·PE(1) = cos 1 + cos 0.01 = 1.5403 for
  d_model = 4) and none of its hidden panels (sin 3 = 0.1411 is only on the pos = 3
  panel): both numbers are only in the widget state, so they print only if the widget
  rendered, and only from the panel that is showing;
- answers print open and nothing else that is collapsed does: 786,432 (exercise 4) is
  written only in its answer and in the collapsed cell that checks the answers, so it
  must print exactly as often as it is in answers; assets/css/print.css opens answers;
- the last sheet carries the licence notice (the site's footer: CC BY-SA 4.0 for the
  text and figures, MIT for the code) and the licence's address;
- no request left the machine and the page raised no error.

The whole book (every page of ``_toc.yml``, as ``make pdf`` prints it) takes minutes: that
test is marked slow (``make check-models`` runs it) and checks that every page's title is
in the PDF, as text, with no character printed as an empty box.
"""

from __future__ import annotations

import html as html_lib
import importlib.util
import json
import re
from pathlib import Path

import pypdf  # the PDF's text layer (requirements.txt)
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ["chapters/04_positional_encoding"]
FIRST_PANEL = "1.5403"  # chapter 4: PE(0)·PE(1), d_model = 4, on the widget's first panel
HIDDEN_PANEL = "0.1411"  # chapter 4: sin 3, only on the widget's panel for pos = 3
ANSWER = "786,432"  # chapter 4, exercise 4: in its answer and in a collapsed cell
A4 = (595.3, 841.9)  # points
STATE = r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>'


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
    report = make_pdf.make_pdf(out, only=CHAPTERS, build=tmp / "build")
    reader = pypdf.PdfReader(out)
    pages = [page.extract_text() or "" for page in reader.pages]
    html = (tmp / "build" / "_build" / "singlehtml" / "intro.html").read_text(encoding="utf-8")
    return report, pages, reader, html


def _title(path: Path) -> str:
    """A page's first heading (a notebook's or a Markdown page's), without the English in
    brackets: 第 4 章 位置编码."""
    import nbformat

    if path.suffix == ".ipynb":
        text = nbformat.read(path, as_version=4).cells[0].source
    else:
        text = path.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("# "))
    return re.sub(r"（.*?）", "", first.lstrip("# ")).strip()


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_pdf_is_a4_and_complete(printed):
    report, pages, reader, _ = printed
    assert 10 <= len(pages) <= 45, f"{len(pages)} 页"
    for page in reader.pages:
        size = (float(page.mediabox.width), float(page.mediabox.height))
        assert abs(size[0] - A4[0]) < 1.5 and abs(size[1] - A4[1]) < 1.5, size
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
    for title in ["前言"] + [_title(ROOT / f"{c}.ipynb") for c in CHAPTERS]:
        assert _squash(title) in squashed, f"PDF 里没有标题“{title}”"


def _text_of(html: str) -> str:
    """The text of some HTML (tags dropped, entities decoded), with no white space."""
    return _squash(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)))


def _widget_text(html: str) -> str:
    """Every string in the widget states (the HTML of every panel), with no white space."""
    values = []

    def walk(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list):
            for v in obj:
                walk(v)
        elif isinstance(obj, str):
            values.append(obj)

    for state in re.findall(STATE, html, re.S):
        walk(json.loads(state.replace("<\\/script", "</script")))
    return _text_of(" ".join(values))


def test_widget_prints_its_current_panel_only(printed):
    _, pages, _, html = printed
    static = _text_of(re.sub(STATE, "", html, flags=re.S))
    widgets = _widget_text(html)
    # Both numbers come only from the widget (else this test would prove nothing).
    for number in (FIRST_PANEL, HIDDEN_PANEL):
        assert number not in static and number in widgets, number
    text = "".join(pages)
    assert FIRST_PANEL in text, "widget 的第一步没有打印出来"
    assert HIDDEN_PANEL not in text, "widget 隐藏的步骤也打印出来了"


def _enclosing_details(html: str, token: str) -> list[str]:
    """For each occurrence of ``token`` in the page (widget state left out): the opening
    tag of the <details> element it is in, or "" if it is in none."""
    html = re.sub(STATE, "", html, flags=re.S)
    found = []
    for m in re.finditer(re.escape(token), html):
        before = html[: m.start()]
        opened, closed = before.rfind("<details"), before.rfind("</details>")
        found.append(before[opened:].split(">", 1)[0] + ">" if opened > closed else "")
    return found


def test_answers_print_open(printed):
    _, pages, _, html = printed
    where = _enclosing_details(html, ANSWER)
    in_answers = sum('class="answer"' in tag for tag in where)
    # In an answer (and in collapsed cells); never in plain view, nor in a widget.
    assert in_answers >= 1 and all(where), where
    assert ANSWER not in _widget_text(html)
    printed_times = "".join(pages).count(ANSWER)
    assert printed_times == in_answers, (
        f"{ANSWER} 印了 {printed_times} 次，应为 {in_answers} 次："
        "答案要展开打印，折叠的代码单元不展开"
    )


def test_licence_notice_prints_on_the_last_sheet(printed):
    _, pages, _, _ = printed
    last = _squash(pages[-1])
    for words in ("CCBY-SA4.0", "MIT", "creativecommons.org/licenses/by-sa/4.0"):
        assert words in last, f"最后一页没有许可声明（{words}）"


def test_nothing_left_the_machine(printed):
    report, *_ = printed
    assert report["requests"] > 0
    assert report["off_machine"] == []
    assert report["page_errors"] == []


@pytest.mark.slow
def test_whole_book(tmp_path):
    """``make pdf``: every page of the book, in order, as text, with no empty boxes."""
    out = tmp_path / "book.pdf"
    report = make_pdf.make_pdf(out, build=tmp_path / "build")
    pages = [page.extract_text() or "" for page in pypdf.PdfReader(out).pages]
    text = "".join(pages)
    assert text.count("\x00") == 0, "有字符打印成了空框"
    assert report["views"] == report["rendered"] > 0 and report["rawMath"] == 0
    assert report["off_machine"] == [] and report["page_errors"] == []
    starts = [_squash(page) for page in pages]
    toc = make_pdf.toc_files(yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8")))
    found = []
    for doc in toc:
        path = next(p for p in (ROOT / f"{doc}.ipynb", ROOT / f"{doc}.md") if p.is_file())
        title = _squash(_title(path))
        # print.css starts every page of the book on a new sheet, with its title on top.
        sheets = [i for i, s in enumerate(starts) if s.startswith(title)]
        assert sheets, f"PDF 里没有以“{_title(path)}”开头的一页（{doc}）"
        found.append(sheets[0])
    assert found == sorted(found), f"PDF 里各页的顺序和目录不同：{found}"
    assert "creativecommons.org/licenses/by-sa/4.0" in starts[-1]
