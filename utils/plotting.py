"""Matplotlib 的中文字体设置，以及本书各章共用的作图函数。

Matplotlib's own fonts have no Chinese glyphs. The font comes with the book's
install: the ``mplfonts`` package ships Noto Sans CJK SC (SIL Open Font
License). We register that file with matplotlib directly -- nothing is copied
into matplotlib's folders -- and put it after DejaVu Sans, so Latin letters,
digits and the minus sign keep matplotlib's default look and only Chinese
characters fall back to Noto.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

CJK_FONT_NAME = "Noto Sans CJK SC"


def cjk_font_path() -> Path:
    """随 mplfonts 安装的 Noto Sans CJK SC 字体文件。"""
    import mplfonts.conf  # imported here: only its font folder is needed

    path = Path(mplfonts.conf.FONT_DIR) / "NotoSansCJKsc-Regular.otf"
    if not path.is_file():
        raise FileNotFoundError(f"找不到中文字体文件 {path}：请先运行 make install")
    return path


def use_chinese_font() -> None:
    """让 matplotlib 能显示中文。可重复调用。"""
    path = str(cjk_font_path())
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    matplotlib.rcParams["font.family"] = ["DejaVu Sans", CJK_FONT_NAME]
    matplotlib.rcParams["axes.unicode_minus"] = True
    matplotlib.rcParams["figure.dpi"] = 100
    matplotlib.rcParams["savefig.dpi"] = 100


def heatmap(ax, m, *, row_labels, col_labels, title: str, fmt: str = "{:.4f}", cmap="Blues"):
    """带数字标注的热力图（heatmap）。"""
    m = np.asarray(m, dtype=float)
    ax.imshow(m, cmap=cmap, vmin=min(0.0, m.min()), vmax=max(1.0, m.max()))
    ax.set_xticks(range(m.shape[1]), labels=col_labels)
    ax.set_yticks(range(m.shape[0]), labels=row_labels)
    ax.set_title(title)
    mid = (m.max() + min(0.0, m.min())) / 2
    for r in range(m.shape[0]):
        for c in range(m.shape[1]):
            color = "white" if m[r, c] > mid else "black"
            ax.text(c, r, fmt.format(m[r, c]), ha="center", va="center", color=color)
    return ax
