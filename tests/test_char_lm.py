"""字符级语言模型（utils/models/char_lm.py）：与 PyTorch 对照，以及第 5 章声称的性质。"""

from __future__ import annotations

import math

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
    "steps 0": (dict(steps=0), "steps 必须是正整数"),
    "batch float": (dict(batch=2.5), "batch 必须是正整数"),
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
