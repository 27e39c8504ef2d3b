"""one-hot 与嵌入的工具函数：与 PyTorch 对照（F.one_hot、nn.Embedding、F.cosine_similarity、
F.unfold），以及本章声称的性质和中文错误信息。"""

from __future__ import annotations

import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils.experiments.embedding import (
    factorise_ratings,
    first_layer_params,
    image_patches,
    leave_one_out_1nn,
    lookup_vs_matmul,
    memory_rows,
    one_hot_encode,
    tensor_bytes,
)
from utils.nn.linalg import cosine_matrix, pca_project

# ---------------------------------------------------------------- one-hot


def test_notes_example_is_the_identity():
    vocab, ids, oh = one_hot_encode("我从哪里来")
    assert vocab == list("我从哪里来")
    np.testing.assert_array_equal(ids, [0, 1, 2, 3, 4])
    np.testing.assert_array_equal(oh, np.eye(5))


@pytest.mark.parametrize("text", ["我爱我家", "我从哪里来", "今天天气很好今天"])
def test_one_hot_against_torch(text):
    vocab, ids, oh = one_hot_encode(text)
    ref = F.one_hot(torch.tensor(ids), num_classes=len(vocab)).numpy()
    np.testing.assert_array_equal(oh, ref)
    assert [vocab[i] for i in ids] == list(text)


def test_one_hot_with_given_vocab_and_word_lists():
    vocab, ids, oh = one_hot_encode(["苹果", "猫"], vocab=["猫", "狗", "苹果"])
    np.testing.assert_array_equal(ids, [2, 0])
    assert oh.shape == (2, 3)


@pytest.mark.parametrize(
    "tokens, vocab, fragment",
    [
        ("", None, "不能为空"),
        ([], None, "不能为空"),
        (None, None, "不能为空"),
        (["我", ""], None, "非空字符串"),
        (["我", 3], None, "非空字符串"),
        ("我爱", ["我", "我"], "重复"),
        ("我爱你", ["我", "爱"], "不在词表里：你"),
    ],
)
def test_one_hot_bad_input(tokens, vocab, fragment):
    with pytest.raises(ValueError, match=fragment):
        one_hot_encode(tokens, vocab)


def test_one_hot_has_no_order_every_pair_equally_far():
    """The 精确地说 box: all one-hot vectors have length 1 and are √2 apart."""
    _, _, oh = one_hot_encode("我从哪里来今天")
    d = np.linalg.norm(oh[:, None] - oh[None], axis=-1)
    off = d[~np.eye(len(oh), dtype=bool)]
    np.testing.assert_allclose(off, np.sqrt(2), rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(oh, axis=1), 1)


# ---------------------------------------------------------------- cosine


def test_cosine_matrix_against_torch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 5))
    t = torch.tensor(x)
    ref = F.cosine_similarity(t[:, None, :], t[None, :, :], dim=-1).numpy()
    np.testing.assert_allclose(cosine_matrix(x), ref, rtol=0, atol=1e-12)


def test_distinct_one_hot_vectors_have_cosine_zero():
    _, _, oh = one_hot_encode(
        list("的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要")
    )
    c = cosine_matrix(oh)
    np.testing.assert_array_equal(c, np.eye(len(oh)))


def test_cosine_bad_input():
    with pytest.raises(ValueError, match="vectors（向量）里有零向量"):
        cosine_matrix([[1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="二维"):
        cosine_matrix([1.0, 2.0])
    with pytest.raises(ValueError, match="NaN"):
        cosine_matrix([[1.0, np.nan]])


# ---------------------------------------------------------------- memory and parameters


def test_tensor_bytes():
    assert tensor_bytes(torch.zeros(3, 4)) == 48
    assert tensor_bytes(torch.zeros(5, dtype=torch.int64)) == 40
    with pytest.raises(ValueError, match="torch 张量"):
        tensor_bytes(np.zeros(3))


def test_memory_rows_measure_real_tensors():
    rows = memory_rows([10, 3500], seq_len=100, d_model=64)
    assert rows[1]["one_hot_bytes"] == 100 * 3500 * 4
    assert rows[1]["dense_bytes"] == 100 * 64 * 4
    assert rows[1]["ids_bytes"] == 100 * 8
    assert rows[1]["table_bytes"] == 3500 * 64 * 4
    for r in rows:  # exactly one 1 per row
        assert r["sparsity"] == pytest.approx(1 - 1 / r["vocab_size"], abs=1e-7)
    # the one-hot grows with the vocabulary, the dense vectors do not
    assert rows[1]["one_hot_bytes"] / rows[0]["one_hot_bytes"] == 350
    assert rows[0]["dense_bytes"] == rows[1]["dense_bytes"]


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"vocab_sizes": []}, "不能为空"),
        ({"vocab_sizes": [1]}, "vocab_size"),
        ({"vocab_sizes": [10], "seq_len": 0}, "seq_len"),
        ({"vocab_sizes": [10], "d_model": 2.5}, "d_model"),
    ],
)
def test_memory_rows_bad_input(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        memory_rows(**kwargs)


def test_first_layer_params_match_real_modules():
    p = first_layer_params(3500, hidden=128, context=8, d_model=64)
    direct = nn.Linear(8 * 3500, 128)
    emb, after = nn.Embedding(3500, 64), nn.Linear(8 * 64, 128)
    assert p["one_hot"] == sum(q.numel() for q in direct.parameters()) == 3_584_128
    assert p["embedding"] == sum(q.numel() for m in (emb, after) for q in m.parameters())
    with pytest.raises(ValueError, match="hidden"):
        first_layer_params(100, hidden=0, context=8, d_model=64)


# ---------------------------------------------------------------- lookup


def test_lookup_equals_matmul_and_nn_embedding():
    torch.manual_seed(0)
    w = torch.randn(7, 3, dtype=torch.float64)
    ids = [3, 0, 6, 3]
    cmp = lookup_vs_matmul(ids, w)
    emb = nn.Embedding(7, 3, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(w)
    ref = emb(torch.tensor(ids))
    torch.testing.assert_close(cmp.by_matmul, ref, rtol=0, atol=0)
    torch.testing.assert_close(cmp.by_index, ref, rtol=0, atol=0)
    torch.testing.assert_close(cmp.by_module, ref, rtol=0, atol=0)
    assert cmp.matmul_mults == 4 * 7 * 3 and cmp.lookup_copies == 4 * 3


@pytest.mark.parametrize(
    "ids, fragment",
    [
        ([], "非空的一维整数"),
        ([[0, 1]], "非空的一维整数"),
        ([0.5], "非空的一维整数"),
        ([7], "0 到 6"),
    ],
)
def test_lookup_bad_ids(ids, fragment):
    with pytest.raises(ValueError, match=fragment):
        lookup_vs_matmul(ids, np.zeros((7, 3)))


def test_lookup_bad_weight():
    with pytest.raises(ValueError, match="W（嵌入矩阵）"):
        lookup_vs_matmul([0], [1.0, 2.0])


def test_only_used_rows_get_a_gradient():
    """The 精确地说 box: a batch only updates the rows of the tokens it contains."""
    emb = nn.Embedding(50, 4)
    emb(torch.tensor([3, 7, 3])).sum().backward()
    used = (emb.weight.grad.abs().sum(1) > 0).nonzero().flatten().tolist()
    assert used == [3, 7]


# ---------------------------------------------------------------- images


def test_image_patches_against_unfold():
    rng = np.random.default_rng(0)
    img = rng.normal(size=(8, 12))
    for p in (2, 4):
        ref = F.unfold(torch.tensor(img)[None, None], kernel_size=p, stride=p)[0].T
        np.testing.assert_array_equal(image_patches(img, p), ref.numpy())


def test_image_patches_is_chapter_6s_patchify_for_one_channel():
    from utils.models.vit import patchify

    img = np.random.default_rng(1).normal(size=(8, 12))
    for p in (1, 2, 4):
        got = image_patches(img, p)
        assert isinstance(got, np.ndarray) and got.dtype == np.float64
        assert got.shape == (8 * 12 // p**2, p * p)
        np.testing.assert_array_equal(got, patchify(torch.tensor(img)[None, None], p)[0].numpy())
    # patch 0 is the top-left block, read row by row; patch 1 is the block to its right
    np.testing.assert_array_equal(image_patches(img, 4)[1], img[:4, 4:8].ravel())


def test_image_patches_bad_input():
    with pytest.raises(ValueError, match="不能被小块边长 3 整除"):
        image_patches(np.zeros((8, 8)), 3)
    with pytest.raises(ValueError, match="patch"):
        image_patches(np.zeros((8, 8)), 0)
    with pytest.raises(ValueError, match="二维"):
        image_patches(np.zeros((2, 8, 8)), 4)


def test_pca_against_sklearn():
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 6)) @ rng.normal(size=(6, 6))
    mine = pca_project(x, 3)
    ref = PCA(n_components=3, svd_solver="full").fit_transform(x)
    np.testing.assert_allclose(np.abs(mine), np.abs(ref), rtol=0, atol=1e-9)
    for j in range(3):  # the sign convention: the largest |value| of each column is positive
        assert mine[np.abs(mine[:, j]).argmax(), j] > 0
    with pytest.raises(ValueError, match="不能超过"):
        pca_project(x, 7)


def test_leave_one_out_1nn():
    x = np.array([[0.0], [0.1], [5.0], [5.1], [10.0]])
    assert leave_one_out_1nn(x, [0, 0, 1, 1, 0]) == pytest.approx(0.8)
    with pytest.raises(ValueError, match="labels"):
        leave_one_out_1nn(x, [0, 1])


def test_digits_embedding_claims():
    from sklearn.datasets import load_digits

    d = load_digits()
    low = pca_project(d.data, 10)
    assert leave_one_out_1nn(d.data, d.target) >= 0.97
    assert leave_one_out_1nn(low, d.target) >= 0.90


# ---------------------------------------------------------------- users

RATINGS = np.array(
    [
        [5, 4, 4, 1, np.nan],
        [4, np.nan, 5, 1, 2],
        [5, 5, np.nan, 2, 1],
        [1, 2, 1, 5, 4],
        [np.nan, 1, 2, 4, 5],
        [2, 1, 1, np.nan, 5],
    ]
)


def test_factorisation_groups_users_by_taste():
    f = factorise_ratings(RATINGS, rank=2, seed=0)
    assert f.users.shape == (6, 2) and f.items.shape == (5, 2)
    np.testing.assert_allclose(f.predicted, f.users @ f.items.T, rtol=0, atol=1e-12)
    assert f.rmse < 0.5
    c = cosine_matrix(f.users)
    assert min(c[:3, :3].min(), c[3:, 3:].min()) > max(c[:3, 3:].max(), c[3:, :3].max())
    assert f.predicted[0, 4] < 2.5 < f.predicted[1, 1]  # the missing ratings
    g = factorise_ratings(RATINGS, rank=2, seed=0)
    np.testing.assert_array_equal(f.users, g.users)


@pytest.mark.parametrize(
    "ratings, kwargs, fragment",
    [
        ([1, 2, 3], {}, "至少 2×2"),
        ([[1, np.inf], [2, 3]], {}, "无穷大"),
        ([[1, np.nan], [np.nan, np.nan]], {}, "太少"),
        ([[1, 2], [3, 4]], {"rank": 0}, "rank"),
        ([[1, 2], [3, 4]], {"steps": 0}, "steps"),
    ],
)
def test_factorisation_bad_input(ratings, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        factorise_ratings(ratings, **kwargs)


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")
PAGE = "".join(chr(0x4E00 + i) for i in range(20_000))  # 20 000 different characters

EMBEDDING_BAD = {
    "one-hot of a number": (lambda: one_hot_encode(123), ValueError, "非空字符串，实际有 123"),
    "one-hot 20000 × 20000": (
        lambda: one_hot_encode(PAGE),
        ValueError,
        "one-hot 矩阵的大小）太大了",
    ),
    "one bad item in 50000": (
        lambda: one_hot_encode(["a"] * 50_000 + [1]),
        ValueError,
        "非空字符串，实际有 1",
    ),
    "5000 unknown characters": (
        lambda: one_hot_encode(PAGE[:5000], vocab=["a"]),
        ValueError,
        "等 5000 个",
    ),
    "vocab of numbers": (lambda: one_hot_encode("ab", vocab=[1, 2]), ValueError, "vocab（词表）"),
    "vocab of lists": (lambda: one_hot_encode("ab", vocab=[["a"]]), ValueError, "vocab（词表）"),
    "memory of 10**9 words": (lambda: memory_rows([10**9]), ValueError, "太大了"),
    "memory seed negative": (lambda: memory_rows([10], seed=-1), ValueError, "seed"),
    "parameters beyond 64 bits": (
        lambda: first_layer_params(10**30, 10, 10, 10),
        ValueError,
        "vocab_size（词表大小）",
    ),
    "string ids": (lambda: lookup_vs_matmul(["a"], np.ones((3, 2))), ValueError, "ids（编号）"),
    "huge lookup": (
        lambda: lookup_vs_matmul(np.zeros(10**4, dtype=int), np.ones((10**5, 2))),
        ValueError,
        "太大了",
    ),
    "1-nn of one sample": (
        lambda: leave_one_out_1nn([[1.0, 2.0]], [0]),
        ValueError,
        "至少要有 2 个样本",
    ),
    "1-nn of nothing": (
        lambda: leave_one_out_1nn(np.zeros((0, 2)), []),
        ValueError,
        "至少要有 2 个",
    ),
    "1-nn overflow": (
        lambda: leave_one_out_1nn([[1e200, 0], [0, 1e200], [1e200, 1]], [0, 1, 0]),
        ValueError,
        "溢出",
    ),
    "1-nn of 10**5 samples": (
        lambda: leave_one_out_1nn(np.zeros((10**5, 1)), np.zeros(10**5)),
        ValueError,
        "太大了",
    ),
    "ratings lr negative": (
        lambda: factorise_ratings(np.ones((3, 3)), lr=-1),
        ValueError,
        "lr（学习率）",
    ),
    "ratings l2 nan": (
        lambda: factorise_ratings(np.ones((3, 3)), l2=float("nan")),
        ValueError,
        "l2（正则化系数）",
    ),
    "ratings 10**9 steps": (
        lambda: factorise_ratings(np.ones((3, 3)), steps=10**9),
        ValueError,
        "steps",
    ),
    "ratings rank 10**9": (
        lambda: factorise_ratings(np.ones((3, 3)), rank=10**9),
        ValueError,
        "rank",
    ),
    "ratings of strings": (
        lambda: factorise_ratings([["a", "b"], ["c", "d"]]),
        ValueError,
        "ratings",
    ),
    "ratings of 1e300": (lambda: factorise_ratings(np.full((3, 3), 1e300)), ValueError, "溢出"),
    "ratings seed negative": (
        lambda: factorise_ratings(np.ones((3, 3)), seed=-1),
        ValueError,
        "seed",
    ),
}


@pytest.mark.parametrize("call, error, fragment", EMBEDDING_BAD.values(), ids=EMBEDDING_BAD.keys())
def test_bad_input_is_refused_before_any_work(call, error, fragment):
    start = time.perf_counter()
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert time.perf_counter() - start < 1.0
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_lookup_takes_any_integer_ids():
    w = np.arange(6.0).reshape(3, 2)
    for ids in (np.array([2, 0], dtype=np.uint8), torch.tensor([2, 0], dtype=torch.int16)):
        assert lookup_vs_matmul(ids, w).by_index.tolist() == [[4.0, 5.0], [0.0, 1.0]]
