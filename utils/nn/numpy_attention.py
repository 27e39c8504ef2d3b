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

from .._validate import (
    MAX_ELEMENTS,
    as_array,
    as_matrix,
    check_bool,
    check_budget,
    check_computed,
    check_int,
)

# The hand-worked version loops over every (query, key) pair in Python: fine for the notes'
# three inputs, hopeless for thousands. Larger inputs belong to utils.nn.attention.
MAX_STEPS_ROWS = 500


def softmax(scores, axis: int = -1) -> np.ndarray:
    """数值稳定的 softmax：先减去最大值再取指数。

    softmax(s)_j = exp(s_j - max(s)) / sum_l exp(s_l - max(s))

    Subtracting the maximum changes nothing mathematically (it cancels in the
    fraction) but keeps every exponent <= 0, so exp never overflows.
    A score of −inf is allowed: that is how a mask hides a position (exp(−inf) = 0, its
    weight is exactly 0). NaN and +inf are not, nor a row whose scores are all −inf.
    """
    s = _check_scores(scores, axis)
    s_max = s.max(axis=axis, keepdims=True)
    if np.isneginf(s_max).any():
        raise ValueError(
            "scores（分数）中有一行全是 −inf（全被掩码遮住）：没有有限的最大值，softmax 无定义"
        )
    with np.errstate(over="ignore"):  # −1e308 − 1e308 = −inf: exp gives 0, as it should
        z = s - s_max
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


def _check_scores(scores, axis) -> np.ndarray:
    """scores as a float64 array: not empty, no NaN or +inf (−inf is a masked score)."""
    s = as_array("scores（分数）", scores)
    if s.ndim == 0 or s.size == 0:
        raise ValueError(f"scores（分数）不能是空的，也不能只是一个数，实际形状 {s.shape}")
    check_int("axis", axis, -s.ndim, maximum=s.ndim - 1)
    if np.isnan(s).any() or np.isposinf(s).any():
        raise ValueError("scores（分数）含有 NaN 或 +inf，请检查输入（−inf 可以：表示被掩码遮住）")
    return s


def naive_softmax(scores, axis: int = -1) -> np.ndarray:
    """照抄定义的 softmax：exp(s_j) / sum_l exp(s_l)。只用于演示它会溢出（overflow）。

    Kept only to show what goes wrong: for scores above ~709 (float64) exp
    returns inf and the fraction becomes inf/inf = nan. That NaN is the point of this
    function, so it is returned (numpy warns); the input is checked like ``softmax``'s.
    """
    e = np.exp(_check_scores(scores, axis))
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
    divides each score by √d_k as in softmax(QKᵀ/√d_k)V. For at most 500 inputs (the
    scores are computed one pair at a time, in Python).
    """
    # 1) 输入与 2) 权重：检查形状
    scaled = check_bool("scaled", scaled)
    x = as_matrix("x（输入）", x)
    n, d_model = x.shape
    w_query = as_matrix("w_query", w_query, rows=d_model)
    w_key = as_matrix("w_key", w_key, rows=d_model, cols=w_query.shape[1])
    w_value = as_matrix("w_value", w_value, rows=d_model)
    for name, m in (("x（输入）", x), ("w_query（权重）", w_query), ("w_value（权重）", w_value)):
        if m.size == 0:
            raise ValueError(f"{name}不能是空的（至少一行一列），实际形状 {m.shape}")
    if n > MAX_STEPS_ROWS:
        raise ValueError(
            f"x（输入）有 {n} 行：逐步手算的版本最多 {MAX_STEPS_ROWS} 行（分数一对一对地算），"
            "长的序列请用 utils.nn.attention.scaled_dot_product_attention"
        )
    d_v = w_value.shape[1]
    check_budget("n × n × d_v（步骤 6 的 weighted 有这么多个数）", n * n * d_v, MAX_ELEMENTS)

    # 3) query, key, value：每个输入行乘以权重矩阵
    with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
        query = x @ w_query  # (n, d_model) @ (d_model, d_k) -> (n, d_k)
        key = x @ w_key  # (n, d_k)
        value = x @ w_value  # (n, d_v)
    for name, m in (
        ("query（x · w_query）", query),
        ("key（x · w_key）", key),
        ("value（x · w_value）", value),
    ):
        check_computed(name, m, hint=_SMALLER)
    d_k = key.shape[1]

    # 4) 注意力分数：第 i 个 query 与第 j 个 key 的点积
    scores = np.empty((n, n))
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(n):
            for j in range(n):
                scores[i, j] = query[i] @ key[j]  # sum_d q_id k_jd
    check_computed("scores（分数 q_i · k_j）", scores, hint=_SMALLER)
    if scaled:
        scores = scores / np.sqrt(d_k)

    # 5) 每一行做 softmax，得到注意力权重
    weights = softmax(scores, axis=1)  # (n, n), every row sums to 1

    # 6) 权重乘以对应的 value：alignment vectors
    weighted = weights[:, :, None] * value[None, :, :]  # (n, n, 1) * (1, n, d_v) -> (n, n, d_v)

    # 7) 对 alignment vectors 求和得到输出
    with np.errstate(over="ignore", invalid="ignore"):
        output = weighted.sum(axis=1)  # (n, d_v)
    check_computed("output（输出）", output, hint=_SMALLER)

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


_SMALLER = "x 或权重矩阵里的数太大，请把它们缩小"
