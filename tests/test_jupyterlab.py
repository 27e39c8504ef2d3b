"""JupyterLab 端到端测试：widget 连着内核时，改输入会重新计算，坏输入给出中文提示。

End-to-end test of the live use: start JupyterLab on localhost with three small
notebooks that build chapter 2's, 4's and 5's widgets exactly as the chapters do (the
chapters themselves are executed once per ``make test``, by nbval), run them in
Chromium, type new inputs into a widget and check that the kernel recomputes -- and that
bad input shows a Chinese message and keeps the last good state.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

# Each notebook builds one chapter's widget, with the same calls as the chapter.
NOTEBOOKS = {
    "attention.ipynb": [
        "from utils.widgets.attention import AttentionStepper",
        "AttentionStepper().widget",
    ],
    "position.ipynb": [
        "from utils.widgets.position import PositionExplorer",
        "PositionExplorer().widget",
    ],
    "recommender.ipynb": [
        "from utils.models.recommender import make_sessions, split_users\n"
        "from utils.widgets.recommender import RecommenderStepper\n"
        "from utils.models.reference import load_reference",
        "sessions = make_sessions(2500, session_len=8, p_chain=0.8, seed=0)\n"
        "train_s, test_s = split_users(sessions, test_fraction=0.2, seed=0)",
        'RecommenderStepper(load_reference("sasrec"), train_s).widget',
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("lab")
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
        nbformat.write(nb, root / name)
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
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def _open_and_run_all(browser, lab_url, name):
    """Open one notebook in a fresh JupyterLab workspace, start its kernel, run every cell."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    workspace = Path(name).stem.replace("_", "-")  # a workspace of its own: only this notebook
    page.goto(f"{lab_url}/lab/workspaces/{workspace}/tree/{name}?reset")
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
    return context, page


def test_stepper_recomputes_live_and_rejects_bad_input(browser, lab_url):
    context, page = _open_and_run_all(browser, lab_url, "attention.ipynb")
    stepper = page.locator(".attn-stepper").first
    stepper.wait_for(state="attached", timeout=60_000)
    stepper.scroll_into_view_if_needed()
    stepper.get_by_text("✎ 修改输入").click()
    first_row = stepper.locator("input[type='text']").first

    # A good edit: input 1 becomes all zeros -> its scores are [0, 0, 0], weights 1/3 each.
    first_row.fill("0, 0, 0, 0")
    first_row.press("Enter")
    message = stepper.locator(".book-msg-ok")
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
    error = stepper.locator(".book-msg-err")
    error.wait_for(timeout=20_000)
    assert "“二”不是数字" in error.inner_text()
    assert "[0.3333, 0.3333, 0.3333]" in stepper.inner_text()
    context.close()


def test_position_explorer_computes_any_setting_live(browser, lab_url):
    """Chapter 4: a setting outside the precomputed grid is computed by the kernel."""
    context, page = _open_and_run_all(browser, lab_url, "position.ipynb")
    explorer = page.locator(".pos-explorer").first
    explorer.wait_for(state="attached", timeout=60_000)
    explorer.scroll_into_view_if_needed()
    explorer.get_by_text("✎ 输入任意的 pos、i、d_model").click()
    pos, i, d_model = (explorer.locator("input[type='text']").nth(k) for k in range(3))

    # PE(100, 0) with d_model = 512 is sin(100) = -0.5064 (cos(100) = 0.8623).
    d_model.fill("512")
    i.fill("0")
    pos.fill("100")
    pos.press("Enter")
    page.wait_for_function(
        "el => el.innerText.includes('pos = 100，i = 0，d_model = 512')",
        arg=explorer.element_handle(),
        timeout=20_000,
    )
    assert "-0.5064" in explorer.inner_text() and "0.8623" in explorer.inner_text()

    # An odd d_model: a Chinese message, and the last good result stays.
    d_model.fill("7")
    d_model.press("Enter")
    error = explorer.locator(".book-msg-err")
    error.wait_for(timeout=20_000)
    assert "偶数" in error.inner_text()
    assert "-0.5064" in explorer.inner_text()
    context.close()


def test_recommender_recomputes_a_typed_session_live(browser, lab_url):
    """Chapter 5: a session typed by the reader is recommended for by the kernel."""
    context, page = _open_and_run_all(browser, lab_url, "recommender.ipynb")
    rec = page.locator(".book-rec").first
    rec.wait_for(state="attached", timeout=90_000)
    rec.scroll_into_view_if_needed()
    rec.get_by_text("✎ 换一个会话").click()
    editor = rec.locator("input[type='text']").first

    # Seven items ending in the camera chain: the model recommends 三脚架 first.
    editor.fill("纸巾，纸巾，纸巾，纸巾，相机，矿泉水，存储卡")
    editor.press("Enter")
    message = rec.locator(".book-msg-ok")
    message.wait_for(timeout=60_000)
    assert "推荐前 3 名是 三脚架" in message.inner_text()
    handle = rec.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(3):  # ① tokens -> ④ the recommendation
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "el => el.innerText.includes('模型把它排在第 1 名')", arg=rec.element_handle()
    )

    # An unknown item: a Chinese message, and the panels keep the last good session.
    editor.fill("相机，电视")
    editor.press("Enter")
    error = rec.locator(".book-msg-err")
    error.wait_for(timeout=20_000)
    assert "不认识的物品：“电视”" in error.inner_text()
    assert "模型把它排在第 1 名" in rec.inner_text()
    context.close()
