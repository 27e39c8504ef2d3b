"""Shared fixtures: the system Chromium, driven by Playwright (tests/test_browser.py,
tests/test_jupyterlab.py). `playwright install` is never needed: we launch the
Debian/Ubuntu `chromium` package (or the browser named by $CHROMIUM)."""

from __future__ import annotations

import os
import shutil

import pytest


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        pytest.fail(
            "找不到 Chromium。请安装（Debian/Ubuntu：sudo apt-get install chromium），"
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
