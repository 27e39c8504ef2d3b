"""第 4 章的编辑器在静态网页上（没有内核）用 JS 计算：与 Python 的 render_result 逐字相同。

Run on a build that contains chapter 4 (``make book``, or ``BOOK_HTML=...``). The reader's
inputs are typed into the three boxes in Chromium and Enter is pressed; the result panel that
assets/js/live-position.js writes must read exactly like the HTML that
``utils.widgets.position.render_result`` makes for the same input (every number rounded the
same way; the HTML the same, classes and bar widths included), and a bad input must give the
same Chinese message as the Python editor and keep the last good result. With ``pytest -s``
it prints the time from Enter to the updated panel, measured in the page (for the README).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from conftest import off_machine, open_page
from live_helpers import (
    EDITOR_HTML,
    clock_runs,
    clock_times,
    reader_text,
    start_clock,
    timings,
    wait_clocked,
)

from utils.widgets.position import D_MODELS, POSITIONS, PositionExplorer, render_result

CHAPTER = "chapters/04_positional_encoding.html"

# In the grid and outside it (large pos, long vectors, the last pair, a pair to the right).
GOOD = [
    ("3", "1", "8"),
    ("0", "0", "4"),
    ("123456", "200", "512"),
    ("1000000", "511", "1024"),
    (" 100 ", "1", "64"),  # exponent 2/64 = 0.03125: a tie that must round as Python does
    ("7.0", "3", "16"),
    ("999", "0", "2"),
    ("１２", "2", "10"),  # full-width digits, as Python's float() reads them
    ("1_0", "0", "8"),  # Python's float() reads "1_0" as 10
]
BAD = [
    ("-1", "0", "8"),
    ("1000001", "0", "8"),
    ("3", "4", "8"),
    ("3", "0", "7"),
    ("3", "0", "2048"),
    ("", "0", "8"),
    ("abc<b>", "0", "8"),
    ("3.5", "0", "8"),
    ("nan", "0", "8"),
    ("3", "1e400", "8"),
    ("1e300", "0", "8"),
    ("3", "0", "x" * 40),
    ("😀" * 30, "0", "8"),  # cut after 20 characters (code points), as Python counts
]


def _html(html: str) -> str:
    """The HTML as BeautifulSoup writes it back. In the page: the browser escapes differently
    in innerHTML and puts every table's rows in a <tbody>, and fonts/load.js adds the Chinese
    web font to the font-family of elements with Chinese text (on a computer without one)."""
    soup = BeautifulSoup(html, "html.parser")
    for body in soup.find_all("tbody"):
        body.unwrap()
    for tag in soup.find_all(style=True):
        tag["style"] = re.sub(r"font-family:[^;]*;?", "", tag["style"]).strip()
        if not tag["style"]:
            del tag["style"]
    return str(soup)


def _python_message(explorer, texts) -> tuple[bool, str]:
    """What the Python editor (the same widget, in JupyterLab) says for ``texts``."""
    ok = explorer.set_values(*texts)
    return ok, explorer.message.value


def _open_editor(page):
    open_page(page, CHAPTER)
    w = page.locator(".pos-explorer").first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    header = w.locator(".jupyter-widget-Collapse-header")
    header.scroll_into_view_if_needed()
    header.click()
    boxes = w.locator(".book-live input[type=text]")
    assert boxes.count() == 3
    return w, boxes


def _submit(page, w, boxes, texts):
    runs = clock_runs(page)
    for box, text in zip([boxes.nth(k) for k in range(3)], texts, strict=True):
        box.fill(text)
    boxes.nth(2).press("Enter")
    wait_clocked(page, runs)
    contents = w.locator(".book-live > .widget-html .widget-html-content")
    return contents.nth(0).inner_html(), contents.nth(1).inner_html()


def run(page):
    """Type every input, check the page against Python; returns the Enter-to-panel times."""
    w, boxes = _open_editor(page)
    start_clock(page, w, EDITOR_HTML, every=True)
    for b in range(3):  # enabled, with no "needs a kernel" note
        assert boxes.nth(b).is_enabled()
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()

    explorer = PositionExplorer()
    last = None
    for texts in GOOD:
        message, result = _submit(page, w, boxes, texts)
        ok, py_message = _python_message(explorer, texts)
        assert ok, texts
        pos, i, d = (int(float(t)) for t in texts)
        assert reader_text(result) == reader_text(render_result(pos, i, d)), texts
        js, py = _html(result), _html(render_result(pos, i, d))
        k = max(0, next((n for n in range(len(js) + 1) if js[:n] != py[:n]), len(js)) - 80)
        assert js == py, (texts, js[k : k + 160], py[k : k + 160])
        assert reader_text(message) == reader_text(py_message), texts
        last = result
        if (
            d in D_MODELS and pos in POSITIONS
        ):  # in the grid: the controls moved there, as in Python
            assert "上方的控件也已移到这里" in message
            assert w.locator(".widget-readout").first.inner_text().strip() == str(pos)
            line = re.search(r"PE\(\d+, \d+\) = sin\([^)]*\) = \S+", reader_text(result)).group(0)
            shown = w.locator(":scope > .book-hidden-tabs").inner_text()  # the visible panel
            assert line in re.sub(r"\s+", " ", shown), (texts, shown[:300])
        else:
            assert "它不在上方预先算好的格子里" in message

    for texts in BAD:
        message, result = _submit(page, w, boxes, texts)
        ok, py_message = _python_message(explorer, texts)
        assert not ok, texts
        assert reader_text(message) == reader_text(py_message), texts
        if "<b>" in texts[0]:  # what the reader typed is shown as text, not as HTML
            assert "&lt;b&gt;" in message and "<b>" not in message
        assert result == last, texts  # the last good result stays

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    return clock_times(page)


def test_editor_computes_in_the_page_like_python(page):
    times = run(page)
    # Reported, not asserted (pytest -s shows it; the README quotes it).
    print(f"\n{len(times)} Enters: Enter -> panel {timings(times)}")
