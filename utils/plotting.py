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
import matplotlib.pyplot as plt
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


def plot_dot_product_geometry(
    a=(2.0, 0.0), length_b: float = 1.5, angles_deg=(0, 45, 90, 135, 180)
):
    """点积的几何意义：a·b = |a| |b| cos θ。左：几个夹角的向量；右：点积随夹角变化。

    Both lengths are fixed (|a|, ``length_b``), so only the angle varies: with fixed
    lengths a smaller angle gives a larger dot product (the right title says so).
    """
    a = np.asarray(a, dtype=float)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    # a: thick, light red, drawn first; each b: blue on top (at θ = 0 it lies along a)
    ax1.annotate(
        "", xy=a, xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=5, color="C3", alpha=0.5)
    )
    ax1.text(a[0] + 0.1, a[1] - 0.3, "a", fontsize=14, color="C3")
    for j, deg in enumerate(angles_deg):
        t = np.deg2rad(deg)
        b = length_b * np.array([np.cos(t), np.sin(t)])
        ax1.annotate("", xy=b, xytext=(0, 0), arrowprops=dict(arrowstyle="->", lw=1.8, color="C0"))
        ax1.text(
            b[0] * 1.15, b[1] * 1.15 + 0.12, f"θ={deg}°\na·b={a @ b:.2f}", ha="center", fontsize=11
        )
        if j == 1:  # name one of the b arrows
            ax1.text(b[0] * 0.5 + 0.12, b[1] * 0.5 - 0.08, "b", fontsize=14, color="C0")
    ax1.set_xlim(-2.2, 2.6)
    ax1.set_ylim(-0.6, 2.5)
    ax1.set_aspect("equal")
    ax1.set_title(f"|a| = {np.linalg.norm(a):g}，|b| = {length_b:g}")
    theta = np.linspace(0, 180, 181)
    ax2.plot(theta, np.linalg.norm(a) * length_b * np.cos(np.deg2rad(theta)))
    ax2.axhline(0, color="gray", lw=0.8)
    ax2.axvline(90, color="gray", lw=0.8, ls="--")
    ax2.set_xlabel("夹角 θ（度）")
    ax2.set_ylabel("点积 a·b = |a||b|cos θ")
    ax2.set_title("|a|、|b| 固定时：夹角越小，点积越大；90° 时为 0（正交）")
    fig.tight_layout()
    return fig


def plot_dot_product_variance(rows):
    """q·k 的方差随 d_k 增长；除以 √d_k 后回到 1 附近。``rows`` 来自 dot_product_variance。"""
    d_k = [r["d_k"] for r in rows]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    ax.plot(d_k, [r["var"] for r in rows], "o-", label="q·k 的方差")
    ax.plot(d_k, [r["scaled_var"] for r in rows], "s-", label="q·k / √d_k 的方差")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log", base=2)
    ax.set_xlabel("d_k")
    ax.set_ylabel("方差")
    ax.set_title("随机向量点积的方差")
    ax.legend()
    fig.tight_layout()
    return fig
