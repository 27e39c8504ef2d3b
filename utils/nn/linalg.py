"""余弦相似度矩阵与主成分分析（PCA）：各章比较向量时共用的两个小工具。"""

from __future__ import annotations

import numpy as np

from .._validate import (
    MAX_ELEMENTS,
    MAX_OPERATIONS,
    as_matrix,
    check_budget,
    check_computed,
    check_int,
    check_nonzero_rows,
)


def cosine_matrix(vectors) -> np.ndarray:
    """两两余弦相似度 cos(a, b) = a·b / (|a||b|)，(n, d) → (n, n)。

    A row so long (or so short) that the squares in its length overflow (or underflow) is
    first divided by its largest entry: that leaves its direction, and so every cosine,
    unchanged, where the plain formula would give 0 or NaN.
    """
    m = as_matrix("vectors（向量）", vectors)
    n, d = m.shape
    if n == 0:
        raise ValueError("vectors（向量）不能是空的：至少要有一个向量（一行）")
    check_budget("n × n（余弦矩阵的元素个数，n 是向量的个数）", n * n, MAX_ELEMENTS)
    check_budget("n × n × d（乘法次数）", n * n * d, MAX_OPERATIONS)
    with np.errstate(over="ignore", under="ignore"):
        norms = np.linalg.norm(m, axis=1, keepdims=True)  # (n, 1)
    if not ((norms > 1e-150) & (norms < 1e150)).all():  # x·x under- or overflowed
        scale = np.abs(m).max(axis=1, keepdims=True)  # (n, 1)
        check_nonzero_rows("vectors（向量）", scale)
        m = m / scale  # every row's largest entry is now ±1
        norms = np.linalg.norm(m, axis=1, keepdims=True)
    check_nonzero_rows("vectors（向量）", norms)
    unit = m / norms  # (n, d)
    return unit @ unit.T  # (n, d) @ (d, n) -> (n, n)


def pca_project(x, k: int = 2) -> np.ndarray:
    """主成分分析（PCA）：中心化后投影到前 k 个主方向，(n, d) → (n, k)。

    用 SVD；每个主方向的符号固定为“绝对值最大的投影为正”，结果与平台无关。
    """
    m = as_matrix("x（数据）", x)
    k = check_int("k（维数）", k)
    if k > min(m.shape):
        raise ValueError(f"k={k} 不能超过数据的行数和列数中较小的那个（形状 {m.shape}）")
    n, d = m.shape
    check_budget(
        "n × d × min(n, d)（SVD 的乘法次数，x 的形状是 (n, d)）", n * d * min(n, d), MAX_OPERATIONS
    )
    hint = "x 里的数太大，请把它们缩小（例如先除以最大的绝对值）"
    with np.errstate(over="ignore", invalid="ignore"):
        centred = m - m.mean(axis=0)  # (n, d)
    check_computed("中心化 x − mean(x) ", centred, hint=hint)
    try:
        u, s, _ = np.linalg.svd(centred, full_matrices=False)
    except np.linalg.LinAlgError:
        raise ValueError(f"x（数据）的奇异值分解（SVD）没有收敛：{hint}") from None
    proj = u[:, :k] * s[:k]  # (n, k)
    check_computed("PCA 投影 ", proj, hint=hint)
    signs = np.sign(proj[np.abs(proj).argmax(axis=0), np.arange(k)])
    return proj * np.where(signs == 0, 1.0, signs)
