"""第 2 章的小实验。Small, seeded experiments behind chapter 2's claims.

0. ``conv_output_depends_on``: how many convolution layers it takes before the
   first output sees the last input (attention needs one).
1. ``dot_product_variance``: q·k of random vectors has variance d_k; divided by
   √d_k it is back to about 1.
2. ``softmax_saturation``: without scaling, large d_k pushes softmax towards
   one-hot, and its Jacobian (the gradient that flows back) towards zero.
"""

from __future__ import annotations

import numpy as np

from .._validate import (
    MAX_ELEMENTS,
    as_array,
    as_values,
    check_budget,
    check_finite,
    check_int,
    check_seed,
)
from ..nn.numpy_attention import softmax

MAX_LAYERS = 10_000  # conv_output_depends_on: one convolution after another


def _check_d_ks(d_k_values) -> list:
    d_k_values = as_values("d_k_values（要比较的 d_k）", d_k_values, limit=100)
    if not d_k_values:
        raise ValueError("d_k_values（要比较的 d_k）是空的：请至少给一个 d_k，例如 [4, 64]")
    for d_k in d_k_values:
        check_int("d_k（key/query 的维度）", d_k)
    return d_k_values


def dot_product_variance(d_k_values, *, n_samples: int = 10_000, seed: int = 0):
    """对每个 d_k 抽 n_samples 对独立的 q, k ~ N(0, 1)，返回 q·k 与 q·k/√d_k 的均值和方差。

    Returns a list of dicts: d_k, mean, var, scaled_mean, scaled_var.
    """
    d_k_values = _check_d_ks(d_k_values)
    check_int("n_samples（样本数）", n_samples)
    check_budget("n_samples × d_k（一次抽的随机数个数）", n_samples * max(d_k_values), MAX_ELEMENTS)
    rng = np.random.default_rng(check_seed(seed))
    rows = []
    for d_k in d_k_values:
        q = rng.standard_normal((n_samples, d_k))
        k = rng.standard_normal((n_samples, d_k))
        dots = np.einsum("nd,nd->n", q, k)  # q_n · k_n for each sample n
        scaled = dots / np.sqrt(d_k)
        rows.append(
            dict(
                d_k=d_k,
                mean=dots.mean(),
                var=dots.var(),
                scaled_mean=scaled.mean(),
                scaled_var=scaled.var(),
            )
        )
    return rows


def softmax_jacobian_norm(p):
    """softmax 的雅可比矩阵 ∂p/∂s = diag(p) − p pᵀ 的 Frobenius 范数。接近 one-hot 时趋于 0。

    p: (..., n), each row a probability vector. Returns (...,).
    """
    p = as_array("p（softmax 的输出）", p)
    if p.ndim == 0 or p.shape[-1] == 0:
        raise ValueError(f"p（softmax 的输出）至少要是一行概率 (n,)，实际形状 {p.shape}")
    check_finite("p（softmax 的输出）", p)
    check_budget("p 的元素个数 × n（雅可比矩阵的大小）", p.size * p.shape[-1], MAX_ELEMENTS)
    eye = np.eye(p.shape[-1])
    jac = p[..., :, None] * eye - p[..., :, None] * p[..., None, :]  # (..., n, n)
    return np.linalg.norm(jac, axis=(-2, -1))


def softmax_saturation(d_k_values, *, n_keys: int = 8, n_samples: int = 2_000, seed: int = 0):
    """对每个 d_k：随机 query 与 n_keys 个随机 key，比较不缩放与缩放时 softmax 的
    平均最大权重和平均雅可比范数（梯度大小）。

    Returns a list of dicts: d_k, max_weight, grad, scaled_max_weight, scaled_grad.
    """
    d_k_values = _check_d_ks(d_k_values)
    check_int("n_keys（key 的个数）", n_keys)
    check_int("n_samples（样本数）", n_samples)
    check_budget(
        "n_samples × n_keys × d_k（一次抽的随机数个数）",
        n_samples * n_keys * max(max(d_k_values), n_keys),  # the keys, and the Jacobians
        MAX_ELEMENTS,
    )
    rng = np.random.default_rng(check_seed(seed))
    rows = []
    for d_k in d_k_values:
        q = rng.standard_normal((n_samples, 1, d_k))
        k = rng.standard_normal((n_samples, n_keys, d_k))
        scores = np.einsum("nqd,nkd->nk", q, k)  # (n_samples, n_keys)
        out = dict(d_k=d_k)
        for prefix, s in (("", scores), ("scaled_", scores / np.sqrt(d_k))):
            p = softmax(s, axis=1)
            out[prefix + "max_weight"] = p.max(axis=1).mean()
            out[prefix + "grad"] = softmax_jacobian_norm(p).mean()
        rows.append(out)
    return rows


def conv_output_depends_on(
    num_layers: int,
    *,
    seq_len: int = 100,
    width: int = 3,
    out_pos: int = 0,
    in_pos: int | None = None,
) -> bool:
    """堆 num_layers 层宽度为 width 的一维卷积后，位置 out_pos 的输出是否依赖位置 in_pos 的输入。

    Measured, not derived: the gradient of output[out_pos] with respect to the
    whole input, through a stack of all-ones convolutions (same padding).
    Each layer widens the receptive field by (width - 1) // 2 on each side.
    ``in_pos=None`` means the last position, seq_len - 1.
    """
    import torch
    import torch.nn.functional as F

    check_int("num_layers（卷积层数）", num_layers, 0, maximum=MAX_LAYERS)
    check_int("seq_len（序列长度）", seq_len, maximum=MAX_ELEMENTS)
    check_int("width（卷积核宽度）", width, maximum=2 * seq_len + 1)
    check_budget("num_layers × seq_len × width（乘法次数）", num_layers * seq_len * width, 10**9)
    if width % 2 == 0:
        raise ValueError(f"width（卷积核宽度）必须是正奇数（两边各看一样多），实际是 {width}")
    in_pos = seq_len - 1 if in_pos is None else in_pos
    check_int("out_pos（输出位置）", out_pos, 0, maximum=seq_len - 1)
    check_int("in_pos（输入位置）", in_pos, 0, maximum=seq_len - 1)
    x = torch.zeros(
        1, 1, seq_len, dtype=torch.float64, requires_grad=True
    )  # (batch, channels, seq_len)
    kernel = torch.ones(1, 1, width, dtype=torch.float64)
    h = x
    for _ in range(num_layers):
        h = F.conv1d(h, kernel, padding=width // 2)  # (1, 1, seq_len) -> (1, 1, seq_len)
    h[0, 0, out_pos].backward()
    return bool(x.grad[0, 0, in_pos] != 0)
