"""第 5 章的解码 widget 在静态网页上（没有内核）用 JS 翻译读者输入的中文数字：与 Python 逐字相同。

Run on a build that contains chapter 5 (``make book``, or ``BOOK_HTML=...``). A numeral is typed
into the "✎ 自己输入" box in Chromium and Enter is pressed; assets/js/live-decoding.js checks it
as utils/models/numerals.py's chinese_to_int does, runs the shipped numerals reference model
(js/book-nn.js, the weights load_reference("numerals") loads) through the greedy loop of
greedy_decode_trace, and fills the custom example's panels. Every panel must read exactly like
the HTML that ``utils.widgets.decoding.render_all`` makes from PyTorch's trace of the same
input (every probability and attention weight rounded the same way: the numbers agree to
within the last digit shown, 1e-4 or better), the custom example must be selected as the
Python editor selects it, and a bad input must give the Python editor's Chinese message and
keep the last good panels. No request leaves the machine. With ``pytest -s`` it prints the
time from Enter to the updated panels, measured in the page (for the README).
"""

from __future__ import annotations

import re

import pytest
import torch
from bs4 import BeautifulSoup
from conftest import off_machine, open_page
from live_helpers import clock_runs, clock_times, reader_text, start_clock, timings, wait_clocked

from utils.models.numerals import int_to_chinese, split_numbers
from utils.models.reference import load_reference
from utils.widgets.decoding import NUM_STEPS, DecodingStepper, render_all, trace

CHAPTER = "chapters/05_assembling.html"

_HELD_OUT = split_numbers()[1]
# Numerals the model never saw in training (held out), 两 spellings, 零, the longest (9
# characters), 10-19 without 一, whitespace around (stripped, as Python strips it).
GOOD = [
    "三百零五",
    int_to_chinese(int(_HELD_OUT[7])),
    int_to_chinese(int(_HELD_OUT[500]), liang=True),
    "零",
    "两万两千二百二十二",
    "九万九千九百九十九",
    "十",
    "一万零一十",
    "七万零六",
    " \u3000两千零八\t",
    int_to_chinese(int(_HELD_OUT[-1])),
]
BAD = [
    "",
    "   ",
    "abc",
    "<b>三</b>",
    "三百<b>",
    "一二三四五六七八九十",  # numeral characters, but 10 of them
    "一" * 30,
    "五五",
    "十万",
    "三百五",  # spoken short form
    "两十",
    "一十五",
    "万",
    "零零",
    "abcdefgh",  # more than 5 kinds of bad characters
    "😀" * 30,
    "3",
]

# The custom example's panels (the last tab of the example tabs), in step order.
PANELS = """(w) => {
  const tabs = w.querySelector(':scope > .book-hidden-tabs > .widget-tab-contents');
  const custom = tabs.children[tabs.children.length - 1];
  return [...custom.querySelectorAll(':scope > .widget-tab-contents > .widget-html')]
    .map((p) => p.querySelector('.widget-html-content').innerHTML);
}"""


def _html(html: str) -> str:
    """The HTML as BeautifulSoup writes it back. In the page: the browser escapes differently
    in innerHTML and puts every table's rows in a <tbody>, fonts/load.js adds the Chinese web
    font to the font-family of elements with Chinese text (on a computer without one), and
    reading.js marks the coloured cells whose text colour it has checked (data-book-ink)."""
    soup = BeautifulSoup(html, "html.parser")
    for body in soup.find_all("tbody"):
        body.unwrap()
    for tag in soup.find_all(style=True):
        tag["style"] = re.sub(r"font-family:[^;]*;?", "", tag["style"]).strip()
        if not tag["style"]:
            del tag["style"]
    for tag in soup.find_all(attrs={"data-book-ink": True}):
        del tag["data-book-ink"]
    return str(soup)


def _same_html(js: str, py: str, where) -> None:
    js, py = _html(js), _html(py)
    k = max(0, next((n for n in range(len(js) + 1) if js[:n] != py[:n]), len(js)) - 80)
    assert js == py, (where, js[k : k + 200], py[k : k + 200])


def _numbers(html: str) -> list[float]:
    """Every probability and attention weight a panel shows (the 4-decimal numbers)."""
    return [float(x) for x in re.findall(r"\d+\.\d{4}(?!\d)", reader_text(html))]


@pytest.fixture(scope="module")
def model():
    return load_reference("numerals")


def _open_editor(page):
    open_page(page, CHAPTER)
    w = page.locator(".dec-stepper").first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    header = w.locator(".jupyter-widget-Collapse-header")
    header.scroll_into_view_if_needed()
    page.evaluate(
        "h => h.addEventListener('click', () => { window.__open = performance.now(); }, true)",
        header.element_handle(),
    )
    header.click()  # opening the editor fetches the model's weights (from this site)
    box = w.locator(".book-live input[type=text]")
    assert box.count() == 1
    # The time from the click to the model ready in the page (fetched, parsed, unpacked).
    ready = page.evaluate("() => BookNN.load('numerals').then(() => performance.now() - __open)")
    return w, box, ready


def _submit(page, w, box, text):
    runs = clock_runs(page)
    box.fill(text)
    box.press("Enter")
    wait_clocked(page, runs)
    message = w.locator(".book-live > .widget-html .widget-html-content").inner_html()
    return message, page.evaluate(PANELS, w.element_handle())


def _shown(w) -> str:
    """The text of the panel the controls above show, without white space."""
    return re.sub(r"\s+", "", w.locator(":scope > .book-hidden-tabs").inner_text())


def run(page, model):
    """Type every input, check the page against Python; returns the Enter-to-panel times."""
    w, box, ready = _open_editor(page)
    start_clock(page, w)
    assert box.is_enabled()  # enabled, with no "needs a kernel" note
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()

    stepper = DecodingStepper(model)  # the Python widget, as in JupyterLab
    buttons = w.locator(":scope > .widget-toggle-buttons button")
    last = None
    for n, text in enumerate(GOOD):
        if n == 1:  # another example and step: the custom example is selected again, the
            buttons.nth(1).click()  # step stays where the reader left it, as in Python
            handle = w.locator(".widget-slider .noUi-handle").first
            handle.focus()
            page.keyboard.press("ArrowRight")
            page.wait_for_function("el => el.innerText.includes('第 2 步')", arg=w.element_handle())
        message, panels = _submit(page, w, box, text)
        assert stepper.set_custom(text), text
        assert reader_text(message) == reader_text(stepper.message.value), text
        answer, steps = trace(model, text)
        expected = render_all(text.strip(), answer, steps)
        assert len(panels) == NUM_STEPS
        for t, (js, py) in enumerate(zip(panels, expected, strict=True)):
            _same_html(js, py, (text, t))
        # Every number shown, against PyTorch's unrounded values (1e-4, the bound).
        torch_numbers = []
        for s in steps:
            torch_numbers += s.cross_attention.mean(dim=1).flatten().tolist()
            top = torch.topk(s.probs, k=3)
            torch_numbers += [float(s.probs[s.chosen]), *top.values.tolist()]
        shown = [x for js in panels[: len(steps)] for x in _numbers(js)]
        assert len(shown) == len(torch_numbers), text
        assert all(abs(a - b) <= 1e-4 for a, b in zip(shown, torch_numbers, strict=True)), text
        # The custom example is the one shown, at the slider's step.
        assert "mod-active" in buttons.last.get_attribute("class"), text
        step = 1 if n >= 1 else 0
        assert f"源序列：{text.strip()}（" in _shown(w), text
        assert re.sub(r"\s+", "", reader_text(panels[step]))[:80] in _shown(w), text
        last = panels

    for text in BAD:
        message, panels = _submit(page, w, box, text)
        assert not stepper.set_custom(text), text
        assert reader_text(message) == reader_text(stepper.message.value), text
        if "<b>" in text:  # what the reader typed is shown as text, not as HTML
            assert "“&lt;”" in message and "<b>" not in message
        assert panels == last, text  # the last good panels stay
        assert "mod-active" in buttons.last.get_attribute("class"), text

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    models = [u for u in page.requests if "/_static/models/" in u]
    assert [u.rsplit("/", 1)[1] for u in models] == ["numerals.js"], models
    return ready, clock_times(page)


def test_editor_decodes_in_the_page_like_python(page, model):
    ready, times = run(page, model)
    good = times[: len(GOOD)]
    bad = sorted(t["panel"] for t in times[len(GOOD) :])
    # Reported, not asserted (pytest -s shows it; the README quotes it).
    print(
        f"\n{len(good)} numerals decoded: Enter -> panels {timings(good)}; "
        f"{len(bad)} bad inputs: Enter -> message median "
        f"{bad[len(bad) // 2]:.1f} ms; editor opened -> model ready {ready:.0f} ms"
    )


def test_model_is_fetched_when_the_editor_opens_and_enter_waits_for_it(page, model):
    held = []  # the model's weights are held back until the reader has pressed Enter
    page.route("**/_static/models/numerals.js", lambda route: held.append(route))
    open_page(page, CHAPTER)
    w = page.locator(".dec-stepper").first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    assert not held and not [u for u in page.requests if "/_static/models/" in u]
    w.locator(".jupyter-widget-Collapse-header").click()
    box = w.locator(".book-live input[type=text]")
    box.fill("四万零七百零三")
    box.press("Enter")
    message = w.locator(".book-live > .widget-html .widget-html-content")
    page.wait_for_function("el => el.innerText.includes('正在加载')", arg=message.element_handle())
    assert len(held) == 1
    held[0].continue_()
    page.wait_for_function(
        "el => el.innerText.includes('已重新解码')", arg=message.element_handle()
    )
    stepper = DecodingStepper(model)
    assert stepper.set_custom("四万零七百零三")
    assert reader_text(message.inner_html()) == reader_text(stepper.message.value)
    panels = page.evaluate(PANELS, w.element_handle())
    for t, (js, py) in enumerate(zip(panels, stepper_panels(stepper), strict=True)):
        _same_html(js, py, t)
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def stepper_panels(stepper) -> list[str]:
    """The Python widget's panels of its custom example."""
    return [p.value for p in stepper.panels[-1]]
