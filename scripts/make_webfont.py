"""网页用的中文字体：把 Noto Sans CJK SC 子集化为本书用到的字（assets/fonts/）。

The site's text uses the reader's fonts; a computer with no Chinese font shows every
Chinese character as an empty box. So the site ships its own: Noto Sans CJK SC (SIL Open
Font License 1.1), the file the book already installs for its figures (PyPI ``mplfonts``),
cut down with fontTools to the characters that appear on the book's pages and saved as
WOFF2 (brotli) -- about 340 KB instead of 16 MB. ``assets/css/fonts.css`` declares it.

The characters come from:
- every page of the book: the notebooks in ``chapters/`` (sources, outputs and the widget
  state, whose HTML is what the widgets show) and the Markdown pages listed in ``_toc.yml``
  or at the book's root (not README.md, which is not part of the site), and ``_config.yml``;
- the Chinese interface text of Sphinx, the theme and its extensions (search, navigation,
  "复制", ...), from their installed zh_CN message catalogs;
- common punctuation (CJK symbols and punctuation, full-width forms) and printable ASCII.

Deterministic: the same inputs and the pinned fontTools and brotli give the same bytes.

    .venv/bin/python scripts/make_webfont.py          # write the .woff2 and characters.txt
    .venv/bin/python scripts/make_webfont.py --check  # exit 1 if a page's character is missing

Run it again (and commit the two files) after changing the text of any page;
tests/test_webfont.py fails until then.
"""

from __future__ import annotations

import argparse
import gettext
import importlib.util
import io
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT_DIR = ROOT / "assets" / "fonts"
OUT = FONT_DIR / "NotoSansCJKsc-Regular-book.woff2"
CHARS_OUT = FONT_DIR / "characters.txt"
SOURCE_FONT_NAME = "NotoSansCJKsc-Regular.otf"

# Common punctuation, whether or not a page uses it today.
PUNCTUATION = (
    "".join(chr(c) for c in range(0x20, 0x7F))  # printable ASCII
    + "".join(chr(c) for c in range(0x3000, 0x3040))  # CJK symbols and punctuation
    + "".join(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
    + "\u00a0\u00b7\u00d7\u00f7\u2010\u2013\u2014\u2015\u2018\u2019\u201c\u201d\u2026\u2030"
    + "\u2032\u2033\u203b\u2190\u2191\u2192\u2193\u2194\u2212\u221a\u2248\u2260\u2264\u2265"
    + "\u2460\u2461\u2462\u2463\u2464\u2465\u2466\u2467\u2468\u2469\u00a9\u00b0\u00b1"
)


def source_font_path() -> Path:
    """The full Noto Sans CJK SC that ``mplfonts`` installs (the figures use the same file)."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise SystemExit("找不到 mplfonts：请先运行 make install")
    path = Path(spec.origin).parent / "fonts" / SOURCE_FONT_NAME
    if not path.is_file():
        raise SystemExit(f"找不到字体文件 {path}：请先运行 make install")
    return path


def _strings(obj):
    """Every string in a JSON value, keys included."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield key
            yield from _strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from _strings(value)


def page_files(root: Path = ROOT) -> list[Path]:
    """The book's pages: the notebooks in chapters/, the files named in _toc.yml, the root's
    Markdown pages (not README.md), and _config.yml (title, author, button labels); and what
    the static site's scripts can write into a page: the messages and labels of
    assets/js/*.js, and the vocabularies and item names of the models in assets/models/*.js
    (the characters a model can generate, the items it can recommend)."""
    files = set(root.glob("chapters/*.ipynb"))
    files |= set(root.glob("assets/js/*.js")) | set(root.glob("assets/models/*.js"))
    files |= {p for p in root.glob("*.md") if p.name != "README.md"}
    toc = root / "_toc.yml"
    if toc.is_file():
        for name in re.findall(
            r"^\s*(?:-\s*)?(?:file|root):\s*(\S+)", toc.read_text("utf-8"), re.M
        ):
            for suffix in ("", ".md", ".ipynb"):
                if (root / (name + suffix)).is_file():
                    files.add(root / (name + suffix))
                    break
        files.add(toc)
    files.add(root / "_config.yml")
    return sorted(p for p in files if p.is_file())


def file_characters(path: Path) -> set[str]:
    text = path.read_text("utf-8")
    if path.suffix == ".ipynb":
        return set("".join(_strings(json.loads(text))))
    return set(text)


def page_characters(root: Path = ROOT) -> set[str]:
    """Every character of every page (control characters aside)."""
    chars: set[str] = set()
    for path in page_files(root):
        chars |= file_characters(path)
    return {c for c in chars if c.isprintable() or c == "\u3000"}


def _catalog_strings(path: Path) -> list[str]:
    with path.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog  # noqa: SLF001 - the whole catalog
    return [v for v in catalog.values() if isinstance(v, str)]


def interface_characters() -> set[str]:
    """The Chinese interface text of Sphinx, the theme and its extensions (installed catalogs)."""
    chars: set[str] = set()
    catalogs = {
        "sphinx": "locale/zh_CN/LC_MESSAGES/sphinx.mo",
        "sphinx_book_theme": (
            "theme/sphinx_book_theme/static/locales/zh_CN/LC_MESSAGES/booktheme.mo"
        ),
        "pydata_sphinx_theme": "locale/zh/LC_MESSAGES/sphinx.mo",
        "sphinx_togglebutton": "translations/locales/zh-cn/LC_MESSAGES/togglebutton.mo",
    }
    for package, rel in catalogs.items():
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            continue
        path = Path(spec.origin).parent / rel
        if path.is_file():
            chars |= set("".join(_catalog_strings(path)))
    spec = importlib.util.find_spec("sphinx_copybutton")
    if spec is not None and spec.origin is not None:
        js = Path(spec.origin).parent / "_static" / "copybutton.js_t"
        if js.is_file():
            block = re.search(r"'zh-CN':\s*\{(.*?)\}", js.read_text("utf-8"), re.S)
            if block:
                chars |= set(block.group(1))
    return {c for c in chars if c.isprintable()}


def wanted_characters(root: Path = ROOT) -> set[str]:
    return page_characters(root) | interface_characters() | set(PUNCTUATION)


def font_characters(path: Path) -> set[str]:
    """The characters a font file maps to a glyph (its cmap)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        return {chr(c) for c in font.getBestCmap()}


def subset_font(source: Path, chars: set[str]) -> bytes:
    """``source`` cut down to ``chars`` (those it has), as WOFF2 bytes."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.flavor = "woff2"
    options.name_IDs = ["*"]  # keep the copyright and licence records (OFL)
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.desubroutinize = True  # compresses better under brotli
    options.recalc_timestamp = False  # deterministic output
    options.drop_tables += ["DSIG"]
    font = TTFont(str(source), recalcTimestamp=False)
    available = {chr(c) for c in font.getBestCmap()}
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(ord(c) for c in chars & available))
    subsetter.subset(font)
    buf = io.BytesIO()
    font.flavor = "woff2"
    font.save(buf, reorderTables=True)
    return buf.getvalue()


def characters_text(chars: set[str]) -> str:
    """characters.txt: the non-ASCII characters in the subset, 50 per line, sorted."""
    cjk = sorted(c for c in chars if ord(c) > 0x7E)
    lines = ["".join(cjk[i : i + 50]) for i in range(0, len(cjk), 50)]
    return "\n".join(lines) + "\n"


def missing_characters(root: Path = ROOT, shipped: Path = OUT) -> set[str]:
    """Characters of the pages that the full font has but the shipped subset does not."""
    used = page_characters(root) | interface_characters()
    return (used & font_characters(source_font_path())) - font_characters(shipped)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the shipped subset")
    args = parser.parse_args()
    if args.check:
        if not OUT.is_file():
            print(f"没有 {OUT.relative_to(ROOT)}：请运行 scripts/make_webfont.py")
            return 1
        missing = missing_characters()
        if missing:
            print(
                f"网页字体缺少 {len(missing)} 个页面上用到的字：{''.join(sorted(missing))}\n"
                "请运行 .venv/bin/python scripts/make_webfont.py"
            )
            return 1
        print(f"{OUT.relative_to(ROOT)} 包含页面上用到的全部字。")
        return 0
    source = source_font_path()
    chars = wanted_characters()
    data = subset_font(source, chars)
    FONT_DIR.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(data)
    included = font_characters(OUT)
    CHARS_OUT.write_text(characters_text(included), "utf-8")
    absent = sorted(c for c in page_characters() - included if ord(c) > 0x7E)
    print(f"{OUT.relative_to(ROOT)}: {len(data):,} bytes, {len(included)} characters")
    if absent:
        print(f"not in Noto Sans CJK SC (left to the reader's fonts): {' '.join(absent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
