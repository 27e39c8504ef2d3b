"""自注意力的“手算”版本（numpy）：笔记里的七个步骤，一步一个数组。

The hand-worked version of self-attention, in numpy. It follows the notes' seven
steps literally -- one dot product, one exponential, one weighted vector at a time --
so that every intermediate number can be shown on the page and checked by hand.
The batched, multi-head version for real models is in ``utils.nn.attention``.

Shapes (one sequence, no batch):
    x        (seq_len, d_model)   the input rows x_1 ... x_n
    w_query  (d_model, d_k)
    w_key    (d_model, d_k)
    w_value  (d_model, d_v)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validate import as_matrix, check_int


def softmax(scores, axis: int = -1) -> np.ndarray:
    """数值稳定的 softmax：先减去最大值再取指数。

    softmax(s)_j = exp(s_j - max(s)) / sum_l exp(s_l - max(s))

    Subtracting the maximum changes nothing mathematically (it cancels in the
    fraction) but keeps every exponent <= 0, so exp never overflows.
    A score of −inf is allowed: that is how a mask hides a position (exp(−inf) = 0, its
    weight is exactly 0). NaN and +inf are not, nor a row whose scores are all −inf.
    """
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 0 or s.size == 0:
        raise ValueError(f"scores（分数）不能是空的，也不能只是一个数，实际形状 {s.shape}")
    check_int("axis", axis, -s.ndim, maximum=s.ndim - 1)
    if np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("scores（分数）含有 NaN 或 +inf，请检查输入（−inf 可以：表示被掩码遮住）")
    s_max = s.max(axis=axis, keepdims=True)
    if np.isneginf(s_max).any():
        raise ValueError(
            "scores（分数）中有一行全是 −inf（全被掩码遮住）：没有有限的最大值，softmax 无定义"
        )
    z = s - s_max
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def naive_softmax(scores, axis: int = -1) -> np.ndarray:
    """照抄定义的 softmax：exp(s_j) / sum_l exp(s_l)。只用于演示它会溢出（overflow）。

    Kept only to show what goes wrong: for scores above ~709 (float64) exp
    returns inf and the fraction becomes inf/inf = nan.
    """
    e = np.exp(np.asarray(scores, dtype=np.float64))
    return e / e.sum(axis=axis, keepdims=True)


@dataclass(frozen=True)
class AttentionSteps:
    """笔记七个步骤的全部中间结果。All intermediate results of the seven steps."""

    x: np.ndarray  # (n, d_model)   步骤 1：输入
    w_query: np.ndarray  # (d_model, d_k)  步骤 2：权重
    w_key: np.ndarray  # (d_model, d_k)
    w_value: np.ndarray  # (d_model, d_v)
    query: np.ndarray  # (n, d_k)        步骤 3：query = x · w_query
    key: np.ndarray  # (n, d_k)          key   = x · w_key
    value: np.ndarray  # (n, d_v)        value = x · w_value
    scaled: bool  # 是否除以 √d_k
    scores: np.ndarray  # (n, n)         步骤 4：scores[i, j] = q_i · k_j (/ √d_k)
    weights: np.ndarray  # (n, n)        步骤 5：每行做 softmax
    weighted: np.ndarray  # (n, n, d_v)  步骤 6：weighted[i, j] = weights[i, j] · v_j
    output: np.ndarray  # (n, d_v)       步骤 7：output[i] = Σ_j weighted[i, j]

    @property
    def d_k(self) -> int:
        return self.key.shape[1]


def attention_steps(x, w_query, w_key, w_value, *, scaled: bool = False) -> AttentionSteps:
    """按笔记的步骤逐个计算自注意力（self-attention）。

    ``scaled=False`` is what the notes' worked example does; ``scaled=True``
    divides each score by √d_k as in softmax(QKᵀ/√d_k)V.
    """
    # 1) 输入与 2) 权重：检查形状
    x = as_matrix("x（输入）", x)
    n, d_model = x.shape
    w_query = as_matrix("w_query", w_query, rows=d_model)
    w_key = as_matrix("w_key", w_key, rows=d_model, cols=w_query.shape[1])
    w_value = as_matrix("w_value", w_value, rows=d_model)
    for name, m in (("x（输入）", x), ("w_query（权重）", w_query), ("w_value（权重）", w_value)):
        if m.size == 0:
            raise ValueError(f"{name}不能是空的（至少一行一列），实际形状 {m.shape}")

    # 3) query, key, value：每个输入行乘以权重矩阵
    query = x @ w_query  # (n, d_model) @ (d_model, d_k) -> (n, d_k)
    key = x @ w_key  # (n, d_k)
    value = x @ w_value  # (n, d_v)
    d_k = key.shape[1]

    # 4) 注意力分数：第 i 个 query 与第 j 个 key 的点积
    scores = np.empty((n, n))
    for i in range(n):
        for j in range(n):
            scores[i, j] = query[i] @ key[j]  # sum_d q_id k_jd
    if scaled:
        scores = scores / np.sqrt(d_k)

    # 5) 每一行做 softmax，得到注意力权重
    weights = softmax(scores, axis=1)  # (n, n), every row sums to 1

    # 6) 权重乘以对应的 value：alignment vectors
    weighted = weights[:, :, None] * value[None, :, :]  # (n, n, 1) * (1, n, d_v) -> (n, n, d_v)

    # 7) 对 alignment vectors 求和得到输出
    output = weighted.sum(axis=1)  # (n, d_v)

    return AttentionSteps(
        x=x,
        w_query=w_query,
        w_key=w_key,
        w_value=w_value,
        query=query,
        key=key,
        value=value,
        scaled=scaled,
        scores=scores,
        weights=weights,
        weighted=weighted,
        output=output,
    )
