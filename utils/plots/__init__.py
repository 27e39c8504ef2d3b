"""Matplotlib 的中文字体设置，以及本书各章共用的作图函数。

Matplotlib's own fonts have no Chinese glyphs. The font comes with the book's
install: the ``mplfonts`` package ships Noto Sans CJK SC (SIL Open Font
License). We register that file with matplotlib directly -- nothing is copied
into matplotlib's folders -- under a family name of its own, so a system copy of
Noto Sans CJK SC can never be picked instead, and put it after DejaVu Sans:
Latin letters, digits and the minus sign keep matplotlib's default look and only
Chinese characters fall back to Noto.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import matplotlib
import matplotlib.figure
import numpy as np
from matplotlib import font_manager

# The family name the book registers the shipped file under (only that file has it).
CJK_FONT_NAME = "Book Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """随 mplfonts 安装的 Noto Sans CJK SC 字体文件。"""
    import mplfonts.conf  # imported here: only its font folder is needed

    path = Path(mplfonts.conf.FONT_DIR) / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体文件 {path}：请先运行 make install")
    return path


def use_chinese_font() -> None:
    """让 matplotlib 能显示中文。可重复调用。"""
    if not any(f.name == CJK_FONT_NAME for f in font_manager.fontManager.ttflist):
        entry = font_manager.ttfFontProperty(font_manager.get_font(str(cjk_font_path())))
        font_manager.fontManager.ttflist.append(dataclasses.replace(entry, name=CJK_FONT_NAME))
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", CJK_FONT_NAME]
    matplotlib.rcParams["axes.unicode_minus"] = True
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100


def _show_png_only(fig) -> None:
    """Display ``fig`` as a PNG and nothing else (no ``<Figure size …>`` text beside it)."""
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    display({"image/png": print_figure(fig, fmt="png", bbox_inches="tight")}, raw=True)


def setup_figures() -> None:
    """每章开头调用一次：图里的中文字体（``use_chinese_font``），图在 notebook 里只显示为图片。

    In a notebook a matplotlib figure is normally shown as a PNG *and* a text line such as
    ``<Figure size 910x210 with 7 Axes>``; here the figure is shown as the PNG only, which is
    all a reader looks at. Outside IPython only the font is set.
    """
    use_chinese_font()
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None:
        formatter = shell.display_formatter.ipython_display_formatter
        formatter.for_type(matplotlib.figure.Figure, _show_png_only)


def heatmap(
    ax,
    m,
    *,
    row_labels,
    col_labels,
    title: str,
    fmt: str = "{:.4f}",
    cmap="Blues",
    vmin: float | None = None,
    vmax: float | None = None,
    annot_size: float | None = None,
):
    """带数字标注的热力图（heatmap）。

    The colour scale runs from ``vmin`` to ``vmax``; by default from min(0, smallest) to
    max(1, largest), which suits weights in [0, 1]. Pass ``vmin`` (e.g. the smallest value)
    when all values are close together, so that their differences show. ``annot_size``:
    the font size of the numbers in the cells (None: matplotlib's default).
    """
    m = np.asarray(m, dtype=float)
    vmin = min(0.0, m.min()) if vmin is None else vmin
    vmax = max(1.0, m.max()) if vmax is None else vmax
    ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_xticks(range(m.shape[1]), labels=col_labels)
    ax.set_yticks(range(m.shape[0]), labels=row_labels)
    ax.set_title(title)
    mid = (vmin + vmax) / 2  # white text on the dark half of the colour scale
    for r in range(m.shape[0]):
        for c in range(m.shape[1]):
            color = "white" if m[r, c] > mid else "black"
            ax.text(
                c, r, fmt.format(m[r, c]), ha="center", va="center", color=color, size=annot_size
            )
    return ax
