"""性质测试（Hypothesis）：训练好的模型与实验（utils.models、utils.experiments）。

Property-based tests of the trained models and the experiments. For generated valid inputs:
Chinese numerals round-trip (every number 0–99999, every spelling), patchify and unpatchify
are inverse and patchify is a stride-p convolution's unfold, random_shift moves every image
by one of its allowed shifts (so it keeps the shape and loses at most the border's pixels),
the nearest neighbours are k distinct words sorted by cosine, parse_items reads back a list
of item names whatever the separators, group similarities are cosines in [-1, 1], and the
shipped models give finite probabilities. For generated invalid inputs (None, True, strings
with "<script>" or 100 000 characters, NaN and inf, zero, negative and huge sizes, floats
where integers belong, ragged lists, arrays and tensors of the wrong type or shape): only
ValueError or TypeError comes out, with a Chinese message shorter than MAX_MESSAGE, within
TIME_LIMIT seconds.

The shipped reference models (float64) are used instead of training; the examples are
derandomized and few (the "book" profile in conftest.py), so the file runs in seconds.
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import example, given, settings
from hypothesis import strategies as st

from utils._threads import torch_threads
from utils.experiments import embedding as emb
from utils.experiments import parallelism as par
from utils.experiments import scaling
from utils.models import char_lm, numerals, recommender, vit, word2vec
from utils.models.corpus import load_sentences
from utils.models.reference import load_reference, reference_info

CHINESE = re.compile(r"[\u4e00-\u9fff]")
TIME_LIMIT = 2.0  # seconds: a refusal comes before any work
MAX_MESSAGE = 300  # characters: a message never repeats a long input in full


# --------------------------------------------------------------------------- shared models


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One torch thread: the models here are tiny, and on a busy machine a second thread only
    waits (the timings below stay far from their bounds)."""
    with torch_threads(1):
        yield


@pytest.fixture(scope="module")
def models():
    """The five shipped reference models (float64, eval mode) and what goes with them."""
    w2v = load_reference("word2vec")
    return {
        "numerals": load_reference("numerals"),
        "char_lm": load_reference("char_lm"),
        "sasrec": load_reference("sasrec"),
        "vit": load_reference("vit"),
        "vectors": w2v.in_embed.weight.detach().numpy().copy(),
        "vocab": word2vec.build_vocab(load_sentences()),
    }


# The corpus vocabulary without loading a model (for strategies, which run at import time).
VOCAB = word2vec.build_vocab(load_sentences())
CHAR_VOCAB = char_lm.CharVocab("\n".join("".join(s) for s in load_sentences()))
PROMPT_CHARS = [c for c in CHAR_VOCAB.chars if c != "\n"]


# --------------------------------------------------------------------------- valid inputs


@given(st.integers(0, numerals.MAX_NUMBER))
def test_every_spelling_of_every_number_round_trips(n):
    canonical = numerals.int_to_chinese(n)
    assert canonical == numerals.reference_spelling(n)
    assert numerals.int_to_chinese(n, liang=True) in numerals.spellings(n)
    for text in numerals.spellings(n):
        assert numerals.chinese_to_int(text) == n
        assert numerals.chinese_to_int(f" {text}\n") == n  # surrounding spaces are ignored
    assert numerals.decode_target(numerals.encode_target([n])[0]) == str(n)


@settings(max_examples=5)
@given(st.lists(st.integers(0, numerals.MAX_NUMBER), min_size=1, max_size=4))
def test_the_shipped_translator_answers_with_digits(models, numbers):
    texts = [numerals.int_to_chinese(n) for n in numbers]
    out = numerals.translate(models["numerals"], texts)
    assert len(out) == len(texts)
    assert all(o.isdigit() and len(o) <= numerals.MAX_TARGET_LEN for o in out)


@given(
    batch=st.integers(1, 3),
    channels=st.integers(1, 3),
    rows=st.integers(1, 4),
    cols=st.integers(1, 4),
    p=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_patchify_is_the_unfold_of_a_stride_p_convolution(batch, channels, rows, cols, p, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, rows * p, cols * p, generator=g, dtype=torch.float64)
    patches = vit.patchify(x, p)  # (batch, rows·cols, C·p·p)
    assert patches.shape == (batch, rows * cols, channels * p * p)
    # the convolution's own unfold: (batch, C·p·p, L) with the same (channel, row, col) order
    assert torch.equal(patches, F.unfold(x, kernel_size=p, stride=p).transpose(1, 2))
    assert torch.equal(vit.unpatchify(patches, p, channels, rows * p), x)
    weight = torch.randn(5, channels, p, p, generator=g, dtype=torch.float64)
    conv = F.conv2d(x, weight, stride=p).flatten(2).transpose(1, 2)  # (batch, L, 5)
    torch.testing.assert_close(patches @ weight.flatten(1).T, conv)


@given(
    batch=st.integers(1, 6),
    size=st.integers(2, 8),
    max_shift=st.integers(0, 3),
    prob=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**16),
)
def test_random_shift_moves_each_image_by_an_allowed_shift(batch, size, max_shift, prob, seed):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, 2, size, size, generator=g, dtype=torch.float64)  # pixels ≥ 0
    m = min(max_shift, size)
    out = vit.random_shift(x, m, prob=prob, generator=g)
    assert out.shape == x.shape and out.dtype == x.dtype
    padded = F.pad(x, (m, m, m, m))
    for i in range(batch):
        candidates = [
            padded[i, :, m - dy : m - dy + size, m - dx : m - dx + size]
            for dy in range(-m, m + 1)
            for dx in range(-m, m + 1)
        ]
        assert any(torch.equal(out[i], c) for c in candidates)
    # so the sum can only lose the pixels within m of the border
    inner = x[:, :, m : size - m, m : size - m].sum(dim=(1, 2, 3))
    total = out.sum(dim=(1, 2, 3))
    assert (total <= x.sum(dim=(1, 2, 3)) + 1e-12).all() and (total >= inner - 1e-12).all()


@given(word=st.sampled_from(VOCAB.words), k=st.integers(1, 20), power=st.integers(-30, 30))
def test_nearest_neighbours_are_k_distinct_words_sorted_by_cosine(models, word, k, power):
    vectors, vocab = models["vectors"], models["vocab"]
    near = word2vec.nearest_neighbours(vectors, vocab, word, k)
    words = [w for w, _ in near]
    sims = [s for _, s in near]
    assert len(words) == len(set(words)) == k and word not in words
    assert all(a >= b for a, b in zip(sims, sims[1:], strict=False))
    v = vectors[vocab.index[word]]
    for w, s in near:
        u = vectors[vocab.index[w]]
        assert s == pytest.approx(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)), abs=1e-12)
        assert -1 - 1e-12 <= s <= 1 + 1e-12
    # a cosine does not see the length: scaling every vector by 2**power changes nothing
    assert word2vec.nearest_neighbours(vectors * 2.0**power, vocab, word, k) == near


@given(
    st.lists(st.lists(st.sampled_from(VOCAB.words), min_size=1, max_size=5), min_size=2, max_size=4)
)
def test_group_similarities_are_cosines(models, groups):
    groups[0] = groups[0] + [VOCAB.words[0]]  # at least one pair inside a group
    named = {f"组{i}": g for i, g in enumerate(groups)}
    same, other = word2vec.group_similarity(models["vectors"], models["vocab"], named)
    assert math.isfinite(same) and math.isfinite(other)
    assert -1 - 1e-12 <= same <= 1 + 1e-12 and -1 - 1e-12 <= other <= 1 + 1e-12


SEPARATOR = st.sampled_from(["，", ",", "、", "→", ";", "；", " ", "\n", " ， ", "→ "])


@given(
    names=st.lists(st.sampled_from(recommender.ITEMS), min_size=1, max_size=7),
    separators=st.lists(SEPARATOR, min_size=7, max_size=7),
    before=st.sampled_from(["", " ", "\n", "，"]),
    after=st.sampled_from(["", " ", "\n", "，"]),
)
def test_parse_items_reads_back_any_list_of_names(names, separators, before, after):
    # name, separator, name, …: any of the separators a reader may type, spaces around
    text = names[0] + "".join(s + n for s, n in zip(separators, names[1:], strict=False))
    text = before + text + after
    assert recommender.parse_items(text) == [recommender.ITEM_ID[n] for n in names]


@settings(max_examples=10)
@given(
    batch=st.integers(1, 3),
    integer=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_the_shipped_vit_gives_probabilities(models, batch, integer, seed):
    g = torch.Generator().manual_seed(seed)
    if integer:  # scikit-learn's raw pixels 0..16
        x = torch.randint(0, 17, (batch, 1, 8, 8), generator=g)
    else:
        x = torch.rand(batch, 1, 8, 8, generator=g)
    logits = vit.predict(models["vit"], x)
    assert logits.shape == (batch, 10) and logits.isfinite().all()
    maps = vit.cls_attention(models["vit"], x)
    assert (maps >= 0).all() and (maps.sum(dim=(1, 2)) <= 1 + 1e-12).all()
    t = vit.trace(models["vit"], x[0])
    torch.testing.assert_close(t.probs.sum(), torch.tensor(1.0, dtype=t.probs.dtype))


@settings(max_examples=8)
@given(
    prompt=st.lists(st.sampled_from(PROMPT_CHARS), min_size=1, max_size=8).map("".join),
    num_chars=st.integers(1, 3),
)
def test_the_shipped_char_lm_gives_probabilities(models, prompt, num_chars):
    steps = char_lm.generation_steps(models["char_lm"], prompt, num_chars, top_k=5)
    assert len(steps) == num_chars
    for s in steps:
        assert all(0 <= p <= 1 for p in s.top_probs) and s.top_probs == sorted(s.top_probs)[::-1]
        assert np.isfinite(s.attention).all() and s.attention.sum() == pytest.approx(1.0)
        assert s.chosen == s.top_chars[0]
    text = char_lm.generate(models["char_lm"], prompt, num_chars)
    assert text == "".join(s.chosen for s in steps)


@settings(max_examples=20)
@given(
    session=st.lists(st.integers(0, len(recommender.ITEMS) - 1), min_size=1, max_size=7),
    k=st.integers(1, len(recommender.ITEMS)),
)
def test_the_shipped_recommender_gives_probabilities(models, session, k):
    r = recommender.recommend(models["sasrec"], session, k=k)
    assert len(r.top_items) == len(set(r.top_items)) == k
    assert all(0 <= p <= 1 for p in r.top_probs) and r.top_probs == sorted(r.top_probs)[::-1]
    assert np.allclose(r.layer_attention.sum(axis=1), 1.0)
    assert recommender.chain_next(session) in (None, *range(recommender.NUM_CHAIN_ITEMS))


@given(
    scores=st.lists(st.floats(-1e6, 1e6), min_size=6, max_size=6),
    targets=st.lists(st.integers(0, 5), min_size=1, max_size=5),
    k=st.integers(1, 6),
)
def test_hit_rate_and_confusion_matrix_count_what_they_should(scores, targets, k):
    hr = recommender.hit_rate(torch.tensor(scores), targets, k=k)
    assert 0.0 <= hr <= 1.0
    top = set(torch.tensor(scores).topk(k).indices.tolist())
    assert hr == pytest.approx(sum(t in top for t in targets) / len(targets))
    cm = vit.confusion_matrix(targets, targets[::-1], num_classes=6)
    assert int(cm.sum()) == len(targets)


# --------------------------------------------------------------------------- invalid inputs

LONG = "一" * 100_000
JUNK_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    -(10**9),
    10**9,
    10**30,
    2**63,
    0.5,
    3.0,
    -0.0,
    1e308,
    float("nan"),
    float("inf"),
    float("-inf"),
    "",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\x00\u200b\n",
    "𠀀𠀁",
    LONG,
    [],
    [None],
    [1.5],
    ["a"],
    [[1, 2], [3]],
    {"a": 1},
    np.array([np.nan]),
    np.zeros(0),
    np.zeros((2, 3, 4, 5, 6)),
    np.array(["a", "b"]),
    np.array([1 + 2j]),
    torch.tensor([float("nan")]),
    torch.zeros(0),
    torch.zeros(3, dtype=torch.bool),
    torch.zeros(2, 1, 8, 8, dtype=torch.complex64),
    torch.full((2, 1, 8, 8), float("nan")),
]
JUNK = st.one_of(
    st.sampled_from(JUNK_VALUES),
    st.text(max_size=30),
    st.integers(max_value=0),
    st.integers(min_value=10**7),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda f: not f.is_integer()),
)

# Small valid arguments for everything but the argument under test
TOY = [["我", "喜欢", "苹果"], ["我", "喜欢", "香蕉"], ["猫", "喜欢", "鱼"]] * 3
TOY_TEXT = "我喜欢吃苹果\n你喜欢吃香蕉\n我们去公园\n他们去学校\n我喜欢猫\n你喜欢狗" * 3
IMAGES = torch.rand(2, 1, 8, 8, generator=torch.Generator().manual_seed(0))
SESSIONS = recommender.make_sessions(12, seed=0)
SPLIT = vit.DigitsSplit(
    IMAGES.repeat(6, 1, 1, 1), torch.arange(12) % 10, IMAGES, torch.tensor([0, 1]),
    torch.tensor([0, 1]),
)  # fmt: skip
TINY_NUMERALS = dict(d_model=8, num_heads=2, d_ff=8, batch_size=4, num_encoder_layers=1,
                     num_decoder_layers=1, steps=1)  # fmt: skip
TINY_LM = dict(steps=1, block_size=8, d_model=8, num_heads=2, d_ff=8, batch=2)
TINY_REC = dict(epochs=1, d_model=8, num_heads=2, num_layers=1)
TINY_VIT = dict(epochs=1, d_model=8, num_heads=2, num_layers=1, d_ff=8, eval_every=1)


def _targets():
    """(name, call(models, junk)): every public entry point of utils.models and
    utils.experiments, with the junk in one argument and small valid values elsewhere."""
    N, W, C, R, V = numerals, word2vec, char_lm, recommender, vit
    return {
        # numerals
        "chinese_to_int": lambda m, j: N.chinese_to_int(j),
        "int_to_chinese": lambda m, j: N.int_to_chinese(j),
        "int_to_chinese liang": lambda m, j: N.int_to_chinese(2000, liang=j),
        "spellings": lambda m, j: N.spellings(j),
        "encode_source": lambda m, j: N.encode_source(j),
        "encode_target": lambda m, j: N.encode_target(j),
        "encode_target item": lambda m, j: N.encode_target([305, j]),
        "decode_target": lambda m, j: N.decode_target(j),
        "split_numbers": lambda m, j: N.split_numbers(j),
        "split_numbers seed": lambda m, j: N.split_numbers(seed=j),
        "sampler numbers": lambda m, j: N.NumeralSampler(j),
        "sampler zero_prob": lambda m, j: N.NumeralSampler([1, 2], zero_prob=j),
        "sampler batch": lambda m, j: N.NumeralSampler([1, 2]).batch(j),
        "translate texts": lambda m, j: N.translate(m["numerals"], j),
        "translate model": lambda m, j: N.translate(j, ["三"]),
        "exact_match numbers": lambda m, j: N.exact_match(m["numerals"], j),
        "train_numeral steps": lambda m, j: N.train_numeral_model(**{**TINY_NUMERALS, "steps": j}),
        "train_numeral d_model": lambda m, j: N.train_numeral_model(
            **{**TINY_NUMERALS, "d_model": j}
        ),
        # word2vec
        "id_of": lambda m, j: m["vocab"].id_of(j),
        "nearest vectors": lambda m, j: W.nearest_neighbours(j, m["vocab"], "苹果"),
        "nearest word": lambda m, j: W.nearest_neighbours(m["vectors"], m["vocab"], j),
        "nearest k": lambda m, j: W.nearest_neighbours(m["vectors"], m["vocab"], "苹果", j),
        "group_similarity": lambda m, j: W.group_similarity(m["vectors"], m["vocab"], j),
        "build_vocab": lambda m, j: W.build_vocab(j),
        "negative power": lambda m, j: W.negative_distribution(m["vocab"], j),
        "SkipGramNS": lambda m, j: W.SkipGramNS(j, 4),
        "train_word2vec epochs": lambda m, j: W.train_word2vec(TOY, epochs=j),
        "train_word2vec d_model": lambda m, j: W.train_word2vec(TOY, epochs=1, d_model=j),
        "train_word2vec window": lambda m, j: W.train_word2vec(TOY, epochs=1, window=j),
        "train_word2vec seed": lambda m, j: W.train_word2vec(TOY, epochs=1, seed=j),
        # char LM
        "generate prompt": lambda m, j: C.generate(m["char_lm"], j, 2),
        "generate num_chars": lambda m, j: C.generate(m["char_lm"], "我", j),
        "generate temperature": lambda m, j: C.generate(
            m["char_lm"], "我", 2, greedy=False, temperature=j
        ),
        "generate seed": lambda m, j: C.generate(m["char_lm"], "我", 2, greedy=False, seed=j),
        "steps num_chars": lambda m, j: C.generation_steps(m["char_lm"], "我", j),
        "steps top_k": lambda m, j: C.generation_steps(m["char_lm"], "我", 1, top_k=j),
        "vocab decode": lambda m, j: m["char_lm"].vocab.decode(j),
        "vocab encode": lambda m, j: m["char_lm"].vocab.encode(j),
        "CharLM forward": lambda m, j: m["char_lm"](j),
        "CharLM size": lambda m, j: C.CharLM(10, d_model=8, num_heads=2, max_len=j),
        # (the 100,000 characters of LONG are a valid text: evaluated on 1,000, not in full)
        "model_loss": lambda m, j: C.model_loss(m["char_lm"], j[:1000] if j is LONG else j),
        "ngram block": lambda m, j: C.ngram_loss(TOY_TEXT, TOY_TEXT, CHAR_VOCAB, n=1, block_size=j),
        "split_sentences": lambda m, j: C.split_sentences(TOY_TEXT, held_out=j),
        "train_char_lm steps": lambda m, j: C.train_char_lm(TOY_TEXT, **{**TINY_LM, "steps": j}),
        "train_char_lm lr": lambda m, j: C.train_char_lm(TOY_TEXT, **TINY_LM, lr=j),
        # recommender
        "next_in_chain": lambda m, j: R.next_in_chain(j),
        "chain_next": lambda m, j: R.chain_next(j),
        "parse_items": lambda m, j: R.parse_items(j),
        "recommend session": lambda m, j: R.recommend(m["sasrec"], j),
        "recommend k": lambda m, j: R.recommend(m["sasrec"], [1, 2], k=j),
        "SASRec forward": lambda m, j: m["sasrec"](j),
        "next_item_scores": lambda m, j: R.next_item_scores(m["sasrec"], j),
        "hit_rate scores": lambda m, j: R.hit_rate(j, [1, 2]),
        "hit_rate targets": lambda m, j: R.hit_rate(torch.zeros(2, 5), j, k=1),
        "popularity": lambda m, j: R.popularity_scores(j),
        "make_sessions users": lambda m, j: R.make_sessions(j),
        "make_sessions p_chain": lambda m, j: R.make_sessions(5, p_chain=j),
        "split_users": lambda m, j: R.split_users(SESSIONS, test_fraction=j),
        "chain_next_share": lambda m, j: R.chain_next_share(j),
        "attention_on_chain layer": lambda m, j: R.attention_on_chain_items(
            m["sasrec"], SESSIONS, layer=j
        ),
        "SASRec size": lambda m, j: R.SASRec(d_model=8, num_heads=2, max_len=j),
        "train_sasrec sessions": lambda m, j: R.train_sasrec(j, **TINY_REC),
        "train_sasrec epochs": lambda m, j: R.train_sasrec(SESSIONS, **{**TINY_REC, "epochs": j}),
        # ViT
        "patchify images": lambda m, j: V.patchify(j, 2),
        "patchify size": lambda m, j: V.patchify(IMAGES, j),
        "unpatchify": lambda m, j: V.unpatchify(V.patchify(IMAGES, 2), j, 1, 8),
        "predict": lambda m, j: V.predict(m["vit"], j),
        "accuracy labels": lambda m, j: V.accuracy(m["vit"], IMAGES, j),
        "cls_attention images": lambda m, j: V.cls_attention(m["vit"], j),
        "cls_attention head": lambda m, j: V.cls_attention(m["vit"], IMAGES, head=j),
        "trace": lambda m, j: V.trace(m["vit"], j),
        "random_shift shift": lambda m, j: V.random_shift(IMAGES, j),
        "random_shift prob": lambda m, j: V.random_shift(IMAGES, 1, prob=j),
        "shuffle_patches": lambda m, j: V.shuffle_patches(IMAGES, 2, j),
        "confusion_matrix": lambda m, j: V.confusion_matrix(j, [1, 2]),
        "position_similarity": lambda m, j: V.position_similarity(j),
        "neighbour_similarity": lambda m, j: V.neighbour_similarity(torch.eye(16), j),
        "ViT size": lambda m, j: V.ViT(d_model=8, num_heads=2, num_layers=1, image_size=j),
        "ViT position": lambda m, j: V.ViT(d_model=8, num_heads=2, num_layers=1, position=j),
        "drop_patches": lambda m, j: V.drop_patches(torch.zeros(1, 5, 4), j),
        "load_digits_split": lambda m, j: V.load_digits_split(test_size=j),
        "train_vit epochs": lambda m, j: V.train_vit(SPLIT, **{**TINY_VIT, "epochs": j}),
        "train_vit warmup": lambda m, j: V.train_vit(SPLIT, **TINY_VIT, warmup=j),
        # (None is valid there: the whole digits data set, a real training)
        "train_vit split": lambda m, j: j is None or V.train_vit(j, **TINY_VIT),
        "vit_parameter_count": lambda m, j: V.vit_parameter_count(
            image_size=8,
            patch_size=2,
            in_channels=1,
            d_model=j,
            num_layers=1,
            d_ff=4,
            num_classes=2,
        ),  # fmt: skip
        # reference models and the experiments
        "load_reference": lambda m, j: load_reference(j),
        "reference_info": lambda m, j: reference_info(j),
        "dot_product_variance": lambda m, j: scaling.dot_product_variance(j, n_samples=10),
        "variance samples": lambda m, j: scaling.dot_product_variance([4], n_samples=j),
        "softmax_jacobian_norm": lambda m, j: scaling.softmax_jacobian_norm(j),
        "softmax_saturation": lambda m, j: scaling.softmax_saturation([4], n_keys=j),
        "conv_output_depends_on": lambda m, j: scaling.conv_output_depends_on(j, seq_len=10),
        "one_hot_encode": lambda m, j: emb.one_hot_encode(j),
        "memory_rows": lambda m, j: emb.memory_rows(j),
        "first_layer_params": lambda m, j: emb.first_layer_params(j, 8, 2, 4),
        "lookup ids": lambda m, j: emb.lookup_vs_matmul(j, np.eye(3)),
        "lookup weight": lambda m, j: emb.lookup_vs_matmul([0, 1], j),
        "image_patches": lambda m, j: emb.image_patches(j, 2),
        "leave_one_out_1nn": lambda m, j: emb.leave_one_out_1nn(j, [0, 1]),
        "factorise ratings": lambda m, j: emb.factorise_ratings(j, steps=2),
        "factorise lr": lambda m, j: emb.factorise_ratings(np.eye(3), steps=2, lr=j),
        "StepRNN forward": lambda m, j: par.StepRNN(4)(j),
        "graph_depth": lambda m, j: par.graph_depth(j),
        "dependency_depths": lambda m, j: par.dependency_depths(j, d_model=4),
        "flop_counts": lambda m, j: par.flop_counts(j, 8),
        "time_rnn_vs_attention": lambda m, j: par.time_rnn_vs_attention(8, 8, repeats=j),
    }


TARGETS = _targets()


@pytest.mark.parametrize("name", TARGETS)
@settings(max_examples=6)
@given(junk=JUNK)
# the classes of the sweep in issue 16, always tried; Hypothesis adds generated ones
@example(junk=LONG)
@example(junk="<script>alert(1)</script>")
@example(junk=None)
@example(junk=-1)
@example(junk=10**9)
@example(junk=1.5)
@example(junk=float("nan"))
@example(junk=[1.5])
def test_invalid_input_gives_only_a_short_chinese_value_or_type_error(models, name, junk):
    threads = torch.get_num_threads()
    start = time.perf_counter()
    try:
        TARGETS[name](models, junk)  # some junk is valid for some arguments: then no error
    except (ValueError, TypeError) as err:  # anything else fails the test
        elapsed = time.perf_counter() - start
        message = str(err)
        assert CHINESE.search(message), f"{name}: not Chinese: {message[:200]!r}"
        assert len(message) < MAX_MESSAGE, f"{name}: {len(message)} characters"
        assert elapsed < TIME_LIMIT, f"{name} took {elapsed:.1f} s to refuse {junk!r:.80}"
    assert torch.get_num_threads() == threads
