"""第 7 章（Vision Transformer）的作图函数。所有文字为中文；先调用 use_chinese_font()。"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..models.vit import TrainHistory, patchify


def _np(x) -> np.ndarray:
    return x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def _digit(ax, image, title=None, fontsize=10):
    """一张 (1, H, W) 或 (H, W) 的灰度图：黑底白字改成白底黑字，更像纸上的字。"""
    img = _np(image).reshape(_np(image).shape[-2:])
    ax.imshow(img, cmap="gray_r", vmin=0, vmax=1)
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=fontsize)


def _patch_grid(ax, height: int, width: int, patch_size: int, **line):
    """在 H×W 的图上画出 patch_size×patch_size 的块之间的分界线。"""
    for k in range(1, height // patch_size):
        ax.axhline(k * patch_size - 0.5, **line)
    for k in range(1, width // patch_size):
        ax.axvline(k * patch_size - 0.5, **line)


def plot_patches(image: torch.Tensor, patch_size: int):
    """左：图像与块的网格（块按行编号）；右：每一块单独画出。"""
    img = _np(image).reshape(_np(image).shape[-2:])
    height, width = img.shape
    rows, cols = height // patch_size, width // patch_size
    fig = plt.figure(figsize=(9, 3.6))
    ax = fig.add_axes([0.02, 0.05, 0.36, 0.82])
    title = f"原图 {height}×{width}，切成 {rows}×{cols} = {rows * cols} 块\n"
    title += f"每块 {patch_size}×{patch_size} 像素"
    _digit(ax, img, title, fontsize=12)
    _patch_grid(ax, height, width, patch_size, color="C3", lw=1.5)
    box = dict(fc="white", ec="none", alpha=0.8, pad=1)  # the number stays legible on black
    for r in range(rows):
        for c in range(cols):
            y, x = r * patch_size - 0.5, c * patch_size - 0.5
            label = str(r * cols + c + 1)
            ax.text(x + 0.12, y + 0.12, label, color="C3", fontsize=11, va="top", bbox=box)
    patches = _np(patchify(torch.as_tensor(img).reshape(1, 1, height, width), patch_size))[0]
    fig.text(0.45, 0.9, "按行展开成一串块（每块展平成一个向量）", fontsize=12)
    n = len(patches)
    per_row = 8
    for i, p in enumerate(patches):
        r, c = divmod(i, per_row)
        sub = fig.add_axes([0.45 + c * 0.067, 0.5 - r * 0.4, 0.055, 0.3])
        _digit(sub, p.reshape(patch_size, patch_size))
        sub.set_title(f"块 {i + 1}", fontsize=11)
    assert n <= 2 * per_row
    return fig


def plot_learning_curve(history: TrainHistory):
    """学习曲线：训练损失（左轴）与训练 / 测试准确率（右轴）随 epoch 变化。"""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.6))
    ax1.plot(history.epoch, history.train_loss, "o-", ms=3, color="C0")
    ax1.set_xlabel("epoch（遍历训练集的次数）", fontsize=11)
    ax1.xaxis.get_major_locator().set_params(integer=True)
    ax1.set_ylabel("交叉熵损失", fontsize=11)
    ax1.set_title("训练损失", fontsize=12)
    acc_train = [100 * a for a in history.train_acc]
    acc_test = [100 * a for a in history.test_acc]
    ax2.plot(history.epoch, acc_train, "o-", ms=3, label="训练集（训练模式：丢块、平移）")
    ax2.plot(history.test_epoch, acc_test, "s-", ms=3, label="测试集")
    ax2.axhline(98, color="gray", ls="--", lw=1)
    first = history.epoch[len(history.epoch) // 3]
    shown = [a for e, a in zip(history.test_epoch, acc_test, strict=True) if e >= first]
    shown += acc_train[len(acc_train) // 3 :]
    ax2.set_ylim(max(0, min(shown) - 5), 102)  # room above 100 for the "98%" label
    ax2.set_xlabel("epoch", fontsize=11)
    ax2.set_ylabel("准确率（%）", fontsize=11)
    ax2.set_title("准确率（后三分之二的 epoch）", fontsize=12)
    ax2.set_xlim(first - 0.5, history.epoch[-1] + 0.5)
    # at the right end, just below the dashed line: the test curve runs above it, the
    # training curve well below
    ax2.annotate(
        "98%",
        (1, 98),
        xycoords=("axes fraction", "data"),
        xytext=(-3, -3),
        textcoords="offset points",
        ha="right",
        va="top",
        color="dimgray",
        fontsize=11,
    )
    ax2.xaxis.get_major_locator().set_params(integer=True)
    ax2.legend(loc="lower right", fontsize=10.5)
    fig.tight_layout()
    return fig


def plot_cls_attention(images, maps, labels, preds, *, title: str, per_row: int = 4):
    """每张数字下面画 CLS 对各块的注意力（红色越深，关注越多），画出块的网格。

    images (n, 1, H, W); maps (n, grid, grid) from ``cls_attention``. The images go in
    groups of ``per_row``: a row of digits, below it their attention maps (the digit's
    strokes drawn over them in translucent black). All maps share one colour scale, from 0
    to the largest weight of all (the colour bar); a wrong prediction gets a red title and
    red frames.
    """
    images, maps = _np(images), _np(maps)
    n = len(images)
    cols = min(n, per_row)
    groups = -(-n // cols)
    fig, axes = plt.subplots(
        2 * groups, cols, figsize=(1.6 * cols + 1.1, 3.35 * groups + 0.5), layout="constrained"
    )
    axes = np.atleast_1d(axes).reshape(2 * groups, cols)
    vmax = maps.max()
    for i in range(groups * cols):
        top, bottom = axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]
        if i >= n:
            top.axis("off")
            bottom.axis("off")
            continue
        img = images[i].reshape(images.shape[-2:])
        patch = img.shape[0] // maps.shape[1]
        up = np.kron(maps[i], np.ones((patch, patch)))  # each patch's weight on its pixels
        wrong = int(labels[i]) != int(preds[i])
        colour = "C3" if wrong else "black"
        _digit(top, img)
        top.set_title(f"真实 {int(labels[i])}，预测 {int(preds[i])}", fontsize=12, color=colour)
        shade = bottom.imshow(up, cmap="Reds", vmin=0, vmax=vmax)
        ink = np.zeros((*img.shape, 4))
        ink[..., 3] = 0.4 * np.clip(img, 0, 1)  # the strokes, faint translucent black
        bottom.imshow(ink)
        bottom.set_xticks([])
        bottom.set_yticks([])
        for ax in (top, bottom):
            _patch_grid(ax, *img.shape, patch, color="0.5", lw=0.8)
            for spine in ax.spines.values():
                spine.set(color=colour, lw=2.5 if wrong else 0.8)
    for g in range(groups):
        axes[2 * g, 0].set_ylabel("图像", fontsize=11)
        axes[2 * g + 1, 0].set_ylabel("CLS 的注意力", fontsize=11)
    bar = fig.colorbar(shade, ax=axes, shrink=0.6, pad=0.03)
    bar.ax.tick_params(labelsize=10)
    bar.set_label("注意力权重（所有图同一色标）", fontsize=11)
    fig.suptitle(title, fontsize=13)
    return fig


def plot_confusion(cm):
    """混淆矩阵：行是真实数字，列是预测的数字；对角线以外的格子就是错误。

    Diagonal cells (correct) are blue, shaded by count; off-diagonal cells with a count
    (errors) are orange with a dark frame; zeros are left blank.
    """
    cm = _np(cm).astype(int)
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(6.2, 6.0))
    diag = np.where(np.eye(k, dtype=bool), cm, np.nan)  # NaN: not drawn (white)
    ax.imshow(diag, cmap="Blues", vmin=0, vmax=max(1, cm.max()))
    ax.set_xticks(range(k), labels=[str(i) for i in range(k)], fontsize=11)
    ax.set_yticks(range(k), labels=[str(i) for i in range(k)], fontsize=11)
    ax.set_xticks(np.arange(k + 1) - 0.5, minor=True)
    ax.set_yticks(np.arange(k + 1) - 0.5, minor=True)
    ax.grid(which="minor", color="0.88", lw=0.8)
    ax.tick_params(which="minor", length=0)
    for r in range(k):
        for c in range(k):
            if cm[r, c] == 0:
                continue
            if r == c:
                dark = cm[r, c] > cm.max() / 2
                colour = "white" if dark else "black"
            else:
                ax.add_patch(
                    plt.Rectangle(
                        (c - 0.5, r - 0.5),
                        1,
                        1,
                        fc="#fdae61",
                        ec="#b35806",
                        lw=2,
                        zorder=3,
                        clip_on=False,  # the frame of a cell on the border stays whole
                    )
                )
                colour = "black"
            ax.text(
                c, r, str(cm[r, c]), ha="center", va="center", color=colour, fontsize=12, zorder=4
            )
    ax.set_title("混淆矩阵（测试集）", fontsize=13)
    ax.set_xlabel("预测的数字", fontsize=12)
    ax.set_ylabel("真实的数字", fontsize=12)
    handles = [
        plt.Rectangle((0, 0), 1, 1, fc=plt.get_cmap("Blues")(0.8), label="对角线：分对"),
        plt.Rectangle((0, 0), 1, 1, fc="#fdae61", ec="#b35806", lw=2, label="分错（对角线以外）"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.11),
        ncol=2,
        fontsize=11,
        frameon=False,
        title="空白格 = 0 张",
        title_fontsize=11,
    )
    fig.tight_layout()
    return fig


def plot_misclassified(images, labels, preds, *, indices=None, max_images: int = 12):
    """分错的测试图：标题写“真实 → 预测”；给了 ``indices``（每张图在测试集里的编号）时，
    标题第一行写“#编号”，可以把这个编号输入第 7 章的 widget。"""
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

    Colours span the off-diagonal range of each matrix, one colour bar per matrix (a patch
    with itself, always 1, is above that range and shows as the brightest colour), so weak
    structure stays visible. A red square marks the patch each small map belongs to.
    The grid×grid small maps of a matrix are drawn as one mosaic image (one axes, a blank
    row and column between the maps), which draws several times faster than grid² axes.

    ``sims``: a list of (num_patches, num_patches) matrices from ``position_similarity``.
    """
    fig, axes = plt.subplots(1, len(sims), figsize=(4.6 * len(sims), 4.6), squeeze=False)
    step = grid + 1  # a map and the blank line after it
    centres = [r * step + (grid - 1) / 2 for r in range(grid)]
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")  # white: the blank lines
    for ax, sim, title in zip(axes[0], sims, titles, strict=True):
        sim = _np(sim)
        off = sim[~np.eye(len(sim), dtype=bool)]  # colour scale from the other patches only
        mosaic = np.full((grid * step - 1, grid * step - 1), np.nan)
        for i in range(grid * grid):
            r, c = divmod(i, grid)  # the patch this small map belongs to
            mosaic[r * step : r * step + grid, c * step : c * step + grid] = sim[i].reshape(
                grid, grid
            )
            ax.add_patch(
                plt.Rectangle(
                    (c * step + c - 0.5, r * step + r - 0.5), 1, 1, fill=False, ec="red", lw=2
                )
            )
        shade = ax.imshow(mosaic, cmap=cmap, vmin=off.min(), vmax=off.max())
        ax.set_xticks(centres, labels=[f"第 {c + 1} 列" for c in range(grid)], fontsize=11)
        ax.set_yticks(centres, labels=[f"第 {r + 1} 行" for r in range(grid)], fontsize=11)
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        bar = fig.colorbar(shade, ax=ax, extend="max", shrink=0.9, pad=0.03, aspect=25)
        bar.ax.tick_params(labelsize=10)
        bar.set_label("余弦相似度（顶端三角：块与自己，恒为 1）", fontsize=11)
        ax.set_title(title, fontsize=13)
    fig.tight_layout()
    return fig


def plot_digits(images, titles):
    """几张数字并排，各带一个标题。"""
    fig, axes = plt.subplots(1, len(images), figsize=(1.9 * len(images), 2.2), squeeze=False)
    for ax, img, title in zip(axes[0], images, titles, strict=True):
        _digit(ax, img, title)
    fig.tight_layout()
    return fig
