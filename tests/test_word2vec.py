"""word2vec（skip-gram + 负采样）的测试：词表、词对、损失与 PyTorch 对照、可复现、学到的聚类。"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from utils.models.corpus import load_sentences
from utils.models.reference import load_reference
from utils.models.word2vec import (
    WORD_GROUPS,
    SkipGramNS,
    build_vocab,
    cooccurrence_matrix,
    group_similarity,
    nearest_neighbours,
    negative_distribution,
    pca_2d,
    skipgram_pairs,
    train_word2vec,
)

TOY = [["我", "喜欢", "苹果"], ["我", "喜欢", "香蕉"], ["猫"]]


@pytest.fixture(scope="module")
def trained():
    return train_word2vec(load_sentences(), seed=0)


def test_vocab_order_and_lookup():
    v = build_vocab(TOY)
    assert v.words == ["喜欢", "我", "猫", "苹果", "香蕉"]  # by count, then by word
    assert v.counts == [2, 2, 1, 1, 1]
    assert v.id_of(" 猫 ") == 2 and "猫" in v and len(v) == 5
    with pytest.raises(ValueError, match="不在词表里"):
        v.id_of("老虎")
    with pytest.raises(ValueError, match="不能为空"):
        v.id_of("  ")
    assert build_vocab(TOY, min_count=2).words == ["喜欢", "我"]


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ([], "不能为空"),
        ("我 喜欢", "不能为空"),
        (["我喜欢"], "应是词的列表"),
        ([["我", ""]], "为空的词"),
    ],
)
def test_bad_sentences(bad, fragment):
    with pytest.raises(ValueError, match=fragment):
        build_vocab(bad)


def test_skipgram_pairs_by_hand():
    v = build_vocab(TOY)
    pairs = skipgram_pairs([["我", "喜欢", "苹果"]], v, window=1).tolist()
    words = [(v.words[c], v.words[o]) for c, o in pairs]
    assert words == [("我", "喜欢"), ("喜欢", "我"), ("喜欢", "苹果"), ("苹果", "喜欢")]
    assert len(skipgram_pairs([["我", "喜欢", "苹果"]], v, window=2)) == 6
    with pytest.raises(ValueError, match="window"):
        skipgram_pairs(TOY, v, window=0)
    with pytest.raises(ValueError, match="没有任何"):
        skipgram_pairs([["猫"]], v)


def test_cooccurrence_counts_the_same_pairs():
    sentences = load_sentences()[:200]
    v = build_vocab(sentences)
    x = cooccurrence_matrix(sentences, v, window=2)
    assert x.sum() == len(skipgram_pairs(sentences, v, 2))
    np.testing.assert_array_equal(x, x.T)  # a symmetric window gives a symmetric matrix


def test_negative_distribution():
    v = build_vocab(TOY)
    p = negative_distribution(v)
    expected = np.array(v.counts, dtype=float) ** 0.75
    np.testing.assert_allclose(p.numpy(), expected / expected.sum(), rtol=0, atol=1e-15)


def test_sgns_loss_against_pytorch_bce():
    """-log σ(x) is binary cross-entropy with target 1; -log σ(-x) with target 0."""
    torch.manual_seed(0)
    m = SkipGramNS(7, 4)
    torch.nn.init.normal_(m.out_embed.weight)
    center, context = torch.tensor([0, 3, 5]), torch.tensor([1, 2, 6])
    neg = torch.tensor([[2, 4], [0, 6], [1, 1]])
    v = m.in_embed.weight[center]
    pos_logit = (m.out_embed.weight[context] * v).sum(-1)
    neg_logit = (m.out_embed.weight[neg] * v[:, None, :]).sum(-1)
    bce = F.binary_cross_entropy_with_logits
    ref = bce(pos_logit, torch.ones(3, dtype=torch.float64), reduction="none") + bce(
        neg_logit, torch.zeros(3, 2, dtype=torch.float64), reduction="none"
    ).sum(-1)
    torch.testing.assert_close(m(center, context, neg), ref.mean(), rtol=0, atol=1e-12)


def test_model_size_checks():
    with pytest.raises(ValueError, match="d_model"):
        SkipGramNS(10, 0)
    with pytest.raises(ValueError, match="vocab_size"):
        SkipGramNS(1, 4)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"d_model": 0}, "d_model"),
        ({"epochs": 0}, "epochs"),
        ({"num_negatives": -1}, "num_negatives"),
        ({"batch_size": 1.5}, "batch_size"),
        ({"lr": float("nan")}, "lr"),
        ({"lr": -1.0}, "lr（学习率）必须是有限的正数，实际是 -1.0"),
        ({"lr": 0}, "lr（学习率）必须是有限的正数"),
        ({"lr": "0.1"}, "lr（学习率）必须是有限的正数"),
    ],
)
def test_train_rejects_bad_settings(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        train_word2vec(TOY, **kwargs)


def test_training_is_seeded_and_restores_threads():
    small = load_sentences()[:300]
    threads = torch.get_num_threads()
    a = train_word2vec(small, epochs=2, seed=3)
    b = train_word2vec(small, epochs=2, seed=3)
    c = train_word2vec(small, epochs=2, seed=4)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(a.vectors, b.vectors)
    assert a.epoch_losses == b.epoch_losses
    assert not np.array_equal(a.vectors, c.vectors)


def test_loss_goes_down(trained):
    losses = trained.epoch_losses
    assert all(b < a for a, b in zip(losses, losses[1:], strict=False))
    assert losses[-1] < 0.6 * losses[0]
    # at the start u = 0, so every logit is 0 and the loss is (1 + K) log 2
    assert losses[0] < 6 * math.log(2)


# the chapter's first five groups (the others are checked by the chapter itself)
GROUPS = {g: WORD_GROUPS[g] for g in ("水果", "动物", "颜色", "家人", "城市")}


def test_related_words_are_closer_than_unrelated(trained):
    """The chapter's claim: words of one kind end up closer than words of different kinds."""
    same, diff = group_similarity(trained.vectors, trained.vocab, GROUPS)
    assert same > diff + 0.3
    for group, words in GROUPS.items():
        others = [w for g, ws in GROUPS.items() if g != group for w in ws]
        for w in words:
            near = [n for n, _ in nearest_neighbours(trained.vectors, trained.vocab, w, k=3)]
            assert not set(near) & set(others), (w, near)
    vec = {w: trained.vectors[trained.vocab.index[w]] for w in ("苹果", "香蕉", "老虎")}
    cos = lambda a, b: a @ b / np.linalg.norm(a) / np.linalg.norm(b)  # noqa: E731
    assert cos(vec["苹果"], vec["香蕉"]) > cos(vec["苹果"], vec["老虎"]) + 0.3


def test_nearest_neighbours_against_torch(trained):
    res = nearest_neighbours(trained.vectors, trained.vocab, "猫", k=5)
    w = torch.tensor(trained.vectors)
    sims = F.cosine_similarity(w, w[trained.vocab.index["猫"]][None, :], dim=1)
    sims[trained.vocab.index["猫"]] = -2
    top = torch.topk(sims, 5)
    assert [n for n, _ in res] == [trained.vocab.words[i] for i in top.indices]
    np.testing.assert_allclose([s for _, s in res], top.values.numpy(), rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="不在词表里"):
        nearest_neighbours(trained.vectors, trained.vocab, "火星人")
    with pytest.raises(ValueError, match="k（近邻个数）"):
        nearest_neighbours(trained.vectors, trained.vocab, "猫", k=0)
    with pytest.raises(ValueError, match="两者应相等"):
        nearest_neighbours(trained.vectors[:10], trained.vocab, "猫")


def test_nearest_neighbours_rejects_zero_vectors():
    # it used to return the word itself with similarity nan
    vocab = build_vocab([["a", "b", "c"]])
    with pytest.raises(ValueError, match="vectors（词向量）里有零向量"):
        nearest_neighbours(np.zeros((3, 2)), vocab, "a", k=2)
    one_zero = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match="零向量"):
        nearest_neighbours(one_zero, vocab, "a", k=2)
    [(word, sim)] = nearest_neighbours(one_zero[[0, 2, 0]], vocab, "a", k=1)
    assert word == "c" and sim == pytest.approx(1.0)


def test_group_similarity_checks(trained):
    with pytest.raises(ValueError, match="至少需要两组"):
        group_similarity(trained.vectors, trained.vocab, {"水果": ["苹果", "香蕉"]})
    with pytest.raises(ValueError, match="每组至少要有两个词"):
        group_similarity(trained.vectors, trained.vocab, {"a": ["苹果"], "b": ["猫"]})


def test_pca_2d_shape_and_variance(trained):
    pts = pca_2d(trained.vectors)
    assert pts.shape == (len(trained.vocab), 2)
    np.testing.assert_allclose(pts.mean(axis=0), 0, atol=1e-12)
    assert pts[:, 0].var() >= pts[:, 1].var()


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def shipped():
    """The shipped word2vec vectors (float64) and the corpus vocabulary."""
    vectors = load_reference("word2vec").in_embed.weight.detach().numpy().copy()
    return vectors, build_vocab(load_sentences())


def _with(vectors, row, value):
    out = vectors.copy()
    out[row] = value
    return out


W2V_BAD = {
    # a NaN row used to drop silently out of the ranking; now it is refused
    "nan row": (
        lambda v, voc: nearest_neighbours(_with(v, 3, np.nan), voc, "苹果"),
        ValueError,
        "vectors（词向量）含有 NaN",
    ),
    "inf row": (
        lambda v, voc: nearest_neighbours(_with(v, 7, np.inf), voc, "苹果"),
        ValueError,
        "NaN 或无穷大",
    ),
    "length overflows": (
        lambda v, voc: nearest_neighbours(v * 1e300, voc, "苹果"),
        ValueError,
        "溢出",
    ),
    "k larger than the vocabulary": (
        lambda v, voc: nearest_neighbours(v, voc, "苹果", k=10**6),
        ValueError,
        "k（近邻个数）必须是 1 到 229 之间的整数",
    ),
    "one row": (lambda v, voc: nearest_neighbours(v[0], voc, "苹果"), ValueError, "二维"),
    "strings": (lambda v, voc: nearest_neighbours([["a"]], voc, "苹果"), ValueError, "数字"),
    "vocab a list": (lambda v, voc: nearest_neighbours(v, ["苹果"], "苹果"), TypeError, "Vocab"),
    "word a number": (lambda v, voc: nearest_neighbours(v, voc, 5), TypeError, "词必须是字符串"),
    "word of 100000 characters": (
        lambda v, voc: nearest_neighbours(v, voc, "猫" * 100_000),
        ValueError,
        "（共 100000 个字符）”不在词表里",
    ),
    "group empty": (
        lambda v, voc: group_similarity(v, voc, {"水果": ["苹果", "香蕉"], "空": []}),
        ValueError,
        "词组 “空” 应是非空的词列表",
    ),
    "groups a list": (
        lambda v, voc: group_similarity(v, voc, [["苹果"], ["猫"]]),
        TypeError,
        "groups（词组）必须是 dict",
    ),
    "groups with a nan vector": (
        lambda v, voc: group_similarity(_with(v, voc.index["猫"], np.nan), voc, WORD_GROUPS),
        ValueError,
        "NaN",
    ),
}


@pytest.mark.parametrize("call, error, fragment", W2V_BAD.values(), ids=W2V_BAD.keys())
def test_bad_vectors_and_words_are_refused_in_chinese(shipped, call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call(*shipped)
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


TRAIN_BAD = {
    "model negative vocabulary": (lambda: SkipGramNS(-1, 4), ValueError, "vocab_size（词表大小）"),
    "model huge": (lambda: SkipGramNS(10**7, 10**5), ValueError, "模型的参数个数太大了"),
    "10**9 epochs": (
        lambda: train_word2vec(TOY, epochs=10**9),
        ValueError,
        "epochs（训练轮数）必须是 1 到 1000 之间的整数",
    ),
    "10**9 negatives": (
        lambda: train_word2vec(TOY, num_negatives=10**9),
        ValueError,
        "num_negatives（负样本个数）必须是 1 到 100 之间的整数",
    ),
    "seed negative": (lambda: train_word2vec(TOY, seed=-1), ValueError, "seed 必须是不小于 0"),
    "seed string": (lambda: train_word2vec(TOY, seed="0"), ValueError, "seed"),
    "power nan": (
        lambda: negative_distribution(build_vocab(TOY), float("nan")),
        ValueError,
        "power（次数的幂）必须是有限的数",
    ),
    "power overflows": (
        lambda: negative_distribution(build_vocab(TOY * 2), 1e5),
        ValueError,
        "溢出",
    ),
    "pairs without a vocabulary": (lambda: skipgram_pairs(TOY, None), TypeError, "Vocab"),
    "a long sentence with one bad word": (
        lambda: build_vocab([["我"] * 50_000 + [""]]),
        ValueError,
        "第 1 句里有不是字符串或为空的词：''",
    ),
    "diverging": (lambda: train_word2vec(TOY * 5, lr=1e300), ValueError, "训练发散了"),
}


@pytest.mark.parametrize("call, error, fragment", TRAIN_BAD.values(), ids=TRAIN_BAD.keys())
def test_bad_training_settings_are_refused_in_chinese(call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_id_of_raises_value_and_type_errors_only():
    v = build_vocab(TOY)
    with pytest.raises(TypeError, match="词必须是字符串"):
        v.id_of(None)
    with pytest.raises(ValueError, match="“老虎”不在词表里"):
        v.id_of("老虎")
