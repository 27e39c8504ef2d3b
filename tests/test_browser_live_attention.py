"""第 2 章的两个编辑器在静态网页上（没有内核）用 JS 计算：每个面板与 Python 的逐字相同。

Run on a build that contains chapter 2 (``make book``, or ``BOOK_HTML=...``). The reader's
inputs ("✎ 修改输入") and weight matrices ("✎ 修改权重") are typed into the boxes in Chromium
and Enter is pressed; assets/js/live-attention.js must then have rewritten all 42 precomputed
panels (3 rows x 2 scalings x 7 steps, the hidden tabs the pickers and the step slider switch
between) exactly as ``utils.widgets.attention.AttentionStepper`` renders them after the same
edits in Python (the same HTML, every number rounded the same way), and both editors' message
lines must read like Python's. A bad input gives the Python editor's Chinese message and
keeps every panel. With ``pytest -s`` it prints the time from Enter to the updated panels,
measured in the page (for the README).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from conftest import off_machine, open_page
from live_helpers import clock_runs, clock_times, reader_text, start_clock, timings, wait_clocked

from utils.widgets.attention import SCALINGS, STAGES, AttentionStepper
from utils.widgets.base import NO_KERNEL

CHAPTER = "chapters/02_self_attention.html"
INPUTS, WEIGHTS = 0, 1  # the two editors, in the widget's order
N_ROWS = 3

# (editor, the three texts, good?) in order: each edit starts from the state the ones before
# left, in the page and in the Python stepper alike.
EDITS = [
    (INPUTS, ("1, 0, 1, 0", "0, 0, 0, 0", "1, 1, 1, 1"), True),
    # exact ties at the 4th decimal, rounded half to even as Python does (0.03125 -> 0.0312,
    # 0.15625 -> 0.1562, 0.09375 -> 0.0938), negative numbers, brackets, Chinese separators
    (INPUTS, ("0.03125, -2.5, 0.15625, 0", "[0.09375, 2, 0, -2]", "（1，1；1、1）"), True),
    (INPUTS, ("１, ０, １, ０", "0　2　0　2", "1_0, -0, .5, 3."), True),  # full-width, 1_0 = 10
    # large: non-integer scores past 10^6 are written 1.2345e+06; most weights underflow to 0
    (INPUTS, ("999.5, 0.5, 1000, -999.5", "-1000, 1e3, 0.001, 1e-3", "1e-5, -3.25, 7, 8"), True),
    (INPUTS, ("0.1, 0.2, 0.3, 0.4", "-0.7, 0.05, 0.15, 0.25", "0.333, -0.666, 0.999, 0.001"), True),
    # the second step: the weights
    (
        WEIGHTS,
        (
            "0.5 -1 0 / 2 0 1 / 0 0.25 0 / -3 1 1",
            "0 0 1/1 1 0/0 1 0/1 1 0",
            "[0, 2, 0] ／ [0, 3, 0] ／ [1, 0, 3] ／ [1, 1, 0]",
        ),
        True,
    ),
    (INPUTS, ("1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), True),  # the notes' inputs, new weights
    (
        WEIGHTS,
        (
            "0.1, 0.2, 0.3 / -0.4, 0.5, 0.6 / 0.7, -0.8, 0.9 / 1, 1.1, -1.2",
            "1000, -1000, 0 / 0, 0, 0 / 0.03125, 0, 1 / 1, 1, 1",
            "-1, 0.5, 0.25 / 2, -2, 2 / 0, 0, 0 / 1e-4, 3, 1",
        ),
        True,
    ),
    # a near tie: numpy's x @ W_query (OpenBLAS) is a chain of fused multiply-adds, which
    # makes q2 · k1 = -2948.94374999999991 (just short of the tie): -2948.9437; plain sums of
    # products would give -2948.9437500000004 and show -2948.9438
    (INPUTS, ("2, -1, 0.5, 3", "0.25, 0.25, -0.75, 1", "-3, 2, 1, 0"), True),
    # bad inputs: Python's message, every panel kept
    (INPUTS, ("1, 0, 1", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 0, 1, 0, 5", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 0, 1, 0", "", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 0, 1, 0", "[ ]", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 二, 3, 4", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("<b>1</b>, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 0, 1, 0", "0, 2, 0, 2", "nan, 1, 1, 1"), False),
    (INPUTS, ("1, inf, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("1e400, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("1, 0, 1, 1000.5", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("－1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),  # a full-width minus
    (INPUTS, ("1__0, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("( [1, 0, 1, 0", "0, 2, 0, 2", "1, 1, 1, 1"), False),
    (INPUTS, ("x" * 300, "0, 2, 0, 2", "1, 1, 1, 1"), False),  # the message cut to 200
    (INPUTS, ("😀" * 300, "0, 2, 0, 2", "1, 1, 1, 1"), False),  # ... counting code points
    (WEIGHTS, ("1, 0, 1 / 1, 0, 0", "0 0 1/1 1 0/0 1 0/1 1 0", "0 2 0/0 3 0/1 0 3/1 1 0"), False),
    (WEIGHTS, ("1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1", "", "0 2 0/0 3 0/1 0 3/1 1 0"), False),
    (WEIGHTS, ("1, 0, 1 / / 0, 0, 1 / 0, 1, 1", "0 0 1/1 1 0/0 1 0/1 1 0", "0 2 0/0 3 0"), False),
    (WEIGHTS, ("1, 0 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1", "0 0 1/1 1 0/0 1 0/1 1 0", "0"), False),
    (WEIGHTS, ("1 0 1 / 1 0 0 / 0 0 1 / 0 1 1", "0 0 1/1 1 0/0 1 0/1 1 1e9", "0 2 0"), False),
    (
        WEIGHTS,
        ("1 0 1 / 1 0 0 / 0 0 1 / 0 1 1", "0 0 1/1 1 0/0 1 0/1 1 0", "0 2 0/0 3 0/1 0 3/<i>"),
        False,
    ),
    (WEIGHTS, ("1 0 1 / 1 0 0 / 0 0 1 / 0 1 -inf", "0 0 1/1 1 0/0 1 0/1 1 0", "1 / 2"), False),
    (WEIGHTS, ("[[1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 1]]", "", ""), False),
    # good again after the bad ones: the last good state was kept, so this starts from it
    (
        WEIGHTS,
        (
            "1, 0, 1 / 1, 0, 0 / 0, 0, 1 / 0, 1, 1",
            "0 0 1/1 1 0/0 1 0/1 1 0",
            "0 2 0 / 0 3 0 / 1 0 3 / 1 1 0",
        ),
        True,
    ),
    (INPUTS, ("0, 0, 0, 1", "0, 2, 0, 2", "1, 1, 1, 1"), True),
]

# Every panel of the hidden tabs, as panels[row][scaling][stage] (innerHTML).
PANELS = """(w) => {
  const kids = (el, sel) => [...el.querySelector(':scope > .widget-tab-contents').children]
    .filter((c) => c.matches(sel));
  return kids(w.querySelector(':scope > .book-hidden-tabs'), '.book-hidden-tabs').map((row) =>
    kids(row, '.book-hidden-tabs').map((sc) => kids(sc, '.widget-html').map((h) =>
      h.querySelector(':scope > .widget-html-content').innerHTML)));
}"""


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


def _same(js: str, py: str, where) -> None:
    js, py = _html(js), _html(py)
    k = max(0, next((n for n in range(len(js) + 1) if js[:n] != py[:n]), len(js)) - 80)
    assert js == py, (where, js[k : k + 160], py[k : k + 160])


def _python_panels(stepper):
    return [
        [[stepper.panels[i, s, t].value for t in range(len(STAGES))] for s in (False, True)]
        for i in range(N_ROWS)
    ]


def _open_editors(page):
    open_page(page, CHAPTER)
    w = page.locator(".attn-stepper").first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    editors = w.locator(":scope > .widget-accordion")
    assert editors.count() == 2
    for k in range(2):
        header = editors.nth(k).locator(".jupyter-widget-Collapse-header")
        header.scroll_into_view_if_needed()
        header.click()
    boxes = [editors.nth(k).locator(".book-live input[type=text]") for k in range(2)]
    assert [b.count() for b in boxes] == [3, 3]
    messages = [
        editors.nth(k).locator(".book-live > .widget-html .widget-html-content") for k in range(2)
    ]
    return w, boxes, messages


def _submit(page, boxes, texts):
    runs = clock_runs(page)
    for k, text in enumerate(texts):
        boxes.nth(k).fill(text)
    boxes.nth(2).press("Enter")
    wait_clocked(page, runs)


def run(page):
    """Make every edit in the page and in Python, compare; returns the Enter-to-panel times."""
    w, boxes, messages = _open_editors(page)
    start_clock(page, w)
    for editor in range(2):  # enabled, with no "needs a kernel" note, and say so
        for b in range(3):
            assert boxes[editor].nth(b).is_enabled()
        assert "不需要内核" in messages[editor].inner_text()
    assert not w.locator(".book-needs-kernel-note").count()

    stepper = AttentionStepper()
    apply = (stepper.set_inputs, stepper.set_weights)
    py_messages = (stepper.message, stepper.weight_message)
    before = page.evaluate(PANELS, w.element_handle())
    for i, row in enumerate(_python_panels(stepper)):  # the page starts where Python did
        for s, scaled in enumerate(row):
            for t, html in enumerate(scaled):
                _same(before[i][s][t], html, ("start", i, s, t))

    for editor, texts, good in EDITS:
        _submit(page, boxes[editor], texts)
        assert apply[editor](list(texts)) is good, texts
        for k in range(2):  # both editors' lines, as Python's (a hint not yet replaced: live)
            py = py_messages[k].value.replace(NO_KERNEL, "（在网页里计算，不需要内核。）")
            _same(messages[k].inner_html(), py, (texts, k))
        message = messages[editor].inner_html()
        assert ("book-msg-ok" if good else "book-msg-err") in message, (texts, message)
        if "<" in "".join(texts):  # what the reader typed is shown as text, not as HTML
            assert "&lt;" in message and "<b>" not in message and "<i>" not in message
        panels = page.evaluate(PANELS, w.element_handle())
        for i, row in enumerate(_python_panels(stepper)):
            for s, scaled in enumerate(row):
                for t, html in enumerate(scaled):
                    _same(panels[i][s][t], html, (texts, i, s, t))
        if not good:
            assert panels == before, texts  # the last good state stays, to the character
        before = panels

    # Stepping afterwards shows the new numbers: input 2, divided by √d_k, step ⑦.
    w.get_by_role("button", name="输入 2", exact=True).click()
    w.get_by_role("button", name=SCALINGS[1]).click()
    handle = w.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(len(STAGES) - 1):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([el, name]) => el.textContent.includes(name)",
        arg=[w.locator(".widget-readout").first.element_handle(), STAGES[-1]],
    )
    shown = reader_text(w.locator(":scope > .book-hidden-tabs").inner_text())
    assert shown == reader_text(stepper.panels[1, True, 6].value), shown

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    return clock_times(page)


def test_editors_compute_in_the_page_like_python(page):
    times = run(page)
    # Reported, not asserted (pytest -s shows it; the README quotes it).
    assert len(times) == len(EDITS)
    for good, what in ((True, "good (42 panels rewritten)"), (False, "bad (message only)")):
        runs = [t for t, edit in zip(times, EDITS, strict=True) if edit[2] is good]
        print(f"\n{len(runs)} {what} Enters: Enter -> panels {timings(runs)}")
