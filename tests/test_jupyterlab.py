"""JupyterLab 端到端测试：widget 连着内核时，改输入会重新计算，坏输入给出中文提示。

End-to-end test of the live use: start JupyterLab on localhost (on a copy of the
chapter, so nothing in the repository is touched), run all cells in Chromium,
type new inputs into the stepper and check that it recomputes -- and that bad
input shows a Chinese message and keeps the last good state.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHAPTER = Path(__file__).resolve().parent.parent / "chapters" / "02_self_attention.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(CHAPTER, root / CHAPTER.name)
    port = _free_port()
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
        "--ServerApp.ip=127.0.0.1", "--IdentityProvider.token=", "--ServerApp.password=",
        f"--ServerApp.root_dir={root}", "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("JupyterLab 没有启动")
            time.sleep(0.5)
    yield f"{url}/lab/tree/{CHAPTER.name}"
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_stepper_recomputes_live_and_rejects_bad_input(browser, lab_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(lab_url)
    page.locator(".jp-Notebook").wait_for(timeout=60_000)
    select = page.locator(".jp-Dialog").get_by_role("button", name="Select", exact=True)
    try:  # JupyterLab may ask which kernel to start; the notebook's own is preselected
        select.wait_for(timeout=10_000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    stepper = page.locator(".attn-stepper").first
    stepper.wait_for(state="attached", timeout=60_000)
    stepper.scroll_into_view_if_needed()
    stepper.get_by_text("✎ 修改输入").click()
    first_row = stepper.locator("input[type='text']").first

    # A good edit: input 1 becomes all zeros -> its scores are [0, 0, 0], weights 1/3 each.
    first_row.fill("0, 0, 0, 0")
    first_row.press("Enter")
    message = stepper.locator(".attn-msg-ok")
    message.wait_for(timeout=20_000)
    assert "[0, 0, 0, 0]" in message.inner_text()
    handle = stepper.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(4):  # ① -> ⑤ softmax
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "el => el.innerText.includes('[0.3333, 0.3333, 0.3333]')", arg=stepper.element_handle()
    )

    # A bad edit: a Chinese message, and the panels keep the last good state.
    first_row.fill("1, 二, 3, 4")
    first_row.press("Enter")
    error = stepper.locator(".attn-msg-err")
    error.wait_for(timeout=20_000)
    assert "“二”不是数字" in error.inner_text()
    assert "[0.3333, 0.3333, 0.3333]" in stepper.inner_text()
    context.close()
