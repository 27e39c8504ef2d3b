"""第 3 章的“✎ 输入一个词”在静态网页上（没有内核）用 JS 计算：与 Python 的面板逐字相同。

Run on a build that contains chapter 3 (``make book``, or ``BOOK_HTML=...``). Words are typed
into the editor in Chromium and Enter is pressed; assets/js/live-embedding.js computes the
word's panels from the word2vec reference model (js/book-nn.js, _static/models/word2vec.js).
The panel on show, at every step, must read exactly like the one the Python
EmbeddingExplorer (utils/widgets/embedding.py, with the chapter's vocabulary and the reference
model's W, as in JupyterLab) shows after the same input, the word list must be the same, and
the message line must be the Python editor's. Every word of the vocabulary is typed once, so
every nearest-neighbour ranking is compared. A bad input must give the same Chinese message
and keep the last good state. No request may leave the machine. With ``pytest -s`` it prints
the time from Enter to the updated panel, measured in the page (for the README).
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

from utils.models.corpus import load_sentences
from utils.models.reference import load_reference
from utils.models.word2vec import build_vocab
from utils.widgets.embedding import STAGES, EmbeddingExplorer, render_panel

CHAPTER = "chapters/03_embedding.html"

BAD = ["", "   ", "榴莲", "<b>苹果</b>", "苹果 香蕉", "x" * 300, "😀" * 30]

# The panel a reader sees: the one visible .emb-stage (the explorer's tabs or the live box).
SHOWN = """(w) => {
  const shown = [...w.querySelectorAll('.emb-stage')].filter((e) => e.checkVisibility());
  return shown.map((e) => e.parentElement.innerHTML);
}"""


# Type each word into the box and press Enter (a keydown event), return the panel shown.
EVERY_WORD = """(input, words) => words.map((word) => {
  input.value = word;
  input.dispatchEvent(new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));
  const w = input.closest('.book-emb-explorer');
  const shown = [...w.querySelectorAll('.emb-stage')].filter((e) => e.checkVisibility());
  return shown.length === 1 ? shown[0].parentElement.innerHTML : String(shown.length);
})"""


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
    for tag in soup.find_all(tabindex=True):  # reading.js: a wide table scrolls, by keyboard too
        del tag["tabindex"]
    return str(soup)


def _python_explorer(presets):
    """The chapter's explorer, as JupyterLab runs it (vocabulary and W as in the chapter)."""
    vocab = build_vocab(load_sentences())
    vectors = load_reference("word2vec").in_embed.weight.detach().numpy()
    return EmbeddingExplorer(vocab, vectors, presets)


def _check_shown(page, w, explorer, what):
    """The page shows what the Python explorer shows: the word, its list, the panel."""
    shown = page.evaluate(SHOWN, w.element_handle())
    assert len(shown) == 1, (what, len(shown))
    word, stage = explorer.word_picker.value, explorer.stage_picker.index
    py = explorer.panels[word, stage].value
    a, b = _html(shown[0]), _html(py)
    k = max(0, next((n for n in range(len(a) + 1) if a[:n] != b[:n]), len(a)) - 80)
    assert a == b, (what, a[k : k + 160], b[k : k + 160])
    assert reader_text(shown[0]) == reader_text(py), what
    select = w.locator(":scope > .widget-dropdown select")
    assert select.input_value() == word, what
    options = select.evaluate("s => [...s.options].map(o => o.value)")
    assert options == list(explorer.word_picker.options), what
    return shown[0]


def _open_editor(page):
    open_page(page, CHAPTER)
    w = page.locator(".book-emb-explorer").first
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


def _submit(page, w, box, text):
    runs = clock_runs(page)
    box.fill(text)
    box.press("Enter")
    wait_clocked(page, runs)
    return w.locator(".book-live > .widget-html .widget-html-content").inner_html()


def _stage(w, explorer, s):
    w.locator(":scope > .widget-toggle-buttons button").nth(s).click()
    explorer.stage_picker.index = s


def run(page):
    """Type every input, check the page against Python; returns the Enter-to-panel times."""
    w, box = _open_editor(page)
    start_clock(page, w, EDITOR_HTML, trusted=True)
    assert box.is_enabled()
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()
    presets = w.locator(":scope > .widget-dropdown select").evaluate(
        "s => [...s.options].map(o => o.value)"
    )
    explorer = _python_explorer(presets)
    vocab = explorer.vocab
    _check_shown(page, w, explorer, "start")

    def good(text, what):
        message = _submit(page, w, box, text)
        assert explorer.show_word(text), what
        assert reader_text(message) == reader_text(explorer.message.value), what
        return _check_shown(page, w, explorer, what)

    # A preset; a word of the vocabulary that is not one (its panels are computed here), at
    # every step; the first and last words (the one-hot row's ends); a typed word again.
    good(presets[3], "preset")
    typed = ("老虎", " " + vocab.words[0] + "\u3000", vocab.words[-1], vocab.words[1])
    for n, word in enumerate(typed):
        _stage(w, explorer, (2, 0, 1, 2)[n])  # it opens at the step the buttons are on
        good(word, word)
        for s in range(len(STAGES)):  # the step buttons step the typed word's panels too
            _stage(w, explorer, s)
            _check_shown(page, w, explorer, (word, "step", s))
    good("老虎", "again")
    good(presets[0], "preset after typed words")

    # The word list: a preset, then a typed word, picked from the list.
    select = w.locator(":scope > .widget-dropdown select")
    for word in (presets[5], "老虎", vocab.words[-1], presets[5], presets[0]):
        select.select_option(word)
        explorer.word_picker.value = word
        _check_shown(page, w, explorer, ("picked", word))

    # Bad input: Python's message, and nothing else changes.
    _submit(page, w, box, "老虎")
    explorer.show_word("老虎")
    last = _check_shown(page, w, explorer, "before bad input")
    for text in BAD:
        message = _submit(page, w, box, text)
        assert not explorer.show_word(text), text
        assert reader_text(message) == reader_text(explorer.message.value), text
        assert "<b>" not in message, text  # what the reader typed is shown as text
        assert _check_shown(page, w, explorer, text) == last, text

    # Every word of the vocabulary, at the neighbours step: every ranking as Python's. (Enter
    # is sent from inside the page here, one word after another, to keep the test short.)
    _stage(w, explorer, 2)
    shown = box.evaluate(EVERY_WORD, vocab.words)
    vectors = explorer.vectors
    for word, html in zip(vocab.words, shown, strict=True):
        assert _html(html) == _html(render_panel(vocab, vectors, word, 2)), word

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)
    assert any(u.endswith("/_static/models/word2vec.js") for u in page.requests)
    return clock_times(page)


def test_editor_computes_in_the_page_like_python(page):
    times = run(page)
    # Reported, not asserted (pytest -s shows it; the README quotes it).
    print(f"\n{len(times)} Enters: Enter -> panel {timings(times)}")
