"""性质测试（Hypothesis）：utils.nn 对随机生成的合法输入都满足的性质，对不合法的输入只给中文提示。

Property-based tests of the engine (utils.nn). For generated valid inputs: softmax rows are
probabilities, attention (numpy, torch, multi-head) agrees with PyTorch's own, the sinusoidal
encoding keeps its rotation property and its bound, the encoder and decoder give finite
outputs of the right shape, a cosine does not depend on a vector's scale. For generated
invalid inputs (wrong types, shapes and dtypes, NaN and inf, values whose computation
overflows, zero, negative and huge sizes, strings): only ValueError or TypeError comes out,
its message is in Chinese, and it comes out within TIME_LIMIT seconds.

The examples are derandomized and few (the "book" profile in conftest.py): the file runs in
seconds. Sizes are kept small for the same reason.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch import nn

from utils._threads import torch_threads
from utils.nn.attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention
from utils.nn.examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X
from utils.nn.linalg import cosine_matrix, pca_project
from utils.nn.numpy_attention import attention_steps, naive_softmax, softmax
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
from utils.nn.transformer import (
    Decoder,
    DecoderLayer,
    Encoder,
    EncoderLayer,
    FeedForward,
    TokenEmbedding,
    Transformer,
    decoder_mask,
    norm_placement_stats,
    padding_mask,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TIME_LIMIT = 2.0  # seconds for a refusal: the checks come before the work
DT = torch.float64


def assert_refused(call) -> None:
    """``call()`` raises ValueError or TypeError (anything else fails the test), in Chinese,
    quickly."""
    start = time.perf_counter()
    with pytest.raises((ValueError, TypeError)) as err:
        call()
    elapsed = time.perf_counter() - start
    assert CHINESE.search(str(err.value)), f"not Chinese: {err.value!r}"
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f} s"


def seeded(*shape, seed: int, dtype=DT, scale: float = 1.0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=dtype) * scale


@st.composite
def masks(draw, *shape):
    """A boolean mask of ``shape`` in which every row (last axis) keeps at least one True."""
    m = draw(arrays(np.bool_, shape))
    keep = draw(arrays(np.int64, shape[:-1], elements=st.integers(0, shape[-1] - 1)))
    np.put_along_axis(m, keep[..., None], True, axis=-1)
    return torch.from_numpy(m)


# ============================================================================ valid inputs

SCORES = arrays(
    np.float64,
    st.tuples(st.integers(1, 5), st.integers(1, 6)),
    elements=st.floats(-1e300, 1e300),
)


@given(SCORES, st.data())
def test_softmax_rows_are_probabilities(scores, data):
    hide = data.draw(masks(*scores.shape)).numpy()
    masked = np.where(hide, scores, -np.inf)  # −inf: a masked score
    for s in (scores, masked):
        p = softmax(s, axis=1)
        assert ((p >= 0) & (p <= 1)).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)
        np.testing.assert_allclose(p, torch.softmax(torch.from_numpy(s), dim=1), atol=1e-12)
    assert (softmax(masked, axis=1)[~hide] == 0).all()


SIZES = st.integers(1, 5)
SMALL = st.floats(-3, 3)


@given(SIZES, SIZES, SIZES, SIZES, st.booleans(), st.integers(0, 2**31))
def test_hand_worked_attention_matches_torch(n, d_model, d_k, d_v, scaled, seed):
    x, wq, wk, wv = (
        seeded(*shape, seed=seed + i).numpy()
        for i, shape in enumerate([(n, d_model), (d_model, d_k), (d_model, d_k), (d_model, d_v)])
    )
    st_ = attention_steps(x, wq, wk, wv, scaled=scaled)
    q, k, v = (torch.from_numpy(a) for a in (st_.query, st_.key, st_.value))
    ref = F.scaled_dot_product_attention(q, k, v, scale=None if scaled else 1.0)
    np.testing.assert_allclose(st_.output, ref.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(st_.weights.sum(axis=1), 1.0, rtol=0, atol=1e-12)


@given(SIZES, SIZES, SIZES, SIZES, st.booleans(), st.integers(0, 2**31), st.data())
def test_numpy_softmax_with_a_mask_matches_torch(t_q, t_k, d_k, d_v, scaled, seed, data):
    q, k, v = (
        seeded(t_q, d_k, seed=seed),
        seeded(t_k, d_k, seed=seed + 1),
        seeded(t_k, d_v, seed=seed + 2),
    )
    mask = data.draw(masks(t_q, t_k))
    scores = q.numpy() @ k.numpy().T / (math.sqrt(d_k) if scaled else 1.0)
    out = softmax(np.where(mask.numpy(), scores, -np.inf), axis=1) @ v.numpy()
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=None if scaled else 1.0)
    np.testing.assert_allclose(out, ref.numpy(), rtol=0, atol=1e-10)


@given(
    st.integers(1, 2), st.integers(1, 2), SIZES, SIZES, SIZES, SIZES,
    st.booleans(), st.booleans(), st.integers(0, 2**31), st.data(),
)  # fmt: skip
def test_torch_attention_matches_torch(
    batch, heads, t_q, t_k, d_k, d_v, scaled, masked, seed, data
):
    q = seeded(batch, heads, t_q, d_k, seed=seed)
    k = seeded(batch, heads, t_k, d_k, seed=seed + 1)
    v = seeded(batch, heads, t_k, d_v, seed=seed + 2)
    mask = data.draw(masks(batch, 1, t_q, t_k)) if masked else None
    out, w = scaled_dot_product_attention(q, k, v, mask, scale=scaled)
    ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=None if scaled else 1.0)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-10)
    torch.testing.assert_close(
        w.sum(-1), torch.ones(batch, heads, t_q, dtype=DT), rtol=0, atol=1e-12
    )


@given(
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 2), SIZES, SIZES,
    st.booleans(), st.booleans(), st.sampled_from([None, "2d", "3d"]),
    st.integers(0, 2**31), st.data(),
)  # fmt: skip
def test_multi_head_attention_matches_torch(
    heads, d_k, batch, t_q, t_k, bias, cross, mask_kind, seed, data
):
    d_model = heads * d_k
    torch.manual_seed(seed)
    ref = nn.MultiheadAttention(d_model, heads, batch_first=True, bias=bias, dtype=DT)
    if bias:
        with torch.no_grad():
            ref.in_proj_bias.normal_()
            ref.out_proj.bias.normal_()
    ours = MultiHeadAttention(d_model, heads, bias=bias).to(DT).load_from_torch(ref)
    query = seeded(batch, t_q, d_model, seed=seed + 1)
    memory = seeded(batch, t_k, d_model, seed=seed + 2) if cross else query
    t_k = memory.shape[1]
    if mask_kind == "2d":
        mask = data.draw(masks(t_q, t_k))
        ref_mask = ~mask
    elif mask_kind == "3d":
        mask = data.draw(masks(batch, t_q, t_k))
        ref_mask = ~mask.repeat_interleave(heads, dim=0)  # torch: (batch · heads, T_q, T_k)
    else:
        mask = ref_mask = None
    out, w = ours(query, memory, memory, mask=mask)
    ref_out, ref_w = ref(query, memory, memory, attn_mask=ref_mask, average_attn_weights=False)
    torch.testing.assert_close(out, ref_out, rtol=0, atol=1e-10)
    torch.testing.assert_close(w, ref_w, rtol=0, atol=1e-10)


D_MODELS = st.integers(1, 32).map(lambda h: 2 * h)


@given(D_MODELS, st.integers(0, 10_000), st.integers(-1000, 1000))
def test_positional_encoding_shift_is_the_books_rotation(d_model, pos, k):
    k = max(k, -pos)  # pos + k is a position too
    pe = positional_encoding_at([pos, pos + k], d_model)  # (2, d_model)
    m_k = relative_rotation(k, d_model)  # PE(pos + k) = M_k · PE(pos)
    torch.testing.assert_close(m_k @ pe[0], pe[1], rtol=0, atol=1e-9)
    torch.testing.assert_close(m_k @ m_k.T, torch.eye(d_model, dtype=DT), rtol=0, atol=1e-12)


@given(D_MODELS, st.integers(1, 64), st.integers(0, 10**15 - 64))
def test_positional_encoding_is_bounded(d_model, seq_len, start):
    pe = positional_encoding(seq_len, d_model)
    far = positional_encoding_at(range(start, start + seq_len), d_model)
    for table in (pe, far):
        assert table.shape == (seq_len, d_model) and bool(table.isfinite().all())
        assert table.abs().max() <= 1.0
        # every row has length √(d_model/2): each sin/cos pair lies on the unit circle
        lengths = table.norm(dim=1)
        torch.testing.assert_close(lengths, torch.full_like(lengths, math.sqrt(d_model / 2)))


LAYER = st.fixed_dictionaries(
    {
        "heads": st.integers(1, 2),
        "d_k": st.integers(1, 4),
        "d_ff": st.integers(1, 8),
        "num_layers": st.integers(1, 2),
        "norm_first": st.booleans(),
        "activation": st.sampled_from(["relu", "gelu"]),
    }
)


@settings(max_examples=15)  # each example builds a model
@given(
    LAYER, st.integers(1, 2), st.integers(1, 5), st.integers(1, 5), st.integers(0, 2**31), st.data()
)
def test_encoder_and_decoder_outputs_are_finite(cfg, batch, t_src, t_tgt, seed, data):
    torch.manual_seed(seed)
    d_model = cfg["heads"] * cfg["d_k"]
    args = (cfg["num_layers"], d_model, cfg["heads"], cfg["d_ff"])
    kw = dict(norm_first=cfg["norm_first"], activation=cfg["activation"])
    enc, dec = Encoder(*args, **kw).to(DT), Decoder(*args, **kw).to(DT)
    src = seeded(batch, t_src, d_model, seed=seed + 1, scale=10.0)
    tgt = seeded(batch, t_tgt, d_model, seed=seed + 2, scale=10.0)
    keep = data.draw(masks(batch, 1, t_src))  # a padding mask: every sequence keeps a token
    memory = enc(src, keep)
    out = dec(tgt, memory, causal_mask(t_tgt), keep)
    assert memory.shape == src.shape and out.shape == tgt.shape
    assert bool(memory.isfinite().all()) and bool(out.isfinite().all())


@settings(max_examples=15)  # each example builds a model
@given(
    st.integers(1, 2),
    st.integers(3, 8),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2**31),
)
def test_whole_model_gives_finite_logits_and_decodes(heads, vocab, t_src, t_tgt, seed):
    torch.manual_seed(seed)
    d_model = 2 * heads  # even, for the sinusoid
    model = Transformer(vocab, vocab, d_model=d_model, num_heads=heads, d_ff=8, max_len=8).eval()
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(1, vocab, (2, t_src), generator=g)  # 0 is padding
    tgt = torch.randint(1, vocab, (2, t_tgt), generator=g)
    logits = model(src, tgt)
    assert logits.shape == (2, t_tgt, vocab) and bool(logits.isfinite().all())
    out = model.greedy_decode(src, 1, 2, max_len=3)
    assert out.shape[0] == 2 and 2 <= out.shape[1] <= 4 and (out[:, 0] == 1).all()


@given(
    arrays(np.float64, st.integers(1, 6), elements=st.floats(0.5, 2.0)),
    st.integers(-300, 300),
    st.integers(-300, 300),
)
def test_a_cosine_does_not_depend_on_the_scale(v, e1, e2):
    # |v|² over- or underflows for 10^±200: the cosine of v with itself used to be 0.0
    rows = np.stack([v * 10.0**e1, v * 10.0**e2, v])
    np.testing.assert_allclose(cosine_matrix(rows), np.ones((3, 3)), rtol=0, atol=1e-12)
    pe = torch.from_numpy(rows)
    torch.testing.assert_close(similarity_matrix(pe, cosine=True), torch.ones(3, 3, dtype=DT))


@given(
    arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(1, 4)), elements=SMALL), st.data()
)
def test_pca_output_has_its_shape_and_ignores_a_shift(x, data):
    k = data.draw(st.integers(1, min(x.shape)))
    shift = data.draw(arrays(np.float64, x.shape[1], elements=SMALL))
    low = pca_project(x, k)
    assert low.shape == (x.shape[0], k) and np.isfinite(low).all()
    # centring removes a shift; the sign rule makes the result unique (up to ties)
    np.testing.assert_allclose(np.abs(pca_project(x + shift, k)), np.abs(low), atol=1e-9)


# ========================================================================== invalid inputs

NOT_A_BOOL = st.one_of(
    st.none(),
    st.integers(-2, 2),
    st.floats(),
    st.text(max_size=5),
    st.lists(st.booleans(), max_size=2),
)
HUGE_INT = st.integers(10**16, 10**500)  # beyond every bound: 10^15 positions, every budget
NOT_A_COUNT = st.one_of(  # for a size that must be a positive integer
    st.none(),
    st.booleans(),
    st.integers(max_value=0),
    HUGE_INT,
    st.floats(),
    st.text(max_size=5),
    st.just(100_000).map(lambda n: "x" * n),  # a long text, cut short in the message
    st.lists(st.integers(1, 3), max_size=2),
    st.binary(max_size=3),
)
NOT_A_POSITION = st.one_of(
    st.none(), st.booleans(), st.integers(max_value=-1), HUGE_INT, st.floats(), st.text(max_size=5)
)
NOT_A_FINITE_REAL = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from([math.nan, math.inf, -math.inf, 10**400]),
    st.text(max_size=5),
)


def _not_none(value) -> bool:
    return value is not None  # None is the default of some arguments: no fault there


torch.manual_seed(0)
X32 = torch.randn(2, 3, 8)
MHA = MultiHeadAttention(8, 2)
ENC, DEC = Encoder(2, 8, 2, 16), Decoder(1, 8, 2, 16)
ENC_LAYER, DEC_LAYER = EncoderLayer(8, 2, 16, norm_first=True), DecoderLayer(8, 2, 16)
FFN = FeedForward(8, 16)
MODEL = Transformer(10, 10, d_model=8, num_heads=2, d_ff=16, max_len=12).eval()
SRC = torch.tensor([[3, 4, 5], [6, 7, 0]])
NOTES = (NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)

# (name, call(bad), strategy for bad): the bad value replaces one argument of a valid call
SCALAR_FAULTS = [
    ("causal_mask seq_len", lambda b: causal_mask(b), NOT_A_COUNT),
    ("MultiHeadAttention d_model", lambda b: MultiHeadAttention(b, 1), NOT_A_COUNT),
    ("MultiHeadAttention num_heads", lambda b: MultiHeadAttention(8, b), NOT_A_COUNT),
    ("MultiHeadAttention bias", lambda b: MultiHeadAttention(8, 2, bias=b), NOT_A_BOOL),
    ("positional_encoding seq_len", lambda b: positional_encoding(b, 8), NOT_A_COUNT),
    ("positional_encoding d_model", lambda b: positional_encoding(4, b), NOT_A_COUNT),
    ("positional_encoding base", lambda b: positional_encoding(4, 8, base=b), NOT_A_FINITE_REAL),
    ("wavelengths d_model", lambda b: wavelengths(b), NOT_A_COUNT),
    ("angular_frequencies d_model", lambda b: angular_frequencies(b), NOT_A_COUNT),
    ("PositionalEncoding max_len", lambda b: PositionalEncoding(8, b), NOT_A_COUNT),
    ("LearnedPositionalEmbedding d_model", lambda b: LearnedPositionalEmbedding(b, 4), NOT_A_COUNT),
    ("LearnedPositionalEmbedding max_len", lambda b: LearnedPositionalEmbedding(4, b), NOT_A_COUNT),
    ("positional_encoding_at positions", lambda b: positional_encoding_at(b, 8), NOT_A_POSITION),
    ("positional_encoding_at list", lambda b: positional_encoding_at([0, b], 8), NOT_A_POSITION),
    ("pair_terms pos", lambda b: pair_terms(b, 0, 8), NOT_A_POSITION),
    ("pair_terms i", lambda b: pair_terms(1, b, 8), st.one_of(NOT_A_POSITION, st.integers(4))),
    ("relative_rotation k", lambda b: relative_rotation(b, 8), NOT_A_FINITE_REAL),
    ("relative_rotation d_model", lambda b: relative_rotation(1, b), NOT_A_COUNT),
    ("dot_product_by_distance k", lambda b: dot_product_by_distance([1, b], 8), NOT_A_FINITE_REAL),
    ("distance_by_gap d_model", lambda b: distance_by_gap(1, b), NOT_A_COUNT),
    ("closest_gap seq_len", lambda b: closest_gap(b, 8), NOT_A_COUNT),
    ("similarity_matrix cosine", lambda b: similarity_matrix(torch.eye(3), cosine=b), NOT_A_BOOL),
    ("FeedForward d_ff", lambda b: FeedForward(8, b), NOT_A_COUNT),
    ("FeedForward dropout", lambda b: FeedForward(8, 4, dropout=b), NOT_A_FINITE_REAL),
    ("FeedForward activation", lambda b: FeedForward(8, 4, activation=b), NOT_A_BOOL),
    ("EncoderLayer d_model", lambda b: EncoderLayer(b, 1), NOT_A_COUNT),
    ("EncoderLayer norm_first", lambda b: EncoderLayer(8, 2, norm_first=b), NOT_A_BOOL),
    ("DecoderLayer num_heads", lambda b: DecoderLayer(8, b), NOT_A_COUNT),
    ("Encoder num_layers", lambda b: Encoder(b, 8, 2), NOT_A_COUNT),
    ("Decoder num_layers", lambda b: Decoder(b, 8, 2), NOT_A_COUNT),
    (
        "Encoder.attention layer",
        lambda b: ENC.attention(b),
        st.one_of(NOT_A_POSITION, st.integers(2)),
    ),
    ("TokenEmbedding vocab_size", lambda b: TokenEmbedding(b, 8), NOT_A_COUNT),
    ("Transformer src_vocab", lambda b: Transformer(b, 10, d_model=8, num_heads=2), NOT_A_COUNT),
    (
        "Transformer max_len",
        lambda b: Transformer(10, 10, d_model=8, num_heads=2, max_len=b),
        NOT_A_COUNT,
    ),
    ("greedy_decode max_len", lambda b: MODEL.greedy_decode(SRC, 1, 2, b), NOT_A_COUNT),
    ("greedy_decode bos_id", lambda b: MODEL.greedy_decode(SRC, b, 2, 3), NOT_A_POSITION),
    ("padding_mask pad_id", lambda b: padding_mask(SRC, b), NOT_A_POSITION),
    (
        "norm_placement_stats num_layers",
        lambda b: norm_placement_stats(b, norm_first=True),
        NOT_A_COUNT,
    ),
    (
        "norm_placement_stats seq_len",
        lambda b: norm_placement_stats(1, norm_first=True, seq_len=b),
        NOT_A_COUNT,
    ),
    (
        "norm_placement_stats norm_first",
        lambda b: norm_placement_stats(1, norm_first=b),
        NOT_A_BOOL,
    ),
    (
        "softmax axis",
        lambda b: softmax([[1.0, 2.0]], axis=b),
        st.one_of(NOT_A_POSITION, st.integers(2)),
    ),
    ("attention_steps scaled", lambda b: attention_steps(*NOTES, scaled=b), NOT_A_BOOL),
    ("pca_project k", lambda b: pca_project(np.eye(3), b), NOT_A_COUNT),
    ("torch_threads n", lambda b: torch_threads(b).__enter__(), NOT_A_COUNT.filter(_not_none)),
]


@pytest.mark.parametrize(
    "call, bad_values", [f[1:] for f in SCALAR_FAULTS], ids=[f[0] for f in SCALAR_FAULTS]
)
@settings(max_examples=12)  # per argument: 44 arguments
@given(data=st.data())
def test_bad_scalar_arguments_are_refused_in_chinese(call, bad_values, data):
    bad = data.draw(bad_values)
    assert_refused(lambda: call(bad))


NOT_A_TENSOR = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.just(X32.tolist()),
    st.just(X32.numpy()),
    st.integers(),
    st.floats(),
)


@st.composite
def broken_tensors(draw, like: torch.Tensor, *, batched: bool = False, free_last: bool = False):
    """``like`` spoiled one way: not a tensor, another dtype, another number of dimensions,
    another size, NaN or inf inside. ``batched``: more leading dimensions would be valid (they
    broadcast), so only fewer are tried; ``free_last``: the last size may be anything (d_v),
    so the one before it (T_k) is changed instead."""
    fault = draw(st.sampled_from(["type", "dtype", "ndim", "size", "nan", "inf"]))
    if fault == "type":
        return draw(NOT_A_TENSOR)
    if fault == "dtype":
        other = [torch.int64, torch.int32, torch.bool, torch.complex64, torch.float64]
        return like.to(draw(st.sampled_from(other)))
    if fault == "ndim":
        fewer = [like[0, 0, 0], like[0, 0]] + ([] if batched else [like[0]])
        return draw(st.sampled_from(fewer + ([] if batched else [like.unsqueeze(0)])))
    if fault == "size":
        shape = list(like.shape)
        shape[-2 if free_last else -1] += draw(st.integers(1, 3))
        return torch.randn(*shape, dtype=like.dtype)
    bad = like.clone()
    idx = tuple(draw(st.integers(0, n - 1)) for n in like.shape)
    bad[idx] = math.nan if fault == "nan" else draw(st.sampled_from([math.inf, -math.inf]))
    return bad


@given(st.integers(0, 2), st.data())
def test_bad_attention_inputs_are_refused_in_chinese(which, data):
    qkv = [X32.clone(), torch.randn(2, 4, 8), torch.randn(2, 4, 5)]  # q, k, v (float32)
    qkv[which] = data.draw(broken_tensors(qkv[which], batched=True, free_last=which == 2))
    assert_refused(lambda: scaled_dot_product_attention(*qkv))


@given(st.sampled_from(["query", "key", "value"]), st.data())
def test_bad_multi_head_inputs_are_refused_in_chinese(which, data):
    memory = torch.randn(2, 4, 8)
    args = {"query": X32.clone(), "key": memory, "value": memory.clone()}
    # None is no fault here: key defaults to query, value to key
    args[which] = data.draw(broken_tensors(args[which]).filter(lambda b: b is not None))
    assert_refused(lambda: MHA(**args))


MODULE_CALLS = [
    ("Encoder", lambda x: ENC(x)),
    ("EncoderLayer", lambda x: ENC_LAYER(x)),
    ("FeedForward", lambda x: FFN(x)),
    ("DecoderLayer x", lambda x: DEC_LAYER(x, X32)),
    ("DecoderLayer memory", lambda x: DEC_LAYER(X32, x)),
    ("Decoder memory", lambda x: DEC(X32, x)),
    ("PositionalEncoding", lambda x: PositionalEncoding(8, 4)(x)),
]


@pytest.mark.parametrize("name, call", MODULE_CALLS, ids=[m[0] for m in MODULE_CALLS])
@settings(max_examples=15)
@given(data=st.data())
def test_bad_layer_inputs_are_refused_in_chinese(name, call, data):
    bad = data.draw(broken_tensors(X32))
    if name == "PositionalEncoding" and isinstance(bad, torch.Tensor) and bad.dtype == DT:
        bad = bad.long()  # the encoding module adds to any float type: spoil it otherwise
    if name == "FeedForward" and isinstance(bad, torch.Tensor) and bad.dtype == X32.dtype:
        # FFN(x) takes (..., d_model): any number of dimensions but 0 is fine
        assume(bad.dim() == 0 or bad.shape[-1] != 8 or not bool(bad.isfinite().all()))
    assert_refused(lambda: call(bad))


@st.composite
def broken_masks(draw, shape):
    """A mask for weights of ``shape``: not bool, not broadcastable, or with an all-False row."""
    fault = draw(st.sampled_from(["dtype", "shape", "row", "type"]))
    if fault == "type":
        return draw(
            st.one_of(st.none().map(lambda _: [[True]]), st.just(np.ones(shape[-2:], bool)))
        )
    if fault == "dtype":
        return torch.ones(
            shape[-2:], dtype=draw(st.sampled_from([torch.float32, torch.int64, torch.uint8]))
        )
    if fault == "shape":
        return torch.ones(shape[-2] + draw(st.integers(1, 2)), shape[-1] + 1, dtype=torch.bool)
    m = torch.ones(shape[-2:], dtype=torch.bool)
    m[draw(st.integers(0, shape[-2] - 1))] = False  # this query may attend to nothing
    return m


@given(st.data())
def test_bad_masks_are_refused_in_chinese(data):
    mask = data.draw(broken_masks((2, 3, 3)))
    call = data.draw(
        st.sampled_from(
            [
                lambda m: scaled_dot_product_attention(X32, X32, X32, m),
                lambda m: MHA(X32, mask=m),
                lambda m: ENC(X32, m),
                lambda m: ENC_LAYER(X32, m),
                lambda m: DEC_LAYER(X32, X32, m),
                lambda m: DEC(X32, X32, None, m),
            ]
        )
    )
    assert_refused(lambda: call(mask))


@given(st.integers(1, 3), st.sampled_from([torch.float32, torch.float64]), st.integers(0, 2**31))
def test_attention_that_overflows_is_refused_not_nan(t, dtype, seed):
    # all entries positive and huge: every score q·k is beyond the largest float
    huge = 1e30 if dtype == torch.float32 else 1e200
    q, k, v = (seeded(2, t, 4, seed=seed + i, dtype=dtype).abs() * huge + huge for i in range(3))
    assert_refused(lambda: scaled_dot_product_attention(q, k, v))
    torch.manual_seed(seed)
    mha = MultiHeadAttention(4, 2).to(dtype)
    assert_refused(lambda: mha(torch.full_like(q, huge)))  # the projections are huge too
    x = np.full((t, 4), 1e200) * (1 + seeded(t, 4, seed=seed).abs().numpy())
    assert_refused(lambda: attention_steps(x, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE))


@given(
    st.one_of(
        st.text(max_size=5),
        st.sampled_from(
            [
                [[1.0, 2.0], [3.0]],  # ragged
                [[1j, 2.0]],
                [[10**400, 1.0]],
                None,
                np.zeros((0, 3)),
                [[math.nan, 1.0]],
                [[math.inf, 1.0]],
            ]
        ),
    ),
    st.sampled_from(["softmax", "naive_softmax", "x", "w_query", "cosine", "pca"]),
)
def test_bad_arrays_are_refused_in_chinese(bad, where):
    calls = {
        "softmax": lambda: softmax(bad),
        "naive_softmax": lambda: naive_softmax(bad),
        "x": lambda: attention_steps(bad, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE),
        "w_query": lambda: attention_steps(NOTES_X, bad, NOTES_W_KEY, NOTES_W_VALUE),
        "cosine": lambda: cosine_matrix(bad),
        "pca": lambda: pca_project(bad, 1),
    }
    assert_refused(calls[where])


TGT = torch.tensor([[1, 2], [1, 3]])
TOKEN_FAULTS = [
    ("float src", lambda: MODEL(SRC.float(), TGT)),
    ("float tgt", lambda: MODEL(SRC, TGT.double())),
    ("empty src", lambda: MODEL.encode(SRC[:, :0])),
    ("src longer than max_len", lambda: MODEL.encode(torch.ones(2, 13, dtype=torch.long))),
    ("tgt longer than max_len", lambda: MODEL(SRC, torch.ones(2, 13, dtype=torch.long))),
    ("id beyond the vocabulary", lambda: MODEL(SRC, torch.tensor([[1, 10], [1, 2]]))),
    ("negative id", lambda: MODEL.greedy_decode(torch.tensor([[3, -1]]), 1, 2, 4)),
    ("tgt starts with padding", lambda: MODEL(SRC, torch.tensor([[1, 2], [0, 3]]))),
    ("src all padding", lambda: MODEL.greedy_decode(torch.tensor([[3, 4], [0, 0]]), 1, 2, 4)),
    ("batch sizes differ", lambda: MODEL(SRC, TGT[:1])),
    ("memory of another shape", lambda: MODEL.decode(TGT, torch.zeros(2, 3, 6), SRC)),
    ("memory is None", lambda: MODEL.decode(TGT, None, SRC)),
    ("a list", lambda: MODEL.encode([[3, 4]])),
    ("1-D src", lambda: MODEL.encode(torch.tensor([3, 4]))),
    ("trace of two sequences", lambda: MODEL.greedy_decode_trace(SRC, 1, 2, 3)),
]


@pytest.mark.parametrize("call", [f[1] for f in TOKEN_FAULTS], ids=[f[0] for f in TOKEN_FAULTS])
def test_bad_token_inputs_are_refused_in_chinese(call):
    assert_refused(call)


@given(
    st.sampled_from([None, "ids", [[1, 2]], torch.ones(2, 3), torch.ones(3, dtype=torch.long)]),
    st.sampled_from([padding_mask, decoder_mask]),
)
def test_masks_from_tokens_refuse_anything_else(bad, make_mask):
    assert_refused(lambda: make_mask(bad, 0))
