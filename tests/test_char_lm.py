"""字符级语言模型（utils/models/char_lm.py）：与 PyTorch 对照，以及第 5 章声称的性质。"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from utils.models.char_lm import (
    CharLM,
    CharVocab,
    generate,
    generation_steps,
    model_loss,
    ngram_loss,
    split_sentences,
    train_char_lm,
)
from utils.models.corpus import load_text
from utils.models.reference import load_reference

TOY = "我喜欢吃苹果\n你喜欢吃香蕉\n我们去公园\n他们去学校\n我喜欢猫\n你喜欢狗"


@pytest.fixture(scope="module")
def text():
    return load_text()


@pytest.fixture(scope="module")
def trained(text):
    """The chapter's model, trained with the chapter's settings."""
    return train_char_lm(text, seed=0)


@pytest.fixture(scope="module")
def reference():
    """The chapter's reference model (float64), which the chapter's analysis uses."""
    return load_reference("char_lm")


def test_vocab_round_trip_and_chinese_errors():
    v = CharVocab(TOY)
    assert v.decode(v.encode("我喜欢猫")) == "我喜欢猫"
    assert len(v) == len(set(TOY)) and v.chars == sorted(set(TOY))
    with pytest.raises(ValueError, match="不在语料的字表里.*“x”"):
        v.encode("我x")
    with pytest.raises(ValueError, match="非空"):
        CharVocab("")


def test_split_sentences_is_a_partition():
    train, test = split_sentences(TOY, held_out=0.34, seed=0)
    a, b = train.split("\n"), test.split("\n")
    assert sorted(a + b) == sorted(TOY.split("\n")) and not set(a) & set(b)
    assert len(b) == 2
    assert split_sentences(TOY, held_out=0.34, seed=0) == (train, test)
    with pytest.raises(ValueError, match="留出比例"):
        split_sentences(TOY, held_out=1.5)
    with pytest.raises(ValueError, match="两句不同的话"):
        split_sentences("我喜欢猫\n我喜欢猫", held_out=0.5)


def test_held_out_sentences_never_occur_in_training(text):
    """The corpus repeats sentences; every copy of a held-out sentence stays out of training."""
    dup = "我喜欢猫\n你喜欢狗\n我喜欢猫\n他们去学校\n我喜欢猫"
    train, test = split_sentences(dup, held_out=0.34, seed=0)
    a, b = train.split("\n"), test.split("\n")
    assert len(b) == 1 and not set(a) & set(b)  # 1 of the 3 distinct sentences
    assert sorted(a + b * dup.split("\n").count(b[0])) == sorted(dup.split("\n"))

    sentences = text.split("\n")
    assert len(set(sentences)) < len(sentences)  # the real corpus does repeat sentences
    train, test = split_sentences(text, held_out=0.1, seed=0)
    held = test.split("\n")
    assert len(held) == round(0.1 * len(set(sentences))) == len(set(held))
    assert not set(train.split("\n")) & set(held)


def _torch_reference(model: CharLM) -> nn.Module:
    """The same model written with torch.nn.TransformerEncoder, weights copied."""
    layer = nn.TransformerEncoderLayer(
        model.d_model,
        model.blocks.layers[0].self_attn.num_heads,
        model.blocks.layers[0].ff.linear1.out_features,
        dropout=0.0,
        batch_first=True,
        norm_first=True,
        dtype=torch.float64,
    )
    enc = nn.TransformerEncoder(
        layer,
        len(model.blocks.layers),
        norm=nn.LayerNorm(model.d_model, dtype=torch.float64),
        enable_nested_tensor=False,
    )
    for ours, theirs in zip(model.blocks.layers, enc.layers, strict=True):
        with torch.no_grad():
            theirs.self_attn.in_proj_weight.copy_(
                torch.cat([ours.self_attn.w_q.weight, ours.self_attn.w_k.weight,
                           ours.self_attn.w_v.weight])
            )  # fmt: skip
            theirs.self_attn.in_proj_bias.copy_(
                torch.cat([ours.self_attn.w_q.bias, ours.self_attn.w_k.bias,
                           ours.self_attn.w_v.bias])
            )  # fmt: skip
            theirs.self_attn.out_proj.load_state_dict(ours.self_attn.w_o.state_dict())
            theirs.linear1.load_state_dict(ours.ff.linear1.state_dict())
            theirs.linear2.load_state_dict(ours.ff.linear2.state_dict())
            theirs.norm1.load_state_dict(ours.norm1.state_dict())
            theirs.norm2.load_state_dict(ours.norm2.state_dict())
    enc.norm.load_state_dict(model.blocks.norm.state_dict())

    def forward(tokens):
        T = tokens.shape[1]
        x = model.embed.embedding(tokens) * math.sqrt(model.d_model) + model.pos.weight[:T]
        mask = nn.Transformer.generate_square_subsequent_mask(T, dtype=torch.float64)
        return model.head(enc(x, mask=mask, is_causal=True))

    return forward


def test_charlm_matches_torch_transformer_encoder():
    torch.manual_seed(0)
    model = CharLM(20, d_model=16, num_heads=4, num_layers=2, d_ff=32, max_len=10).double()
    ref = _torch_reference(model)
    tokens = torch.randint(0, 20, (3, 10))
    with torch.no_grad():
        assert torch.allclose(model(tokens), ref(tokens), atol=1e-10, rtol=0)


def test_charlm_is_causal_and_keeps_attention():
    torch.manual_seed(0)
    model = CharLM(20, d_model=16, num_heads=2, max_len=8)
    a = torch.randint(0, 20, (2, 8))
    b = a.clone()
    b[:, 5:] = (b[:, 5:] + 1) % 20  # change the future only
    with torch.no_grad():
        la, lb = model(a), model(b)
    assert torch.allclose(la[:, :5], lb[:, :5]) and not torch.allclose(la[:, 5:], lb[:, 5:])
    w = model.attention(0)
    assert w.shape == (2, 2, 8, 8)
    assert bool((w.triu(1) == 0).all())
    with pytest.raises(ValueError, match="max_len"):
        model(torch.zeros(1, 9, dtype=torch.long))


def test_ngram_losses_against_torch_cross_entropy():
    v = CharVocab(TOY)
    train, test = TOY, TOY
    block = 4
    ids = torch.tensor(v.encode(test))
    n = len(ids) // block
    windows = ids[: n * block].view(n, block)
    prev, target = windows[:, :-1].reshape(-1), windows[:, 1:].reshape(-1)
    counts = torch.bincount(torch.tensor(v.encode(train)), minlength=len(v)).double()
    uni_logp = torch.log((counts + 1) / (counts.sum() + len(v)))
    expected_uni = F.cross_entropy(uni_logp.expand(len(target), -1), target).item()
    assert ngram_loss(train, test, v, n=1, block_size=block) == pytest.approx(expected_uni, 1e-12)
    pair = torch.zeros(len(v), len(v), dtype=torch.float64)
    tr = torch.tensor(v.encode(train))
    pair.index_put_((tr[:-1], tr[1:]), torch.ones(len(tr) - 1, dtype=torch.float64), True)
    bi_logp = torch.log((pair + 1) / (counts.unsqueeze(1) + len(v)))
    expected_bi = F.cross_entropy(bi_logp[prev], target).item()
    assert ngram_loss(train, test, v, n=2, block_size=block) == pytest.approx(expected_bi, 1e-12)
    with pytest.raises(ValueError, match="一元"):
        ngram_loss(train, test, v, n=3, block_size=block)


def test_training_is_reproducible():
    a, ha, _ = train_char_lm(TOY * 5, seed=3, steps=5, block_size=8, d_model=16)
    b, hb, _ = train_char_lm(TOY * 5, seed=3, steps=5, block_size=8, d_model=16)
    assert ha.losses == hb.losses
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


TRAIN_BAD = {
    "log_every 0": (dict(log_every=0), "log_every 必须是正整数，实际是 0"),
    "steps 0": (dict(steps=0), "steps 必须是 1 到 20000 之间的整数"),
    "batch float": (dict(batch=2.5), "batch 必须是 1 到 4096 之间的整数"),
    "lr negative": (dict(lr=-1), "lr（学习率）必须是有限的正数，实际是 -1"),
    "lr zero": (dict(lr=0.0), "lr（学习率）必须是有限的正数"),
    "lr nan": (dict(lr=float("nan")), "lr（学习率）必须是有限的正数"),
    "d_model 0": (dict(d_model=0), "d_model（向量维度）必须是正整数"),
}


@pytest.mark.parametrize("kwargs, fragment", TRAIN_BAD.values(), ids=TRAIN_BAD.keys())
def test_training_rejects_bad_settings_in_chinese(kwargs, fragment):
    threads = torch.get_num_threads()
    with pytest.raises(ValueError, match=fragment):
        train_char_lm(TOY * 5, steps=kwargs.pop("steps", 2), block_size=8, **kwargs)
    assert torch.get_num_threads() == threads  # restored even when the model cannot be built


def test_training_returns_model_history_seconds(trained):
    model, history, seconds = trained
    assert isinstance(model, CharLM) and seconds > 0
    assert history.steps[-1] == 250 and history.losses[-1] < history.losses[0] / 2


def test_model_beats_unigram_and_bigram_on_held_out(text, trained):
    model = trained[0]
    train, test = split_sentences(text, held_out=0.1, seed=0)
    ours = model_loss(model, test)
    bi = ngram_loss(train, test, model.vocab, n=2, block_size=model.max_len)
    uni = ngram_loss(train, test, model.vocab, n=1, block_size=model.max_len)
    assert ours < bi - 1.0 < uni


def test_generation_is_deterministic_and_uses_corpus_chars(reference):
    model = reference
    out = generate(model, "我喜欢", 16)
    assert out == generate(model, "我喜欢", 16) and len(out) == 16
    assert all(c in model.vocab for c in out)
    s1 = generate(model, "我喜欢", 16, greedy=False, seed=1)
    assert s1 == generate(model, "我喜欢", 16, greedy=False, seed=1)
    with pytest.raises(ValueError, match="空"):
        generate(model, "", 3)
    with pytest.raises(ValueError, match="字表"):
        generate(model, "abc", 3)
    with pytest.raises(ValueError, match="温度"):
        generate(model, "我", 3, greedy=False, temperature=0)


def test_generation_steps_agree_with_generate(reference):
    model = reference
    steps = generation_steps(model, "今天", 8)
    assert "".join(s.chosen for s in steps) == generate(model, "今天", 8)
    for t, s in enumerate(steps):
        assert len(s.context) == 2 + t == len(s.attention)
        assert s.attention.sum() == pytest.approx(1.0, abs=1e-5)
        assert s.chosen == s.top_chars[0]
        assert s.top_probs == sorted(s.top_probs, reverse=True)
    with pytest.raises(ValueError, match="开头太长"):
        generation_steps(model, "我" * 20, 10)


def test_parallel_forward_equals_step_by_step(reference):
    model = reference
    seq = torch.tensor([model.vocab.encode("我喜欢吃香蕉和苹果")])
    with torch.no_grad():
        once = model(seq)[0]
        steps = torch.stack([model(seq[:, : t + 1])[0, -1] for t in range(seq.shape[1])])
    assert torch.allclose(once, steps, atol=1e-4)
    assert np.isfinite(once.numpy()).all()


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")

LM_BAD = {
    # a generation length of 10**7 used to run for days; refused before the first step
    "generate 10**7": (
        lambda m: generate(m, "我", 10**7),
        ValueError,
        "num_chars（生成的字数）必须是 1 到 1000 之间的整数",
    ),
    "steps 10**7": (
        lambda m: generation_steps(m, "我", 10**7),
        ValueError,
        "num_chars（生成的字数）必须是 1 到 24 之间的整数",
    ),
    "top_k 0": (lambda m: generation_steps(m, "我", 2, top_k=0), ValueError, "top_k"),
    "top_k larger than the vocabulary": (
        lambda m: generation_steps(m, "我", 2, top_k=10**6),
        ValueError,
        "top_k（显示几个候选）必须是 1 到",
    ),
    "temperature a string": (
        lambda m: generate(m, "我", 3, greedy=False, temperature="1"),
        ValueError,
        "temperature（温度）",
    ),
    "temperature inf": (
        lambda m: generate(m, "我", 3, greedy=False, temperature=float("inf")),
        ValueError,
        "temperature（温度）",
    ),
    "greedy a string": (lambda m: generate(m, "我", 3, greedy="no"), TypeError, "True 或 False"),
    "seed negative": (lambda m: generate(m, "我", 3, greedy=False, seed=-1), ValueError, "seed"),
    "model None": (lambda m: generate(None, "我", 3), TypeError, "model 必须是 CharLM"),
    "prompt a number": (lambda m: generate(m, 5, 3), TypeError, "开头（prompt）必须是字符串"),
    "a page of unknown characters": (
        lambda m: generate(m, "".join(chr(0x3400 + i) for i in range(5000)), 3),
        ValueError,
        "等 5000 种字符",
    ),
    "decode id out of range": (lambda m: m.vocab.decode([10**6]), ValueError, "ids（字的编号）"),
    "decode id -1": (lambda m: m.vocab.decode([-1]), ValueError, "实际有 -1"),
    "forward a list": (lambda m: m([[1, 2]]), TypeError, "tokens 必须是整数张量"),
    "forward nothing": (lambda m: m(torch.zeros(1, 0, dtype=torch.long)), ValueError, "空"),
    "model_loss without a vocabulary": (
        lambda m: model_loss(CharLM(5, d_model=8, num_heads=2), "abc"),
        ValueError,
        "模型没有字表",
    ),
}


@pytest.mark.parametrize("call, error, fragment", LM_BAD.values(), ids=LM_BAD.keys())
def test_bad_input_to_the_model_is_refused_in_chinese(reference, call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call(reference)
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


OTHER_BAD = {
    "negative vocabulary": (lambda: CharLM(-1), ValueError, "vocab_size（字表大小）必须是正整数"),
    "negative d_model": (lambda: CharLM(10, d_model=-4), ValueError, "d_model（向量维度）"),
    "negative max_len": (lambda: CharLM(10, max_len=-1), ValueError, "max_len（最长上下文）"),
    "huge max_len": (lambda: CharLM(10, max_len=10**9), ValueError, "max_len（最长上下文）"),
    "huge model": (lambda: CharLM(10, d_model=2**15), ValueError, "模型的参数个数太大了"),
    "split a number": (lambda: split_sentences(5), TypeError, "text（文本）必须是字符串"),
    "split held_out a string": (
        lambda: split_sentences(TOY, held_out="0.1"),
        ValueError,
        "held_out（留出比例）必须在 (0, 1) 之间",
    ),
    "ngram block_size 1": (
        lambda: ngram_loss(TOY, TOY, CharVocab(TOY), n=1, block_size=1),
        ValueError,
        "block_size（窗口长度）必须是不小于 2 的整数",
    ),
    "ngram block_size 0": (
        lambda: ngram_loss(TOY, TOY, CharVocab(TOY), n=2, block_size=0),
        ValueError,
        "block_size",
    ),
    "ngram n an array": (
        lambda: ngram_loss(TOY, TOY, CharVocab(TOY), n=np.array([1, 2]), block_size=4),
        ValueError,
        "n 只能是 1（一元）或 2（二元）",
    ),
    "train 10**9 steps": (
        lambda: train_char_lm(TOY, steps=10**9),
        ValueError,
        "steps 必须是 1 到 20000 之间的整数",
    ),
    "train huge block": (lambda: train_char_lm(TOY, block_size=10**6), ValueError, "block_size"),
    "train huge batch": (lambda: train_char_lm(TOY, batch=10**8), ValueError, "batch"),
    "train seed negative": (lambda: train_char_lm(TOY, seed=-1), ValueError, "seed"),
    "train diverging": (
        lambda: train_char_lm(TOY * 5, steps=3, block_size=8, d_model=16, lr=1e30),
        ValueError,
        "训练发散了",
    ),
}


@pytest.mark.parametrize("call, error, fragment", OTHER_BAD.values(), ids=OTHER_BAD.keys())
def test_bad_sizes_and_settings_are_refused_in_chinese(call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_a_tiny_temperature_samples_the_most_probable_character(reference):
    # logits / 1e-300 overflows: the sampling takes the limit T -> 0 instead of failing
    greedy = generate(reference, "我喜欢", 6)
    assert generate(reference, "我喜欢", 6, greedy=False, temperature=1e-300, seed=3) == greedy


def test_the_generation_limit_is_checked_before_any_work(reference):
    start = time.perf_counter()
    with pytest.raises(ValueError):
        generate(reference, "我", 10**7)
    assert time.perf_counter() - start < 0.5
