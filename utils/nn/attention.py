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

from .._validate import (
    MAX_ELEMENTS,
    MAX_PARAMETERS,
    check_bool,
    check_budget,
    check_computed,
    check_finite,
    check_float_tensor,
    check_instance,
    check_int,
    check_tensor,
    entry,
)


def scaled_dot_product_attention(q, k, v, mask=None, *, scale: bool = True):
    """Attention(Q, K, V) = softmax(Q Kᵀ / √d_k) V

    q: (..., T_q, d_k)   k: (..., T_k, d_k)   v: (..., T_k, d_v)
    mask: bool, broadcastable to (..., T_q, T_k); True = may attend.
    scale: True divides by √d_k, False does not (not a number: torch's ``scale=1.0`` is False here).
    Returns (output (..., T_q, d_v), weights (..., T_q, T_k)).
    """
    scores_shape = _check_qkv(q, k, v)
    check_bool("scale", scale)
    if mask is not None:
        check_mask("mask", mask, scores_shape)
    out, weights = _attention(q, k, v, mask, scale)
    check_computed("注意力 softmax(QKᵀ/√d_k)·V ", out, hint="q、k、v 里的数太大，请把它们缩小")
    return out, weights


def _attention(q, k, v, mask, scale: bool):
    """The formula, for checked arguments (MultiHeadAttention calls this directly)."""
    d_k = q.shape[-1]

    # 1) 相似度：S_ij = sum_d Q_id K_jd (/ √d_k)
    scores = q @ k.transpose(-2, -1)  # (..., T_q, d_k) @ (..., d_k, T_k) -> (..., T_q, T_k)
    if scale:
        scores = scores / math.sqrt(d_k)

    # 2) 掩码：不允许关注的位置设为 -inf，softmax 后权重为 0
    if mask is not None:  # mask broadcasts to (..., T_q, T_k)
        scores = scores.masked_fill(~mask, float("-inf"))

    # 3) 每行 softmax（torch 的 softmax 内部先减最大值，不会溢出）
    weights = torch.softmax(scores, dim=-1)  # (..., T_q, T_k)

    # 4) 加权求和：O_i = sum_j A_ij V_j
    return weights @ v, weights  # (..., T_q, T_k) @ (..., T_k, d_v) -> (..., T_q, d_v)


def causal_mask(seq_len: int, device=None) -> torch.Tensor:
    """因果掩码（causal mask）：位置 i 只能看 j <= i。True = may attend; (seq_len, seq_len)."""
    seq_len = check_int("seq_len", seq_len)
    check_budget("seq_len × seq_len（因果掩码的元素个数）", seq_len * seq_len, MAX_ELEMENTS)
    if device is not None and not isinstance(device, torch.device):
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError, ValueError):
            raise ValueError(
                f"device 必须是 torch.device 或 'cpu' 这样的设备名，实际是 {device!r:.40}"
            ) from None
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()


class MultiHeadAttention(nn.Module):
    """多头注意力（multi-head attention）：num_heads 个注意力头并行，拼接后再做一次线性投影。

    MultiHead(Q, K, V) = Concat(head_1, ..., head_h) W_O,
    head_i = Attention(Q W_Q^i, K W_K^i, V W_V^i)
    """

    def __init__(self, d_model: int, num_heads: int, *, bias: bool = True):
        super().__init__()
        d_model = check_int("d_model（向量维度）", d_model)
        num_heads = check_int("num_heads（头数）", num_heads)
        check_bool("bias", bias)
        if d_model % num_heads != 0:
            raise ValueError(
                f"d_model（{d_model}）必须能被 num_heads（{num_heads}）整除，"
                "每个头的维度 d_k = d_model // num_heads"
            )
        check_budget("4 × d_model²（多头注意力的参数个数）", 4 * d_model * d_model, MAX_PARAMETERS)
        self.d_model, self.num_heads = d_model, num_heads
        self.d_k = d_model // num_heads
        self.w_q = nn.Linear(d_model, d_model, bias=bias)
        self.w_k = nn.Linear(d_model, d_model, bias=bias)
        self.w_v = nn.Linear(d_model, d_model, bias=bias)
        self.w_o = nn.Linear(d_model, d_model, bias=bias)

    def split_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, seq_len, d_model) -> (batch, num_heads, seq_len, d_k)"""
        check_tensor("x", x)
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x 的形状应为 (batch, seq_len, {self.d_model})，实际是 {tuple(x.shape)}"
            )
        return self._split(x)

    def merge_heads(self, x: torch.Tensor) -> torch.Tensor:
        """(batch, num_heads, seq_len, d_k) -> (batch, seq_len, d_model)：即拼接（concat）各头"""
        check_tensor("x", x)
        if x.dim() != 4 or x.shape[1] != self.num_heads or x.shape[-1] != self.d_k:
            raise ValueError(
                f"x 的形状应为 (batch, {self.num_heads}, seq_len, {self.d_k})"
                f"（batch, num_heads, seq_len, d_k），实际是 {tuple(x.shape)}"
            )
        return self._merge(x)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq_len, _ = x.shape
        return x.view(batch, seq_len, self.num_heads, self.d_k).transpose(1, 2)

    def _merge(self, x: torch.Tensor) -> torch.Tensor:
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
            check_float_tensor(name, t, dtype)
            if t.dim() != 3 or t.shape[-1] != self.d_model:
                raise ValueError(
                    f"{name} 的形状应为 (batch, seq_len, {self.d_model})，实际是 {tuple(t.shape)}"
                )
        check_same_batch(("query", query), ("key", key), ("value", value))
        if key.shape[1] != value.shape[1]:
            raise ValueError(
                "key 和 value 的长度（T_k）必须相同："
                f"key {tuple(key.shape)}，value {tuple(value.shape)}"
            )
        check_keys("key", key.shape[1])
        batch, t_q, t_k = query.shape[0], query.shape[1], key.shape[1]
        if mask is not None:
            check_mask("mask", mask, (batch, self.num_heads, t_q, t_k), rows=False)
            # (batch, T_q, T_k) -> (batch, 1, T_q, T_k): one mask per sequence, for every head
            if mask.dim() == 3:
                mask = mask.unsqueeze(1)
        with entry() as outer:
            if outer:  # a layer of the book that calls this module has checked all this already
                for name, t in _distinct(("query", query), ("key", key), ("value", value)):
                    check_finite(name, t)
                if mask is not None:
                    check_mask_rows("mask", mask)
            # 1) 投影并拆成多个头
            q = self._split(self.w_q(query))  # (batch, num_heads, T_q, d_k)
            k = self._split(self.w_k(key))  # (batch, num_heads, T_k, d_k)
            v = self._split(self.w_v(value))  # (batch, num_heads, T_k, d_k)
            # 2) 每个头各自做缩放点积注意力（mask 广播到所有头）
            heads, weights = _attention(q, k, v, mask, True)
            # 3) 拼接各头，再做输出投影 W_O
            out = self.w_o(self._merge(heads))  # (batch, T_q, d_model)
            if outer:
                check_computed("MultiHeadAttention ", out)
        return out, weights

    @torch.no_grad()
    def load_from_torch(self, mha: nn.MultiheadAttention) -> MultiHeadAttention:
        """从 ``torch.nn.MultiheadAttention`` 复制权重。

        It stacks W_Q, W_K, W_V in ``in_proj_weight`` (3·d_model, d_model).
        """
        check_instance("mha", mha, nn.MultiheadAttention)
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


def _check_qkv(q, k, v) -> tuple:
    """Types, dtypes, shapes and values of q, k, v; returns the shape of the scores."""
    for name, t in (("q", q), ("k", k), ("v", v)):
        check_float_tensor(name, t)
        if t.dim() < 2:
            raise ValueError(f"{name} 至少是二维 (seq_len, dim)，实际形状 {tuple(t.shape)}")
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
    check_keys("k", k.shape[-2])
    try:  # the batch dimensions (everything before the last two) must broadcast
        batch = torch.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except RuntimeError:
        raise ValueError(
            "q、k、v 前面的维度（batch、头）对不上，不能广播："
            f"q {tuple(q.shape)}，k {tuple(k.shape)}，v {tuple(v.shape)}"
        ) from None
    for name, t in (("q", q), ("k", k), ("v", v)):
        check_finite(name, t)
    return (*batch, q.shape[-2], k.shape[-2])


# --- checks shared with utils.nn.transformer (the layers check their masks the same way) ---


def check_keys(name: str, t_k: int) -> None:
    """At least one key: with none, every row of weights would be 0/0 (like an all-masked row)."""
    if t_k < 1:
        raise ValueError(
            f"{name} 的长度（T_k）是 0：没有可以关注的位置，softmax 无定义（和整行被掩码遮住一样）"
        )


def check_same_batch(*named) -> None:
    """The tensors ``(name, t)`` have the same first dimension (batch)."""
    sizes = {t.shape[0] for _, t in named}
    if len(sizes) > 1:
        shapes = "，".join(f"{name} {tuple(t.shape)}" for name, t in named)
        raise ValueError(
            f"{'、'.join(n for n, _ in named)} 的 batch 大小（第一维）必须相同：{shapes}"
        )


def check_mask(name: str, mask, shape, *, rows: bool = True) -> None:
    """A boolean mask that broadcasts to the attention weights' ``shape`` (…, T_q, T_k).

    For ``shape`` = (batch, num_heads, T_q, T_k) a 3-D mask is (batch, T_q, T_k), shared by
    the heads, as ``MultiHeadAttention`` takes it. ``rows``: also refuse a row that is all
    False (a query that may attend to nothing), which reads the whole mask.
    """
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise TypeError(f"{name} 必须是布尔张量（torch.bool），True 表示允许关注")
    m = mask.unsqueeze(1) if len(shape) == 4 and mask.dim() == 3 else mask
    # broadcasts (as expand would): no more dimensions, and each size is 1 or the target's
    fits = m.dim() <= len(shape) and all(
        size in (1, want) for size, want in zip(reversed(m.shape), reversed(shape), strict=False)
    )
    if not fits:
        raise ValueError(
            f"{name} 形状 {tuple(mask.shape)} 不能广播到注意力权重的形状 {tuple(shape)}"
            + (
                "（可以是 (T_q, T_k)、(batch, T_q, T_k) 或 (batch, num_heads, T_q, T_k)）"
                if len(shape) == 4
                else ""
            )
        )
    if rows:
        check_mask_rows(name, m)


def check_mask_rows(name: str, mask) -> None:
    """No row of ``mask`` (over its last axis, the keys) is all False."""
    if not bool(mask.any(dim=-1).all() if mask.dim() else mask):
        raise ValueError(f"{name} 中有一行全是 False：这个位置什么都不能关注，softmax 无定义")


def _distinct(*named):
    """(name, tensor) pairs, each tensor once (``mha(x)`` passes x as query, key and value)."""
    seen = []
    for name, t in named:
        if not any(t is u for u in seen):
            seen.append(t)
            yield name, t
