"""浏览器测试：没有中文字体的电脑上，每一页的中文都用随网站发布的网页字体显示（issue 17）。

This machine has no Chinese font (``fc-list :lang=zh`` is empty), the case of a fresh Linux
install: without the site's web font every Chinese character is an empty box. For every page
of the book, in Chromium:

- the page sees that the computer has no Chinese font (fonts/load.js) and loads the web font
  (FontFace status "loaded", ``document.fonts.check``);
- every visible element that holds Chinese characters (up to PER_STYLE of those drawn alike)
  draws at least that many glyphs from the web font (Chromium's DevTools protocol names the
  fonts each element was drawn with: ``CSS.getPlatformFontsForNode``) -- the prose, the navigation,
  the widgets (their matrices name their own monospace fonts), printed output and MathJax's
  ``\\text{}``;
- rendered glyphs are not the empty box: a screenshot of Chinese text differs from the same
  text in characters the subset lacks (which do come out as boxes), and its glyphs differ
  from one another, as boxes do not;
- the same holds when the font arrives late, on a throttled 10 Mbit/s link.

That the subset has every character of every page is tests/test_webfont.py's job (no browser).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import off_machine, open_page

ROOT = Path(__file__).resolve().parent.parent
FAMILY = "Book Noto Sans CJK SC"


def _pages() -> list[str]:
    toc = (ROOT / "_toc.yml").read_text("utf-8")
    names = re.findall(r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)", toc, re.M)
    return [f"{n}.html" for n in names]


PAGES = _pages()

# Marks visible elements whose own text holds Han characters with their number: of the
# elements drawn alike (the same font stack, size, weight and style, in the same part of the
# page), the first PER_STYLE in document order. Chromium's known failure (fonts/load.js) is
# on the first run of text of a size and weight shaped while the font was loading; checking
# every element (hundreds on a chapter) would cost a DevTools round trip each.
PER_STYLE = 4
MARK = r"""(perStyle) => {
  const HAN = /[\u4e00-\u9fff]/g;
  const seen = new Set();
  const styles = new Map();
  const part = (el) => el.closest('.jupyter-widgets') ? 'widget'
    : el.closest('mjx-container') ? 'math'
    : el.closest('.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header') ? 'nav'
    : el.closest('.cell_output') ? 'output' : 'text';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const el = t.parentElement;
    if (!el || seen.has(el) || !/[\u4e00-\u9fff]/.test(t.data)) continue;
    if (el.closest('script, style, noscript, template')) continue;
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    seen.add(el);
    const cs = getComputedStyle(el);
    const key = [part(el), cs.fontFamily, cs.fontSize, cs.fontWeight, cs.fontStyle].join('|');
    const n0 = styles.get(key) || 0;
    if (n0 >= perStyle) continue;
    let n = 0;
    for (const c of el.childNodes) if (c.nodeType === 3) n += (c.data.match(HAN) || []).length;
    if (n) { el.dataset.hanCount = n; styles.set(key, n0 + 1); }
  }
  return styles.size;
}"""


def system_has_chinese_font() -> bool:
    try:
        out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return bool(out.stdout.strip())


@pytest.fixture(autouse=True)
def _no_system_chinese_font():
    if system_has_chinese_font():
        pytest.skip(
            "这台电脑装有中文字体：网页字体不会被下载，这些测试只在没有中文字体的电脑上有意义"
        )


def wait_until_drawn(page):
    """Widgets rendered (if the page has any) and the web font in place."""
    if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
        page.locator(".widget-subarea .jupyter-widgets").first.wait_for(timeout=30_000)
    page.wait_for_function(
        "document.documentElement.classList.contains('book-cjk-font-loaded')", timeout=30_000
    )
    page.wait_for_timeout(300)


def boxes(page, selector: str = "body") -> tuple[int, list[str]]:
    """(elements checked, those whose Han characters were not all drawn with the web font)."""
    page.evaluate(
        "document.querySelectorAll('[data-han-count]').forEach(e => delete e.dataset.hanCount)"
    )
    page.evaluate(MARK, PER_STYLE)
    # The counts in document order: the order of DOM.querySelectorAll's node ids too.
    wanted = page.evaluate(
        "(sel) => [...document.querySelector(sel).querySelectorAll('[data-han-count]')]"
        ".map(e => +e.dataset.hanCount)",
        selector,
    )
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    scope = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    ids = cdp.send("DOM.querySelectorAll", {"nodeId": scope, "selector": "[data-han-count]"})
    assert len(ids["nodeIds"]) == len(wanted)
    bad = []
    for node, want in zip(ids["nodeIds"], wanted, strict=True):
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        got = sum(f["glyphCount"] for f in fonts if f["isCustomFont"] and "CJK" in f["familyName"])
        if got < want:
            html = cdp.send("DOM.getOuterHTML", {"nodeId": node})["outerHTML"]
            used = ", ".join(f"{f['familyName']} ×{f['glyphCount']}" for f in fonts)
            bad.append(f"{want} 个汉字只有 {got} 个用了网页字体（{used}）：{html[:160]}")
    cdp.detach()
    return len(wanted), bad


@pytest.mark.parametrize("path", PAGES)
def test_every_chinese_character_is_drawn_with_the_web_font(page, path):
    open_page(page, path)
    wait_until_drawn(page)
    state = page.evaluate(
        """(family) => ({
          system: document.documentElement.dataset.bookSystemCjk,
          status: [...document.fonts].filter(f => f.family.replace(/"/g, '') === family)
                                     .map(f => f.status),
          check: document.fonts.check(`16px "${family}"`, '注意力机制'),
        })""",
        FAMILY,
    )
    assert state["system"] == "no", state
    assert state["status"] == ["loaded"], state
    assert state["check"], state
    assert any("/_static/fonts/NotoSansCJKsc-Regular-book.woff2" in u for u in page.requests)
    checked, bad = boxes(page)
    assert checked > 10
    assert not bad, f"{path}：{len(bad)} 处中文没有用网页字体\n" + "\n".join(bad[:10])
    assert not page.errors, page.errors
    assert not off_machine(page.requests), off_machine(page.requests)


def _glyph_shots(page, chars: str, folder: Path, name: str):
    """One screenshot per character, each in a block of its own at the same left edge (the
    same pixels for the same glyph), in the page's prose font stack."""
    from PIL import Image

    handles = page.evaluate_handle(
        """(chars) => {
          const box = document.createElement('div');
          document.querySelector('.bd-article').prepend(box);
          return [...chars].map(ch => {
            const s = document.createElement('div');
            s.textContent = ch;
            s.style.cssText =
              'font-size: 48px; line-height: 60px; height: 60px; width: 80px; background: #fff';
            box.append(s);
            return s;
          });
        }""",
        chars,
    )
    images = []
    for i in range(len(chars)):
        path = folder / f"{name}{i}.png"
        handles.get_property(str(i)).as_element().screenshot(path=path)
        images.append(Image.open(path).convert("L"))
    return images


def test_glyphs_are_not_empty_boxes(page, tmp_path):
    """Chinese in the web font vs characters that are in no font here (the empty box)."""
    from PIL import Image, ImageChops

    def same(x, y):
        return ImageChops.difference(x, y).getbbox() is None

    open_page(page, "chapters/02_self_attention.html")
    wait_until_drawn(page)
    real = _glyph_shots(page, "注意力", tmp_path, "real")
    # Three characters the subset lacks and no font on this machine has: three empty boxes.
    boxes_ = _glyph_shots(page, "\u9f98\u9f49\u9750", tmp_path, "box")
    assert same(boxes_[0], boxes_[1]) and same(boxes_[1], boxes_[2])  # a box is a box
    assert not same(real[0], real[1]) and not same(real[1], real[2])
    assert not any(same(g, boxes_[0]) for g in real)
    # A real glyph has more ink than the box's outline.
    ink = [sum(1 for v in g.get_flattened_data() if v < 128) for g in real + boxes_[:1]]
    assert min(ink[:3]) > ink[3], ink
    # The site title in the sidebar, as a reader sees it, is not three boxes either.
    brand = page.locator(".navbar-brand .logo__title").first
    brand.screenshot(path=tmp_path / "brand.png")
    brand.evaluate("el => { el.textContent = '\u9f98\u9f49\u9750 Transformer'; }")
    brand.screenshot(path=tmp_path / "brand_boxes.png")
    diff = ImageChops.difference(
        Image.open(tmp_path / "brand.png").convert("L"),
        Image.open(tmp_path / "brand_boxes.png").convert("L"),
    )
    assert diff.getbbox() is not None


def _chapter_with_chinese_in_math() -> str:
    """The chapter whose formulas have Chinese in \\text{...}."""
    for nb in sorted((ROOT / "chapters").glob("*.ipynb")):
        if re.search(r"\\\\text\{[^}]*[\u4e00-\u9fff]", nb.read_text("utf-8")):
            return f"chapters/{nb.stem}.html"
    pytest.fail("没有找到 \\text{...} 里有中文的公式")


def test_formula_text_and_widget_matrices_use_the_web_font(page):
    """MathJax's \\text{...} and the widgets' monospace matrices name their own
    fonts; fonts/load.js adds the web font to them."""
    open_page(page, _chapter_with_chinese_in_math())
    wait_until_drawn(page)
    # MathJax typesets a formula when it scrolls into view (_config.yml: ui/lazy): all now.
    page.evaluate(
        "() => MathJax.startup.promise.then(() => MathJax.startup.document.lazyTypesetAll())"
    )
    utext = page.locator("mjx-container mjx-utext", has_text=re.compile("[\u4e00-\u9fff]"))
    utext.first.wait_for(state="attached", timeout=30_000)
    assert FAMILY in utext.first.evaluate("el => getComputedStyle(el).fontFamily")
    open_page(page, "chapters/02_self_attention.html")
    wait_until_drawn(page)
    matrix = page.locator(".jupyter-widgets table", has_text="输入").first
    family = matrix.locator("td, th", has_text="输入").first.evaluate(
        "el => getComputedStyle(el).fontFamily"
    )
    assert "Mono" in family and FAMILY in family, family
    checked, bad = boxes(page, ".widget-subarea")
    assert checked > 0 and not bad, bad


def test_font_arriving_late_on_a_slow_link(browser, site_url):
    """On a 10 Mbit/s link the font arrives after the page is laid out; every Chinese
    character is still drawn with it afterwards, also in a widget step shown later."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests, page.errors, page.site_url = [], [], site_url
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 40, "downloadThroughput": 1.25e6, "uploadThroughput": 6.25e5},
    )
    page.goto(f"{site_url}/chapters/02_self_attention.html", wait_until="load", timeout=120_000)
    wait_until_drawn(page)
    checked, bad = boxes(page)
    assert checked > 10 and not bad, "\n".join(bad[:10])
    stepper = page.locator(".attn-stepper").first
    handle = stepper.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "el => el.textContent.includes('⑤')",
        arg=stepper.locator(".widget-readout").first.element_handle(),
    )
    checked, bad = boxes(page, ".attn-stepper")
    assert checked > 0 and not bad, "\n".join(bad[:10])
    assert not page.errors, page.errors
    context.close()
