"""第 6 章的两个编辑器在静态网页上（没有内核）用随书的参考模型计算：与 Python 的 widget 逐字相同。

Run on a build that contains chapter 6 (``make book``, or ``BOOK_HTML=...``). In Chromium the
reader's prompt is typed into "✎ 换一个开头" and a session into "✎ 换一个会话", and Enter is
pressed; assets/js/live-applications.js runs the shipped reference models in the page
(js/book-nn.js). Every step panel of the selected example must read exactly like the HTML
that the Python widget (GenerationStepper / RecommenderStepper on load_reference's models,
fed the same text with set_prompt / set_session) puts in the same panels: the same
characters chosen, the same attention weights and top-5 probabilities to the 4 decimals the
panels print, the same colours; the dropdown's label changes as in Python. A bad input must
give the Python editor's exact Chinese message and keep the last good panels. Nothing may
leave the machine. With ``pytest -s`` it prints the time from Enter to the updated panels,
measured in the page (for the README).
"""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup
from conftest import off_machine, open_page
from live_helpers import clock_runs, clock_times, reader_text, start_clock, timings, wait_clocked

from utils.models.recommender import CHAINS, ITEMS, next_in_chain
from utils.models.reference import load_reference
from utils.widgets.generation import GenerationStepper
from utils.widgets.recommender import RecommenderStepper

CHAPTER = "chapters/06_applications.html"

# (which example of the dropdown to replace, the text typed)
PROMPTS_GOOD = [
    (0, "我喜欢"),
    (0, " 今天 "),  # stripped, as Python's str.strip()
    (1, "我"),
    (2, "杭州是一个美丽的城市"),
    (2, "我们坐出租车回家我的猫很"),  # 12 characters
    (0, "小猫喜欢吃苹果我们去公园散步了"),  # the longest prompt: 15 + 10 - 1 = 24 = max_len
    (1, "\u3000的"),  # an ideographic space, stripped
]
PROMPTS_BAD = [
    (0, ""),
    (0, "   "),
    (0, "abc<b>"),
    (0, "我喜欢😀"),
    (0, "猫狗ABCDEFG"),  # more than 5 unknown characters: "等 7 种字符"
    (0, "我" * 16),  # 16 + 10 - 1 > 24
    (0, "我" * 400),  # a long message, cut to 200 characters by error_html
    (0, "我 喜欢"),  # a space inside is not in the vocabulary
]
SESSIONS_GOOD = [
    (0, "洗发水，洗发水，手机，手机壳，鸡蛋，零食，耳机"),
    (1, "相机，纸巾，存储卡"),
    (2, "相机, 纸巾、存储卡;三脚架 → 纸巾；牙膏\u3000面包"),  # every separator
    (3, "纸巾，矿泉水，牙膏"),  # no chain item
    (0, "  手机  "),
    (1, "鸡蛋，零食，大米，水果，纸巾，吉他，琴弦"),  # 7 items, the chain's next comes 8th
    (2, "婴儿车，奶瓶，尿不湿"),  # the chain has ended: no expected item
]
# One session per chain item that has a next item: the panel names its rank, and for a
# short session where that item was only ever last in training, the counts.
SESSIONS_GOOD += [
    (3, name) for chain in CHAINS for name in chain if next_in_chain(ITEMS.index(name)) is not None
]
SESSIONS_GOOD += [(0, "面包，酸奶，洗衣液，零食，" + chain[0]) for chain in CHAINS[:3]]
SESSIONS_GOOD += [(1, "大米，食用油，洗衣液，鸡蛋，矿泉水，零食，" + chain[1]) for chain in CHAINS]
SESSIONS_BAD = [
    (0, ""),
    (0, " ，,、 "),
    (0, "相机，猫<b>"),
    (0, "猫，狗，鸟，鱼，猫"),  # 4 unknown names: "等 4 个"
    (0, "很长很长很长很长很长很长很长的名字"),  # quoted, cut after 12 characters
    (0, "纸巾，纸巾，纸巾，纸巾，纸巾，纸巾，纸巾，纸巾"),  # 8 items, at most 7
]

# Every step panel of every example: [example][step] -> innerHTML.
PANELS = """(w) => [...w.querySelectorAll(':scope > .book-hidden-tabs > .widget-tab-contents > *')]
  .map((inner) => [...inner.querySelectorAll(
    ':scope > .widget-tab-contents > * .widget-html-content')].map((p) => p.innerHTML))"""


def _html(html: str) -> str:
    """The HTML as BeautifulSoup writes it back. In the page: the browser escapes differently
    in innerHTML and puts every table's rows in a <tbody>; fonts/load.js adds the Chinese web
    font to the font-family of elements with Chinese text (on a computer without one), and
    reading.js marks coloured cells (data-book-ink) and may set their text colour."""
    soup = BeautifulSoup(html, "html.parser")
    for body in soup.find_all("tbody"):
        body.unwrap()
    for tag in soup.find_all(attrs={"data-book-ink": True}):
        del tag["data-book-ink"]
    for tag in soup.find_all(style=True):
        parts = [p.replace(" ", "") for p in tag["style"].split(";")]
        parts = [p for p in parts if p and not p.startswith(("font-family:", "color:"))]
        tag["style"] = ";".join(parts)
        if not tag["style"]:
            del tag["style"]
    return str(soup)


def _same(js: str, py: str, what) -> None:
    assert reader_text(js) == reader_text(py), what
    a, b = _html(js), _html(py)
    k = max(0, next((n for n in range(len(a) + 1) if a[:n] != b[:n]), len(a)) - 80)
    assert a == b, (what, a[k : k + 160], b[k : k + 160])


@pytest.fixture(scope="module")
def steppers(rec_split):
    return {
        ".book-charlm": GenerationStepper(load_reference("char_lm")),
        ".book-rec": RecommenderStepper(load_reference("sasrec"), rec_split[0]),
    }


def _open(page, selector):
    w = page.locator(selector).first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    header = w.locator(":scope > .widget-accordion .jupyter-widget-Collapse-header")
    header.scroll_into_view_if_needed()
    header.click()
    box = w.locator(".book-live input[type=text]")
    assert box.count() == 1
    assert box.is_enabled()
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()
    return w, box


def _python(stepper, index, text):
    """What the Python widget shows after the reader types ``text`` with example ``index``
    selected: (ok, message, that example's panels, the dropdown's labels)."""
    picker = getattr(stepper, "prompt_picker", None) or stepper.session_picker
    picker.index = index
    ok = stepper.editor.submit(text)
    panels = [p.value for p in stepper.panels[index]]
    return ok, stepper.message.value, panels, list(picker.options)


def _submit(page, w, box, index, text):
    w.locator(":scope > .widget-dropdown select").select_option(index=index)
    runs = clock_runs(page)
    box.fill(text)
    box.press("Enter")
    wait_clocked(page, runs)
    message = w.locator(".book-live > .widget-html .widget-html-content").inner_html()
    labels = w.locator(":scope > .widget-dropdown select").evaluate(
        "s => [...s.options].map((o) => [o.value, o.textContent.replace(/\\u00a0/g, ' ')])"
    )
    return message, page.evaluate(PANELS, w.element_handle())[index], labels


def check(page, steppers, selector, good, bad):
    w, box = _open(page, selector)
    stepper = steppers[selector]
    shown = page.evaluate(PANELS, w.element_handle())
    for index, text in good:
        message, panels, labels = _submit(page, w, box, index, text)
        ok, py_message, py_panels, py_labels = _python(stepper, index, text)
        assert ok, (text, py_message)
        _same(message, py_message, text)
        assert len(panels) == len(py_panels)
        for t, (js, py) in enumerate(zip(panels, py_panels, strict=True)):
            _same(js, py, (text, t))
        assert labels == [[x, x] for x in py_labels], text
        shown[index] = panels
        # The panel on view (the slider's step of the selected example) is the new one.
        visible = re.sub(r"\s+", "", w.locator(":scope > .book-hidden-tabs").inner_text())
        assert visible in [re.sub(r"\s+", "", reader_text(p)) for p in panels], (text, visible)

    for index, text in bad:
        message, _, labels = _submit(page, w, box, index, text)
        ok, py_message, _, py_labels = _python(stepper, index, text)
        assert not ok, text
        _same(message, py_message, text)
        if "<b>" in text:  # what the reader typed is shown as text, not as HTML
            assert "&lt;" in message and "<b>" not in message
        # The last good panels stay, of every example, and the labels.
        assert page.evaluate(PANELS, w.element_handle()) == shown, text
        assert labels == [[x, x] for x in py_labels], text


def test_generation_and_recommender_compute_in_the_page_like_python(page, steppers):
    open_page(page, CHAPTER)
    # Timed: Enter to the changed message of its editor (written after the panels).
    start_clock(page, selector=":scope > .widget-html .widget-html-content")
    check(page, steppers, ".book-charlm", PROMPTS_GOOD, PROMPTS_BAD)
    check(page, steppers, ".book-rec", SESSIONS_GOOD, SESSIONS_BAD)
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    models = [u for u in page.requests if "/_static/models/" in u]
    assert sorted(u.rsplit("/", 1)[1] for u in models) == ["char_lm.js", "sasrec.js"], models

    # Reported, not asserted (pytest -s shows it; the README quotes it).
    times = clock_times(page)
    runs = (
        ("generation", PROMPTS_GOOD, PROMPTS_BAD),
        ("recommendation", SESSIONS_GOOD, SESSIONS_BAD),
    )
    for name, good, bad in runs:
        part, times = times[: len(good) + len(bad)], times[len(good) + len(bad) :]
        for kind, rows in (("good", part[: len(good)]), ("bad", part[len(good) :])):
            print(
                f"\n{name}, {len(rows)} {kind} inputs: Enter -> panel {timings(rows, first=True)}"
            )
