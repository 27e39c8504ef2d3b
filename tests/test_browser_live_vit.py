"""第 7 章的 ViT 在静态网页上（没有内核）用 JS 计算：换图、自己画的数字，与 Python 逐字相同。

Run on a build that contains chapter 7 (``make book``, or ``BOOK_HTML=...``). In Chromium:

* test-set indices typed into the editor's box (some of the six precomputed images, most not)
  fill every panel of the selected image (four stages, every layer and head) that
  assets/js/live-vit.js computes with the reference model (js/book-nn.js); each must read
  exactly like the HTML of ``VitExplorer._render`` for that index, the picker's label and the
  message like the Python editor's; bad input gives the Python editor's message and keeps
  every panel;
* strokes drawn on the drawing board with the mouse, a finger (touch events) and the keyboard
  paint the cells they cross; the drawn pixels, read back from the page, go through
  ``utils.models.vit.trace`` and the same render functions (the sentences about the true
  digit replaced: a drawing has none), and every panel of the drawing's slot must match;
  its probabilities, tokens and attention weights must equal PyTorch's within 1e-4;
* the clear button empties the board, the copy button puts the selected test image on it;
* no request leaves the machine. With ``pytest -s`` it prints the time from Enter, a pointer
  press or a key to the updated panels, measured in the page (for the README).
"""

from __future__ import annotations

import re

import pytest
import torch
from bs4 import BeautifulSoup
from conftest import off_machine, open_page
from live_helpers import timings

from utils.models.reference import load_reference
from utils.models.vit import load_digits_split, trace
from utils.widgets.vit import (
    VitExplorer,
    render_attention,
    render_patches,
    render_prediction,
    render_tokens,
)

CHAPTER = "chapters/07_vision_transformer.html"
SCALE = 16  # the digits' pixels are 0..16; the model's input is pixel / 16
DRAWN = "你画的图"
WORST: list[float] = []  # the largest difference from PyTorch of each image checked

# (slot to select, text): in the precomputed six and outside them, odd spellings Python reads.
GOOD = [
    (0, "5"),
    (1, "359"),
    (2, "0"),
    (3, " 123 "),
    (4, "7.0"),
    (5, "１２"),  # full-width digits, as Python's float() reads them
    (0, "1_0"),  # Python's float() reads "1_0" as 10
    (1, "16"),  # one of the precomputed images
    (2, "+200"),
]
BAD = [
    "",
    "abc<b>",
    "3.5",
    "nan",
    "inf",
    "360",
    "-1",
    "1e400",
    "1e300",
    "x" * 40,
    "😀" * 30,  # cut after 20 characters (code points), as Python counts
]

# The page's own clock: Enter in the editor, a press on the board or a key on it (capture,
# before the page's handlers) to the first change of the panels, and to the next frame.
CLOCK = """(w) => {
  window.__live = [];
  let current = null;
  const start = (kind) => {
    current = {kind: window.__tag ? kind + ' ' + window.__tag : kind, t0: performance.now()};
    window.__live.push(current);
  };
  document.addEventListener('keydown', (e) => {
    if (!e.target.closest) return;
    if (e.key === 'Enter' && e.target.matches('.book-live input')) start('enter');
    else if (e.target.closest('.vit-draw-grid')) start('key');
  }, true);
  document.addEventListener('pointerdown', (e) => {
    if (e.target.closest && e.target.closest('.vit-draw-grid')) start('press');
  }, true);
  const seen = () => {
    const t = current;
    if (!t || t.panel !== undefined) return;
    t.panel = performance.now() - t.t0;
    requestAnimationFrame(() => { t.frame = performance.now() - t.t0; });
  };
  const obs = new MutationObserver(seen);
  obs.observe(w.querySelector(':scope > .book-hidden-tabs'),
              {childList: true, subtree: true, characterData: true});
  obs.observe(w.querySelector('.book-live > .widget-html .widget-html-content'),
              {childList: true, subtree: true, characterData: true});
  obs.observe(w.querySelector('.vit-draw-msg'),
              {childList: true, subtree: true, characterData: true});
}"""

# Every panel of image slot s, keyed as live-vit.js keys them (the widget's nested tabs).
PANELS = """([w, s]) => {
  const kids = (tab) => [...tab.querySelector(':scope > .widget-tab-contents').children];
  const html = (p) => p.querySelector(':scope > .widget-html-content').innerHTML;
  const stages = kids(kids(w.querySelector(':scope > .book-hidden-tabs'))[s]);
  const out = {patches: html(stages[0]), tokens: html(stages[1]), pred: html(stages[3])};
  kids(stages[2]).forEach((layer, l) => kids(layer).forEach((p, h) => {
    out['attn/' + l + '/' + h] = html(p);
  }));
  return out;
}"""

SETTLED = """(w) => new Promise((done) => {
  const b = w.bookLive.board;
  const wait = () => {
    if (b.dirty || b.frame || b.stroke) return requestAnimationFrame(wait);
    requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
  };
  wait();
})"""


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()


def _html(html: str) -> str:
    """The HTML as BeautifulSoup writes it back. In the page: the browser escapes differently
    in innerHTML and puts every table's rows in a <tbody>; reading.js marks coloured cells
    (data-book-ink) and may give their text a colour; fonts/load.js may add the web font."""
    soup = BeautifulSoup(html, "html.parser")
    for body in soup.find_all("tbody"):
        body.unwrap()
    for tag in soup.find_all(attrs={"data-book-ink": True}):
        del tag["data-book-ink"]
    for tag in soup.find_all(style=True):
        parts = [re.sub(r"\s+", "", d) for d in tag["style"].split(";")]
        parts = [d for d in parts if d and not d.startswith(("color:", "font-family:"))]
        if parts:
            tag["style"] = ";".join(parts)
        else:
            del tag["style"]
    return str(soup)


def _same(js: str, py: str, what) -> None:
    a, b = _html(js), _html(py)
    k = max(0, next((n for n in range(len(a) + 1) if a[:n] != b[:n]), len(a)) - 80)
    assert a == b, (what, a[k : k + 200], b[k : k + 200])


@pytest.fixture(scope="module")
def book():
    vit = load_reference("vit")
    split = load_digits_split(test_size=0.2, seed=0)
    picks = [int((split.y_test == d).nonzero()[0]) for d in (0, 1, 3, 4, 7, 8)]  # chapter 7's
    return vit, split, VitExplorer(vit, split, indices=picks)


def _python_panels(explorer, idx) -> dict[str, str]:
    out = {}
    for (kind, layer, head), value in explorer._render(idx).items():
        out[kind if layer is None else f"attn/{layer}/{head}"] = value
    return out


def _drawn_trace(vit, pixels):
    image = torch.tensor(pixels, dtype=torch.float32).reshape(1, 8, 8) / SCALE
    return trace(vit, image)


def _drawn_panels(vit, t) -> dict[str, str]:
    """The Python panels of a drawing: render_* as for a test image, but a drawing has no
    index and no true digit (live-vit.js says so instead)."""
    p = vit.patch_size
    patches = render_patches(t, p, 0, 0)
    assert patches.count("测试集第 0 张图，真实数字 <b>0</b>。") == 1
    pred, n = re.subn(
        r"，真实 <b>0</b>：[✓✗] (?:正确|错误)。",
        "；这是你画的图，没有真实数字可以对照。",
        render_prediction(t, 0),
    )
    assert n == 1
    out = {
        "patches": patches.replace("测试集第 0 张图，真实数字 <b>0</b>。", f"{DRAWN}。"),
        "tokens": render_tokens(t),
        "pred": pred,
    }
    heads = t.attention[0].shape[0]
    for layer in range(len(t.attention)):
        for h in range(heads + 1):
            out[f"attn/{layer}/{h}"] = render_attention(t, p, layer, None if h == heads else h)
    return out


def _numbers_match(page, w, t) -> float:
    """The page's last computed image against PyTorch's trace: the largest difference."""
    got = page.evaluate(
        """(w) => { const t = w.bookLive.lastTrace; return {
          probs: Array.from(t.probs),
          tokens: t.tokens.map((r) => Array.from(r)),
          attention: t.attention.map((l) => l.map((h) => h.map((r) => Array.from(r)))),
        }; }""",
        w.element_handle(),
    )
    diffs = [
        (torch.tensor(got["probs"], dtype=torch.float64) - t.probs).abs().max(),
        (torch.tensor(got["tokens"], dtype=torch.float64) - t.tokens).abs().max(),
    ]
    for layer, a in enumerate(t.attention):
        diffs.append((torch.tensor(got["attention"][layer], dtype=torch.float64) - a).abs().max())
    worst = float(max(diffs))
    assert worst < 1e-4, worst
    return worst


def _slot_labels(w):
    buttons = w.locator(":scope > .widget-toggle-buttons").first.locator("button")
    return [buttons.nth(k).inner_text().strip() for k in range(buttons.count())]


def _select(page, w, slot):
    w.locator(":scope > .widget-toggle-buttons").first.locator("button").nth(slot).click()
    page.wait_for_function(
        "([w, s]) => w.querySelector(':scope > .widget-toggle-buttons')"
        ".querySelectorAll('button')[s].classList.contains('mod-active')",
        arg=[w.element_handle(), slot],
    )


def _selected(page, w) -> int:
    return page.evaluate(
        "(w) => [...w.querySelector(':scope > .widget-toggle-buttons')"
        ".querySelectorAll('button')].findIndex((b) => b.classList.contains('mod-active'))",
        w.element_handle(),
    )


def _panels(page, w, slot):
    """Slot ``slot``'s panels as the page has them (to check that they stay as they were)."""
    return page.evaluate(PANELS, [w.element_handle(), slot])


def _pixels(page, w) -> list[int]:
    return page.evaluate(
        "(w) => [...w.querySelectorAll('.vit-draw-cell')].map((c) => Number(c.dataset.v))",
        w.element_handle(),
    )


def _centres(page, w):
    w.locator(".vit-draw-grid").scroll_into_view_if_needed()
    return page.evaluate(
        """(w) => [...w.querySelectorAll('.vit-draw-cell')].map((c) => {
          const r = c.getBoundingClientRect();
          return [r.left + r.width / 2, r.top + r.height / 2];
        })""",
        w.element_handle(),
    )


def _mouse_stroke(page, w, cells):
    at = _centres(page, w)
    page.mouse.move(*at[cells[0]])
    page.mouse.down()
    for k in cells[1:]:
        page.mouse.move(*at[k], steps=3)
    page.mouse.up()
    page.evaluate(SETTLED, w.element_handle())


def _touch_stroke(page, w, cdp, cells):
    at = _centres(page, w)
    x, y = at[cells[0]]
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for k in cells[1:]:
        x, y = at[k]
        cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]}
        )
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.evaluate(SETTLED, w.element_handle())


def _brush(w, value):
    w.locator(f'.vit-draw-tools button[data-value="{value}"]').click()


def _submit(page, w, box, text, tag="good"):
    runs = page.evaluate("(tag) => { window.__tag = tag; return window.__live.length; }", tag)
    box.fill(text)
    box.press("Enter")
    page.wait_for_function("n => window.__live.length > n && window.__live[n].frame", arg=runs)
    page.evaluate("() => new Promise((d) => requestAnimationFrame(() => requestAnimationFrame(d)))")
    page.evaluate("() => { window.__tag = ''; }")
    return w.locator(".book-live > .widget-html .widget-html-content").first.inner_html()


def _check_drawing(page, w, vit, expected_pixels=None):
    """The drawing's slot shows the Python panels of the pixels on the board."""
    pixels = _pixels(page, w)
    if expected_pixels is not None:
        assert pixels == expected_pixels
    slot = _selected(page, w)
    assert _slot_labels(w)[slot] == DRAWN
    t = _drawn_trace(vit, pixels)
    js = page.evaluate(PANELS, [w.element_handle(), slot])
    py = _drawn_panels(vit, t)
    assert js.keys() == py.keys()
    for key in py:
        _same(js[key], py[key], ("drawing", key))
    message = w.locator(".vit-draw-msg").inner_text()
    pred = int(t.probs.argmax())
    assert f"模型认为你画的是 {pred}（{100 * float(t.probs[pred]):.1f}%）" in message, message
    WORST.append(_numbers_match(page, w, t))
    return slot


def _open(page):
    open_page(page, CHAPTER)
    w = page.locator(".vit-explorer").first
    w.wait_for(state="visible", timeout=20_000)
    page.wait_for_function("el => el.dataset.bookLive === '1'", arg=w.element_handle())
    header = w.locator(".jupyter-widget-Collapse-header")
    header.scroll_into_view_if_needed()
    header.click()
    box = w.locator(".book-live input[type=text]")
    assert box.count() == 1
    return w, box


@pytest.fixture
def touch_page(browser, site_url):
    """Like conftest's page, on a device with a touch screen (and a mouse)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, has_touch=True)
    pg = context.new_page()
    pg.requests, pg.errors = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.site_url = site_url
    yield pg
    context.close()


def test_vit_explorer_computes_in_the_page_like_python(touch_page, book):
    page = touch_page
    vit, split, explorer = book
    w, box = _open(page)
    page.evaluate(CLOCK, w.element_handle())
    assert box.is_enabled()
    assert not w.locator(".book-needs-kernel-note").count()
    assert "不需要内核" in w.locator(".book-live").inner_text()

    # ---- test-set indices typed into the editor
    for slot, text in GOOD:
        _select(page, w, slot)
        others = {s: _panels(page, w, s) for s in range(6) if s != slot}
        message = _submit(page, w, box, text)
        ok = explorer.show_index(text)
        assert ok, text
        assert _text(message) == _text(explorer.message.value), text
        idx = int(float(text.replace("１２", "12").replace("_", "")))
        label = int(split.y_test[idx])
        assert _slot_labels(w)[slot] == f"#{idx}（{label}）"
        assert _selected(page, w) == slot
        js = page.evaluate(PANELS, [w.element_handle(), slot])
        py = _python_panels(explorer, idx)
        assert js.keys() == py.keys()
        for key in py:
            _same(js[key], py[key], (text, key))
        for s, before in others.items():  # the other images stay as they were
            assert _panels(page, w, s) == before, (text, s)
        WORST.append(_numbers_match(page, w, trace(vit, split.x_test[idx])))
        shown = w.locator(":scope > .book-hidden-tabs").inner_text()  # the visible panel
        assert f"测试集第 {idx} 张图" in shown, (text, shown[:200])

    # ---- bad indices: Python's message, every panel and label kept
    before = (_slot_labels(w), [_panels(page, w, s) for s in range(6)])
    for text in BAD:
        message = _submit(page, w, box, text, "bad")
        assert not explorer.show_index(text), text
        assert _text(message) == _text(explorer.message.value), text
        if "<b>" in text:  # what the reader typed is shown as text, not as HTML
            assert "&lt;b&gt;" in message and "<b>" not in message
        assert (_slot_labels(w), [_panels(page, w, s) for s in range(6)]) == before, text

    # ---- drawing (in the editor, whose title says so): the first stroke goes into the
    # selected slot
    board = w.locator(".book-live .vit-draw")
    assert board.count() == 1 and board.is_visible()
    assert "自己画一个数字" in w.locator(".jupyter-widget-Collapse-header").inner_text()
    assert "清除" in board.inner_text()
    _select(page, w, 3)
    keep = {s: _panels(page, w, s) for s in (0, 1, 2, 4, 5)}
    ring = [10, 11, 12, 13, 21, 29, 37, 45, 53, 52, 51, 50, 42, 34, 26, 18, 10]  # a "0"
    _mouse_stroke(page, w, ring)
    expected = [SCALE if k in ring else 0 for k in range(64)]
    assert _check_drawing(page, w, vit, expected) == 3
    for s, before in keep.items():
        assert _panels(page, w, s) == before, s

    # a finger, with the grey brush: a row through the middle
    _brush(w, 8)
    cdp = page.context.new_cdp_session(page)
    middle = [33, 34, 35, 36, 37, 38]
    _touch_stroke(page, w, cdp, middle)
    for k in middle:
        expected[k] = 8
    _check_drawing(page, w, vit, expected)

    # a stroke that starts on a cell of the brush's colour takes the colour away
    _mouse_stroke(page, w, [35, 36])
    expected[35] = expected[36] = 0
    _check_drawing(page, w, vit, expected)

    # with another image selected, strokes still go to the drawing's slot, which is selected
    _select(page, w, 0)
    _brush(w, 4)
    _mouse_stroke(page, w, [0, 7])  # a drag along the top row paints every cell it crosses
    for k in range(8):
        expected[k] = 4
    assert _check_drawing(page, w, vit, expected) == 3

    # the keyboard: arrows move, Space paints
    _brush(w, 16)
    w.locator(".vit-draw-grid").focus()
    for key in ("ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowDown", "ArrowRight"):
        w.locator(".vit-draw-grid").press(key)
    w.locator(".vit-draw-grid").press("Space")
    page.evaluate(SETTLED, w.element_handle())
    cursor = page.evaluate("(w) => w.bookLive.board.cursor", w.element_handle())
    expected[cursor] = 0 if expected[cursor] == SCALE else SCALE
    _check_drawing(page, w, vit, expected)

    # a bad index keeps the drawing
    before = _panels(page, w, 3)
    message = _submit(page, w, box, "abc", "bad")
    assert not explorer.show_index("abc")
    assert _text(message) == _text(explorer.message.value)
    assert _panels(page, w, 3) == before and _slot_labels(w)[3] == DRAWN

    # the clear button: an empty board, and the drawing's panels show it
    w.locator(".vit-draw-clear").click()
    page.evaluate(SETTLED, w.element_handle())
    _check_drawing(page, w, vit, [0] * 64)

    # a test index typed while the drawing is selected replaces it
    _submit(page, w, box, "77")
    assert explorer.show_index("77")
    assert _slot_labels(w)[3] == f"#77（{int(split.y_test[77])}）"
    # the copy button puts the selected test image on the board; a stroke then edits it there
    _select(page, w, 3)
    w.locator(".vit-draw-copy").click()
    page.wait_for_function(
        "(w) => w.querySelector('.vit-draw-msg').textContent.includes('复制')",
        arg=w.element_handle(),
    )
    copied = [round(float(v) * SCALE) for v in split.x_test[77].flatten()]
    assert _pixels(page, w) == copied
    _mouse_stroke(page, w, [63])
    copied[63] = 0 if copied[63] == SCALE else SCALE
    assert _check_drawing(page, w, vit, copied) == 3

    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)

    # Reported, not asserted (pytest -s shows it; the README quotes it).
    times = page.evaluate("() => window.__live.filter((t) => t.frame !== undefined)")
    kinds = (
        ("enter good", "Enter (good index)"),
        ("enter bad", "Enter (bad index)"),
        ("press", "pointer press (mouse, touch)"),
        ("key", "key on the board"),
    )
    for kind, name in kinds:
        rows = [t for t in times if t["kind"] == kind]
        if rows:
            print(f"\n{len(rows)} x {name} -> panels {timings(rows)}", end="")
    print(
        f"\nlargest difference from PyTorch over {len(WORST)} images (probabilities, tokens, "
        f"attention): {max(WORST):.1e}"
    )
