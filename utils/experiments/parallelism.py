"""并行计算：注意力一次处理整个序列，RNN 必须一步一步来。

The notes say attention "高效地进行并行计算". Two ways to check it:

1. Deterministic: the *dependency depth*. In an RNN, h_t = tanh(W x_t + U h_{t-1} + b)
   needs h_{t-1}, so seq_len steps run one after another, and the longest chain of
   operations in the computation graph grows with seq_len. In self-attention every output
   is computed from the inputs only, so the depth does not depend on seq_len.
   ``graph_depth`` measures that longest chain in PyTorch's autograd graph.
2. Wall-clock (honestly non-deterministic): ``speed_ratio`` times a step-by-step RNN
   against one attention layer of the same width on the same input.
"""

from __future__ import annotations

import time

import torch
from torch import nn

from .._threads import torch_threads
from .._validate import (
    MAX_ELEMENTS,
    MAX_OPERATIONS,
    as_values,
    check_budget,
    check_float_tensor,
    check_int,
    check_parameter_count,
    check_seed,
    check_tensor,
    short_repr,
)
from ..nn.attention import MultiHeadAttention

MAX_SEQ_LEN = 4096  # a step-by-step RNN of 4096 steps, a 4096 × 4096 attention matrix


def _check_work(batch: int, seq_len: int, d_model: int, runs: int = 1) -> None:
    """The sizes a reader typed, multiplied: memory (the input, the attention weights) and
    time (the attention's seq_len² · d_model multiply-adds), before anything is computed."""
    check_budget("batch × seq_len × d_model（输入的大小）", batch * seq_len * d_model, MAX_ELEMENTS)
    check_budget("batch × seq_len²（注意力权重的个数）", batch * seq_len**2, MAX_ELEMENTS)
    check_budget(
        "batch × seq_len × d_model × (seq_len + d_model) × 次数（乘法次数）",
        batch * seq_len * d_model * (seq_len + d_model) * runs,
        MAX_OPERATIONS,
    )


class StepRNN(nn.Module):
    """最简单的循环神经网络（RNN），逐个时间步计算：h_t = tanh(W x_t + U h_{t-1} + b)。"""

    def __init__(self, d_model: int):
        super().__init__()
        check_int("d_model", d_model)
        check_parameter_count(2 * d_model * (d_model + 1))  # W, U and two biases
        self.cell = nn.RNNCell(d_model, d_model)  # W, U, b of width d_model
        self.d_model = d_model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> all hidden states (batch, seq_len, d_model)"""
        check_float_tensor("x", x, self.cell.weight_ih.dtype)
        if x.dim() != 3 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x 的形状应为 (batch, seq_len, {self.d_model})，实际是 {tuple(x.shape)}"
            )
        batch, seq_len, _ = x.shape
        h = x.new_zeros(batch, self.d_model)  # h_0 = 0, (batch, d_model)
        states = []
        for t in range(seq_len):  # step t needs h_{t-1}: the steps cannot run at the same time
            h = self.cell(x[:, t], h)  # (batch, d_model)
            states.append(h)
        return torch.stack(states, dim=1)  # (batch, seq_len, d_model)


class SelfAttentionLayer(nn.Module):
    """一层多头自注意力：所有位置在一次矩阵运算里同时算完。"""

    def __init__(self, d_model: int, num_heads: int = 4):
        super().__init__()
        check_int("d_model", d_model)
        self.attn = MultiHeadAttention(d_model, num_heads)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (batch, seq_len, d_model) -> (batch, seq_len, d_model)"""
        return self.attn(x)[0]


def graph_depth(output: torch.Tensor) -> int:
    """自动求导图（autograd graph）中从 ``output`` 到输入的最长运算链的长度。

    Each node of ``output.grad_fn``'s graph is one operation; the depth is the number of
    operations that must run one after another (a lower bound on sequential steps).
    """
    check_tensor("output", output)
    if output.grad_fn is None:
        raise ValueError("output 没有计算图：输入需要 requires_grad=True")
    depth: dict = {}
    stack = [(output.grad_fn, False)]
    while stack:  # iterative post-order DFS (the graph of a long RNN is deep)
        node, done = stack.pop()
        if node in depth:
            continue
        children = [f for f, _ in node.next_functions if f is not None]
        if done:
            depth[node] = 1 + max((depth[c] for c in children), default=0)
        else:
            stack.append((node, True))
            stack += [(c, False) for c in children if c not in depth]
    return depth[output.grad_fn]


def dependency_depths(seq_lens, *, d_model: int = 16, batch: int = 2, seed: int = 0):
    """对每个 seq_len，RNN 与自注意力的计算图深度：[(seq_len, rnn_depth, attention_depth)]。"""
    seq_lens = as_values("seq_lens（要比较的序列长度）", seq_lens, limit=100)
    if not seq_lens:
        raise ValueError("seq_lens（要比较的序列长度）是空的：请至少给一个，例如 [8, 16]")
    for seq_len in seq_lens:  # all of them before any work
        check_int("seq_len", seq_len, maximum=MAX_SEQ_LEN)
    check_int("batch", batch)
    check_int("d_model", d_model)
    _check_work(batch, max(seq_lens), d_model)
    torch.manual_seed(check_seed(seed))
    rnn, attn = StepRNN(d_model), SelfAttentionLayer(d_model, num_heads=2)
    rows = []
    for seq_len in seq_lens:
        x = torch.randn(batch, seq_len, d_model, requires_grad=True)
        rows.append((seq_len, graph_depth(rnn(x)), graph_depth(attn(x))))
    return rows


def flop_counts(seq_len: int, d_model: int, *, num_heads: int = 4) -> dict:
    """一个序列（batch = 1）前向计算中矩阵乘法的浮点运算数（FLOPs），由 PyTorch 计数。

    Counted with ``torch.utils.flop_counter.FlopCounterMode``. By hand, per sequence:
    RNN: seq_len steps × (W x_t and U h_{t-1}) = 4 · seq_len · d_model²;
    attention: 4 projections 8 · seq_len · d_model² + Q Kᵀ and A V 4 · seq_len² · d_model.
    """
    from torch.utils.flop_counter import FlopCounterMode

    check_int("seq_len", seq_len, maximum=MAX_SEQ_LEN)
    check_int("d_model", d_model)
    _check_work(1, seq_len, d_model)
    x = torch.zeros(1, seq_len, d_model)  # (batch=1, seq_len, d_model)
    counts = {}
    for name, layer in (
        ("rnn", StepRNN(d_model)),
        ("attention", SelfAttentionLayer(d_model, num_heads)),
    ):
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            layer(x)
        counts[name] = counter.get_total_flops()
    return counts


def _best_time(fn, x, repeats: int) -> float:
    with torch.no_grad():
        fn(x)  # warm-up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn(x)
            best = min(best, time.perf_counter() - start)
    return best


def time_rnn_vs_attention(
    seq_len: int = 128,
    d_model: int = 64,
    *,
    batch: int = 1,
    num_heads: int = 4,
    repeats: int = 5,
    seed: int = 0,
) -> dict:
    """计时：逐步 RNN 与一层自注意力处理同一个 (batch, seq_len, d_model) 输入。

    Returns {"rnn_s", "attention_s", "ratio"} with ratio = rnn_s / attention_s (> 1 means
    attention is faster). The best of ``repeats`` runs, forward pass only, both on one
    CPU thread (so attention does not win by using more cores: its gain is doing all
    positions in one matrix operation). Timings depend on the machine and its load:
    they are not reproducible.
    """
    for name, v in (("seq_len", seq_len), ("d_model", d_model), ("batch", batch)):
        check_int(name, v, maximum=MAX_SEQ_LEN if name == "seq_len" else None)
    check_int("repeats", repeats, maximum=100)
    _check_work(batch, seq_len, d_model, repeats + 1)
    torch.manual_seed(check_seed(seed))
    x = torch.randn(batch, seq_len, d_model)  # (batch, seq_len, d_model)
    rnn, attn = StepRNN(d_model), SelfAttentionLayer(d_model, num_heads)
    with torch_threads(1):
        rnn_s = _best_time(rnn, x, repeats)
        attention_s = _best_time(attn, x, repeats)
    return {"rnn_s": rnn_s, "attention_s": attention_s, "ratio": rnn_s / attention_s}


def speed_ratio(seq_len: int = 128, d_model: int = 64, **kwargs) -> float:
    """RNN 用时 / 自注意力用时（供基准测试脚本调用）。``kwargs``: time_rnn_vs_attention 的参数。"""
    unknown = sorted(set(kwargs) - {"batch", "num_heads", "repeats", "seed"})
    if unknown:
        raise ValueError(
            f"未知的参数：{'、'.join(short_repr(k, 20) for k in unknown[:5])}；"
            "可用的是 batch、num_heads、repeats、seed"
        )
    return time_rnn_vs_attention(seq_len, d_model, **kwargs)["ratio"]
