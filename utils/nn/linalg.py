"""余弦相似度矩阵与主成分分析（PCA）：各章比较向量时共用的两个小工具。"""

from __future__ import annotations

import numpy as np

from .._validate import as_matrix, check_int, check_nonzero_rows


def cosine_matrix(vectors) -> np.ndarray:
    """两两余弦相似度 cos(a, b) = a·b / (|a||b|)，(n, d) → (n, n)。"""
    m = as_matrix("vectors（向量）", vectors)
    norms = np.linalg.norm(m, axis=1, keepdims=True)  # (n, 1)
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
    centred = m - m.mean(axis=0)  # (n, d)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    proj = u[:, :k] * s[:k]  # (n, k)
    signs = np.sign(proj[np.abs(proj).argmax(axis=0), np.arange(k)])
    return proj * np.where(signs == 0, 1.0, signs)
