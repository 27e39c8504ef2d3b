"""位置编码（positional encoding）：论文的正弦公式，以及可学习的位置嵌入。

The one place in the book where positional encoding is written (chapters 1, 4 and 6
and the model in ``utils.nn.transformer`` all use it). The formula, exactly as in the paper:

    PE(pos, 2i)   = sin(pos / 10000^(2i / d_model))
    PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model))

pos = position in the sequence (0, 1, 2, ...), i = index of the sin/cos pair
(0 ≤ i < d_model / 2), d_model = size of every token vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .._validate import (
    MAX_ELEMENTS,
    MAX_OPERATIONS,
    MAX_PARAMETERS,
    as_values,
    check_bool,
    check_budget,
    check_computed,
    check_finite,
    check_float_dtype,
    check_float_tensor,
    check_int,
    check_nonzero_rows,
    check_tensor,
    entry,
    is_finite_number,
    is_int,
    short_repr,
)

# Positions up to 10^15: every integer up to 2^53 ≈ 9·10^15 is exact in float64, the type
# the angles pos / 10000^(2i/d_model) are computed in.
MAX_POSITION = 10**15


def _check_sizes(seq_len, d_model, base=10000.0) -> tuple[int, int, float]:
    """seq_len ≥ 1, an even d_model ≥ 2, a finite base > 1, and a table of at most
    MAX_ELEMENTS numbers. Returns them as (int, int, float)."""
    seq_len = check_int("seq_len（序列长度）", seq_len)
    d_model = check_int("d_model（向量维度，sin/cos 成对出现）", d_model, 2, even=True)
    if not (is_finite_number(base) and base > 1):
        raise ValueError(
            f"base（底数，论文里是 10000）必须是大于 1 的有限数，实际是 {short_repr(base)}"
        )
    check_budget("seq_len × d_model（位置编码表的元素个数）", seq_len * d_model, MAX_ELEMENTS)
    return seq_len, d_model, float(base)


def positional_encoding(
    seq_len: int, d_model: int, *, base: float = 10000.0, dtype=torch.float64
) -> torch.Tensor:
    """正弦位置编码矩阵，形状 (seq_len, d_model)：第 pos 行是位置 pos 的编码。"""
    seq_len, d_model, base = _check_sizes(seq_len, d_model, base)
    check_float_dtype("dtype", dtype)
    pos = torch.arange(seq_len, dtype=torch.float64)  # (seq_len,)
    return _pe_rows(pos, d_model, base).to(dtype)


def _pe_rows(pos: torch.Tensor, d_model: int, base: float) -> torch.Tensor:
    """The formula itself, for the float64 positions ``pos`` (n,) -> (n, d_model)."""
    pos = pos.unsqueeze(1)  # (n, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model/2,): 0, 2, 4, ...
    angle = pos / base ** (two_i / d_model)  # (n, d_model/2): pos / 10000^(2i/d_model)
    pe = torch.empty(pos.shape[0], d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)  # even columns 2i
    pe[:, 1::2] = torch.cos(angle)  # odd columns 2i+1
    return pe


def wavelengths(d_model: int, *, base: float = 10000.0) -> torch.Tensor:
    """第 i 对 sin/cos 的波长 2π·10000^(2i/d_model)，形状 (d_model/2,)。

    It grows from 2π (i = 0) towards 2π·10000.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    return 2 * math.pi * base ** (two_i / d_model)


class PositionalEncoding(nn.Module):
    """把固定的正弦位置编码加到词向量上：x + PE[:seq_len]。不含可训练参数。"""

    def __init__(self, d_model: int, max_len: int = 512, *, base: float = 10000.0):
        super().__init__()
        check_int("max_len（最多准备多少个位置）", max_len)
        max_len, d_model, base = _check_sizes(max_len, d_model, base)
        self.d_model, self.max_len = d_model, max_len
        # A buffer moves with .to()/.double() and is saved, but is not a parameter.
        self.register_buffer(
            "pe", positional_encoding(max_len, d_model, base=base), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> (batch, seq_len, d_model)"""
        _check_input(x, self.d_model, self.max_len)
        with entry() as outer:
            out = x + self.pe[: x.shape[1]].to(x.dtype)  # (seq_len, d_model) broadcasts over batch
            if outer:
                check_computed("x + 位置编码 ", out, [("x", x)])
        return out


class LearnedPositionalEmbedding(nn.Module):
    """可学习的位置嵌入（learned position embedding）：每个位置一个可训练向量。

    This is what BERT and ViT use.
    """

    def __init__(self, d_model: int, max_len: int, *, init_std: float = 0.02):
        super().__init__()
        # a learned table has no sin/cos pairs: any positive d_model will do
        max_len = check_int("max_len（最大长度）", max_len)
        d_model = check_int("d_model（向量维度）", d_model)
        if not (is_finite_number(init_std) and init_std >= 0):
            raise ValueError(
                f"init_std（初始化的标准差）必须是不小于 0 的有限数，实际是 {short_repr(init_std)}"
            )
        check_budget("max_len × d_model（参数个数）", max_len * d_model, MAX_PARAMETERS)
        self.d_model, self.max_len = d_model, max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * init_std)  # (max_len, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> (batch, seq_len, d_model)"""
        _check_input(x, self.d_model, self.max_len)
        with entry() as outer:
            out = x + self.weight[: x.shape[1]]  # (seq_len, d_model) broadcasts over batch
            if outer:
                check_computed("x + 位置向量 ", out, [("x", x)])
        return out


def _check_input(x, d_model: int, max_len: int) -> None:
    check_float_tensor("x", x)
    if x.dim() != 3 or x.shape[-1] != d_model:
        raise ValueError(f"输入的形状应为 (batch, seq_len, {d_model})，实际是 {tuple(x.shape)}")
    if x.shape[1] > max_len:
        raise ValueError(
            f"序列长度 {x.shape[1]} 超过了 max_len={max_len}：位置编码只准备了 {max_len} 个位置"
        )


# ---------------------------------------------------------------------------------------------
# 第 4 章用到的补充函数：单个位置、单个 (pos, i) 的中间量、相对位置的旋转矩阵、相似度。
# Additions for chapter 4. They use the same formula (``_pe_rows``) as positional_encoding.


def _check_pos(pos, name: str = "pos（位置）") -> int:
    pos = check_int(name, pos, 0)
    if pos > MAX_POSITION:
        raise ValueError(
            f"{name}最大是 10^15（更大的整数在 float64 里不能精确表示），实际是 {short_repr(pos)}"
        )
    return pos


def _check_pair(i, d_model: int) -> int:
    if not is_int(i) or not 0 <= i < d_model // 2:
        raise ValueError(
            f"i（sin/cos 对的编号）必须是 0 到 d_model/2 − 1 = {d_model // 2 - 1} 之间的整数，"
            f"实际是 {short_repr(i)}"
        )
    return int(i)


def angular_frequencies(d_model: int, *, base: float = 10000.0) -> torch.Tensor:
    """第 i 对 sin/cos 的角频率 ω_i = 1 / 10000^(2i/d_model)，形状 (d_model/2,)。

    PE(pos, 2i) = sin(pos·ω_i), PE(pos, 2i+1) = cos(pos·ω_i); wavelength = 2π / ω_i.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model/2,)
    return 1.0 / base ** (two_i / d_model)


def positional_encoding_at(
    positions, d_model: int, *, base: float = 10000.0, dtype=torch.float64
) -> torch.Tensor:
    """任意位置（不必从 0 开始、不必连续）的编码，形状 (len(positions), d_model)。

    ``positions``: one integer or a sequence of integers >= 0 (at most 100,000 of them, each
    at most 10^15). Row r is PE(positions[r]), identical to
    ``positional_encoding(max(positions) + 1, d_model)[positions]``.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    check_float_dtype("dtype", dtype)
    if isinstance(positions, torch.Tensor) and not _is_int_dtype(positions.dtype):
        raise ValueError(f"positions（位置）必须是整数，实际的类型是 {positions.dtype}")
    if isinstance(positions, (str, bytes)) or positions is None:
        raise ValueError(
            f"positions（位置）必须是一个整数或一串整数，实际是 {short_repr(positions)}"
        )
    positions = as_values("positions（位置）", positions)
    if not positions:
        raise ValueError("positions（位置）不能是空的")
    pos = [_check_pos(p, "positions（每个位置）") for p in positions]
    check_budget("len(positions) × d_model（结果的元素个数）", len(pos) * d_model, MAX_ELEMENTS)
    return _pe_rows(torch.tensor(pos, dtype=torch.float64), d_model, base).to(dtype)


@dataclass(frozen=True)
class PairTerms:
    """PE(pos, 2i) 与 PE(pos, 2i+1) 的每个中间量，用来把公式“代入数字”。"""

    pos: int
    i: int
    d_model: int
    base: float
    exponent: float  # 2i / d_model
    denominator: float  # base^(2i / d_model)
    angle: float  # pos / base^(2i / d_model)
    sin: float  # PE(pos, 2i)
    cos: float  # PE(pos, 2i+1)

    @property
    def wavelength(self) -> float:
        """2π · base^(2i/d_model)：这一对 sin/cos 每隔多少个位置重复一次。"""
        return 2 * math.pi * self.denominator


def pair_terms(pos: int, i: int, d_model: int, *, base: float = 10000.0) -> PairTerms:
    """位置 pos、第 i 对（第 2i 和 2i+1 维）的中间量与结果。

    Same numbers as ``positional_encoding_at(pos, d_model)[0, 2*i : 2*i + 2]``.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    pos = _check_pos(pos)
    i = _check_pair(i, d_model)
    enc = positional_encoding_at(pos, d_model, base=base)[0]  # (d_model,)
    exponent = 2 * i / d_model
    denominator = float(base) ** exponent
    return PairTerms(
        pos=pos,
        i=i,
        d_model=d_model,
        base=float(base),
        exponent=exponent,
        denominator=denominator,
        angle=pos / denominator,
        sin=float(enc[2 * i]),
        cos=float(enc[2 * i + 1]),
    )


def _check_offset(k, name: str = "k（位置的偏移）") -> float:
    if not is_finite_number(k):
        raise ValueError(f"{name}必须是一个有限的数（通常是整数），实际是 {short_repr(k)}")
    return float(k)


def _offsets(k, name: str, d_model: int) -> torch.Tensor:
    """One offset or a sequence of them (list, range, array, tensor) as a float64 tensor (n,)."""
    if isinstance(k, torch.Tensor) and (k.is_complex() or k.dtype == torch.bool):
        raise ValueError(f"{name}必须是实数，实际的类型是 {k.dtype}")
    values = as_values(name, k)
    if not values:
        raise ValueError(f"{name}不能是空的")
    check_budget(f"{name}的个数 × d_model / 2", len(values) * (d_model // 2), MAX_ELEMENTS)
    return torch.tensor([_check_offset(v, name) for v in values], dtype=torch.float64)


def relative_rotation(k, d_model: int, *, base: float = 10000.0) -> torch.Tensor:
    """把 PE(pos) 变成 PE(pos + k) 的矩阵 M_k，形状 (d_model, d_model)，与 pos 无关。

    PE(pos + k) = M_k · PE(pos)   (PE as a column vector).
    M_k is block diagonal; the block of pair i rotates (sin, cos) by the angle k·ω_i:
        [ sin(a + b) ]   [  cos b   sin b ] [ sin a ]
        [ cos(a + b) ] = [ -sin b   cos b ] [ cos a ],   a = pos·ω_i,  b = k·ω_i
    """
    k = _check_offset(k)
    _, d_model, base = _check_sizes(1, d_model, base)
    check_budget("d_model × d_model（矩阵 M_k 的元素个数）", d_model * d_model, MAX_ELEMENTS)
    b = k * angular_frequencies(d_model, base=base)  # (d_model/2,)
    m = torch.zeros(d_model, d_model, dtype=torch.float64)
    idx = torch.arange(0, d_model, 2)  # the sin rows/columns 2i; cos is 2i+1
    m[idx, idx] = torch.cos(b)
    m[idx, idx + 1] = torch.sin(b)
    m[idx + 1, idx] = -torch.sin(b)
    m[idx + 1, idx + 1] = torch.cos(b)
    return m


def dot_product_by_distance(k, d_model: int, *, base: float = 10000.0) -> torch.Tensor:
    """PE(pos)·PE(pos + k) = Σ_i cos(k·ω_i)：只取决于距离 k，不取决于 pos。

    ``k``: a number or a sequence of numbers -> tensor of the same length (float64).
    From sin a sin c + cos a cos c = cos(a − c), summed over the d_model/2 pairs.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    ks = _offsets(k, "k（距离）", d_model)  # (n,)
    omega = angular_frequencies(d_model, base=base)  # (d_model/2,)
    return torch.cos(ks.unsqueeze(1) * omega).sum(dim=1)  # (n, d_model/2) -> (n,)


def similarity_matrix(pe, *, cosine: bool = False) -> torch.Tensor:
    """所有位置两两之间的点积 S = PE · PEᵀ，形状 (seq_len, seq_len)。

    ``cosine=True`` divides by the lengths (cosine similarity). Every sinusoidal row has
    length √(d_model/2), so for it cosine = dot / (d_model/2). Rows so long (or so short)
    that their squares overflow (or underflow) are first divided by their largest entry,
    which leaves their direction, and so the cosine, unchanged.
    """
    check_bool("cosine", cosine)
    pe = _as_encoding_matrix(pe)
    n, d = pe.shape
    check_budget("seq_len × seq_len（相似度矩阵的元素个数）", n * n, MAX_ELEMENTS)
    check_budget("seq_len × seq_len × d_model（乘法次数）", n * n * d, MAX_OPERATIONS)
    s = pe @ pe.T  # (seq_len, d_model) @ (d_model, seq_len) -> (seq_len, seq_len)
    if not cosine:
        check_computed("点积 PE·PEᵀ ", s, hint="pe 里的数太大，点积超出了 float64 的范围")
        return s
    norms = pe.norm(dim=1)  # (seq_len,)
    if not bool(((norms > 1e-150) & (norms < 1e150)).all()):  # x·x under- or overflowed
        scale = pe.abs().amax(dim=1, keepdim=True)  # (seq_len, 1)
        check_nonzero_rows("pe", scale)
        pe = pe / scale  # every row's largest entry is now ±1
        s = pe @ pe.T
        norms = pe.norm(dim=1)
    check_nonzero_rows("pe", norms)
    return s / (norms.unsqueeze(1) * norms.unsqueeze(0))


def distance_by_gap(k, d_model: int, *, base: float = 10000.0) -> torch.Tensor:
    """‖PE(pos) − PE(pos + k)‖：只取决于间隔 k，不取决于 pos。

    ``k``: a number or a sequence of numbers -> tensor of the same length (float64).
    Pair i puts two points on the unit circle, an angle k·ω_i apart; the chord between
    them has length 2|sin(k·ω_i / 2)|, so
        ‖PE(pos) − PE(pos + k)‖² = Σ_i 4 sin²(k·ω_i / 2) = d_model − 2 Σ_i cos(k·ω_i).
    The sin² form is used: it has no cancellation when the distance is tiny.
    """
    _, d_model, base = _check_sizes(1, d_model, base)
    ks = _offsets(k, "k（间隔）", d_model)  # (n,)
    return _distance_by_gap(ks, angular_frequencies(d_model, base=base))


def _distance_by_gap(ks: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """2 √(Σ_i sin²(k·ω_i / 2)) for float64 gaps ks (n,) and frequencies omega (d_model/2,)."""
    half = torch.sin(ks.unsqueeze(1) * omega / 2)  # (n, d_model/2)
    return 2 * half.pow(2).sum(dim=1).sqrt()  # (n,)


@dataclass(frozen=True)
class ClosestGap:
    """前 seq_len 个位置里，两个不同位置的编码之间最小的距离，以及取到它的间隔。"""

    seq_len: int
    d_model: int
    distance: float  # min over 0 <= a < b < seq_len of ‖PE(a) − PE(b)‖
    gap: int  # the k = b − a that attains it
    num_pairs: int  # seq_len − gap: every pair (pos, pos + gap) is at exactly this distance


def closest_gap(seq_len: int, d_model: int, *, base: float = 10000.0) -> ClosestGap:
    """不同位置的编码之间的最小距离：对每个间隔 k = 1 … seq_len − 1 算一次。

    The distance depends only on the gap (``distance_by_gap``), so the minimum is shared
    by all seq_len − k pairs (pos, pos + k): asking for "the" closest pair would pick one
    of them by floating-point accident. This returns the gap and how many pairs have it.
    Different gaps give different distances, apart from rare near-ties; ``torch.argmin``
    returns the smallest gap on an exact tie.
    """
    seq_len, d_model, base = _check_sizes(seq_len, d_model, base)
    if seq_len < 2:
        raise ValueError("至少需要两个位置才能比较距离")
    gaps = torch.arange(1, seq_len, dtype=torch.float64)  # (seq_len - 1,): 1, 2, …
    dist = _distance_by_gap(gaps, angular_frequencies(d_model, base=base))  # (seq_len - 1,)
    gap = int(torch.argmin(dist)) + 1
    return ClosestGap(
        seq_len=seq_len,
        d_model=d_model,
        distance=float(dist[gap - 1]),
        gap=gap,
        num_pairs=seq_len - gap,
    )


def _as_encoding_matrix(pe) -> torch.Tensor:
    check_tensor("pe", pe)
    if pe.dim() != 2:
        raise ValueError(f"pe 的形状应为 (seq_len, d_model)，实际是 {tuple(pe.shape)}")
    if pe.is_complex():
        raise TypeError(f"pe 必须是实数张量，实际是 {pe.dtype}")
    pe = pe.to(torch.float64)
    check_finite("pe", pe)
    return pe


def _is_int_dtype(dtype) -> bool:
    return not (dtype.is_floating_point or dtype.is_complex or dtype == torch.bool)
