"""Shared fixtures: the system Chromium, driven by Playwright (tests/test_browser*.py,
tests/test_jupyterlab.py), and the built static site served on localhost.
`playwright install` is never needed: we launch the Debian/Ubuntu `chromium` package
(or the browser named by $CHROMIUM). The site is ``_build/html`` (``make book``), or
the folder named by $BOOK_HTML. Also chapter 5's recommender data and model, built once per
test session for the tests that need them (tests/test_recommender*.py and the browser test)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest
from hypothesis import HealthCheck, settings

from utils.models.recommender import make_sessions, split_users, train_sasrec

SITE = Path(
    os.environ.get("BOOK_HTML") or Path(__file__).resolve().parent.parent / "_build" / "html"
)


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "找不到 Chromium。请安装（Debian：sudo apt-get install chromium；"
            "Ubuntu：sudo snap install chromium），"
            "或用环境变量 CHROMIUM=/path/to/chromium 指定。"
        )
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path(),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


@pytest.fixture(scope="module")
def site_url():
    """The built site, served over HTTP on a free localhost port."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture
def page(browser, site_url):
    """A fresh page that records every request (page.requests) and page error (page.errors)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.requests, pg.errors = [], []
    pg.on("request", lambda r: pg.requests.append(r.url))
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    pg.site_url = site_url
    yield pg
    context.close()


def off_machine(urls):
    """The URLs that would leave this machine (none may, on any page)."""
    local = {"127.0.0.1", "localhost", "::1", "[::1]"}
    return [
        u
        for u in urls
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in local
    ]


def open_page(page, path):
    """Open ``path`` of the site and wait until the network is idle."""
    page.goto(f"{page.site_url}/{path}", wait_until="networkidle")


@pytest.fixture(scope="session")
def rec_split():
    """Chapter 5's synthetic sessions, split by user as in the chapter: (train, test)."""
    sessions = make_sessions(2500, session_len=8, p_chain=0.8, seed=0)
    return split_users(sessions, test_fraction=0.2, seed=0)


@pytest.fixture(scope="session")
def rec_trained(rec_split):
    """Chapter 5's SASRec, trained as in the chapter (seed 0): (model, history, seconds)."""
    return train_sasrec(rec_split[0], seed=0)


# Hypothesis: a fixed, fast profile for make test (the property tests must take seconds, and
# give the same examples on every run: derandomize).
settings.register_profile(
    "book",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("book")
