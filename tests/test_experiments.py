"""The √d_k experiments of chapter 2 measure what the chapter says they measure."""

import re
import time

import numpy as np
import pytest
import torch

from utils.experiments.scaling import (
    conv_output_depends_on,
    dot_product_variance,
    softmax_jacobian_norm,
    softmax_saturation,
)
from utils.nn.numpy_attention import softmax


def test_dot_product_variance_grows_like_d_k_and_scaling_undoes_it():
    rows = dot_product_variance([4, 64, 1024], n_samples=10_000, seed=1)
    for r in rows:
        assert r["var"] == pytest.approx(r["d_k"], rel=0.06)
        assert r["scaled_var"] == pytest.approx(1.0, abs=0.06)
        assert abs(r["scaled_mean"]) < 0.05


def test_jacobian_norm_matches_torch_autograd():
    rng = np.random.default_rng(0)
    s = rng.standard_normal((5, 6)) * 3
    p = softmax(s, axis=1)
    for row_s, row_norm in zip(s, softmax_jacobian_norm(p), strict=True):
        jac = torch.autograd.functional.jacobian(
            lambda t: torch.softmax(t, dim=0), torch.tensor(row_s)
        )
        assert row_norm == pytest.approx(jac.norm().item(), rel=1e-12)


def test_jacobian_norm_vanishes_for_one_hot_and_is_largest_for_uniform():
    assert softmax_jacobian_norm(np.array([1.0, 0.0, 0.0])) == pytest.approx(0.0, abs=1e-15)
    uniform = softmax_jacobian_norm(np.full(4, 0.25))
    peaked = softmax_jacobian_norm(np.array([0.97, 0.01, 0.01, 0.01]))
    assert peaked < uniform


def test_unscaled_softmax_saturates_as_d_k_grows_and_scaled_does_not():
    rows = softmax_saturation([4, 256], n_keys=8, n_samples=2_000, seed=0)
    small, large = rows
    assert large["max_weight"] > small["max_weight"] + 0.3
    assert large["grad"] < small["grad"] / 3
    assert large["scaled_max_weight"] == pytest.approx(small["scaled_max_weight"], abs=0.05)
    assert large["scaled_grad"] == pytest.approx(small["scaled_grad"], abs=0.05)


def test_conv_needs_99_layers_to_connect_the_ends_of_100_positions():
    assert not conv_output_depends_on(98)
    assert conv_output_depends_on(99)
    assert conv_output_depends_on(0, in_pos=0)  # no layers: output 0 is input 0
    # width 5 reaches 2 positions further per layer: 49 layers reach 98, 50 reach 100
    assert not conv_output_depends_on(49, width=5)
    assert conv_output_depends_on(50, width=5)


def test_conv_in_pos_defaults_to_the_last_position_of_any_length():
    # 10 positions: the last input is 9 away from output 0, so 9 layers of width 3 are needed
    assert not conv_output_depends_on(8, seq_len=10)
    assert conv_output_depends_on(9, seq_len=10)
    assert conv_output_depends_on(9, seq_len=10) == conv_output_depends_on(9, seq_len=10, in_pos=9)
    assert conv_output_depends_on(1, seq_len=10, out_pos=5, in_pos=6)


BAD_CALLS = {
    "conv even width": (
        lambda: conv_output_depends_on(3, width=4),
        "width（卷积核宽度）必须是正奇数",
    ),
    "conv negative layers": (lambda: conv_output_depends_on(-1), "num_layers（卷积层数）"),
    "conv float layers": (lambda: conv_output_depends_on(2.5), "num_layers（卷积层数）"),
    "conv seq_len 0": (lambda: conv_output_depends_on(1, seq_len=0), "seq_len（序列长度）"),
    "conv width 0": (lambda: conv_output_depends_on(1, width=0), "width（卷积核宽度）"),
    # negative positions used to wrap around (-1 = the last position)
    "conv out_pos negative": (
        lambda: conv_output_depends_on(1, out_pos=-1),
        "out_pos（输出位置）必须是 0 到 99 之间的整数",
    ),
    "conv in_pos too big": (
        lambda: conv_output_depends_on(1, seq_len=10, in_pos=10),
        "in_pos（输入位置）必须是 0 到 9 之间的整数",
    ),
    "variance d_k 0": (lambda: dot_product_variance([4, 0]), "d_k（key/query 的维度）必须是正整数"),
    "variance d_k float": (lambda: dot_product_variance([4.0]), "d_k（key/query 的维度）"),
    "variance no samples": (
        lambda: dot_product_variance([4], n_samples=0),
        "n_samples（样本数）必须是正整数",
    ),
    "saturation d_k 0": (lambda: softmax_saturation([0]), "d_k（key/query 的维度）"),
    "saturation no samples": (lambda: softmax_saturation([4], n_samples=0), "n_samples（样本数）"),
    "saturation no keys": (lambda: softmax_saturation([4], n_keys=0), "n_keys（key 的个数）"),
}


@pytest.mark.parametrize("call, fragment", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_gives_chinese_message(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")

SIZES_BAD = {
    "d_k_values a number": (lambda: dot_product_variance(None), ValueError, "d_k_values"),
    "d_k_values empty": (
        lambda: dot_product_variance([]),
        ValueError,
        "d_k_values（要比较的 d_k）是空的",
    ),
    "d_k 10**9": (
        lambda: dot_product_variance([10**9]),
        ValueError,
        "n_samples × d_k（一次抽的随机数个数）太大了",
    ),
    "10**9 samples": (lambda: dot_product_variance([4], n_samples=10**9), ValueError, "太大了"),
    "seed negative": (lambda: dot_product_variance([4], seed=-1), ValueError, "seed"),
    "jacobian of a string": (
        lambda: softmax_jacobian_norm("abc"),
        ValueError,
        "p（softmax 的输出）",
    ),
    "jacobian of a number": (lambda: softmax_jacobian_norm(1.0), ValueError, "至少要是一行概率"),
    "jacobian of nan": (lambda: softmax_jacobian_norm([np.nan, 1.0]), ValueError, "NaN"),
    "jacobian of 10**5 keys": (
        lambda: softmax_jacobian_norm(np.ones(10**5)),
        ValueError,
        "雅可比矩阵的大小）太大了",
    ),
    "saturation 10**9 keys": (lambda: softmax_saturation([4], n_keys=10**9), ValueError, "太大了"),
    "saturation seed string": (lambda: softmax_saturation([4], seed="0"), ValueError, "seed"),
    "conv 10**7 layers": (
        lambda: conv_output_depends_on(10**7),
        ValueError,
        "num_layers（卷积层数）必须是 0 到 10000 之间的整数",
    ),
    "conv 10**9 positions": (
        lambda: conv_output_depends_on(1, seq_len=10**9),
        ValueError,
        "seq_len",
    ),
    "conv huge kernel": (
        lambda: conv_output_depends_on(1, width=10**9 + 1),
        ValueError,
        "width（卷积核宽度）",
    ),
    "conv too much work": (
        lambda: conv_output_depends_on(10_000, seq_len=10**6, width=3),
        ValueError,
        "乘法次数）太大了",
    ),
}


@pytest.mark.parametrize("call, error, fragment", SIZES_BAD.values(), ids=SIZES_BAD.keys())
def test_bad_sizes_are_refused_before_any_work(call, error, fragment):
    start = time.perf_counter()
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert time.perf_counter() - start < 1.0
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_one_d_k_may_be_given_alone():
    assert dot_product_variance(4, n_samples=100) == dot_product_variance([4], n_samples=100)
