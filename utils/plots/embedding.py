"""第 3 章的图：one-hot 的内存、词向量的二维投影、手写数字的二维嵌入。"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


def plot_one_hot_memory(rows):
    """左：一段文字的 one-hot 与稠密嵌入各占多少字节，以及嵌入表 W（只存一份）；
    右：one-hot 里 0 的比例。"""
    v = [r["vocab_size"] for r in rows]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.8))
    ax1.plot(v, [r["one_hot_bytes"] for r in rows], "o-", label="one-hot（float32）")
    ax1.plot(v, [r["dense_bytes"] for r in rows], "s-", label="稠密嵌入（float32）")
    ax1.plot(v, [r["ids_bytes"] for r in rows], "^-", label="只存编号（int64）")
    ax1.plot(
        v, [r["table_bytes"] for r in rows], "d--", color="C7", label="嵌入表 W（所有文字共用一份）"
    )
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel("词表大小 vocab_size")
    ax1.set_ylabel("字节数")
    ax1.set_title("一段 100 个字的文字占多少内存")
    ax1.legend(fontsize=11)
    ax2.plot(v, [100 * r["sparsity"] for r in rows], "o-", color="C3")
    ax2.set_xscale("log")
    ax2.set_xlabel("词表大小 vocab_size")
    ax2.set_ylabel("0 所占的百分比（%）")
    ax2.set_title("one-hot 矩阵的稀疏度")
    fig.tight_layout()
    return fig


def plot_word_map(points, words, groups, title: str):
    """二维投影上的词，每组一种颜色。``groups[i]`` 是第 i 个词的组名。"""
    pts = np.asarray(points, dtype=float)
    fig, ax = plt.subplots(figsize=(9, 6.5))
    names = list(dict.fromkeys(groups))
    span = np.ptp(pts, axis=0).max()
    for c, name in enumerate(names):
        idx = [i for i, g in enumerate(groups) if g == name]
        ax.scatter(pts[idx, 0], pts[idx, 1], color=f"C{c}", label=name, s=30, zorder=3)
        # The words of a cluster sit almost on top of each other: fan their labels out
        # on a circle around the cluster's centre, each joined to its point by a line.
        centre = pts[idx].mean(axis=0)
        for k, i in enumerate(idx):
            angle = 2 * np.pi * (k + 0.5) / len(idx)
            at = centre + 0.09 * span * np.array([np.cos(angle), np.sin(angle)])
            ax.annotate(
                words[i],
                pts[i],
                xytext=at,
                textcoords="data",
                fontsize=10,
                ha="center",
                va="center",
                color=f"C{c}",
                arrowprops=dict(arrowstyle="-", color=f"C{c}", lw=0.6, alpha=0.6),
            )
    ax.margins(0.12)
    ax.set_xlabel("第 1 主成分")
    ax.set_ylabel("第 2 主成分")
    ax.set_title(title)
    ax.legend(loc="best", fontsize=11, ncol=2)
    fig.tight_layout()
    return fig


def plot_digits_map(points, labels, title: str):
    """手写数字的二维投影，每个数字一种颜色，并在每类的中心写上数字。"""
    pts = np.asarray(points, dtype=float)
    labels = np.asarray(labels)
    fig, ax = plt.subplots(figsize=(6.5, 5))
    for d in range(10):
        sel = labels == d
        ax.scatter(pts[sel, 0], pts[sel, 1], s=6, color=f"C{d}", alpha=0.5)
        cx, cy = pts[sel].mean(axis=0)
        ax.text(cx, cy, str(d), fontsize=16, ha="center", va="center")
    ax.set_xlabel("第 1 主成分")
    ax.set_ylabel("第 2 主成分")
    ax.set_title(title)
    fig.tight_layout()
    return fig
