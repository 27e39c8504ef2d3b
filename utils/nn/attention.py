"""缩放点积注意力与多头注意力（PyTorch 版）：支持 batch、多头和掩码。

Scaled dot-product attention and multi-head attention in PyTorch, for batches,
heads and masks. Tested against ``torch.nn.functional.scaled_dot_product_attention``
and ``torch.nn.MultiheadAttention`` (tests/test_torch_attention.py).

Naming (used in every chapter):
    batch, seq_len, d_model, num_heads, d_k = d_model // num_heads
Mask convention: a boolean ``mask`` where True means "may attend" (the same as
``F.scaled_dot_product_attention``; note ``nn.MultiheadAttention`` uses the opposite).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .._validate import check_finite, check_int


def scaled_dot_product_attention(q, k, v, mask=None, *, scale: bool = True):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

    q: (..., T_q, d_k)   k: (..., T_k, d_k)   v: (..., T_k, d_v)
    mask: bool, broadcastable to (..., T_q, T_k); True = may attend.
    Returns (output (..., T_q, d_v), weights (..., T_q, T_k)).
    """
    _check_qkv(q, k, v)
    d_k = q.shape[-1]

    # 1) 相似度：S_ij = sum_d Q_id K_jd (/ √d_k)
    scores = q @ k.transpose(-2, -1)  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    if scale:
        scores = scores / math.sqrt(d_k)

    # 2) 掩码：不允许关注的位置设为 -inf，softmax 后权重为 0
    if mask is not None:
        mask = _check_mask(mask, scores.shape)
        scores = scores.masked_fill(~mask, float("-inf"))

    # 3) 每行 softmax（torch 的 softmax 内部先减最大值，不会溢出）
    weights = torch.softmax(scores, dim=-1)  # (..., T_q, T_k)

    # 4) 加权求和：O_i = sum_j A_ij V_j
    return weights @ v, weights  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def causal_mask(seq_len: int, device=None) -> torch.Tensor:
    """因果掩码（causal mask）：位置 i 只能看 j <= i。True = may attend; (seq_len, seq_len)."""
    seq_len = check_int("seq_len", seq_len)
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()


class MultiHeadAttention(nn.Module):
    """多头注意力（multi-head attention）：num_heads 个注意力头并行，拼接后再做一次线性投影。

    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O,
    head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i)
    """

    def __init__(self, d_model: int, num_heads: int, *, bias: bool = True):
        super().__init__()
        check_int("d_model（向量维度）", d_model)
        check_int("num_heads（头数）", num_heads)
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model（{d_model}）必须能被 num_heads（{num_heads}）整除，"
                "每个头的维度 d_k = d_model // num_heads"
            )
        self.d_model, self.num_heads = d_model, num_heads
        self.d_k = d_model // num_heads
        self.w_q = nn.Linear(d_model, d_model, bias=bias)
        self.w_k = nn.Linear(d_model, d_model, bias=bias)
        self.w_v = nn.Linear(d_model, d_model, bias=bias)
        self.w_o = nn.Linear(d_model, d_model, bias=bias)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, seq_len, d_model) -> (batch, num_heads, seq_len, d_k)"""
        batch, seq_len, _ = x.shape
        return x.view(batch, seq_len, self.num_heads, self.d_k).transpose(1, 2)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, num_heads, seq_len, d_k) -> (batch, seq_len, d_model)：即拼接（concat）各头"""
        batch, _, seq_len, _ = x.shape
        return x.transpose(1, 2).reshape(batch, seq_len, self.d_model)

    def forward(self, query, key=None, value=None, mask=None):
        """query: (batch, T_q, d_model); key, value: (batch, T_k, d_model).

        key defaults to query (self-attention) and value defaults to key, so
        ``mha(x)`` is self-attention and ``mha(x, memory)`` cross-attention over ``memory``.
        All three must have the module's dtype (``.double()`` the module for float64 input).
        mask: bool, True = may attend, one of
            (T_q, T_k)                      the same mask for every sequence and head,
            (batch, T_q, T_k)               one mask per sequence, shared by the heads,
            (batch, num_heads, T_q, T_k)    or anything that broadcasts to it.
        Returns (output (batch, T_q, d_model), weights (batch, num_heads, T_q, T_k)).
        """
        key = query if key is None else key
        value = key if value is None else value
        dtype = self.w_q.weight.dtype
        for name, t in (("query", query), ("key", key), ("value", value)):
            _check_tensor(name, t)
            if t.dim() != 3 or t.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} 的形状应为 (batch, seq_len, {self.d_model})，实际是 {tuple(t.shape)}"
                )
            if t.dtype != dtype:
                raise TypeError(
                    f"{name} 的数据类型是 {t.dtype}，本模块的权重是 {dtype}："
                    "用 .double() 或 .float() 让两者一致"
                )
        if mask is not None:
            _check_mask_type(mask)
        # 1) 投影并拆成多个头
        q = self.split_heads(self.w_q(query))  # (batch, num_heads, T_q, d_k)
        k = self.split_heads(self.w_k(key))  # (batch, num_heads, T_k, d_k)
        v = self.split_heads(self.w_v(value))  # (batch, num_heads, T_k, d_k)
        # 2) 每个头各自做缩放点积注意力（mask 广播到所有头）
        if mask is not None and mask.dim() == 3:  # (batch, T_q, T_k) -> (batch, 1, T_q, T_k)
            mask = mask.unsqueeze(1)
        heads, weights = scaled_dot_product_attention(q, k, v, mask)
        # 3) 拼接各头，再做输出投影 W_O
        return self.w_o(self.merge_heads(heads)), weights

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """从 ``torch.nn.MultiheadAttention`` 复制权重。

        It stacks W_Q, W_K, W_V in ``in_proj_weight`` (3·d_model, d_model).
        """
        if mha.embed_dim != self.d_model or mha.num_heads != self.num_heads:
            raise ValueError(
                f"形状不一致：torch 模块是 d_model={mha.embed_dim}, num_heads={mha.num_heads}，"
                f"本模块是 d_model={self.d_model}, num_heads={self.num_heads}"
            )
        if mha.in_proj_weight is None:
            raise ValueError("torch 模块的 q/k/v 维度不同（kdim/vdim），无法复制")
        has_bias = mha.in_proj_bias is not None
        if has_bias != (self.w_q.bias is not None):
            raise ValueError("两个模块一个有偏置（bias）一个没有，无法复制")
        for i, lin in enumerate((self.w_q, self.w_k, self.w_v)):
            rows = slice(i * self.d_model, (i + 1) * self.d_model)
            lin.weight.copy_(mha.in_proj_weight[rows])
            if has_bias:
                lin.bias.copy_(mha.in_proj_bias[rows])
        self.w_o.weight.copy_(mha.out_proj.weight)
        if has_bias:
            self.w_o.bias.copy_(mha.out_proj.bias)
        return self


def _check_tensor(name: str, t) -> None:
    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} 必须是 torch.Tensor，实际是 {type(t).__name__}")


def _check_qkv(q, k, v) -> None:
    for name, t in (("q", q), ("k", k), ("v", v)):
        _check_tensor(name, t)
        if t.dim() < 2:
            raise ValueError(f"{name} 至少是二维 (seq_len, dim)，实际形状 {tuple(t.shape)}")
        if not t.is_floating_point():
            raise TypeError(
                f"{name} 必须是浮点张量（如 torch.float32、torch.float64），实际是 {t.dtype}："
                "整数张量请先用 .float() 或 .double() 转换"
            )
        check_finite(name, t)
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(
            f"q、k、v 的数据类型必须相同，实际是 q {q.dtype}、k {k.dtype}、v {v.dtype}："
            "用 .double() 或 .float() 让它们一致"
        )
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q 和 k 的最后一维（d_k）必须相同才能做点积：q {tuple(q.shape)}，k {tuple(k.shape)}"
        )
    if q.shape[-1] < 1:
        raise ValueError(f"d_k（q 和 k 的最后一维）至少是 1，实际形状 q {tuple(q.shape)}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"k 和 v 的长度（T_k）必须相同：k {tuple(k.shape)}，v {tuple(v.shape)}")


def _check_mask_type(mask) -> None:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError("mask 必须是布尔张量（torch.bool），True 表示允许关注")


def _check_mask(mask, scores_shape) -> torch.Tensor:
    _check_mask_type(mask)
    try:
        full = mask.expand(scores_shape)
    except RuntimeError:
        raise ValueError(
            f"mask 形状 {tuple(mask.shape)} 不能广播到分数矩阵的形状 {tuple(scores_shape)}"
        ) from None
    if not bool(full.any(dim=-1).all()):
        raise ValueError("mask 中有一行全是 False：这个位置什么都不能关注，softmax 无定义")
    return full
