"""第 6 章（Vision Transformer）的作图函数。所有文字为中文；先调用 use_chinese_font()。"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from .plotting import heatmap
from .vit import TrainHistory, patchify


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _digit(ax, image, title=None):
    """一张 (1, H, W) 或 (H, W) 的灰度图：黑底白字改成白底黑字，更像纸上的字。"""
    img = _np(image).reshape(_np(image).shape[-2:])
    ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=10)


def plot_patches(image: torch.Tensor, patch_size: int):
    """左：图像与块的网格（块按行编号）；右：每一块单独画出。"""
    img = _np(image).reshape(_np(image).shape[-2:])
    height, width = img.shape
    rows, cols = height // patch_size, width // patch_size
    fig = plt.figure(figsize=(9, 3.6))
    ax = fig.add_axes([0.02, 0.05, 0.36, 0.82])
    _digit(ax, img, f"原图 {height}×{width}，切成 {rows}×{cols} 块")
    for k in range(1, rows):
        ax.axhline(k * patch_size - 0.5, color="C3", lw=1.5)
    for k in range(1, cols):
        ax.axvline(k * patch_size - 0.5, color="C3", lw=1.5)
    for r in range(rows):
        for c in range(cols):
            y, x = r * patch_size - 0.5, c * patch_size - 0.5
            ax.text(x + 0.15, y + 0.55, str(r * cols + c + 1), color="C3", fontsize=8)
    patches = _np(patchify(torch.as_tensor(img).reshape(1, 1, height, width), patch_size))[0]
    fig.text(0.45, 0.9, "按行展开成一串块（每块展平成一个向量）", fontsize=11)
    n = len(patches)
    per_row = 8
    for i, p in enumerate(patches):
        r, c = divmod(i, per_row)
        sub = fig.add_axes([0.45 + c * 0.067, 0.5 - r * 0.4, 0.055, 0.3])
        _digit(sub, p.reshape(patch_size, patch_size))
        sub.set_title(f"块 {i + 1}", fontsize=8)
    assert n <= 2 * per_row
    return fig


def plot_learning_curve(history: TrainHistory):
    """学习曲线：训练损失（左轴）与训练 / 测试准确率（右轴）随 epoch 变化。"""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    ax1.plot(history.epoch, history.train_loss, "o-", ms=3, color="C0")
    ax1.set_xlabel("epoch（遍历训练集的次数）")
    ax1.xaxis.get_major_locator().set_params(integer=True)
    ax1.set_ylabel("交叉熵损失")
    ax1.set_title("训练损失")
    acc_train = [100 * a for a in history.train_acc]
    acc_test = [100 * a for a in history.test_acc]
    ax2.plot(history.epoch, acc_train, "o-", ms=3, label="训练集（训练模式：丢块、平移后的图）")
    ax2.plot(history.test_epoch, acc_test, "s-", ms=3, label="测试集")
    ax2.axhline(98, color="gray", ls="--", lw=1)
    first = history.epoch[len(history.epoch) // 3]
    shown = [a for e, a in zip(history.test_epoch, acc_test, strict=True) if e >= first]
    shown += acc_train[len(acc_train) // 3 :]
    ax2.set_ylim(max(0, min(shown) - 5), 100.5)
    ax2.set_xlabel("epoch")
    ax2.set_ylabel("准确率（%）")
    ax2.set_title("准确率（后三分之二的 epoch）")
    ax2.set_xlim(first - 0.5, history.epoch[-1] + 0.5)
    ax2.text(first, 98.2, "98%", color="gray", fontsize=9)
    ax2.xaxis.get_major_locator().set_params(integer=True)
    ax2.legend(loc="lower right")
    fig.tight_layout()
    return fig


def plot_cls_attention(images, maps, labels, preds, *, title: str):
    """每张数字上叠加 CLS 对各块的注意力（红色越深，关注越多）。

    images (n, 1, H, W); maps (n, grid, grid) from ``cls_attention``.
    """
    images, maps = _np(images), _np(maps)
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(1.6 * n, 3.7))
    for i in range(n):
        img = images[i].reshape(images.shape[-2:])
        scale = img.shape[0] // maps.shape[1]
        up = np.kron(maps[i], np.ones((scale, scale)))  # each patch's weight on its pixels
        _digit(axes[0, i], img, f"真实 {int(labels[i])}，预测 {int(preds[i])}")
        axes[1, i].imshow(img, cmap="gray_r", vmin=0, vmax=1)
        axes[1, i].imshow(up, cmap="Reds", alpha=0.65, vmin=0, vmax=maps[i].max())
        axes[1, i].set_xticks([])
        axes[1, i].set_yticks([])
    axes[0, 0].set_ylabel("图像")
    axes[1, 0].set_ylabel("CLS 的注意力")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_confusion(cm):
    """混淆矩阵：行是真实数字，列是预测的数字；对角线以外的格子就是错误。"""
    cm = _np(cm)
    fig, ax = plt.subplots(figsize=(6.2, 5.4))
    labels = [str(i) for i in range(cm.shape[0])]
    heatmap(ax, cm, row_labels=labels, col_labels=labels, title="混淆矩阵（测试集）", fmt="{:.0f}")
    ax.set_xlabel("预测的数字")
    ax.set_ylabel("真实的数字")
    fig.tight_layout()
    return fig


def plot_misclassified(images, labels, preds, *, indices=None, max_images: int = 12):
    """分错的测试图：标题写“真实 → 预测”；给了 ``indices``（每张图在测试集里的编号）时，
    标题第一行写“#编号”，可以把这个编号输入第 6 章的 widget。"""
    images = _np(images)[:max_images]
    n = len(images)
    if indices is not None and len(indices) < n:
        raise ValueError(f"indices（编号）只有 {len(indices)} 个，少于要画的 {n} 张图")
    if n == 0:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "测试集没有分错的图", ha="center", va="center")
        return fig
    fig, axes = plt.subplots(1, n, figsize=(1.3 * n, 2.1 if indices is not None else 1.9))
    axes = np.atleast_1d(axes)
    for i in range(n):
        title = f"{int(labels[i])} → {int(preds[i])}"
        if indices is not None:
            title = f"#{int(indices[i])}\n{title}"
        _digit(axes[i], images[i], title)
    fig.suptitle(
        "分错的测试图（#测试集编号，真实 → 预测）"
        if indices is not None
        else "分错的测试图（真实 → 预测）"
    )
    fig.tight_layout()
    return fig


def plot_position_similarity(sims, titles, grid: int):
    """位置向量的相似度：每个小图对应一个块，画出它的位置向量与所有块的余弦相似度。

    Colours span the off-diagonal range of each matrix (a patch with itself, always 1,
    shows as the brightest colour), so weak structure stays visible.

    ``sims``: a list of (num_patches, num_patches) matrices from ``position_similarity``.
    """
    fig = plt.figure(figsize=(5.2 * len(sims), 5.6))
    subfigs = fig.subfigures(1, len(sims), wspace=0.05)
    subfigs = np.atleast_1d(subfigs)
    for sf, sim, title in zip(subfigs, sims, titles, strict=True):
        sim = _np(sim)
        off = sim[~np.eye(len(sim), dtype=bool)]  # colour scale from the other patches only
        axes = sf.subplots(grid, grid)
        for i in range(grid * grid):
            ax = axes[i // grid, i % grid]
            ax.imshow(sim[i].reshape(grid, grid), cmap="viridis", vmin=off.min(), vmax=off.max())
            ax.set_xticks([])
            ax.set_yticks([])
        for r in range(grid):
            axes[r, 0].set_ylabel(f"第 {r + 1} 行", fontsize=9)
        for c in range(grid):
            axes[-1, c].set_xlabel(f"第 {c + 1} 列", fontsize=9)
        sf.suptitle(title, fontsize=11)
    return fig


def plot_digits(images, titles):
    """几张数字并排，各带一个标题。"""
    fig, axes = plt.subplots(1, len(images), figsize=(1.9 * len(images), 2.2), squeeze=False)
    for ax, img, title in zip(axes[0], images, titles, strict=True):
        _digit(ax, img, title)
    fig.tight_layout()
    return fig
