"""PyTorch 版注意力的测试：与 torch 自带的 SDPA 和 nn.MultiheadAttention 逐个数字对照。"""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils.nn.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention

DT = torch.float64
ATOL = 1e-12


def close(a, b, atol=ATOL):
    torch.testing.assert_close(a, b, rtol=0, atol=atol)


def rand(*shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=DT)


B, H, TQ, TK, DK, DV = 2, 3, 5, 7, 4, 6


@pytest.fixture
def qkv():
    return rand(B, H, TQ, DK, seed=1), rand(B, H, TK, DK, seed=2), rand(B, H, TK, DV, seed=3)


# ---------------------------------------------------------------- scaled_dot_product_attention


def test_sdpa_no_mask_matches_torch(qkv):
    q, k, v = qkv
    out, w = scaled_dot_product_attention(q, k, v)
    assert out.shape == (B, H, TQ, DV) and w.shape == (B, H, TQ, TK)
    close(out, F.scaled_dot_product_attention(q, k, v))
    close(w.sum(-1), torch.ones(B, H, TQ, dtype=DT))
    # weights are softmax(QKᵀ/√d_k)
    close(w, torch.softmax(q @ k.transpose(-2, -1) / DK**0.5, dim=-1))


def test_sdpa_unscaled_matches_torch_scale_one(qkv):
    q, k, v = qkv
    out, _ = scaled_dot_product_attention(q, k, v, scale=False)
    close(out, F.scaled_dot_product_attention(q, k, v, scale=1.0))
    assert not torch.allclose(out, F.scaled_dot_product_attention(q, k, v))


def test_sdpa_bool_mask_matches_torch(qkv):
    q, k, v = qkv
    g = torch.Generator().manual_seed(4)
    mask = torch.rand(B, 1, TQ, TK, generator=g) > 0.5
    mask[..., 0] = True  # every row may attend somewhere
    assert not mask.all()
    out, w = scaled_dot_product_attention(q, k, v, mask)
    close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    full = mask.expand(B, H, TQ, TK)
    assert (w[~full] == 0).all()
    assert (w[full] > 0).all()
    close(w.sum(-1), torch.ones(B, H, TQ, dtype=DT))


def test_sdpa_causal_matches_torch():
    q, k, v = rand(B, H, TK, DK, seed=1), rand(B, H, TK, DK, seed=2), rand(B, H, TK, DV, seed=3)
    out, w = scaled_dot_product_attention(q, k, v, causal_mask(TK))
    close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))
    close(w.sum(-1), torch.ones(B, H, TK, dtype=DT))


def test_causal_mask_shape_and_values():
    m = causal_mask(4)
    assert m.dtype == torch.bool
    expected = torch.tensor(
        [[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]], dtype=torch.bool
    )
    assert torch.equal(m, expected)


@pytest.mark.parametrize("bad", [0, -1, 2.0, "3", True])
def test_causal_mask_rejects_bad_length(bad):
    with pytest.raises(ValueError, match="seq_len 必须是正整数"):
        causal_mask(bad)


def test_causal_mask_takes_numpy_integers():
    assert torch.equal(causal_mask(np.int64(4)), causal_mask(4))


def test_causal_mask_blocks_the_future():
    T = 6
    q, k, v = rand(B, H, T, DK, seed=1), rand(B, H, T, DK, seed=2), rand(B, H, T, DV, seed=3)
    mask = causal_mask(T)
    out, w = scaled_dot_product_attention(q, k, v, mask)
    upper = torch.triu(torch.ones(T, T, dtype=torch.bool), diagonal=1)
    assert (w[..., upper] == 0).all()
    assert (w[..., ~upper] > 0).all()

    t = 3  # change keys and values at positions > t
    k2, v2 = k.clone(), v.clone()
    k2[..., t + 1 :, :] = rand(B, H, T - t - 1, DK, seed=9) * 10
    v2[..., t + 1 :, :] = rand(B, H, T - t - 1, DV, seed=10) * 10
    out2, _ = scaled_dot_product_attention(q, k2, v2, mask)
    close(out2[..., : t + 1, :], out[..., : t + 1, :], atol=0)
    # positions that may see the change do change (so the test can fail)
    assert not torch.allclose(out2[..., t + 1 :, :], out[..., t + 1 :, :])
    # without the mask, earlier positions would change too
    free, _ = scaled_dot_product_attention(q, k, v)
    free2, _ = scaled_dot_product_attention(q, k2, v2)
    assert not torch.allclose(free2[..., : t + 1, :], free[..., : t + 1, :])


def test_sdpa_large_scores_finite(qkv):
    q, k, v = qkv
    out, w = scaled_dot_product_attention(q * 1e4, k * 1e4, v)
    assert torch.isfinite(out).all() and torch.isfinite(w).all()
    close(w.sum(-1), torch.ones(B, H, TQ, dtype=DT))
    close(out, F.scaled_dot_product_attention(q * 1e4, k * 1e4, v), atol=1e-9)
    # with a causal mask, too (masked -inf plus huge scores)
    q2 = rand(1, 1, 4, DK, seed=5) * 1e4
    out2, w2 = scaled_dot_product_attention(q2, q2, rand(1, 1, 4, DV), causal_mask(4))
    assert torch.isfinite(out2).all() and torch.isfinite(w2).all()


def test_sdpa_works_without_batch_dims():
    q, k, v = rand(TQ, DK, seed=1), rand(TK, DK, seed=2), rand(TK, DV, seed=3)
    out, w = scaled_dot_product_attention(q, k, v)
    assert out.shape == (TQ, DV) and w.shape == (TQ, TK)
    close(out, F.scaled_dot_product_attention(q, k, v))


# ---------------------------------------------------------------- MultiHeadAttention


D_MODEL, NUM_HEADS = 12, 3


def make_pair(bias=True, seed=0):
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(D_MODEL, NUM_HEADS, batch_first=True, bias=bias, dtype=DT)
    if bias:  # torch initialises the biases to 0; make them non-zero so copying them is tested
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(D_MODEL, NUM_HEADS, bias=bias).to(DT).load_from_torch(ref)
    return ours, ref


def check_against_torch(ours, ref, query, key, value, mask=None):
    out, w = ours(query, key, value, mask=mask)
    attn_mask = None if mask is None else ~mask
    ref_out, ref_w = ref(
        query, key, value, attn_mask=attn_mask, need_weights=True, average_attn_weights=False
    )
    _, ref_w_avg = ref(query, key, value, attn_mask=attn_mask, need_weights=True)
    assert w.shape == (query.shape[0], NUM_HEADS, query.shape[1], key.shape[1])
    close(out, ref_out)
    close(w, ref_w)
    close(w.mean(dim=1), ref_w_avg)
    return out, w


@pytest.mark.parametrize("bias", [True, False])
def test_mha_self_attention_matches_torch(bias):
    ours, ref = make_pair(bias)
    x = rand(B, TQ, D_MODEL, seed=1)
    check_against_torch(ours, ref, x, x, x)
    # key/value default to query
    close(ours(x)[0], ours(x, x, x)[0], atol=0)


@pytest.mark.parametrize("bias", [True, False])
def test_mha_cross_attention_matches_torch(bias):
    ours, ref = make_pair(bias)
    query = rand(B, TQ, D_MODEL, seed=1)
    memory = rand(B, TK, D_MODEL, seed=2)
    value = rand(B, TK, D_MODEL, seed=3)
    out, w = check_against_torch(ours, ref, query, memory, memory)
    assert out.shape == (B, TQ, D_MODEL)
    check_against_torch(ours, ref, query, memory, value)  # key and value differ
    # value defaults to key (not to query): ours(query, memory) attends over memory
    close(ours(query, memory)[0], ours(query, memory, memory)[0], atol=0)


@pytest.mark.parametrize("bias", [True, False])
def test_mha_causal_matches_torch(bias):
    ours, ref = make_pair(bias)
    x = rand(B, TK, D_MODEL, seed=1)
    mask = causal_mask(TK)
    _, w = check_against_torch(ours, ref, x, x, x, mask=mask)
    upper = torch.triu(torch.ones(TK, TK, dtype=torch.bool), diagonal=1)
    assert (w[..., upper] == 0).all()


def test_mha_per_batch_mask_matches_torch():
    ours, ref = make_pair()
    x = rand(B, TQ, D_MODEL, seed=1)
    g = torch.Generator().manual_seed(7)
    mask = torch.rand(B, TQ, TQ, generator=g) > 0.4
    mask[..., 0] = True
    out, w = ours(x, mask=mask)
    # nn.MultiheadAttention wants a 3-D mask as (batch * num_heads, T_q, T_k)
    ref_mask = ~mask.repeat_interleave(NUM_HEADS, dim=0)
    ref_out, ref_w = ref(x, x, x, attn_mask=ref_mask, average_attn_weights=False)
    close(out, ref_out)
    close(w, ref_w)


def test_mha_heads_one_at_a_time():
    ours, _ = make_pair()
    query = rand(B, TQ, D_MODEL, seed=1)
    memory = rand(B, TK, D_MODEL, seed=2)
    q, k, v = ours.w_q(query), ours.w_k(memory), ours.w_v(memory)
    d_k = D_MODEL // NUM_HEADS
    heads, weights = [], []
    for h in range(NUM_HEADS):
        cols = slice(h * d_k, (h + 1) * d_k)
        o, w = scaled_dot_product_attention(q[..., cols], k[..., cols], v[..., cols])
        heads.append(o)
        weights.append(w)
    expected = ours.w_o(torch.cat(heads, dim=-1))
    out, w_all = ours(query, memory, memory)
    close(out, expected)
    close(w_all, torch.stack(weights, dim=1))


def test_mha_split_merge_roundtrip():
    ours = MultiHeadAttention(D_MODEL, NUM_HEADS)
    x = rand(B, TQ, D_MODEL)
    s = ours.split_heads(x)
    assert s.shape == (B, NUM_HEADS, TQ, D_MODEL // NUM_HEADS)
    close(s[:, 1], x[..., 4:8], atol=0)  # head 1 is columns 4..7
    close(ours.merge_heads(s), x, atol=0)


# ---------------------------------------------------------------- errors


def test_d_model_not_divisible():
    with pytest.raises(ValueError, match="必须能被 num_heads（5）整除"):
        MultiHeadAttention(12, 5)


@pytest.mark.parametrize(
    "d_model, num_heads, fragment",
    [
        (4.0, 2, "d_model（向量维度）必须是正整数，实际是 4.0"),
        (-4, 2, "d_model（向量维度）必须是正整数，实际是 -4"),
        ("4", 2, "d_model（向量维度）必须是正整数"),
        (0, 1, "d_model（向量维度）必须是正整数，实际是 0"),
        (12, 0, "num_heads（头数）必须是正整数，实际是 0"),
        (12, 2.0, "num_heads（头数）必须是正整数"),
        (12, True, "num_heads（头数）必须是正整数"),
    ],
)
def test_mha_rejects_bad_sizes(d_model, num_heads, fragment):
    with pytest.raises(ValueError, match=fragment):
        MultiHeadAttention(d_model, num_heads)


def test_mha_takes_numpy_integer_sizes():
    assert MultiHeadAttention(np.int64(12), np.int64(3)).d_k == 4


def test_mismatched_d_k():
    q, k, v = rand(2, 5, 4), rand(2, 7, 3), rand(2, 7, 6)
    with pytest.raises(ValueError, match="最后一维（d_k）必须相同"):
        scaled_dot_product_attention(q, k, v)


def test_mismatched_t_k():
    q, k, v = rand(2, 5, 4), rand(2, 7, 4), rand(2, 6, 6)
    with pytest.raises(ValueError, match="长度（T_k）必须相同"):
        scaled_dot_product_attention(q, k, v)


def test_mask_with_fully_false_row():
    q, k, v = rand(5, 4), rand(7, 4), rand(7, 6)
    mask = torch.ones(5, 7, dtype=torch.bool)
    mask[2] = False
    with pytest.raises(ValueError, match="有一行全是 False"):
        scaled_dot_product_attention(q, k, v, mask)


def test_mask_not_broadcastable():
    q, k, v = rand(5, 4), rand(7, 4), rand(7, 6)
    with pytest.raises(ValueError, match="不能广播"):
        scaled_dot_product_attention(q, k, v, torch.ones(5, 6, dtype=torch.bool))


@pytest.mark.parametrize("mask", [torch.ones(5, 7), torch.ones(5, 7, dtype=torch.long), [[True]]])
def test_non_bool_mask(mask):
    q, k, v = rand(5, 4), rand(7, 4), rand(7, 6)
    with pytest.raises(TypeError, match="mask 必须是布尔张量"):
        scaled_dot_product_attention(q, k, v, mask)


@pytest.mark.parametrize("which", [0, 1, 2])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_inf_input(which, bad):
    qkv = [rand(5, 4), rand(7, 4), rand(7, 6)]
    qkv[which][1, 1] = bad
    with pytest.raises(ValueError, match="含有 NaN 或无穷大"):
        scaled_dot_product_attention(*qkv)


def test_mha_nan_input():
    ours, _ = make_pair()
    x = rand(B, TQ, D_MODEL)
    x[0, 2, 3] = float("nan")
    with pytest.raises(ValueError, match="含有 NaN 或无穷大"):
        ours(x)


def test_sdpa_wrong_rank_and_type():
    with pytest.raises(ValueError, match="至少是二维"):
        scaled_dot_product_attention(rand(4), rand(7, 4), rand(7, 6))
    with pytest.raises(TypeError, match="必须是 torch.Tensor"):
        scaled_dot_product_attention([[1.0]], rand(1, 1), rand(1, 1))


@pytest.mark.parametrize("which", [0, 1, 2])
def test_sdpa_rejects_integer_tensors(which):
    qkv = [rand(5, 4), rand(7, 4), rand(7, 6)]
    qkv[which] = torch.ones_like(qkv[which], dtype=torch.long)
    hint = r"必须是浮点张量.*torch.int64.*\.float\(\) 或 \.double\(\)"
    with pytest.raises(TypeError, match=hint):
        scaled_dot_product_attention(*qkv)


@pytest.mark.parametrize("which", [0, 1, 2])
def test_sdpa_rejects_mixed_float_types(which):
    qkv = [rand(5, 4), rand(7, 4), rand(7, 6)]  # float64
    qkv[which] = qkv[which].float()
    with pytest.raises(TypeError, match="q、k、v 的数据类型必须相同"):
        scaled_dot_product_attention(*qkv)


def test_sdpa_rejects_d_k_zero():
    # Q Kᵀ would be all zeros and the scaling 0 / √0 = NaN: not an attention at all
    with pytest.raises(ValueError, match="d_k（q 和 k 的最后一维）至少是 1"):
        scaled_dot_product_attention(rand(5, 0), rand(7, 0), rand(7, 6))


def test_sdpa_float32_still_matches_torch():
    q, k, v = rand(5, 4).float(), rand(7, 4, seed=1).float(), rand(7, 6, seed=2).float()
    out, _ = scaled_dot_product_attention(q, k, v)
    assert out.dtype == torch.float32
    close(out, F.scaled_dot_product_attention(q, k, v), atol=1e-6)


def test_mha_forward_rejects_non_tensors_and_wrong_dtype():
    ours, _ = make_pair()  # float64 weights
    x = rand(B, TQ, D_MODEL)
    with pytest.raises(TypeError, match="query 必须是 torch.Tensor，实际是 ndarray"):
        ours(x.numpy())
    with pytest.raises(TypeError, match="value 必须是 torch.Tensor，实际是 list"):
        ours(x, x, x.tolist())
    # a float32 input to a float64 module (the chapters call .double() on modules)
    hint = r"query 的数据类型是 torch.float32.*用 \.double\(\) 或 \.float\(\)"
    with pytest.raises(TypeError, match=hint):
        ours(x.float())
    with pytest.raises(TypeError, match="key 的数据类型是 torch.float32"):
        ours(x, x.float())
    with pytest.raises(TypeError, match="query 的数据类型是 torch.float64"):
        MultiHeadAttention(D_MODEL, NUM_HEADS)(x)  # float32 module, float64 input


@pytest.mark.parametrize(
    "mask",
    [[[True] * TQ] * TQ, torch.ones(TQ, TQ), causal_mask(TQ).numpy()],
    ids=["list", "float tensor", "numpy"],
)
def test_mha_forward_rejects_non_bool_masks(mask):
    ours, _ = make_pair()
    with pytest.raises(TypeError, match="mask 必须是布尔张量"):
        ours(rand(B, TQ, D_MODEL), mask=mask)


@pytest.mark.parametrize(
    "shape", [(TQ, D_MODEL), (1, B, TQ, D_MODEL), (B, TQ, D_MODEL + 1)], ids=str
)
def test_mha_wrong_input_shape(shape):
    ours, _ = make_pair()
    with pytest.raises(ValueError, match=r"query 的形状应为 \(batch, seq_len, 12\)"):
        ours(rand(*shape))


def test_mha_wrong_key_shape():
    ours, _ = make_pair()
    with pytest.raises(ValueError, match="key 的形状应为"):
        ours(rand(B, TQ, D_MODEL), rand(B, TK, D_MODEL - 3))


@pytest.mark.parametrize("d_model, num_heads", [(16, 4), (12, 4), (12, 2)])
def test_load_from_torch_size_mismatch(d_model, num_heads):
    ref = nn.MultiheadAttention(d_model, num_heads, batch_first=True, dtype=DT)
    ours = MultiHeadAttention(D_MODEL, NUM_HEADS).to(DT)
    with pytest.raises(ValueError, match="形状不一致"):
        ours.load_from_torch(ref)


def test_load_from_torch_bias_mismatch():
    ref = nn.MultiheadAttention(D_MODEL, NUM_HEADS, batch_first=True, bias=False, dtype=DT)
    with pytest.raises(ValueError, match="偏置"):
        MultiHeadAttention(D_MODEL, NUM_HEADS, bias=True).to(DT).load_from_torch(ref)


def test_load_from_torch_kdim_vdim():
    ref = nn.MultiheadAttention(D_MODEL, NUM_HEADS, batch_first=True, kdim=5, vdim=7, dtype=DT)
    with pytest.raises(ValueError, match="kdim/vdim"):
        MultiHeadAttention(D_MODEL, NUM_HEADS).to(DT).load_from_torch(ref)


# ---------------------------------------------------------------- issue 16: every bad input


def test_sdpa_mismatched_batches_get_a_chinese_message():
    # torch's own: "RuntimeError: The size of tensor a (2) must match the size of tensor b (3)"
    q, k, v = rand(2, 5, 4), rand(3, 7, 4), rand(3, 7, 6)
    with pytest.raises(ValueError, match="q、k、v 前面的维度（batch、头）对不上"):
        scaled_dot_product_attention(q, k, v)
    # batch dimensions that broadcast are fine (one key set for every query batch)
    out, _ = scaled_dot_product_attention(rand(2, 5, 4), rand(1, 7, 4), rand(1, 7, 6))
    assert out.shape == (2, 5, 6)


def test_sdpa_refuses_an_empty_key_set():
    # it used to return zeros: as undefined as an all-masked row
    with pytest.raises(ValueError, match="k 的长度（T_k）是 0：没有可以关注的位置"):
        scaled_dot_product_attention(rand(5, 4), rand(0, 4), rand(0, 6))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_sdpa_overflow_is_an_error_not_nan(dtype):
    big = 1e20 if dtype == torch.float32 else 1e160
    q, k, v = (rand(5, 4, seed=s).to(dtype) * big for s in (1, 2, 3))
    with pytest.raises(ValueError, match="计算溢出了（overflow）") as err:
        scaled_dot_product_attention(q, k, v)
    assert str(dtype) in str(err.value)


@pytest.mark.parametrize("scale", [1.0, 0.5, "yes", None])
def test_sdpa_scale_must_be_a_bool(scale):
    # torch's scale=1.0 means "do not scale"; here 1.0 was truthy and scaled by 1/√d_k
    with pytest.raises(TypeError, match="scale 必须是 True 或 False"):
        scaled_dot_product_attention(rand(5, 4), rand(7, 4), rand(7, 6), scale=scale)


def test_sdpa_mask_of_one_value_and_per_key():
    q, k, v = rand(5, 4), rand(7, 4), rand(7, 6)
    close(
        scaled_dot_product_attention(q, k, v, torch.tensor(True))[0],
        F.scaled_dot_product_attention(q, k, v),
    )
    with pytest.raises(ValueError, match="mask 中有一行全是 False"):
        scaled_dot_product_attention(q, k, v, torch.tensor(False))
    keys = torch.tensor([True] * 6 + [False])  # (T_k,): the last key is hidden from every query
    out, w = scaled_dot_product_attention(q, k, v, keys)
    assert (w[:, -1] == 0).all()
    close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=keys))


@pytest.mark.parametrize("bad", [0, 10**400, 10**7, "5"])
def test_causal_mask_bounds(bad):
    start = time.perf_counter()
    with pytest.raises(ValueError, match="seq_len"):
        causal_mask(bad)
    assert time.perf_counter() - start < 1


def test_causal_mask_device():
    assert causal_mask(3, device="cpu").device.type == "cpu"
    for bad in ("gpu0", 3.5, ["cpu"]):
        with pytest.raises(ValueError, match="device 必须是 torch.device"):
            causal_mask(3, device=bad)


def test_mha_overflow_is_an_error_not_nan():
    # float32 and inputs of 1e20: q·k ≈ 1e40 overflows, softmax used to give NaN silently
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match="MultiHeadAttention 的计算溢出了（overflow）"):
        mha(torch.full((1, 3, 8), 1e20))
    assert torch.isfinite(mha(torch.full((1, 3, 8), 1e3))[0]).all()


def test_mha_mismatched_batches_and_lengths():
    ours, _ = make_pair()
    x = rand(B, TQ, D_MODEL)
    with pytest.raises(ValueError, match="query、key、value 的 batch 大小（第一维）必须相同"):
        ours(x, rand(B + 1, TK, D_MODEL))
    with pytest.raises(ValueError, match="key 和 value 的长度（T_k）必须相同"):
        ours(x, rand(B, TK, D_MODEL), rand(B, TK + 1, D_MODEL))
    with pytest.raises(ValueError, match="key 的长度（T_k）是 0"):
        ours(x, rand(B, 0, D_MODEL))


def test_mha_names_the_argument_with_nan():
    ours, _ = make_pair()
    x, memory = rand(B, TQ, D_MODEL), rand(B, TK, D_MODEL)
    value = memory.clone()
    value[1, 2, 3] = float("nan")
    with pytest.raises(ValueError, match="^value 含有 NaN"):
        ours(x, memory, value)
    with pytest.raises(ValueError, match="^key 含有 NaN"):
        ours(x, value)  # key is value (and value defaults to key): named once, as key


def test_mha_mask_checks():
    ours, _ = make_pair()
    x = rand(B, TQ, D_MODEL)
    mask = torch.ones(B, TQ, TQ, dtype=torch.bool)
    mask[1, 2] = False
    with pytest.raises(ValueError, match="mask 中有一行全是 False"):
        ours(x, mask=mask)
    with pytest.raises(ValueError, match=r"mask 形状 \(3, 5, 5\) 不能广播.*\(batch, T_q, T_k\)"):
        ours(x, mask=torch.ones(3, TQ, TQ, dtype=torch.bool))  # batch is 2


@pytest.mark.parametrize(
    "bad", [0, -4, 2.0, "4", 10**400], ids=["0", "-4", "2.0", "'4'", "10**400"]
)
def test_mha_bad_sizes_are_value_errors(bad):
    with pytest.raises(ValueError, match="d_model"):
        MultiHeadAttention(bad, 1)


def test_mha_huge_size_is_refused_before_allocating():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="多头注意力的参数个数"):
        MultiHeadAttention(10**6, 8)  # 4·10¹² parameters
    assert time.perf_counter() - start < 1


def test_mha_bias_must_be_a_bool():
    with pytest.raises(TypeError, match="bias 必须是 True 或 False"):
        MultiHeadAttention(8, 2, bias="no")


def test_split_and_merge_heads_check_their_input():
    mha = MultiHeadAttention(D_MODEL, NUM_HEADS)
    with pytest.raises(ValueError, match=r"x 的形状应为 \(batch, seq_len, 12\)"):
        mha.split_heads(torch.zeros(2, 5, 10))  # view() would say "shape '[2, 5, 3, 4]' is invalid"
    with pytest.raises(ValueError, match=r"x 的形状应为 \(batch, 3, seq_len, 4\)"):
        mha.merge_heads(torch.zeros(2, 5, 3, 4))
    with pytest.raises(TypeError, match="x 必须是 torch.Tensor"):
        mha.split_heads(np.zeros((2, 5, 12)))


def test_load_from_torch_needs_a_torch_module():
    with pytest.raises(TypeError, match="mha 必须是 MultiheadAttention，实际是 Linear"):
        MultiHeadAttention(D_MODEL, NUM_HEADS).load_from_torch(nn.Linear(2, 2))


def test_the_entry_checks_run_once_per_call(monkeypatch):
    # inside a layer (or any call wrapped in entry()) the attention does not re-read its input
    import utils.nn.attention as attention
    from utils._validate import entry

    calls = []
    monkeypatch.setattr(attention, "check_finite", lambda name, t: calls.append(name))
    ours, _ = make_pair()
    x = rand(B, TQ, D_MODEL)
    ours(x)
    assert calls == ["query"]  # key and value are the same tensor: checked once
    calls.clear()
    with entry():
        ours(x, rand(B, TK, D_MODEL))
    assert calls == []
