"""并行计算（utils/experiments/parallelism.py）：RNN 与 torch.nn.RNN 对照，深度、运算量、计时。"""

from __future__ import annotations

import re
import time

import pytest
import torch
from torch import nn

from utils.experiments.parallelism import (
    SelfAttentionLayer,
    StepRNN,
    dependency_depths,
    flop_counts,
    graph_depth,
    speed_ratio,
    time_rnn_vs_attention,
)


def test_step_rnn_matches_torch_rnn():
    torch.manual_seed(0)
    ours = StepRNN(8).double()
    ref = nn.RNN(8, 8, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(ours.cell.weight_ih)
        ref.weight_hh_l0.copy_(ours.cell.weight_hh)
        ref.bias_ih_l0.copy_(ours.cell.bias_ih)
        ref.bias_hh_l0.copy_(ours.cell.bias_hh)
        x = torch.randn(3, 11, 8, dtype=torch.float64)
        assert torch.allclose(ours(x), ref(x)[0], atol=1e-12)


def test_self_attention_layer_shape():
    x = torch.randn(2, 5, 8)
    assert SelfAttentionLayer(8, 2)(x).shape == (2, 5, 8)


def test_graph_depth_counts_a_chain():
    x = torch.ones(3, requires_grad=True)
    y = x
    for _ in range(10):
        y = y * 2
    z = x * 2
    assert graph_depth(y) - graph_depth(z) == 9
    with pytest.raises(ValueError, match="计算图"):
        graph_depth(torch.ones(2))


def test_rnn_depth_grows_with_length_attention_depth_does_not():
    rows = dependency_depths([4, 8, 16, 32])
    rnn = [r[1] for r in rows]
    attn = {r[2] for r in rows}
    assert len(attn) == 1
    assert [b - a for a, b in zip(rnn, rnn[1:], strict=False)] == [12, 24, 48]  # 3 per step
    assert rnn[0] > 0


def test_flop_counts_match_the_formula():
    for T, d in ((8, 16), (32, 64), (128, 64)):
        f = flop_counts(T, d)
        assert f["rnn"] == 4 * T * d * d
        assert f["attention"] == 8 * T * d * d + 4 * T * T * d
    with pytest.raises(ValueError, match="seq_len"):
        flop_counts(0, 8)


def test_timing_returns_a_positive_ratio_and_restores_threads():
    threads = torch.get_num_threads()
    t = time_rnn_vs_attention(seq_len=16, d_model=8, repeats=2)
    assert set(t) == {"rnn_s", "attention_s", "ratio"}
    assert t["rnn_s"] > 0 and t["attention_s"] > 0
    assert t["ratio"] == pytest.approx(t["rnn_s"] / t["attention_s"])
    assert torch.get_num_threads() == threads
    assert speed_ratio(16, 8, repeats=1) > 0
    with pytest.raises(ValueError, match="repeats"):
        time_rnn_vs_attention(repeats=0)


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")

PARALLEL_BAD = {
    "negative width": (lambda: StepRNN(-1), ValueError, "d_model 必须是正整数"),
    "huge width": (lambda: StepRNN(10**6), ValueError, "模型的参数个数太大了"),
    "two-dimensional input": (lambda: StepRNN(4)(torch.zeros(3, 4)), ValueError, "x 的形状应为"),
    "wrong width": (lambda: StepRNN(4)(torch.zeros(1, 3, 5)), ValueError, "(batch, seq_len, 4)"),
    "a list": (lambda: StepRNN(4)([[1.0]]), TypeError, "x 必须是 torch.Tensor"),
    "integer input": (
        lambda: StepRNN(4)(torch.zeros(1, 3, 4, dtype=torch.long)),
        TypeError,
        "浮点张量",
    ),
    "float64 into float32": (
        lambda: StepRNN(4)(torch.zeros(1, 3, 4, dtype=torch.float64)),
        TypeError,
        "数据类型",
    ),
    "depth of a number": (lambda: graph_depth(5), TypeError, "output 必须是 torch.Tensor"),
    "no lengths": (lambda: dependency_depths([]), ValueError, "seq_lens（要比较的序列长度）是空的"),
    "length 10**7": (
        lambda: dependency_depths([8, 10**7]),
        ValueError,
        "seq_len 必须是 1 到 4096 之间的整数",
    ),
    "a bad length after a good one": (lambda: dependency_depths([8, -1]), ValueError, "-1"),
    "depth seed negative": (lambda: dependency_depths([8], seed=-1), ValueError, "seed"),
    "flops of 10**7": (lambda: flop_counts(10**7, 64), ValueError, "seq_len"),
    "flops of a huge width": (lambda: flop_counts(4096, 10**5), ValueError, "太大了"),
    "10**9 repeats": (
        lambda: time_rnn_vs_attention(8, 8, repeats=10**9),
        ValueError,
        "repeats 必须是 1 到 100 之间的整数",
    ),
    "timing 10**7 positions": (lambda: time_rnn_vs_attention(10**7, 8), ValueError, "seq_len"),
    "unknown setting": (lambda: speed_ratio(8, 8, foo=1), ValueError, "未知的参数：'foo'"),
}


@pytest.mark.parametrize("call, error, fragment", PARALLEL_BAD.values(), ids=PARALLEL_BAD.keys())
def test_bad_input_is_refused_before_any_work(call, error, fragment):
    start = time.perf_counter()
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert time.perf_counter() - start < 1.0
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300
