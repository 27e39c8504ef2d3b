"""第 2 章的图：点积的几何意义、点积的方差随 d_k 增长。"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np


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
