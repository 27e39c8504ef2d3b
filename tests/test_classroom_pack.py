"""课堂包（scripts/make_classroom_pack.py）：解压、启动、在 Chromium 里打开一章，widget 能逐步走。

Zips the built site (``_build/html``, or $BOOK_HTML; ``make book`` first) as the classroom
pack into a temporary folder, unzips it, starts the pack's own ``serve.py`` the way its
start files do, and opens a chapter in the system Chromium: the page loads with no error,
a widget steps (its slider moves and the panel it shows changes), nothing leaves the
machine, and the footer names both licences with links that the pack itself serves.
About 10 s.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import SITE, off_machine

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = "chapters/02_self_attention.html"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pack = _load("make_classroom_pack")


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory):
    """The pack, made from the built site and unzipped: (its folder, the zip's entries)."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"没有找到构建好的网站 {SITE}：请先运行 make book")
    tmp = tmp_path_factory.mktemp("pack")
    done = pack.make_pack(SITE, tmp / "transformer-book-site.zip")
    with zipfile.ZipFile(done["zip"]) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        zf.extractall(tmp / "unzipped")
    return tmp / "unzipped" / pack.TOP, infos, done["site_files"]


@pytest.fixture(scope="module")
def pack_url(unpacked):
    """The unzipped pack served by its own serve.py (as the start files run it)."""
    folder = unpacked[0]
    proc = subprocess.Popen(
        [sys.executable, "serve.py", "--port", "0", "--no-browser"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
    )
    try:
        line = proc.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, f"serve.py 没有打印网址：{line!r}"
        yield found.group(0)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pack_holds_the_site_the_start_files_and_the_licences(unpacked):
    folder, infos, site_files = unpacked
    packed = sorted(
        name.removeprefix(f"{pack.TOP}/site/")
        for name in infos
        if name.startswith(f"{pack.TOP}/site/")
    )
    assert packed == sorted(site_files)
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("*.ipynb"))
    for page in ["index.html", "intro.html"] + [f"chapters/{c}.html" for c in chapters]:
        assert page in packed, page
    for name in ("README.txt", "serve.py", "start-windows.bat", "start-mac.command"):
        assert (folder / name).is_file(), name
    for name in ("LICENSE", "LICENSE-CONTENT", "LICENSES.md"):
        assert (folder / name).read_bytes() == (ROOT / name).read_bytes(), name
    # The shell start files keep their executable bit through the zip.
    for name in ("start-linux.sh", "start-mac.command"):
        assert (infos[f"{pack.TOP}/{name}"].external_attr >> 16) & 0o111, name
    readme = (folder / "README.txt").read_text(encoding="utf-8-sig")
    assert "python3 -m http.server 8000" in readme and "http://127.0.0.1:8000/" in readme


def test_a_chapter_from_the_pack_works_offline(browser, pack_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests, errors, js_types = [], [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            js_types.append(r.headers.get("content-type", ""))
            if r.url.split("?")[0].endswith(".js")
            else None
        ),
    )
    try:
        page.goto(pack_url + CHAPTER, wait_until="networkidle")
        widget = page.locator(".widget-subarea").filter(has=page.locator(".widget-slider")).first
        widget.wait_for(state="visible", timeout=20_000)
        widget.scroll_into_view_if_needed()
        readout = widget.locator(".widget-readout").first
        before_step, before_text = readout.inner_text(), widget.inner_text()
        widget.locator(".widget-slider .noUi-handle").first.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "([el, old]) => el.textContent !== old",
            arg=[readout.element_handle(), before_step],
            timeout=10_000,
        )
        assert widget.inner_text() != before_text, "滑块动了，但 widget 显示的内容没有变"
        assert not errors, errors
        assert not off_machine(requests), off_machine(requests)
        assert js_types and all(t.startswith("text/javascript") for t in js_types), js_types
    finally:
        context.close()


@pytest.mark.parametrize("path", ["intro.html", CHAPTER])
def test_footer_names_both_licences_with_links_the_site_serves(browser, pack_url, path):
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(pack_url + path, wait_until="load")
        footer = page.locator(".book-license")
        assert footer.count() == 1, "页脚没有许可声明（_config.yml 的 html.extra_footer）"
        text = footer.inner_text()
        for words in ("CC BY-SA 4.0", "署名", "相同方式共享", "MIT 许可证"):
            assert words in text, f"页脚应提到“{words}”：{text}"
        links = footer.locator("a").evaluate_all("as => as.map(a => a.href)")
        assert len(links) >= 2
        for link in links:
            assert link.startswith(pack_url), f"页脚的链接应指向网站自己的页面：{link}"
            response = page.request.get(link)
            assert response.ok, f"{link}：HTTP {response.status}（许可页面不在网站上？）"
        # The licence page itself links to the full texts, also served by the site.
        page.goto(links[0], wait_until="load")
        texts = page.locator("a[href*='_downloads/']").evaluate_all("as => as.map(a => a.href)")
        names = {t.rsplit("/", 1)[-1] for t in texts}
        assert {"LICENSE", "LICENSE-CONTENT"} <= names, names
        for link in texts:
            assert page.request.get(link).ok, link
    finally:
        context.close()
