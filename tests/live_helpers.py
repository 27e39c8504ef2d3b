"""What the browser tests of the live editors share (tests/test_browser_live_*.py; not a test).

The page's own clock: ``start_clock`` installs a capturing keydown listener that notes the time
of each Enter (before the editor's handler runs) in ``window.__live``, then the time of the
first change to the watched part of the widget (``panel``) and of the next frame painted with
it (``frame``), all in ms from the Enter. ``clock_runs`` and ``wait_clocked`` let a test press
Enter and wait for that frame; ``timings`` formats the medians the tests print with ``-s``
(reported, never asserted; the README quotes them). ``reader_text``: what a reader sees of some
HTML, for comparing the page's panels and messages with Python's.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

CLOCK = """([w, selector, every, trusted]) => {
  const watched = (root) => selector === null ? [root]
    : every ? [...root.querySelectorAll(selector)] : [root.querySelector(selector)];
  const fixed = w ? watched(w) : null;
  window.__live = [];
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || (trusted && !e.isTrusted)) return;
    let nodes = fixed;
    if (!w) {
      const box = e.target.closest('.book-live');
      if (!box) return;
      nodes = watched(box);
    }
    const t = {enter: performance.now()};
    window.__live.push(t);
    const obs = new MutationObserver(() => {
      if (t.panel !== undefined) return;
      t.panel = performance.now() - t.enter;
      obs.disconnect();
      requestAnimationFrame(() => { t.frame = performance.now() - t.enter; });
    });
    nodes.forEach((n) => obs.observe(n, {childList: true, subtree: true, characterData: true}));
  }, true);
}"""


def reader_text(html: str) -> str:
    """The text a reader sees, whitespace normalised (for Python HTML and the page alike)."""
    return re.sub(r"\s+", " ", BeautifulSoup(html, "html.parser").get_text(" ")).strip()


# An editor's message line (the first) and, where it has one, its result (the second).
EDITOR_HTML = ".book-live > .widget-html .widget-html-content"


def start_clock(page, w=None, selector=None, every=False, trusted=False) -> None:
    """Start timing Enters. ``w``: the widget (a locator), or None for the ``.book-live`` box
    the Enter is typed in. Watched: ``w`` itself (``selector`` None), else its first element
    matching ``selector``, or all of them with ``every``. ``trusted``: only the reader's own
    keys count (not a keydown event a test dispatches)."""
    handle = w.element_handle() if w is not None else None
    page.evaluate(CLOCK, [handle, selector, every, trusted])


def clock_runs(page) -> int:
    """How many Enters the clock has seen so far."""
    return page.evaluate("() => window.__live.length")


def wait_clocked(page, runs: int) -> None:
    """Wait until Enter number ``runs`` (from 0) has changed the page and been painted."""
    page.wait_for_function("n => window.__live.length > n && window.__live[n].frame", arg=runs)


def clock_times(page) -> list[dict]:
    """Every Enter timed so far: {"enter", "panel", "frame"} (ms)."""
    return page.evaluate("() => window.__live")


def timings(rows, first: bool = False) -> str:
    """'median 1.2 ms (max 3.4); -> next frame median 5.6 ms (max 7.8)' for the rows' panel and
    frame times; ``first`` adds the first row's panel time after the max."""
    panel = sorted(t["panel"] for t in rows)
    frame = sorted(t["frame"] for t in rows)
    also = f", first {rows[0]['panel']:.1f}" if first else ""
    return (
        f"median {panel[len(panel) // 2]:.1f} ms (max {panel[-1]:.1f}{also}); "
        f"-> next frame median {frame[len(frame) // 2]:.1f} ms (max {frame[-1]:.1f})"
    )
