"""中文数字转换器与训练数据的测试：与独立的逐位参考实现比较、全部十万个数往返、非法写法。"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from utils.models.numerals import (
    BOS_ID,
    EOS_ID,
    MAX_NUMBER,
    NUMERAL_CHARS,
    SHOWCASE,
    SRC_VOCAB,
    TGT_VOCAB,
    NumeralConfig,
    NumeralSampler,
    chinese_to_int,
    decode_target,
    encode_source,
    encode_target,
    exact_match,
    int_to_chinese,
    lr_at,
    reference_spelling,
    spellings,
    split_numbers,
    train_numeral_model,
    translate,
)
from utils.models.reference import load_reference

ALL = range(MAX_NUMBER + 1)


@pytest.mark.parametrize(
    "n, text",
    [
        (0, "零"),
        (2, "二"),
        (10, "十"),
        (15, "十五"),
        (20, "二十"),
        (22, "二十二"),
        (100, "一百"),
        (101, "一百零一"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (305, "三百零五"),
        (1000, "一千"),
        (1005, "一千零五"),
        (1010, "一千零一十"),
        (1050, "一千零五十"),
        (1200, "一千二百"),
        (2008, "二千零八"),
        (10000, "一万"),
        (10005, "一万零五"),
        (10010, "一万零一十"),
        (10015, "一万零一十五"),
        (10050, "一万零五十"),
        (10500, "一万零五百"),
        (11000, "一万一千"),
        (40703, "四万零七百零三"),
        (90009, "九万零九"),
        (99999, "九万九千九百九十九"),
    ],
)
def test_known_spellings(n, text):
    assert int_to_chinese(n) == text
    assert reference_spelling(n) == text
    assert chinese_to_int(text) == n


def test_matches_the_independent_reference_on_every_number():
    mismatches = [n for n in ALL if int_to_chinese(n) != reference_spelling(n)]
    assert mismatches == []


def test_every_spelling_of_every_number_round_trips():
    for n in ALL:
        for s in spellings(n):
            assert chinese_to_int(s) == n, s


def test_spellings_are_distinct_across_numbers():
    seen = {}
    for n in range(0, MAX_NUMBER + 1, 3):
        for s in spellings(n):
            assert s not in seen, (s, n, seen.get(s))
            seen[s] = n


def test_liang_only_before_bai_qian_wan():
    assert spellings(2) == ["二"]
    assert spellings(22) == ["二十二"]
    assert spellings(200) == ["两百", "二百"]
    assert spellings(2008) == ["两千零八", "二千零八"]
    assert spellings(20000) == ["两万", "二万"]
    assert len(spellings(22222)) == 8  # 万, 千, 百 each 二 or 两; 十 and the units stay 二
    assert int_to_chinese(2222, liang=True) == "两千两百二十二"
    for n in range(0, MAX_NUMBER + 1, 11):
        for s in spellings(n):
            for i, c in enumerate(s):
                if c == "两":
                    assert i + 1 < len(s) and s[i + 1] in "百千万", s


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "是空的"),
        ("   ", "是空的"),
        ("abc", "不是中文数字用字"),
        ("三百零五块", "“块”不是中文数字用字"),
        ("一亿", "“亿”不是中文数字用字"),
        ("3百", "“3”不是中文数字用字"),
        ("九万九千九百九十九九", "太长了"),
        ("十万", "超出范围"),
        ("九十万", "超出范围"),
        ("五五", "不是规范的中文数字写法"),
        ("一十五", "15 应写作“十五”"),
        ("零五", "不是规范"),
        ("两", "不是规范"),
        ("两十", "不是规范"),
        ("万", "不是规范"),
        ("一万万", "不是规范"),
        ("一百零零五", "不是规范"),
        ("三百五", "口语的省略说法"),
        ("一万五", "一万五千"),
        ("一千零五百", "不是规范"),
    ],
)
def test_chinese_to_int_rejects(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        chinese_to_int(text)


@pytest.mark.parametrize("n", [-1, 100_000, 1.5, "5", True, None])
def test_int_to_chinese_rejects(n):
    with pytest.raises(ValueError, match="n 必须"):
        int_to_chinese(n)


def test_chinese_to_int_rejects_non_strings():
    with pytest.raises(ValueError, match="字符串"):
        chinese_to_int(305)


def test_vocabularies():
    assert SRC_VOCAB[0] == TGT_VOCAB[0] == "<pad>"
    assert "".join(SRC_VOCAB[1:]) == NUMERAL_CHARS
    assert TGT_VOCAB[BOS_ID] == "<s>" and TGT_VOCAB[EOS_ID] == "</s>"


def test_encode_and_decode():
    src = encode_source(["三百零五", "十五"])
    assert src.shape == (2, 4) and src.dtype == torch.long
    assert [SRC_VOCAB[i] for i in src[1]] == ["十", "五", "<pad>", "<pad>"]
    tgt = encode_target([305, 7])
    assert tgt.shape == (2, 5)
    assert [TGT_VOCAB[i] for i in tgt[0]] == ["<s>", "3", "0", "5", "</s>"]
    assert [TGT_VOCAB[i] for i in tgt[1]] == ["<s>", "7", "</s>", "<pad>", "<pad>"]
    assert decode_target(tgt[0]) == "305" and decode_target(tgt[1]) == "7"
    assert encode_source("零").shape == (1, 1)


def test_split_keeps_heldout_out_of_training():
    train, heldout = split_numbers()
    assert len(np.intersect1d(train, heldout)) == 0
    assert len(train) + len(heldout) == MAX_NUMBER + 1
    assert set(SHOWCASE) <= set(heldout.tolist())
    assert set(range(100)) <= set(train.tolist())
    again = split_numbers()
    np.testing.assert_array_equal(again[1], heldout)  # seeded
    assert not np.array_equal(split_numbers(seed=1)[1], heldout)
    with pytest.raises(ValueError, match="num_heldout"):
        split_numbers(0)


def test_sampler_draws_only_training_numbers():
    train, heldout = split_numbers()
    sampler = NumeralSampler(train, seed=0)
    held = set(heldout.tolist())
    for _ in range(20):
        numbers, src, tgt = sampler.batch(64)
        assert not held & set(numbers)
        assert src.shape[0] == tgt.shape[0] == 64
        for n, row in zip(numbers, tgt, strict=True):
            assert decode_target(row) == str(n)
    lengths = [len(str(n)) for n in sampler.batch(2000)[0]]
    assert 0.02 < lengths.count(1) / 2000 < 0.1  # short numbers are over-sampled


def test_learning_rate_schedule():
    c = NumeralConfig(steps=100, warmup=10, lr=1e-2)
    lrs = [lr_at(s, c) for s in range(100)]
    assert lrs[9] == pytest.approx(1e-2)
    assert all(a < b for a, b in zip(lrs[:10], lrs[1:10], strict=False))
    assert all(a >= b for a, b in zip(lrs[10:], lrs[11:], strict=False))
    assert lrs[-1] < 1e-4


def test_training_runs_and_learns_something():
    result = train_numeral_model(steps=120, log_every=10)
    assert result.seconds > 0
    assert result.history[0]["step"] == 0 and result.history[-1]["step"] == 119
    assert result.history[-1]["loss"] < 0.5 * result.history[0]["loss"]
    assert not result.model.training  # returned in eval mode
    out = translate(result.model, ["三百零五", "十五"])
    assert all(isinstance(o, str) and len(o) <= 6 for o in out)
    assert 0.0 <= exact_match(result.model, [305, 15]) <= 1.0


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(stepz=10), "未知的超参数"),
        (dict(steps=0), "steps（训练步数）必须是 1 到 10000 之间的整数，实际是 0"),
        (dict(batch_size=1.5), "batch_size（批大小）必须是 1 到 4096 之间的整数"),
        (dict(warmup=-1), "warmup（预热步数）必须是 0 到 10000 之间的整数"),
        (dict(log_every=0), "log_every（每隔几步记一次损失）必须是正整数，实际是 0"),
        (dict(lr=-1), "lr（学习率）必须是有限的正数，实际是 -1"),
        (dict(lr=float("inf")), "lr（学习率）必须是有限的正数"),
        (dict(num_threads=0), "num_threads（线程数）必须是正整数"),
    ],
)
def test_training_rejects_bad_settings_in_chinese(kwargs, fragment):
    threads = torch.get_num_threads()
    with pytest.raises(ValueError, match=fragment):
        train_numeral_model(**{"steps": 2, **kwargs})
    assert torch.get_num_threads() == threads


# bad batches for the model's input: the message says what is wrong with the text, in the
# words of chinese_to_int, instead of a KeyError, a max() error or a mask error
SOURCE_BAD = {
    "arabic digits": (["305"], "“3”、“0”、“5”不是中文数字用字：只能用 " + NUMERAL_CHARS),
    "one bad text in a batch": (["三百零五", "十五块"], "“块”不是中文数字用字"),
    "empty string": ([""], "输入是空的：请输入一个中文数字"),
    "empty batch": ([], "texts 是空的：请至少给一个中文数字"),
    "not a string": ([305], "输入必须是字符串，实际是 int"),
    "not a batch": (305, "texts 必须是一个中文数字或一串中文数字"),
}


@pytest.mark.parametrize("texts, fragment", SOURCE_BAD.values(), ids=SOURCE_BAD.keys())
def test_encode_source_rejects_bad_text_in_chinese(texts, fragment):
    with pytest.raises(ValueError, match=fragment):
        encode_source(texts)


@pytest.fixture(scope="module")
def tiny_model():
    return train_numeral_model(steps=2).model


@pytest.mark.parametrize("texts, fragment", SOURCE_BAD.values(), ids=SOURCE_BAD.keys())
def test_translate_rejects_bad_text_in_chinese(tiny_model, texts, fragment):
    with pytest.raises(ValueError, match=fragment):
        translate(tiny_model, texts)


def test_translate_checks_every_text_before_decoding(tiny_model):
    # the bad text is in the second batch of one: nothing is decoded before the error
    with pytest.raises(ValueError, match="“x”不是中文数字用字"):
        translate(tiny_model, ["十五", "x"], batch_size=1)
    with pytest.raises(ValueError, match="batch_size（批大小）必须是正整数"):
        translate(tiny_model, ["十五"], batch_size=0)
    assert len(translate(tiny_model, ["十五", "三百零五"], batch_size=1)) == 2


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------
# (crashes from inside Python or torch, silent wrong answers, English or endless messages,
# sizes that would run for hours): only ValueError or TypeError, a short Chinese message.

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def reference():
    return load_reference("numerals")


NUMERALS_BAD = {
    # out-of-range or non-integer ids: an IndexError, or a silent read from the list's end
    "decode id 99": (
        lambda: decode_target([99]),
        ValueError,
        "ids（目标编号）里的编号必须在 0 到 12",
    ),
    "decode id -1": (lambda: decode_target([BOS_ID, -1]), ValueError, "实际有 -1"),
    "decode float id": (lambda: decode_target([3.0]), TypeError, "必须是整数编号"),
    "decode a string": (lambda: decode_target("345"), TypeError, "整数编号的序列"),
    "decode a batch": (
        lambda: decode_target(torch.ones(2, 3, dtype=torch.long)),
        ValueError,
        "应是 1 维的编号",
    ),
    # encode_target: KeyError '-', max() of nothing, int('abc'), 3.7 silently cut to 3
    "target negative": (lambda: encode_target([-5]), ValueError, "必须在 0 到 99999 之间"),
    "target too big": (lambda: encode_target([10**6]), ValueError, "必须在 0 到 99999 之间"),
    "target empty": (lambda: encode_target([]), ValueError, "numbers 是空的"),
    "target float": (lambda: encode_target([3.7]), ValueError, "必须是整数，实际是 3.7"),
    "target string": (lambda: encode_target(["305"]), ValueError, "必须是整数"),
    "target not a list": (lambda: encode_target(305), TypeError, "一串整数"),
    "liang not a bool": (lambda: int_to_chinese(2000, liang="no"), TypeError, "True 或 False"),
    "split seed negative": (lambda: split_numbers(seed=-1), ValueError, "seed 必须是不小于 0"),
    "split seed string": (lambda: split_numbers(seed="0"), ValueError, "seed"),
    "sampler zero_prob string": (
        lambda: NumeralSampler([1, 2], zero_prob="0.2"),
        ValueError,
        "zero_prob 必须在 [0, 1) 之间",
    ),
    "sampler number too big": (
        lambda: NumeralSampler([MAX_NUMBER + 1]),
        ValueError,
        "train_numbers（训练用的数）",
    ),
    "sampler float numbers": (lambda: NumeralSampler([1.5]), TypeError, "train_numbers"),
    "sampler huge batch": (
        lambda: NumeralSampler([1, 2]).batch(10**9),
        ValueError,
        "batch_size（批大小）必须是 1 到 4096 之间的整数",
    ),
    "lr_at negative step": (lambda: lr_at(-1, NumeralConfig()), ValueError, "step（第几步）"),
    "lr_at not a config": (lambda: lr_at(0, {"lr": 1}), TypeError, "NumeralConfig"),
    # sizes that would run for hours or fill the memory: refused before any work
    "train 10**9 steps": (
        lambda: train_numeral_model(steps=10**9),
        ValueError,
        "steps（训练步数）必须是 1 到 10000 之间的整数",
    ),
    "train huge model": (
        lambda: train_numeral_model(steps=1, d_model=2**14, d_ff=2**14),
        ValueError,
        "模型的参数个数太大了",
    ),
    "train negative d_model": (
        lambda: train_numeral_model(steps=1, d_model=-1),
        ValueError,
        "d_model（向量维度）必须是正整数",
    ),
    "train 10**6 layers": (
        lambda: train_numeral_model(steps=1, num_encoder_layers=10**6),
        ValueError,
        "num_encoder_layers（编码器层数）",
    ),
    "train 10**6 threads": (
        lambda: train_numeral_model(steps=1, num_threads=10**6),
        ValueError,
        "num_threads（线程数）太大了",
    ),
    # a negative clip used to flip the gradients' sign silently; a string crashed in torch
    "train clip negative": (lambda: train_numeral_model(steps=1, clip=-1), ValueError, "clip"),
    "train clip string": (lambda: train_numeral_model(steps=1, clip="1"), ValueError, "clip"),
    "train seed negative": (lambda: train_numeral_model(steps=1, seed=-1), ValueError, "seed"),
    "train config not a config": (lambda: train_numeral_model(5), TypeError, "NumeralConfig"),
    "train unknown setting": (
        lambda: train_numeral_model(**{"x" * 1000: 1}),
        ValueError,
        "未知的超参数",
    ),
}


@pytest.mark.parametrize("call, error, fragment", NUMERALS_BAD.values(), ids=NUMERALS_BAD.keys())
def test_bad_input_gives_a_short_chinese_message(call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    message = str(info.value)
    assert CHINESE.search(message) and len(message) < 300


MODEL_BAD = {
    "translate not a model": (lambda m: translate("model", ["三"]), TypeError, "Transformer"),
    "translate 100000 characters": (
        lambda m: translate(m, ["一" * 100_000]),
        ValueError,
        "共 100000 个字符）”有 100000 个字，超过了模型的位置编码能处理的 16 个字",
    ),
    "exact_match of nothing": (lambda m: exact_match(m, []), ValueError, "numbers 是空的"),
    "exact_match float": (lambda m: exact_match(m, [305.0]), ValueError, "必须是整数"),
    "exact_match string": (lambda m: exact_match(m, ["305"]), ValueError, "必须是整数"),
    "exact_match not a model": (lambda m: exact_match(None, [305]), TypeError, "model"),
}


@pytest.mark.parametrize("call, error, fragment", MODEL_BAD.values(), ids=MODEL_BAD.keys())
def test_model_functions_reject_bad_input(reference, call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call(reference)
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_a_pasted_page_is_not_repeated_in_the_message():
    page = "".join(chr(0x4E00 + i) for i in range(5000))  # 5000 different characters
    with pytest.raises(ValueError, match="等 4987 种字不是中文数字用字") as info:
        chinese_to_int(page)
    assert len(str(info.value)) < 100
    with pytest.raises(ValueError, match="“<”、“s”、“c”、“r”、“i”等 8 种字"):
        chinese_to_int("<script>")


def test_decode_target_takes_a_tensor_row_a_numpy_row_or_a_generator():
    row = torch.tensor([BOS_ID, TGT_VOCAB.index("4"), TGT_VOCAB.index("2"), EOS_ID, 0])
    assert decode_target(row) == decode_target(row.numpy()) == "42"
    assert decode_target(int(i) for i in row) == "42"
    assert decode_target([]) == ""


def test_a_diverging_run_says_so():
    # lr = 1e30: the first step throws the weights to ~1e30 and the next forward overflows;
    # the message names the learning rate, not an internal tensor of the attention
    with pytest.raises(ValueError, match="训练发散了.*lr（学习率）调小"):
        train_numeral_model(
            steps=3, lr=1e30, d_model=8, num_heads=2, d_ff=8, batch_size=8,
            num_encoder_layers=1, num_decoder_layers=1,
        )  # fmt: skip
