"""浏览器测试：慢速网络下每章多快显示出正文和 widget（issue 19 "Heavy pages"）。

Every chapter is opened in Chromium with the network throttled to a 10 Mbit/s link (CDP
``Network.emulateNetworkConditions``: 10 Mbit/s down, 5 Mbit/s up, 40 ms latency, cache off)
and timed: first contentful paint (FCP, the browser's own entry), the moment the first
widget is on the page and the moment its first editor computes in the page (class
``book-live``, issue 18), both seen by MutationObservers installed before the page's scripts.
The page is served twice: as ``python -m http.server`` (and ``make serve``) serves it, raw
bytes, and
gzip-compressed as web hosts serve HTML, JS and CSS (images and the WOFF2 font are already
compressed).

Targets (issue 19): first paint <= 1.5 s, widgets <= 3 s, for every chapter served
compressed. The widget manager alone is 3.6 MB raw, 2.9 s at 10 Mbit/s, so the widget target
can only be met compressed. The tests do not hold the pages to those times (they depend on
the CPU, and a test machine is shared with other tests): they check what makes the times
possible, on the throttled link: the text is painted before the widget manager has arrived,
the widgets then render, no page errors, nothing leaves the machine. The times are measured
by running this file as a script, and reported in the README.

Run as a script to print the table for a built site (for the README's figures)::

    .venv/bin/python tests/test_browser_load.py [_build/html] [--gzip]
"""

from __future__ import annotations

import functools
import gzip
import http.server
import io
import os
import re
import sys
import threading
from pathlib import Path

import pytest
from conftest import SITE, chromium_path, off_machine
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(f"chapters/{p.stem}.html" for p in (ROOT / "chapters").glob("*.ipynb"))

MBIT = 1_000_000 / 8  # bytes per second
NETWORK = {
    "offline": False,
    "latency": 40,
    "downloadThroughput": 10 * MBIT,
    "uploadThroughput": 5 * MBIT,
}

# Installed before the page's scripts: when the first widget appears.
WATCH_WIDGETS = """
window.__bookFirstWidget = null;
new MutationObserver((records, observer) => {
  if (document.querySelector('.widget-subarea .jupyter-widgets')) {
    window.__bookFirstWidget = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
window.__bookFirstLive = null;
new MutationObserver((records, observer) => {
  if (document.querySelector('.book-live')) {
    window.__bookFirstLive = performance.now();
    observer.disconnect();
  }
}).observe(document, {childList: true, subtree: true});
"""

# The targets of issue 19 (seconds), reported by the script, not asserted by the tests.
TARGET_FCP = 1.5
TARGET_WIDGET = 3.0


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser dropped a request it no longer needed


class GzipHandler(_Quiet):
    """Serves HTML, JS, CSS, JSON, SVG and text gzip-compressed, as web hosts do."""

    COMPRESS = {".html", ".js", ".css", ".json", ".svg", ".txt", ".map", ".inv"}
    _cache: dict = {}

    def send_head(self):
        path = self.translate_path(self.path)
        if (
            os.path.isfile(path)
            and os.path.splitext(path)[1] in self.COMPRESS
            and "gzip" in self.headers.get("Accept-Encoding", "")
        ):
            key = (path, os.stat(path).st_mtime_ns)
            body = self._cache.get(key)
            if body is None:
                with open(path, "rb") as f:
                    body = self._cache[key] = gzip.compress(f.read(), 6, mtime=0)
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            return io.BytesIO(body)
        return super().send_head()


def serve(directory: Path, handler=_Quiet):
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def measure(browser, base: str, path: str) -> dict:
    """Open ``path`` on a throttled link; first paint, first widget, bytes and requests.

    Chromium's emulated link has twice stalled here with every request of a page pending
    (nothing at all arrived, on a machine under heavy load); such a load is tried once more
    in a fresh context. A page that stalls twice fails, naming the requests still pending."""
    try:
        return _measure(browser, base, path)
    except _Stalled as e:
        print(f"{path}: {e}; once more")
        return _measure(browser, base, path)


class _Stalled(AssertionError):
    pass


def _measure(browser, base: str, path: str) -> dict:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors, urls = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    page.add_init_script(WATCH_WIDGETS)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send("Network.emulateNetworkConditions", NETWORK)
    received: dict[str, int] = {}
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(e["requestId"], e["encodedDataLength"]),
    )
    pending: dict[str, str] = {}  # the requests not finished yet, to name them on a timeout
    cdp.on(
        "Network.requestWillBeSent",
        lambda e: pending.__setitem__(e["requestId"], e["request"]["url"]),
    )
    cdp.on("Network.loadingFinished", lambda e: pending.pop(e["requestId"], None))
    cdp.on("Network.loadingFailed", lambda e: pending.pop(e["requestId"], None))
    try:
        page.goto(f"{base}/{path}", wait_until="domcontentloaded", timeout=60_000)
        has_widgets = page.locator(
            'script[type="application/vnd.jupyter.widget-view+json"]'
        ).count()
        if has_widgets:
            page.wait_for_function("window.__bookFirstWidget !== null", timeout=60_000)
            try:  # the first editor that computes in the page (issue 18), if the page has one
                page.wait_for_function("window.__bookFirstLive !== null", timeout=10_000)
            except PlaywrightTimeout:
                pass
        page.wait_for_function(
            "performance.getEntriesByName('first-contentful-paint').length > 0", timeout=60_000
        )
    except PlaywrightTimeout as e:
        context.close()
        raise _Stalled(f"{path}：等待超时；还没下载完的请求：{sorted(pending.values())}") from e
    timing = page.evaluate(
        """() => ({
          fcp: performance.getEntriesByName('first-contentful-paint')[0].startTime,
          widget: window.__bookFirstWidget,
          live: window.__bookFirstLive,
          library: performance.getEntriesByType('resource')
            .filter(e => e.name.includes('/embed-amd.js')).map(e => e.responseEnd)[0],
        })"""
    )
    context.close()
    seconds = {k: (v / 1000 if v is not None else None) for k, v in timing.items()}
    return {
        **seconds,
        "bytes": sum(received.values()),
        "requests": len(received),
        "errors": errors,
        "off_machine": off_machine(urls),
    }


def _report(kind: str, path: str, m: dict) -> str:
    widget = f"{m['widget']:.2f} s" if m["widget"] is not None else "—"
    library = f"{m['library']:.2f} s" if m["library"] is not None else "—"
    live = f"{m['live']:.2f} s" if m.get("live") is not None else "—"
    return (
        f"{kind:4s} {path:40s} first paint {m['fcp']:.2f} s, widget library arrived {library}, "
        f"widget {widget}, editor live {live}, {m['bytes'] / 1e6:.2f} MB in {m['requests']} "
        "requests"
    )


@pytest.fixture(scope="module")
def gzip_url():
    if not (SITE / "index.html").is_file():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    server, url = serve(SITE, GzipHandler)
    yield url
    server.shutdown()
    server.server_close()


def _largest_chapter() -> str:
    return max(CHAPTERS, key=lambda path: (SITE / path).stat().st_size)


def test_chapter_paints_before_the_widget_library_arrives(browser, site_url):
    """Raw bytes (python -m http.server), on the chapter with the most widget state: the
    text no longer waits for the 3.6-MB widget manager (before: first paint 6.9-7.7 s, i.e.
    after every byte of the page). One chapter: raw, a chapter takes about 10 s here."""
    path = _largest_chapter()
    m = measure(browser, site_url, path)
    print(_report("raw", path, m))
    assert not m["errors"], m["errors"]
    assert not m["off_machine"], m["off_machine"]
    assert m["widget"] is not None and m["library"] is not None
    assert m["fcp"] < m["library"] - 1.0, "正文应当在 widget 库到达之前显示"
    assert m["widget"] >= m["library"], _report("raw", path, m)


@pytest.mark.parametrize("path", CHAPTERS)
def test_chapter_renders_on_a_slow_link_when_compressed(browser, gzip_url, path):
    """Served gzip-compressed (as a web host serves it) on a 10 Mbit/s link: the page paints,
    its widgets render, no errors, nothing leaves the machine. The times are printed (the
    README's figures come from running this file as a script)."""
    m = measure(browser, gzip_url, path)
    print(_report("gzip", path, m))
    assert not m["errors"], m["errors"]
    assert not m["off_machine"], m["off_machine"]
    assert m["fcp"] is not None
    if (SITE / path).read_text("utf-8").count("application/vnd.jupyter.widget-view+json"):
        assert m["widget"] is not None and m["widget"] >= m["library"], _report("gzip", path, m)


def _head(html: str) -> str:
    return html[: html.index("</head>")]


@pytest.mark.parametrize("path", CHAPTERS)
def test_widget_scripts_load_in_order_without_blocking(path):
    """In every chapter's <head>: require.js, then widgets-offline.js (both synchronous and
    small), then embed-amd.js with async; MathJax deferred, after them."""
    html = (SITE / path).read_text("utf-8")
    head = _head(html)
    scripts = re.findall(r"<script\b([^>]*)\ssrc=\"([^\"]+)\"([^>]*)>", head)
    names = [src.split("?")[0].rsplit("/", 1)[-1] for _, src, _ in scripts]
    attrs = {name: (a + b) for (a, src, b), name in zip(scripts, names, strict=True)}
    if "embed-amd.js" not in names:
        pytest.skip("no widget on this page")
    order = [names.index(n) for n in ("require.js", "widgets-offline.js", "embed-amd.js")]
    assert order == sorted(order), names
    assert "async" in attrs["embed-amd.js"]
    assert "async" not in attrs["require.js"] and "defer" not in attrs["require.js"]
    assert "defer" in attrs["tex-chtml.js"]
    assert names.index("tex-chtml.js") > names.index("embed-amd.js")
    # Nothing big blocks the first paint: the synchronous scripts in <head> are small.
    for (a, src, b), name in zip(scripts, names, strict=True):
        if "async" in a + b or "defer" in a + b:
            continue
        local = SITE / Path(path).parent / src.split("?")[0]
        size = local.resolve().stat().st_size if local.resolve().is_file() else 0
        assert size < 150_000, f"{name} ({size} bytes) blocks the first paint"


def test_icon_library_loads_after_the_page(page):
    """fontawesome.js (1.5 MB) is requested only after the page's load event
    (_templates/static/webpack-macros.html), and the icons are still drawn."""
    head = _head((SITE / "chapters" / "02_self_attention.html").read_text("utf-8"))
    assert not re.search(r"<script\b[^>]*\ssrc=\"[^\"]*fontawesome\.js", head)
    page.goto(f"{page.site_url}/chapters/02_self_attention.html", wait_until="load")
    page.locator(".article-header-buttons svg.svg-inline--fa").first.wait_for(timeout=30_000)
    started = page.evaluate(
        """() => ({
          load: performance.getEntriesByType('navigation')[0].loadEventStart,
          icons: performance.getEntriesByType('resource')
            .filter(e => e.name.includes('/fontawesome.js')).map(e => e.startTime),
        })"""
    )
    assert len(started["icons"]) == 1, started
    assert started["icons"][0] >= started["load"], started
    # Every header button has its icon (the projector button's too).
    missing = page.evaluate(
        """() => [...document.querySelectorAll('.article-header-buttons .btn')]
            .filter(b => b.getClientRects().length && !b.querySelector('svg'))
            .map(b => b.outerHTML.slice(0, 120))"""
    )
    assert not missing, missing
    assert not page.errors, page.errors


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    args = [a for a in argv if not a.startswith("--")]
    site = Path(args[0]) if args else SITE
    handler = GzipHandler if "--gzip" in argv else _Quiet
    pages = sorted(str(p.relative_to(site)) for p in (site / "chapters").glob("*.html")) + [
        "intro.html"
    ]
    server, base = serve(site, handler)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for path in pages:
            print(
                _report(
                    "gzip" if handler is GzipHandler else "raw", path, measure(browser, base, path)
                )
            )
        browser.close()
    server.shutdown()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"targets (issue 19): first paint <= {TARGET_FCP} s, widget <= {TARGET_WIDGET} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
