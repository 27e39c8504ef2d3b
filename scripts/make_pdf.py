"""把整本书打印成一个 PDF（A4，讲义用），完全离线。Print the whole book to one PDF, offline.

Jupyter Book's own ``pdfhtml`` builder launches a browser that Playwright would have to
download; this script prints the ``singlehtml`` build with the system Chromium instead:

1. ``jupyter-book build . --builder singlehtml --path-output _build/print`` (its own folder,
   doctrees and image cache: ``_build/html`` is not touched). Nothing is executed: the
   pages come from the outputs stored in the notebooks, as for ``make book``.
2. The ``singlehtml`` builder writes one page for the whole book but leaves out what
   MyST-NB adds per page: the widget state and the widget manager. This script adds them
   back (the state from each notebook's metadata, the scripts from ``_config.yml``'s
   ``nb_ipywidgets_js``), and links ``_static/css/print.css`` if the build did not.
3. Serves the page on a free localhost port, opens it in the system Chromium (Playwright,
   ``executable_path``; no ``playwright install``), waits until every widget has rendered,
   MathJax has typeset, the images and web fonts have loaded, and prints A4 to
   ``_build/pdf/transformer-book.pdf``. ``assets/css/print.css`` does the rest: answers
   (``<details class="answer">``) print open, each chapter starts a new sheet.
   Every request the page makes is recorded; one that would leave the machine is an error.

Widgets print as the panel they show when the page opens (the first step of each
stepper): the hidden panels of a ``Tab`` stay hidden (see ``assets/css/print.css``).

Usage::

    .venv/bin/python scripts/make_pdf.py                  # the whole book
    .venv/bin/python scripts/make_pdf.py --only chapters/02_self_attention --out /tmp/ch2.pdf
    .venv/bin/python scripts/make_pdf.py --no-build       # re-print the last build
    .venv/bin/python scripts/make_pdf.py --check-text     # also count characters printed as boxes

``--only`` keeps the front page (intro) and the named pages: tests/test_pdf.py uses it.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "_build" / "print"  # --path-output: jupyter-book writes BUILD/_build/singlehtml
OUT = ROOT / "_build" / "pdf" / "transformer-book.pdf"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# In the page footer of every printed sheet: "3 / 120" (no Chinese: the header and footer
# templates are rendered without the page's web fonts).
FOOTER = (
    '<div style="width:100%;font-size:8px;color:#666;text-align:center;'
    'font-family:sans-serif"><span class="pageNumber"></span> / '
    '<span class="totalPages"></span></div>'
)


def chromium_path() -> str:
    path = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not path:
        sys.exit(
            "找不到 Chromium。请安装（Debian：sudo apt-get install chromium；"
            "Ubuntu：sudo snap install chromium），或用环境变量 CHROMIUM=/path/to/chromium 指定。"
        )
    return path


def toc_files(toc: dict) -> list[str]:
    """The documents of a jb-book ``_toc.yml``, root first, in reading order."""
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            for key in ("chapters", "sections", "parts"):
                walk(entry.get(key))

    walk(toc.get("chapters"))
    walk(toc.get("parts"))
    return files


def subset_toc(only: list[str], dest: Path) -> Path:
    """A ``_toc.yml`` with the root page and only the documents in ``only``."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    known = toc_files(toc)
    missing = [f for f in only if f not in known]
    if missing:
        sys.exit(f"不在 _toc.yml 里：{missing}（可选：{known[1:]}）")
    sub = {"format": "jb-book", "root": toc["root"], "chapters": [{"file": f} for f in only]}
    dest.write_text(yaml.safe_dump(sub, allow_unicode=True), encoding="utf-8")
    return dest


def build_singlehtml(build: Path, toc: Path | None) -> Path:
    """``jupyter-book build --builder singlehtml`` into ``build``; returns the html folder.
    The whole book is built as ``make book`` builds it (any Sphinx warning fails); a part
    (``toc``) is built without -W, since the front page links to the chapters left out."""
    cmd = [
        str(Path(sys.executable).with_name("jupyter-book")),
        "build",
        str(ROOT),
        "--builder",
        "singlehtml",
        "--path-output",
        str(build),
        "--keep-going",
    ]
    if toc is None:
        cmd += ["--warningiserror", "--nitpick"]
    else:
        cmd += ["--toc", str(toc)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode:
        sys.stderr.write(done.stdout[-4000:] + done.stderr[-4000:])
        raise RuntimeError(f"jupyter-book build --builder singlehtml 失败（{done.returncode}）")
    return build / "_build" / "singlehtml"


def _sanitize(text: str) -> str:
    # as MyST-NB does for the state it embeds: no "</script" inside a <script> element
    return text.replace("</script", "<\\/script")


def add_widgets(html_dir: Path, docs: list[str]) -> int:
    """Add the widget state of every notebook in ``docs`` and the widget manager to the
    single page, and link print.css. Returns the number of states added."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx_config = config.get("sphinx", {}).get("config", {})
    page = html_dir / f"{docs[0]}.html"
    text = page.read_text(encoding="utf-8")
    if WIDGET_STATE in text:
        return text.count(f'type="{WIDGET_STATE}"')  # already done (--no-build)

    states = []
    for doc in docs:
        path = ROOT / f"{doc}.ipynb"
        if not path.is_file():
            continue
        nb = nbformat.read(path, as_version=4)
        state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {})
        if state.get("state"):
            states.append(f'<script type="{WIDGET_STATE}">{_sanitize(json.dumps(state))}</script>')
    scripts = []
    if states:
        for src, attrs in (sphinx_config.get("nb_ipywidgets_js") or {}).items():
            if urlparse(src).scheme:
                sys.exit(f"nb_ipywidgets_js 指向站外的 {src}：打印需要网站自带的文件")
            extra = "".join(f' {k}="{v}"' for k, v in (attrs or {}).items())
            scripts.append(f'<script src="_static/{src}"{extra}></script>')
    links = []
    if "_static/css/print.css" not in text:
        links.append('<link rel="stylesheet" type="text/css" href="_static/css/print.css" />')
    head_end = text.index("</head>")
    text = text[:head_end] + "\n".join(links + states + scripts) + "\n" + text[head_end:]
    page.write_text(text, encoding="utf-8")
    return len(states)


@contextlib.contextmanager
def serve(directory: Path):
    """Serve ``directory`` on a free localhost port; yields the base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Resolves when every widget view has rendered, MathJax has typeset, every image and web
# font has loaded. Returns what it found (the caller checks it).
WAIT_JS = """async () => {
  const views = () => Array.from(document.querySelectorAll(
      'script[type="application/vnd.jupyter.widget-view+json"]'));
  const rendered = () => views().filter(v => {
      const area = v.previousElementSibling;
      return area && area.classList.contains('widget-subarea') && area.children.length > 0;
  }).length;
  const t0 = Date.now();
  while (rendered() < views().length && Date.now() - t0 < 60000) {
    await new Promise(r => setTimeout(r, 100));
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
    // The site typesets formulas lazily (as they scroll into view): all of them for print.
    const doc = MathJax.startup.document;
    if (doc && doc.lazyTypesetAll) await doc.lazyTypesetAll();
  }
  // The site's images load lazily (scripts/book_pages.py): fetch them all for print.
  for (const img of document.images) img.loading = 'eager';
  await Promise.all(Array.from(document.images).map(img => img.complete ? null :
      new Promise(r => { img.onload = img.onerror = r; })));
  await document.fonts.ready;
  return {
    views: views().length,
    rendered: rendered(),
    mathjax: document.querySelectorAll('mjx-container').length,
    rawMath: (document.body.innerText.match(/\\$\\$|\\\\\\(|\\\\\\[/g) || []).length,
    brokenImages: Array.from(document.images).filter(i => !(i.complete && i.naturalWidth > 0))
        .map(i => i.src),
  };
}"""


def print_pdf(html_dir: Path, page_name: str, out: Path, *, timeout_ms: int = 120_000) -> dict:
    """Open the single page in the system Chromium and print it to ``out`` (A4)."""
    from playwright.sync_api import sync_playwright

    out.parent.mkdir(parents=True, exist_ok=True)
    requests, errors = [], []
    with serve(html_dir) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1100, "height": 1400})
            page = context.new_page()
            page.set_default_timeout(timeout_ms)
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{url}/{page_name}.html", wait_until="networkidle")
            found = page.evaluate(WAIT_JS)
            # Answers print open through print.css, so the PDF tests print.css: nothing is
            # opened here.
            found["answers"] = page.locator("details.answer").count()
            page.emulate_media(media="print")
            page.wait_for_timeout(300)  # let the widgets' layout settle at print width
            page.pdf(
                path=str(out),
                format="A4",
                print_background=True,
                margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
            )
        finally:
            browser.close()
    off = [
        u
        for u in requests
        if urlparse(u).scheme in ("http", "https", "ws", "wss")
        and urlparse(u).hostname not in LOCAL_HOSTS
    ]
    found.update(requests=len(requests), off_machine=off, page_errors=errors)
    return found


def pdf_summary(path: Path, *, text: bool = False) -> dict:
    """The number of pages and, with ``text``, from the text layer (about 0.15 s a page): how
    many Chinese characters printed as real glyphs and how many as empty boxes (a character
    no font has prints as glyph 0, which the text layer gives back as U+0000). Needs pypdf;
    without it, an empty dict."""
    try:
        from pypdf import PdfReader
    except ImportError:
        return {}
    reader = PdfReader(path)
    summary = {"pages": len(reader.pages)}
    if text:
        extracted = "".join(page.extract_text() or "" for page in reader.pages)
        summary["cjk_chars"] = sum("\u4e00" <= ch <= "\u9fff" for ch in extracted)
        summary["missing_glyphs"] = extracted.count("\x00")
    return summary


def make_pdf(
    out: Path = OUT,
    *,
    only: list[str] | None = None,
    build: Path = BUILD,
    rebuild: bool = True,
    check_text: bool = False,
) -> dict:
    """Build (unless ``rebuild`` is false), add the widgets and print. Returns a report;
    raises RuntimeError if a widget did not render, math was left raw, an image is
    broken, the page raised an error or a request would have left the machine."""
    build.mkdir(parents=True, exist_ok=True)
    toc_path = subset_toc(only, build / "_toc_subset.yml") if only else None
    toc = yaml.safe_load((toc_path or ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs = toc_files(toc)
    start = time.perf_counter()
    html_dir = build / "_build" / "singlehtml"
    if rebuild:
        html_dir = build_singlehtml(build, toc_path)
    built = time.perf_counter()
    states = add_widgets(html_dir, docs)
    report = print_pdf(html_dir, docs[0], out)
    report.update(
        states=states,
        build_seconds=round(built - start, 1),
        print_seconds=round(time.perf_counter() - built, 1),
        pdf=str(out),
        pdf_bytes=out.stat().st_size,
        **pdf_summary(out, text=check_text),
    )
    problems = []
    if report["rendered"] < report["views"]:
        problems.append(f"只渲染了 {report['rendered']}/{report['views']} 个 widget")
    if report["brokenImages"]:
        problems.append(f"图片没有加载：{report['brokenImages'][:3]}")
    if report["off_machine"]:
        problems.append(f"向本机以外发出了请求：{report['off_machine'][:3]}")
    if report["page_errors"]:
        problems.append(f"页面错误：{report['page_errors'][:3]}")
    if problems:
        raise RuntimeError("；".join(problems))
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"PDF 文件（默认 {OUT}）")
    parser.add_argument(
        "--only",
        action="append",
        metavar="DOC",
        help="只打印前言和这些页（例如 chapters/02_self_attention；可重复）",
    )
    parser.add_argument("--build-dir", type=Path, default=BUILD, help="singlehtml 的构建目录")
    parser.add_argument("--no-build", action="store_true", help="不重新构建，直接打印上次的构建")
    parser.add_argument(
        "--check-text",
        action="store_true",
        help="从 PDF 的文字层数一数印成空框的字（整本书要多 20 秒左右）",
    )
    args = parser.parse_args()
    report = make_pdf(
        args.out,
        only=args.only,
        build=args.build_dir,
        rebuild=not args.no_build,
        check_text=args.check_text,
    )
    print(
        f"PDF：{args.out}（{report.get('pages', '?')} 页，{report['pdf_bytes'] / 1e6:.1f} MB）；"
        f"构建 {report['build_seconds']} s，打印 {report['print_seconds']} s；"
        f"{report['rendered']}/{report['views']} 个 widget，{report['mathjax']} 个公式，"
        f"{report['answers']} 个答案，{report['requests']} 个请求（全部在本机）"
    )
    if report.get("missing_glyphs"):
        print(
            f"警告：{report['missing_glyphs']} 个字符打印成了空框（没有字体），"
            f"正常显示的汉字 {report['cjk_chars']} 个。页面、widget 的文字都要能用上网站自带的"
            "中文网页字体（assets/css/fonts.css）。",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
