"""位置编码的测试：公式与独立的双重循环一致；第 4 章声称的每个性质；错误输入的中文提示。

The judge for the formula is an independent, element-by-element implementation with
``math.sin``/``math.cos`` (PyTorch has no sinusoidal encoding of its own). The
properties chapter 4 claims -- distinct vectors, shift = rotation, dot product depends
only on the distance, attention is permutation-equivariant and position encodings break
that -- are tested here too, with the book's own attention.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
import torch

from utils.nn.attention import MultiHeadAttention, scaled_dot_product_attention
from utils.nn.examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X
from utils.nn.numpy_attention import attention_steps
from utils.nn.positional_encoding import (
    LearnedPositionalEmbedding,
    PositionalEncoding,
    angular_frequencies,
    closest_gap,
    distance_by_gap,
    dot_product_by_distance,
    pair_terms,
    positional_encoding,
    positional_encoding_at,
    relative_rotation,
    similarity_matrix,
    wavelengths,
)


def loop_pe(seq_len, d_model, base=10000.0):
    """The formula written out literally: a double loop over pos and i."""
    pe = [[0.0] * d_model for _ in range(seq_len)]
    for pos in range(seq_len):
        for i in range(d_model // 2):
            angle = pos / base ** (2 * i / d_model)
            pe[pos][2 * i] = math.sin(angle)
            pe[pos][2 * i + 1] = math.cos(angle)
    return torch.tensor(pe, dtype=torch.float64)


# ------------------------------------------------------------------ the formula


@pytest.mark.parametrize(
    "seq_len, d_model, base",
    [(1, 2, 10000.0), (10, 4, 10000.0), (50, 16, 10000.0), (7, 6, 10000.0), (200, 64, 100.0)],
)
def test_matches_double_loop(seq_len, d_model, base):
    pe = positional_encoding(seq_len, d_model, base=base)
    assert pe.shape == (seq_len, d_model) and pe.dtype == torch.float64
    torch.testing.assert_close(pe, loop_pe(seq_len, d_model, base), rtol=0, atol=1e-12)


def test_paper_size_matches_double_loop():
    torch.testing.assert_close(positional_encoding(100, 512), loop_pe(100, 512), rtol=0, atol=1e-10)


def test_dtype_argument():
    pe32 = positional_encoding(20, 8, dtype=torch.float32)
    assert pe32.dtype == torch.float32
    torch.testing.assert_close(pe32.double(), loop_pe(20, 8), rtol=0, atol=1e-6)


def test_known_values():
    pe = positional_encoding(3, 4)
    expected = [
        [0.0, 1.0, 0.0, 1.0],
        [math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)],
        [math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)],
    ]
    torch.testing.assert_close(pe, torch.tensor(expected, dtype=torch.float64))


def test_wavelengths_and_frequencies():
    d_model = 512
    lam = wavelengths(d_model)
    omega = angular_frequencies(d_model)
    expected = [2 * math.pi * 10000 ** (2 * i / d_model) for i in range(d_model // 2)]
    torch.testing.assert_close(lam, torch.tensor(expected, dtype=torch.float64))
    torch.testing.assert_close(omega * lam, torch.full_like(lam, 2 * math.pi))
    assert lam[0].item() == pytest.approx(2 * math.pi)
    ratio = lam[1:] / lam[:-1]
    torch.testing.assert_close(ratio, torch.full_like(ratio, 10000 ** (2 / d_model)))


def test_each_pair_repeats_after_its_wavelength():
    # the sin column of pair i at pos and at pos + wavelength_i is the same
    d_model = 8
    lam = wavelengths(d_model)
    for i in range(d_model // 2):
        pos = torch.tensor([3.0, 3.0 + lam[i].item()], dtype=torch.float64)
        angle = pos / 10000 ** (2 * i / d_model)
        assert abs(math.sin(angle[0]) - math.sin(angle[1])) < 1e-9


def test_positional_encoding_at_matches_rows():
    pe = positional_encoding(300, 16)
    positions = [0, 5, 299, 17, 5]
    torch.testing.assert_close(positional_encoding_at(positions, 16), pe[positions], rtol=0, atol=0)
    torch.testing.assert_close(positional_encoding_at(7, 16), pe[7:8], rtol=0, atol=0)
    torch.testing.assert_close(
        positional_encoding_at(torch.tensor([1, 2]), 16), pe[1:3], rtol=0, atol=0
    )
    torch.testing.assert_close(
        positional_encoding_at(range(4), 16, dtype=torch.float32), pe[:4].float()
    )


def test_positional_encoding_at_far_positions_match_loop():
    far = positional_encoding_at([1000, 100000], 8)
    for r, pos in enumerate((1000, 100000)):
        for i in range(4):
            angle = pos / 10000 ** (2 * i / 8)
            assert far[r, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-9)
            assert far[r, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-9)


def test_pair_terms_by_hand():
    t = pair_terms(3, 1, 8)
    assert (t.pos, t.i, t.d_model) == (3, 1, 8)
    assert t.exponent == pytest.approx(0.25)
    assert t.denominator == pytest.approx(10.0)
    assert t.angle == pytest.approx(0.3)
    assert t.sin == pytest.approx(math.sin(0.3), abs=1e-15)
    assert t.cos == pytest.approx(math.cos(0.3), abs=1e-15)
    assert t.wavelength == pytest.approx(20 * math.pi)


@pytest.mark.parametrize("d_model", [2, 4, 16])
def test_pair_terms_match_matrix(d_model):
    pe = positional_encoding(20, d_model)
    for pos in range(20):
        for i in range(d_model // 2):
            t = pair_terms(pos, i, d_model)
            assert t.sin == pe[pos, 2 * i].item() and t.cos == pe[pos, 2 * i + 1].item()
            assert math.sin(t.angle) == pytest.approx(t.sin, abs=1e-15)


def test_i_indexes_pairs_sin_cos_squared_is_one():
    pe = positional_encoding(100, 32)
    pair_sq = pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2  # (100, 16)
    torch.testing.assert_close(pair_sq, torch.ones_like(pair_sq))


# ------------------------------------------------------------------ the properties


@pytest.mark.parametrize("d_model", [2, 4, 16, 64])
def test_distance_depends_only_on_the_gap(d_model):
    pe = positional_encoding(300, d_model)
    a, b = torch.triu_indices(300, 300, offset=1)  # every pair a < b
    direct = torch.cdist(pe, pe, compute_mode="donot_use_mm_for_euclid_dist")[a, b]
    by_gap = distance_by_gap(range(300), d_model)[b - a]
    torch.testing.assert_close(by_gap, direct, rtol=0, atol=1e-12)
    # and the form d_model − 2 Σ cos(k ω_i) through the dot product
    ks = list(range(1, 50))
    sq = d_model - 2 * dot_product_by_distance(ks, d_model)
    torch.testing.assert_close(distance_by_gap(ks, d_model) ** 2, sq, rtol=0, atol=1e-12)


@pytest.mark.parametrize("d_model", [4, 16, 64])
def test_every_position_has_a_distinct_vector(d_model):
    c = closest_gap(1000, d_model)
    assert c.distance > 0.05
    assert 1 <= c.gap < 1000 and c.num_pairs == 1000 - c.gap
    # it is the true minimum over all pairs, and exactly num_pairs pairs attain it
    pe = positional_encoding(1000, d_model)
    a, b = torch.triu_indices(1000, 1000, offset=1)
    d = torch.cdist(pe, pe, compute_mode="donot_use_mm_for_euclid_dist")[a, b]
    assert c.distance == pytest.approx(d.min().item(), abs=1e-12)
    assert int(((d - c.distance).abs() < 1e-9).sum()) == c.num_pairs
    # the runner-up gap is far behind: the printed gap does not hang on rounding
    others = distance_by_gap([k for k in range(1, 1000) if k != c.gap], d_model)
    assert others.min().item() - c.distance > 0.05


def test_one_pair_alone_nearly_repeats():
    # d_model = 2: a point on the unit circle; 710 is close to 113 * 2π
    c = closest_gap(1000, 2)
    assert (c.gap, c.num_pairs) == (710, 290)
    assert c.distance < 1e-3
    assert c.distance == pytest.approx(2 * abs(math.sin(710 / 2)))
    assert (closest_gap(1000, 16).gap, closest_gap(1000, 64).gap) == (1, 1)
    assert closest_gap(1000, 4).gap == 622


@pytest.mark.parametrize("k", [0, 1, 5, 37, -3, 2.5])
@pytest.mark.parametrize("d_model", [2, 8, 16])
def test_shift_is_a_fixed_linear_map(k, d_model):
    pos = torch.arange(10, 200, dtype=torch.float64)
    pe = positional_encoding_at(list(range(10, 200)), d_model)  # (190, d_model)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)
    angle = (pos + k).unsqueeze(1) / 10000 ** (two_i / d_model)
    shifted = torch.empty_like(pe)
    shifted[:, 0::2], shifted[:, 1::2] = torch.sin(angle), torch.cos(angle)
    mk = relative_rotation(k, d_model)
    torch.testing.assert_close(pe @ mk.T, shifted, rtol=0, atol=1e-12)


def test_rotation_is_block_diagonal_of_2x2_rotations():
    # built independently with torch.block_diag
    d_model, k = 8, 3
    blocks = []
    for i in range(d_model // 2):
        b = k / 10000 ** (2 * i / d_model)
        blocks.append(
            torch.tensor(
                [[math.cos(b), math.sin(b)], [-math.sin(b), math.cos(b)]], dtype=torch.float64
            )
        )
    torch.testing.assert_close(relative_rotation(k, d_model), torch.block_diag(*blocks))


def test_rotation_group_properties():
    eye = torch.eye(16, dtype=torch.float64)
    m3, m4, m7 = (relative_rotation(k, 16) for k in (3, 4, 7))
    torch.testing.assert_close(m3 @ m3.T, eye, rtol=0, atol=1e-12)
    torch.testing.assert_close(m3 @ m4, m7, rtol=0, atol=1e-12)
    torch.testing.assert_close(relative_rotation(-3, 16), m3.T, rtol=0, atol=1e-15)
    torch.testing.assert_close(relative_rotation(0, 16), eye)
    assert not torch.allclose(m3, m3.T)  # direction is kept: M_{-k} != M_k


@pytest.mark.parametrize("d_model", [2, 16, 64])
def test_dot_product_depends_only_on_distance(d_model):
    pe = positional_encoding(60, d_model)
    s = similarity_matrix(pe)
    torch.testing.assert_close(s, pe @ pe.T)
    for k in range(-59, 60):
        diag = torch.diagonal(s, offset=k)
        expected = dot_product_by_distance(k, d_model).item()
        torch.testing.assert_close(diag, torch.full_like(diag, expected), rtol=0, atol=1e-12)
    # the closed form by a plain loop
    for k in (0, 1, 10):
        loop = sum(math.cos(k / 10000 ** (2 * i / d_model)) for i in range(d_model // 2))
        assert dot_product_by_distance(k, d_model).item() == pytest.approx(loop, abs=1e-12)


def test_dot_product_is_symmetric_in_k_and_peaks_at_zero():
    ks = list(range(-30, 31))
    d = dot_product_by_distance(ks, 16)
    torch.testing.assert_close(d, d.flip(0))
    assert d.argmax().item() == 30 and d[30].item() == pytest.approx(8.0)


def test_cosine_similarity():
    pe = positional_encoding(30, 16)
    cos = similarity_matrix(pe, cosine=True)
    torch.testing.assert_close(cos, similarity_matrix(pe) / 8)
    ref = torch.nn.functional.cosine_similarity(pe.unsqueeze(1), pe.unsqueeze(0), dim=-1)
    torch.testing.assert_close(cos, ref)


def _notes_output(x):
    return attention_steps(x, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE).output


def test_notes_attention_is_permutation_equivariant():
    perm = [2, 1, 0]
    out = _notes_output(NOTES_X)
    np.testing.assert_allclose(_notes_output(NOTES_X[perm]), out[perm], rtol=0, atol=1e-12)


def test_position_encoding_breaks_equivariance_in_notes_example():
    perm = [2, 1, 0]
    pe = positional_encoding(3, 4).numpy()
    out = _notes_output(NOTES_X + pe)
    out_perm = _notes_output(NOTES_X[perm] + pe)
    assert np.abs(out_perm - out[perm]).max() > 0.01


def test_multi_head_attention_is_equivariant_and_pe_breaks_it():
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_model=8, num_heads=2).double()
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    pe = positional_encoding(6, 8)
    with torch.no_grad():
        for seed in range(5):
            perm = torch.randperm(6, generator=torch.Generator().manual_seed(seed))
            if torch.equal(perm, torch.arange(6)):
                continue
            y, _ = mha(x)
            y_perm, _ = mha(x[:, perm])
            torch.testing.assert_close(y_perm, y[:, perm], rtol=0, atol=1e-12)
            y, _ = mha(x + pe)
            y_perm, _ = mha(x[:, perm] + pe)
            assert (y_perm - y[:, perm]).abs().max().item() > 1e-3


def test_scaled_dot_product_attention_is_equivariant():
    torch.manual_seed(1)
    q, k, v = (torch.randn(5, 4, dtype=torch.float64) for _ in range(3))
    perm = torch.tensor([4, 0, 3, 1, 2])
    out, w = scaled_dot_product_attention(q, k, v)
    out_p, w_p = scaled_dot_product_attention(q[perm], k[perm], v[perm])
    torch.testing.assert_close(out_p, out[perm])
    torch.testing.assert_close(w_p, w[perm][:, perm])


# ------------------------------------------------------------------ modules


def test_positional_encoding_module_adds():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 8, dtype=torch.float64)
    module = PositionalEncoding(8, max_len=64)
    assert sum(p.numel() for p in module.parameters()) == 0
    torch.testing.assert_close(module(x), x + loop_pe(5, 8), rtol=0, atol=1e-12)


def test_learned_embedding_params_and_limits():
    torch.manual_seed(0)
    learned = LearnedPositionalEmbedding(768, 197)
    assert sum(p.numel() for p in learned.parameters()) == 197 * 768
    with pytest.raises(ValueError, match="超过了 max_len=197"):
        learned(torch.zeros(1, 198, 768))
    with pytest.raises(ValueError, match="超过了 max_len=16"):
        PositionalEncoding(8, 16)(torch.zeros(1, 20, 8))
    assert PositionalEncoding(8, 32)(torch.zeros(1, 20, 8)).shape == (1, 20, 8)


def test_learned_can_represent_the_sinusoidal_table():
    learned = LearnedPositionalEmbedding(16, 50).double()
    with torch.no_grad():
        learned.weight.copy_(positional_encoding(50, 16))
    z = torch.zeros(1, 50, 16, dtype=torch.float64)
    assert torch.equal(learned(z)[0], positional_encoding(50, 16))


def test_learned_table_takes_any_width_but_the_sinusoid_needs_pairs():
    # a learned table has no sin/cos pairs, so an odd d_model is fine (ViT, CharLM, SASRec)
    assert LearnedPositionalEmbedding(9, 10)(torch.zeros(2, 10, 9)).shape == (2, 10, 9)
    with pytest.raises(ValueError, match="偶数"):
        PositionalEncoding(9, 10)
    with pytest.raises(ValueError, match="d_model（向量维度）"):
        LearnedPositionalEmbedding(0, 10)
    with pytest.raises(ValueError, match="max_len（最大长度）"):
        LearnedPositionalEmbedding(8, 2.5)


def test_random_learned_table_has_no_distance_structure():
    torch.manual_seed(0)
    learned = LearnedPositionalEmbedding(16, 50).double()
    with torch.no_grad():
        diag = torch.diagonal(similarity_matrix(learned.weight, cosine=True), offset=1)
    assert diag.max() - diag.min() > 0.5


# ------------------------------------------------------------------ bad input

BAD_CALLS = {
    "pe d_model odd": (
        lambda: positional_encoding(4, 5),
        "d_model（向量维度，sin/cos 成对出现）必须是不小于 2 的偶数，实际是 5",
    ),
    "pe d_model numpy odd": (lambda: positional_encoding(4, np.int64(5)), "偶数"),
    "pe d_model float": (lambda: positional_encoding(4, 4.0), "不小于 2 的偶数，实际是 4.0"),
    "pe d_model bool": (lambda: positional_encoding(4, True), "不小于 2 的偶数，实际是 True"),
    "pe seq_len 0": (lambda: positional_encoding(0, 4), "seq_len（序列长度）必须是正整数"),
    "freq d_model 0": (lambda: angular_frequencies(0), "d_model"),
    "freq base 1": (lambda: angular_frequencies(4, base=1.0), "base（底数"),
    "at negative": (
        lambda: positional_encoding_at([1, -2], 4),
        "positions（每个位置）必须是不小于 0 的整数，实际是 -2",
    ),
    "at float": (lambda: positional_encoding_at([1.5], 4), "不小于 0 的整数"),
    "at bool": (lambda: positional_encoding_at([True], 4), "不小于 0 的整数"),
    "at empty": (lambda: positional_encoding_at([], 4), "不能是空的"),
    "at not iterable": (lambda: positional_encoding_at(None, 4), "一个整数或一串整数"),
    "at float tensor": (lambda: positional_encoding_at(torch.tensor([1.0]), 4), "必须是整数"),
    "at d_model odd": (lambda: positional_encoding_at(3, 3), "偶数"),
    "pair negative pos": (lambda: pair_terms(-1, 0, 4), "pos（位置）必须是不小于 0 的整数"),
    "pair i too big": (lambda: pair_terms(1, 2, 4), "0 到 d_model/2 − 1 = 1"),
    "pair i negative": (lambda: pair_terms(1, -1, 4), "i（sin/cos 对的编号）"),
    "pair i float": (lambda: pair_terms(1, 0.5, 4), "i（sin/cos 对的编号）"),
    "pair d_model odd": (lambda: pair_terms(1, 0, 7), "偶数"),
    "rotation nan": (
        lambda: relative_rotation(float("nan"), 4),
        "k（位置的偏移）必须是一个有限的数",
    ),
    "rotation str": (lambda: relative_rotation("1", 4), "k（位置的偏移）"),
    "rotation odd": (lambda: relative_rotation(1, 5), "偶数"),
    "dot empty": (lambda: dot_product_by_distance([], 4), "不能是空的"),
    "dot inf": (lambda: dot_product_by_distance([1, float("inf")], 4), "k（距离）"),
    "sim 1d": (lambda: similarity_matrix(torch.ones(3)), "(seq_len, d_model)"),
    "sim nan": (lambda: similarity_matrix(torch.tensor([[float("nan"), 1.0]])), "NaN"),
    "sim zero row": (
        lambda: similarity_matrix(torch.tensor([[1.0, 0.0], [0.0, 0.0]]), cosine=True),
        "pe 里有零向量",
    ),
    "closest one position": (lambda: closest_gap(1, 4), "至少需要两个位置"),
    "closest odd": (lambda: closest_gap(10, 3), "偶数"),
    "gap empty": (lambda: distance_by_gap([], 4), "不能是空的"),
    "gap nan": (lambda: distance_by_gap(float("nan"), 4), "k（间隔）"),
}


@pytest.mark.parametrize("call, fragment", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_bad_input_gives_chinese_message(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


def test_numpy_integer_sizes_work_like_python_ints():
    # seq_len always took numpy integers; d_model now does too (check_int for both)
    n, d = np.int64(6), np.int64(8)
    assert torch.equal(positional_encoding(n, d), positional_encoding(6, 8))
    assert torch.equal(wavelengths(d), wavelengths(8))
    assert torch.equal(positional_encoding_at([np.int64(2)], d), positional_encoding(3, 8)[2:])
    assert pair_terms(np.int64(1), np.int64(0), d).sin == pair_terms(1, 0, 8).sin


# ------------------------------------------------------------------ issue 16: every bad input

BAD_TYPES = {
    "sim numpy": (lambda: similarity_matrix(np.ones((2, 2))), "pe 必须是 torch.Tensor"),
    "sim complex": (lambda: similarity_matrix(torch.ones(2, 2, dtype=torch.complex64)), "实数"),
    "sim cosine str": (lambda: similarity_matrix(torch.eye(2), cosine="yes"), "cosine"),
    "pe dtype int": (lambda: positional_encoding(4, 4, dtype=torch.int64), "浮点类型"),
    "pe dtype str": (lambda: positional_encoding(4, 4, dtype="float32"), "浮点类型"),
    "at dtype": (lambda: positional_encoding_at(1, 4, dtype=np.float64), "浮点类型"),
    "module list": (lambda: PositionalEncoding(4, 8)([[0.0] * 4]), "x 必须是 torch.Tensor"),
    "module int": (  # an integer x used to get an integer PE: all zeros and ones
        lambda: PositionalEncoding(4, 8)(torch.zeros(1, 3, 4, dtype=torch.long)),
        "x 必须是浮点张量",
    ),
    "learned int": (
        lambda: LearnedPositionalEmbedding(4, 8)(torch.zeros(1, 3, 4, dtype=torch.long)),
        "x 必须是浮点张量",
    ),
}


@pytest.mark.parametrize("call, fragment", BAD_TYPES.values(), ids=BAD_TYPES.keys())
def test_bad_types_give_chinese_type_errors(call, fragment):
    with pytest.raises(TypeError, match=fragment):
        call()


BAD_VALUES = {
    "at 10**400": (  # used to be OverflowError: int too big to convert
        lambda: positional_encoding_at(10**400, 8),
        r"positions（每个位置）最大是 10\^15.*实际是 约 10\^400",
    ),
    "pair pos 10**16": (lambda: pair_terms(10**16, 0, 8), r"pos（位置）最大是 10\^15"),
    "at string": (lambda: positional_encoding_at("12", 8), "一个整数或一串整数"),
    "at float list": (lambda: positional_encoding_at([0, 2.0], 8), "实际是 2.0"),
    "at complex tensor": (lambda: positional_encoding_at(torch.tensor([1j]), 8), "必须是整数"),
    "base 10**400": (lambda: positional_encoding(4, 4, base=10**400), "base（底数"),
    "base string": (lambda: positional_encoding(4, 4, base="10000"), "base（底数"),
    "base bool": (lambda: wavelengths(4, base=True), "base（底数"),
    "rotation 10**400": (lambda: relative_rotation(10**400, 4), "k（位置的偏移）"),
    "dot string": (lambda: dot_product_by_distance("12", 4), "k（距离）必须是一个数或一串数"),
    "gap complex": (lambda: distance_by_gap(torch.tensor([1j]), 4), "k（间隔）必须是实数"),
    "gap None": (lambda: distance_by_gap(None, 4), "k（间隔）"),
    "sim dot overflow": (
        lambda: similarity_matrix(torch.full((2, 2), 1e200, dtype=torch.float64)),
        "溢出",
    ),
    "module inf": (
        lambda: PositionalEncoding(4, 8)(torch.full((1, 2, 4), float("inf"))),
        "^x 含有 NaN 或无穷大",
    ),
    "module nan": (
        lambda: LearnedPositionalEmbedding(4, 8)(torch.full((1, 2, 4), float("nan"))),
        "^x 含有 NaN",
    ),
    "learned init_std": (lambda: LearnedPositionalEmbedding(4, 8, init_std=-1.0), "init_std"),
    "module max_len 0": (lambda: PositionalEncoding(4, 0), "max_len"),
}


@pytest.mark.parametrize("call, fragment", BAD_VALUES.values(), ids=BAD_VALUES.keys())
def test_bad_values_give_chinese_value_errors(call, fragment):
    with pytest.raises(ValueError, match=fragment):
        call()


HUGE = {
    "pe 10**7 positions": lambda: positional_encoding(10**7, 512),
    "module max_len 10**7": lambda: PositionalEncoding(512, 10**7),
    "learned 10**7": lambda: LearnedPositionalEmbedding(512, 10**7),
    "d_model 10**9": lambda: wavelengths(10**9),
    "rotation d_model 10**5": lambda: relative_rotation(1, 10**5),
    "closest 10**7": lambda: closest_gap(10**7, 64),
    "at range 10**12": lambda: positional_encoding_at(range(10**12), 8),
    "at endless": lambda: positional_encoding_at(itertools.count(), 8),
    "dot range 10**9": lambda: dot_product_by_distance(range(10**9), 8),
    "gap 10**5 x 512": lambda: distance_by_gap(range(10**5), 512),
    "sim 10**4 rows": lambda: similarity_matrix(torch.zeros(10**4, 2)),
}


@pytest.mark.parametrize("call", HUGE.values(), ids=HUGE.keys())
def test_sizes_a_reader_can_type_are_bounded(call):
    start = time.perf_counter()
    with pytest.raises(ValueError, match="太大了|最多"):
        call()
    assert time.perf_counter() - start < 1


@pytest.mark.parametrize("scale", [1e200, 1e-200, 1.0])
def test_cosine_of_a_long_or_short_row_with_itself_is_one(scale):
    # |x|² overflowed to inf (or underflowed to 0): cosines came out 0, NaN or "零向量"
    pe = torch.tensor([[3.0, 4.0], [4.0, 3.0], [3.0, 4.0]], dtype=torch.float64) * scale
    cos = similarity_matrix(pe, cosine=True)
    torch.testing.assert_close(cos, similarity_matrix(pe / scale, cosine=True))
    assert cos[0, 0].item() == pytest.approx(1.0) and cos[0, 2].item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pe 里有零向量"):
        similarity_matrix(torch.cat([pe, torch.zeros(1, 2, dtype=torch.float64)]), cosine=True)


def test_offsets_take_tensors_and_arrays():
    expected = dot_product_by_distance([0, 1, 5], 8)
    torch.testing.assert_close(dot_product_by_distance(torch.tensor([0, 1, 5]), 8), expected)
    torch.testing.assert_close(dot_product_by_distance(np.array([0, 1, 5]), 8), expected)
    torch.testing.assert_close(distance_by_gap(np.int64(3), 8), distance_by_gap([3], 8))


def test_closest_gap_unchanged_by_the_vectorised_gaps():
    # closest_gap now builds its gaps with torch.arange: the same numbers as distance_by_gap
    c = closest_gap(300, 16)
    assert c.distance == distance_by_gap(range(1, 300), 16)[c.gap - 1].item()


def test_numpy_float_base_and_int_base_give_the_same_table():
    pe = positional_encoding(50, 16)
    assert torch.equal(positional_encoding(50, 16, base=10000), pe)
    assert torch.equal(positional_encoding(50, 16, base=np.float32(10000.0)), pe)
