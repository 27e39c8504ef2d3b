"""第 1 章的“✎ 换一批源序列”在静态网页上（没有内核）用 JS 计算：与 Python 的面板逐字相同。

Run on a build that contains chapter 1 (``make book``, or ``BOOK_HTML=...``). A batch of
Chinese numerals is typed into the editor in Chromium and Enter is pressed; every panel of
the stepper that assets/js/live-shapes.js rewrites must read exactly like the one the Python
ShapeStepper (utils/widgets/shapes.py, tracing a real forward pass with
utils.nn.transformer.trace_shapes) renders for the same text, and the message line must be
the Python editor's. A bad input must give the same Chinese message as the Python editor and
keep the last good panels. No request may leave the machine. With ``pytest -s`` it prints the
time from Enter to the updated panels, measured in the page (for the README).
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

from utils.models.numerals import make_model
from utils.widgets.shapes import ShapeStepper

CHAPTER = "chapters/01_architecture.html"
START = ["三百零五", "两千零八", "一万零五十"]  # the chapter's batch

GOOD = [
    "三百零五，两千零八，一万零五十",  # the page's own batch
    "十五",
    "九万九千九百九十九, 零",  # the longest source, the shortest target
    " 一  二 三、四;五；六,七，八 ",  # 8 numerals, every separator, spaces around
    "两万两千二百零二",  # 两 before 万 and 千, 二 before 百
    "一百一十五\u3000十",  # an ideographic space separates too (Python's \s)
    "九万零九",
    "二千，两千",  # both spellings of 2000
]
BAD = [
    "",
    " ，， ",
    "一 二 三 四 五 六 七 八 九",  # 9 numerals
    "三百零五，abc",
    "三百零五，一<b>",  # escaped in the message
    "甲乙丙丁戊己庚辛壬",  # more than 5 kinds of bad characters
    "一二三四五六七八九十",  # numeral characters only, but too long
    "五五",
    "万",
    "三百五",  # the spoken short form
    "一十五",
    "零五",
    "十万",
    "三百零五，九万零九，十十",  # the third one is wrong
    "😀" * 30,
]


def _html(html: str) -> str:
    """The HTML as BeautifulSoup writes it back (the browser escapes differently in
    innerHTML; fonts/load.js may add the Chinese web font to an element's font-family)."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.find_all(style=True):
        tag["style"] = re.sub(r"font-family:[^;]*;?", "", tag["style"]).strip()
        if not tag["style"]:
            del tag["style"]
    return str(soup)


def _same(js: str, py: str, what) -> None:
    a, b = _html(js), _html(py)
    k = max(0, next((n for n in range(len(a) + 1) if a[:n] != b[:n]), len(a)) - 80)
    assert a == b, (what, a[k : k + 160], b[k : k + 160])
    assert reader_text(js) == reader_text(py), what


def _open_editor(page):
    open_page(page, CHAPTER)
    w = page.locator(".book-shapes").first
    w.wait_for(state="visible", timeout=20_000)
    # "1": live; "off": the page's panels are not what this script computes (it says so).
    page.wait_for_function(
        "el => ['1', 'off'].includes(el.dataset.bookLive)", arg=w.element_handle(), timeout=20_000
    )
    assert w.get_attribute("data-book-live") == "1", "the script's panels differ from the page's"
    header = w.locator(".jupyter-widget-Collapse-header")
    header.scroll_into_view_if_needed()
    header.click()
    box = w.locator(".book-live input[type=text]")
    assert box.count() == 1
    return w, box


def _panels(w) -> list[str]:
    return w.locator(
        ":scope > .book-hidden-tabs > .widget-tab-contents > .widget-html > .widget-html-content"
    ).evaluate_all("els => els.map(e => e.innerHTML)")


def _submit(page, w, box, text):
    runs = clock_runs(page)
    box.fill(text)
    box.press("Enter")
    wait_clocked(page, runs)
    message = w.locator(".book-live > .widget-html .widget-html-content").inner_html()
    return message, _panels(w)


def run(page):
    """Type every input, check the page against Python; returns the Enter-to-panel times."""
    w, box = _open_editor(page)
    start_clock(page, w, EDITOR_HTML)
    assert box.is_enabled()
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()

    stepper = ShapeStepper(make_model(), START)  # the chapter's widget, as in JupyterLab
    assert box.input_value() == stepper.editor.fields[0].value
    for js, panel in zip(_panels(w), stepper.panels, strict=True):  # the page as Python left it
        _same(js, panel.value, "start")

    last = None
    for text in GOOD + BAD:
        message, panels = _submit(page, w, box, text)
        ok = stepper.editor.submit(text)
        assert reader_text(message) == reader_text(stepper.message.value), text
        assert "<b>" not in message, text  # what the reader typed is shown as text
        assert ok == (text in GOOD), text
        if ok:
            assert len(panels) == len(stepper.panels)
            for t, (js, panel) in enumerate(zip(panels, stepper.panels, strict=True)):
                _same(js, panel.value, (text, t))
            last = panels
        else:
            assert panels == last, text  # the last good panels stay
        if text == GOOD[0]:
            # The slider still steps through the new panels (the visible one is the slider's).
            w.locator(".noUi-handle").first.focus()
            w.locator(".noUi-handle").first.press("ArrowRight")
            shown = w.locator(":scope > .book-hidden-tabs").inner_text()
            assert "第 2 步" in shown, shown[:200]

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    return clock_times(page)


def test_editor_traces_in_the_page_like_python(page):
    times = run(page)
    # Reported, not asserted (pytest -s shows it; the README quotes it).
    print(f"\n{len(times)} Enters: Enter -> panels {timings(times)}")
