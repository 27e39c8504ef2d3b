"""位置编码（positional encoding）：论文的正弦公式，以及可学习的位置嵌入。

The one place in the book where positional encoding is written (chapters 1, 4 and 6
and the model in ``utils.transformer`` all use it). The formula, exactly as in the paper:

    PE(pos, 2i)   = sin(pos / 10000^(2i / d_model))
    PE(pos, 2i+1) = cos(pos / 10000^(2i / d_model))

pos = position in the sequence (0, 1, 2, ...), i = index of the sin/cos pair
(0 ≤ i < d_model / 2), d_model = size of every token vector.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def _check_sizes(seq_len, d_model, base=10000.0) -> None:
    if not isinstance(seq_len, int) or isinstance(seq_len, bool) or seq_len < 1:
        raise ValueError(f"seq_len（序列长度）必须是正整数，实际是 {seq_len!r}")
    if not isinstance(d_model, int) or isinstance(d_model, bool) or d_model < 2 or d_model % 2:
        raise ValueError(
            f"d_model（向量维度）必须是不小于 2 的偶数（sin/cos 成对出现），实际是 {d_model!r}"
        )
    if not (isinstance(base, (int, float)) and math.isfinite(base) and base > 1):
        raise ValueError(f"base（底数，论文里是 10000）必须是大于 1 的有限数，实际是 {base!r}")


def positional_encoding(
    seq_len: int, d_model: int, *, base: float = 10000.0, dtype=torch.float64
) -> torch.Tensor:
    """正弦位置编码矩阵，形状 (seq_len, d_model)：第 pos 行是位置 pos 的编码。"""
    _check_sizes(seq_len, d_model, base)
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
    _check_sizes(1, d_model, base)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    return 2 * math.pi * base ** (two_i / d_model)


class PositionalEncoding(nn.Module):
    """把固定的正弦位置编码加到词向量上：x + PE[:seq_len]。不含可训练参数。"""

    def __init__(self, d_model: int, max_len: int = 512, *, base: float = 10000.0):
        super().__init__()
        self.d_model, self.max_len = d_model, max_len
        # A buffer moves with .to()/.double() and is saved, but is not a parameter.
        self.register_buffer(
            "pe", positional_encoding(max_len, d_model, base=base), persistent=False
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> (batch, seq_len, d_model)"""
        _check_input(x, self.d_model, self.max_len)
        return x + self.pe[: x.shape[1]].to(x.dtype)  # (seq_len, d_model) broadcasts over batch


class LearnedPositionalEmbedding(nn.Module):
    """可学习的位置嵌入（learned position embedding）：每个位置一个可训练向量。

    This is what BERT and ViT use.
    """

    def __init__(self, d_model: int, max_len: int, *, init_std: float = 0.02):
        super().__init__()
        _check_sizes(max_len, d_model)
        self.d_model, self.max_len = d_model, max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * init_std)  # (max_len, d_model)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> (batch, seq_len, d_model)"""
        _check_input(x, self.d_model, self.max_len)
        return x + self.weight[: x.shape[1]]


def _check_input(x, d_model: int, max_len: int) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != d_model:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"输入的形状应为 (batch, seq_len, {d_model})，实际是 {shape}")
    if x.shape[1] > max_len:
        raise ValueError(
            f"序列长度 {x.shape[1]} 超过了 max_len={max_len}：位置编码只准备了 {max_len} 个位置"
        )
