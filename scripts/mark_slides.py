"""Set the slide boundaries of the chapters (``metadata.slideshow.slide_type``) from their content.

The decks (scripts/make_slides.py, ``jupyter nbconvert --to slides``) cut each chapter into
reveal.js slides where the cells' metadata says so. That metadata lives in the notebooks, so it
moves with the cells; this script derives it from the headings, so it never has to be set by hand:

- a markdown cell whose first line is a ``# `` or ``## `` heading starts a new slide ("slide");
- a ``### `` heading starts a subslide below it ("subslide");
- a code cell with no output (imports, print settings: plumbing) is not shown ("skip"), and so
  is a cell tagged ``remove-cell``;
- every other cell continues the current (sub)slide ("-", written as no ``slideshow`` entry).

Cells tagged ``hide-input`` show only their output on a slide (the figures), and cells tagged
``hide-cell`` (answer checks, "深入" computations) are collapsed behind "显示代码", as on the site:
make_slides.py does that from the tags; their slide type is "-".

A heading in the middle of a markdown cell (after a closing sentence or a 精确地说 box) cannot be
a cell boundary without editing the cell; make_slides.py splits such cells at their headings when
it builds the decks, with the types above (``split_markdown``).

Only ``metadata.slideshow`` is ever changed (sources, outputs and other metadata are left as they
are); running it twice changes nothing the second time.

    python scripts/mark_slides.py                      # every notebook in chapters/
    python scripts/mark_slides.py chapters/02_*.ipynb  # only these
    python scripts/mark_slides.py --check              # change nothing; exit 1 if out of date
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = ROOT / "chapters"

SLIDE, SUBSLIDE, CONTINUE, SKIP = "slide", "subslide", "-", "skip"
_HEADING = re.compile(r"^(#{1,3}) \S")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HTML_OPEN = re.compile(r"<(div|details)\b", re.I)
_HTML_CLOSE = re.compile(r"</(div|details)\s*>", re.I)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def heading_type(line: str) -> str | None:
    """``# ``/``## `` -> "slide", ``### `` -> "subslide", anything else -> None."""
    m = _HEADING.match(line)
    if not m:
        return None
    return SLIDE if len(m.group(1)) <= 2 else SUBSLIDE


def _first_line(text: str) -> str:
    return next((line for line in text.split("\n") if line.strip()), "")


def slide_type(cell) -> str:
    """The slide type the rules above give ``cell`` (a notebook cell as a dict)."""
    tags = set(cell.get("metadata", {}).get("tags", []))
    if cell["cell_type"] == "markdown":
        return heading_type(_first_line(_source(cell))) or CONTINUE
    if cell["cell_type"] == "code":
        if "remove-cell" in tags or not cell.get("outputs"):
            return SKIP
        return CONTINUE
    return SKIP  # raw cells: nothing for a slide


def current_type(cell) -> str:
    """The slide type the cell's metadata has now (no entry = "-", as nbconvert reads it)."""
    slideshow = cell.get("metadata", {}).get("slideshow")
    if not isinstance(slideshow, dict):
        return CONTINUE
    return slideshow.get("slide_type", CONTINUE)


def split_markdown(text: str) -> list[tuple[str, str]]:
    """Cut a markdown cell's text before each ``#``–``###`` heading that is not its first line
    (outside code fences and outside ``<div>``/``<details>`` blocks): [(part, slide type), ...].
    The first part's type is the cell's own (``slide_type``)."""
    lines = text.split("\n")
    parts: list[tuple[list[str], str]] = [([], heading_type(_first_line(text)) or CONTINUE)]
    fenced, depth = False, 0
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
        kind = None if fenced or depth > 0 else heading_type(line)
        if kind and any(x.strip() for x in parts[-1][0]):
            parts.append(([], kind))
        parts[-1][0].append(line)
        if not fenced:
            depth = max(0, depth + len(_HTML_OPEN.findall(line)) - len(_HTML_CLOSE.findall(line)))
    return [("\n".join(body).strip("\n"), kind) for body, kind in parts]


def mark(nb: dict) -> list[str]:
    """Set every cell's ``metadata.slideshow`` in place; return what changed (for messages)."""
    changes = []
    for index, cell in enumerate(nb["cells"]):
        want = slide_type(cell)
        if current_type(cell) == want:
            continue
        line = _first_line(_source(cell))[:40]
        changes.append(f"单元格 {index}（{line!r}）：{current_type(cell)!r} → {want!r}")
        meta = cell.setdefault("metadata", {})
        slideshow = meta.get("slideshow") if isinstance(meta.get("slideshow"), dict) else {}
        slideshow = {k: v for k, v in slideshow.items() if k != "slide_type"}
        if want != CONTINUE:
            slideshow["slide_type"] = want
        if slideshow:
            meta["slideshow"] = slideshow
        else:
            meta.pop("slideshow", None)
    return changes


def dumps(nb: dict) -> str:
    """The notebook as nbformat writes it (sorted keys, one-space indent, UTF-8 text)."""
    return json.dumps(nb, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="默认：chapters/*.ipynb")
    parser.add_argument(
        "--check", action="store_true", help="只检查，不修改；有需要修改的单元格时退出码为 1"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(CHAPTERS.glob("*.ipynb"))
    if not paths:
        print("没有找到 notebook", file=sys.stderr)
        return 2
    stale = 0
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        changes = mark(nb)
        if not changes:
            continue
        stale += 1
        if args.check:
            print(f"{path}：{len(changes)} 个单元格的幻灯片边界不是最新的：")
            for line in changes:
                print("  " + line)
        else:
            _write_atomic(path, dumps(nb))
            print(f"{path}：更新了 {len(changes)} 个单元格的 metadata.slideshow")
    if args.check and stale:
        print("请运行 python scripts/mark_slides.py 更新。", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
