"""自注意力序列推荐（utils/models/recommender.py）：数据里埋的规律、HR@k、以及第 5 章的结论。"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from torch import nn

from utils.models.recommender import (
    CHAINS,
    EVERYDAY,
    ITEM_ID,
    ITEMS,
    NUM_CHAIN_ITEMS,
    SASRec,
    attention_on_chain_items,
    chain_next,
    chain_next_share,
    check_sessions,
    everyday_popularity,
    hit_rate,
    is_chain_item,
    make_sessions,
    next_in_chain,
    next_item_scores,
    parse_items,
    popularity_scores,
    recommend,
    split_users,
    train_sasrec,
)
from utils.models.reference import load_reference


def test_catalogue():
    assert len(ITEMS) == len(set(ITEMS)) == sum(map(len, CHAINS)) + len(EVERYDAY)
    assert next_in_chain(ITEM_ID["手机"]) == ITEM_ID["手机壳"]
    assert next_in_chain(ITEM_ID["充电宝"]) is None and next_in_chain(ITEM_ID["纸巾"]) is None
    assert is_chain_item(ITEM_ID["耳机"]) and not is_chain_item(ITEM_ID["纸巾"])
    # the chain items come first, then the everyday items
    assert NUM_CHAIN_ITEMS == sum(map(len, CHAINS))
    assert all(is_chain_item(i) == (ITEMS[i] not in EVERYDAY) for i in range(len(ITEMS)))


def test_sessions_carry_the_planted_pattern():
    s = make_sessions(2000, session_len=8, p_chain=0.8, seed=1)
    assert s.shape == (2000, 8) and s.min() >= 0 and s.max() < len(ITEMS)
    assert np.array_equal(s, make_sessions(2000, session_len=8, p_chain=0.8, seed=1))
    continues = 0
    for row in s:
        chain_items = [i for i in row[:-1] if is_chain_item(i)]
        assert chain_items, "every session has at least one chain item before the last"
        chain = next(c for c in CHAINS if ITEMS[chain_items[0]] in c)
        assert [ITEMS[i] for i in chain_items] == list(chain[: len(chain_items)])  # in order
        continues += row[-1] == next_in_chain(chain_items[-1])
    assert 0.75 < continues / len(s) < 0.85  # p_chain = 0.8
    with pytest.raises(ValueError, match="用户数"):
        make_sessions(0)
    with pytest.raises(ValueError, match="session_len（会话长度）必须是 4 到 1024 之间的整数"):
        make_sessions(10, session_len=2)
    assert make_sessions(3, session_len=np.int64(5)).shape == (3, 5)


def test_split_users_partition(rec_split):
    train, test = rec_split
    assert len(train) == 2000 and len(test) == 500


def test_hit_rate_and_popularity():
    scores = torch.tensor([[0.1, 0.9, 0.5], [0.8, 0.1, 0.2]])
    assert hit_rate(scores, [1, 1], k=1) == 0.5
    assert hit_rate(scores, [1, 1], k=3) == 1.0
    pop = popularity_scores(np.array([[0, 2, 2], [2, 1, 2]]), num_items=4)
    assert pop.tolist() == [1, 1, 4, 0]
    assert hit_rate(pop, [2, 3, 0], k=1) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="数量必须相同"):
        hit_rate(scores, [1], k=1)
    # numpy scores work like a tensor
    assert hit_rate(scores.numpy(), [1, 1], k=1) == 0.5
    assert hit_rate(np.zeros((2, 5)), [0, 3], k=5) == 1.0  # every item is in the top 5


@pytest.mark.parametrize(
    "scores, targets, k, fragment",
    [
        (torch.zeros(2, 3), [1, 1], 0, "k 必须是 1 到 3 之间的整数，实际是 0"),
        (torch.zeros(2, 3), [1, 1], 4, "k 必须是 1 到 3 之间的整数，实际是 4"),
        (torch.zeros(2, 3), [1, 1], 1.0, "k 必须是 1 到 3 之间的整数"),
        (torch.zeros(2, 3, 1), [1, 1], 1, "scores 的形状应为"),
        (torch.zeros(2, 3), [[1, 1]], 1, "targets（真实的下一个物品）应是 1 维的编号"),
    ],
)
def test_hit_rate_rejects_bad_input_in_chinese(scores, targets, k, fragment):
    with pytest.raises(ValueError, match=fragment):
        hit_rate(scores, targets, k=k)


def test_sasrec_scores_are_dot_products_with_item_embeddings_and_causal():
    torch.manual_seed(0)
    model = SASRec(d_model=16, num_heads=2, max_len=8).double()
    items = torch.randint(0, len(ITEMS), (3, 6))
    with torch.no_grad():
        scores = model(items)
        h = model.encoder(model.pos(model.item_embed(items)), torch.ones(6, 6).tril().bool())
        assert torch.allclose(scores, h @ model.item_embed.weight.T, atol=1e-12)
        changed = items.clone()
        changed[:, 4:] = (changed[:, 4:] + 1) % len(ITEMS)
        assert torch.allclose(scores[:, :4], model(changed)[:, :4], atol=1e-12)
    assert model.attention(0).shape == (3, 2, 6, 6)
    with pytest.raises(ValueError, match="物品编号"):
        model(torch.tensor([[len(ITEMS)]]))


def test_sasrec_attention_matches_torch_multihead_attention():
    torch.manual_seed(0)
    model = SASRec(d_model=16, num_heads=2, max_len=8).double()
    layer = model.encoder.layers[0]
    ref = nn.MultiheadAttention(16, 2, batch_first=True, dtype=torch.float64)
    layer.self_attn.load_from_torch(ref)
    x = torch.randn(2, 5, 16, dtype=torch.float64)
    mask = torch.ones(5, 5).tril().bool()
    with torch.no_grad():
        ours, w = layer.self_attn(x, mask=mask)
        theirs, w_ref = ref(x, x, x, attn_mask=~mask, average_attn_weights=False)
    assert torch.allclose(ours, theirs, atol=1e-12) and torch.allclose(w, w_ref, atol=1e-12)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        (dict(batch=0), "batch（批大小）必须是正整数，实际是 0"),
        (dict(epochs=1.5), "epochs（训练轮数）必须是 1 到 500 之间的整数"),
        (dict(lr=-1), "lr（学习率）必须是有限的正数，实际是 -1"),
        (dict(lr=float("nan")), "lr（学习率）必须是有限的正数"),
    ],
)
def test_training_rejects_bad_settings_in_chinese(rec_split, kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        train_sasrec(rec_split[0][:50], **kwargs)


def test_training_reproducible_and_returns_seconds(rec_split):
    small = rec_split[0][:200]
    a, ha, sa = train_sasrec(small, seed=1, epochs=2)
    b, hb, _ = train_sasrec(small, seed=1, epochs=2)
    assert ha.losses == hb.losses and sa > 0
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))


def test_sasrec_beats_popularity_by_a_clear_margin(rec_split, rec_trained):
    train, test = rec_split
    model = rec_trained[0]
    hr_model = hit_rate(next_item_scores(model, test), test[:, -1], k=10)
    hr_pop = hit_rate(popularity_scores(train), test[:, -1], k=10)
    assert hr_model >= 0.9 and hr_model >= hr_pop + 0.5
    assert hr_pop == pytest.approx(0.152)  # the number quoted in the chapter


def test_first_layer_attention_points_at_chain_items(rec_split, rec_trained):
    on_chain, share = attention_on_chain_items(rec_trained[0], rec_split[1], layer=0)
    assert on_chain >= 0.8 and share < 0.3


def test_recommend_for_a_phone_session(rec_trained):
    model = rec_trained[0]
    session = [ITEM_ID[n] for n in ("纸巾", "手机", "矿泉水", "手机壳", "零食")]
    r = recommend(model, session)
    assert r.attention.shape == (5,) and r.attention.sum() == pytest.approx(1.0, abs=1e-5)
    assert "耳机" in r.top_items[:3]
    with pytest.raises(ValueError, match="空"):
        recommend(model, [])
    assert recommend(model, np.array(session)).top_items == r.top_items  # a numpy session
    assert len(recommend(model, session, k=len(ITEMS)).top_items) == len(ITEMS)
    for k in (0, len(ITEMS) + 1, 100, 2.0):
        with pytest.raises(ValueError, match=f"k（推荐几个）必须是 1 到 {len(ITEMS)} 之间的整数"):
            recommend(model, session, k=k)


def test_recommend_keeps_every_layers_attention_row(rec_trained):
    model = rec_trained[0]
    session = [ITEM_ID[n] for n in ("纸巾", "相机", "矿泉水", "存储卡")]
    r = recommend(model, session)
    assert r.layer_attention.shape == (len(model.encoder.layers), len(session))
    assert np.allclose(r.layer_attention.sum(axis=1), 1.0, atol=1e-5)
    assert np.array_equal(r.layer_attention[-1], r.attention)
    model(torch.tensor([session]))  # layer 0's row, straight from the encoder
    first = model.attention(0)[0, :, -1].mean(0).numpy()
    assert np.allclose(r.layer_attention[0], first)


@pytest.mark.parametrize(
    "text",
    [
        "相机，纸巾，存储卡",
        "相机,纸巾,存储卡",
        " 相机 纸巾  存储卡 ",
        "相机、纸巾；存储卡",
        "相机 → 纸巾 → 存储卡",
    ],
)
def test_parse_items_accepts_the_usual_separators(text):
    assert parse_items(text) == [ITEM_ID["相机"], ITEM_ID["纸巾"], ITEM_ID["存储卡"]]


@pytest.mark.parametrize(
    "text, error, fragment",
    [
        ("", ValueError, "会话是空的"),
        (" ，， ", ValueError, "会话是空的"),
        ("相机，电视", ValueError, "不认识的物品：“电视”"),
        ("手机，<b>x</b>", ValueError, "不认识的物品：“<b>x</b>”"),
        ("，".join(["纸巾"] * 8), ValueError, "会话太长：有 8 件物品，最多 7 件"),
        (["相机"], TypeError, "会话应是一段文字"),
    ],
)
def test_parse_items_rejects_bad_input_in_chinese(text, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)):
        parse_items(text)


def test_parse_items_max_items():
    assert len(parse_items("，".join(["纸巾"] * 8), max_items=8)) == 8
    with pytest.raises(ValueError, match="max_items"):
        parse_items("纸巾", max_items=0)


def test_chain_next_is_the_next_item_after_the_last_chain_item():
    ids = [ITEM_ID[n] for n in ("纸巾", "手机", "矿泉水", "手机壳", "零食")]
    assert chain_next(ids) == ITEM_ID["耳机"]
    assert chain_next([ITEM_ID["纸巾"], ITEM_ID["牙膏"]]) is None  # no chain item
    assert chain_next([ITEM_ID["相机"], ITEM_ID["三脚架"]]) is None  # the chain has ended


def test_chain_next_share_by_position(rec_split):
    train = rec_split[0]
    share = chain_next_share(train)
    assert share.shape == (train.shape[1] - 1,)
    # the generator puts the chain's next item last; earlier, only when chain items touch
    assert share[-1] == pytest.approx(0.81, abs=0.01) and share[:-1].max() < 0.2
    # by hand for one position: item 1 follows item 0 along a chain
    by_hand = np.mean([next_in_chain(int(s[0])) == s[1] for s in train])
    assert share[0] == pytest.approx(by_hand)
    for bad in (np.zeros((0, 8), dtype=int), np.zeros((5, 1), dtype=int), np.zeros(8, dtype=int)):
        with pytest.raises(ValueError, match="会话的形状"):
            chain_next_share(bad)


@pytest.mark.parametrize("bad", [np.zeros(8, dtype=int), np.zeros((0, 8), dtype=int), [[3]]])
def test_training_rejects_a_bad_session_table_in_chinese(bad):
    with pytest.raises(ValueError, match="会话的形状应为"):
        train_sasrec(bad)


# --- bad input: every class of failure of the sweep in issue 16 -------------------------------

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def shipped():
    return load_reference("sasrec")


REC_BAD = {
    # ids out of range: an IndexError, or a silent read from the end of ITEMS
    "next_in_chain 999": (lambda m: next_in_chain(999), ValueError, "item（物品编号）必须在 0 到"),
    "next_in_chain -1": (lambda m: next_in_chain(-1), ValueError, "实际是 -1"),
    "next_in_chain a name": (lambda m: next_in_chain("手机"), TypeError, "parse_items"),
    "is_chain_item a name": (lambda m: is_chain_item("手机"), TypeError, "必须是整数"),
    "chain_next a string": (lambda m: chain_next("手机"), TypeError, "parse_items"),
    "chain_next 999": (lambda m: chain_next([999]), ValueError, "session（物品编号）"),
    "recommend a string": (lambda m: recommend(m, "相机"), TypeError, "parse_items"),
    "recommend a float id": (lambda m: recommend(m, [1.5]), TypeError, "必须是整数编号"),
    "recommend id 999": (lambda m: recommend(m, [999]), ValueError, "session（物品编号）"),
    "recommend None": (lambda m: recommend(m, None), TypeError, "session"),
    "recommend 100 items": (lambda m: recommend(m, [1] * 100), ValueError, "会话太长"),
    "recommend not a model": (lambda m: recommend("model", [1]), TypeError, "SASRec"),
    "forward floats": (lambda m: m(torch.ones(1, 3)), TypeError, "items 必须是整数张量"),
    "forward a list": (lambda m: m([[1, 2]]), TypeError, "items 必须是整数张量"),
    "forward int16 ids": (lambda m: m(torch.ones(1, 2, dtype=torch.int16)), TypeError, "int16"),
    "forward an empty session": (
        lambda m: m(torch.ones(1, 0, dtype=torch.long)),
        ValueError,
        "items 的形状应为 (batch, seq_len)，两维都至少是 1（不能是空的）",
    ),
    "scores of one session": (
        lambda m: next_item_scores(m, [1, 2, 3]),
        ValueError,
        "会话的形状应为",
    ),
    "scores of names": (lambda m: next_item_scores(m, [["手机", "耳机"]]), TypeError, "sessions"),
    "attention of layer 5": (
        lambda m: attention_on_chain_items(m, make_sessions(5), layer=5),
        ValueError,
        "layer（层）必须是 -2 到 1 之间的整数",
    ),
    # hit_rate: torch's "too many dimensions 'str'", NaN of an empty test set, NaN scores
    "hit_rate of a string": (lambda m: hit_rate("abc", [1]), TypeError, "scores（打分）"),
    "hit_rate of nothing": (
        lambda m: hit_rate(torch.ones(len(ITEMS)), []),
        ValueError,
        "targets 是空的",
    ),
    "hit_rate nan scores": (
        lambda m: hit_rate(torch.full((2, 5), float("nan")), [1, 2], k=1),
        ValueError,
        "scores（打分）含有 NaN",
    ),
    "hit_rate target 999": (
        lambda m: hit_rate(torch.ones(2, 5), [999, 1], k=1),
        ValueError,
        "targets（真实的下一个物品）里的编号必须在 0 到 4 之间",
    ),
    "hit_rate float target": (
        lambda m: hit_rate(torch.ones(2, 5), [1.5, 1], k=1),
        TypeError,
        "targets",
    ),
}


@pytest.mark.parametrize("call, error, fragment", REC_BAD.values(), ids=REC_BAD.keys())
def test_bad_input_is_refused_in_chinese(shipped, call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call(shipped)
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


DATA_BAD = {
    "10**9 users": (
        lambda: make_sessions(10**9),
        ValueError,
        "num_users（用户数）必须是 1 到 100000 之间的整数",
    ),
    "p_chain a string": (lambda: make_sessions(10, p_chain="0.8"), ValueError, "p_chain"),
    "seed negative": (lambda: make_sessions(10, seed=-1), ValueError, "seed"),
    "session_len 10**9": (lambda: make_sessions(1, session_len=10**9), ValueError, "session_len"),
    "split one user": (lambda: split_users(make_sessions(1)), ValueError, "训练用户一个也不剩"),
    "split fraction 2": (
        lambda: split_users(make_sessions(5), test_fraction=2),
        ValueError,
        "(0, 1)",
    ),
    "split fraction a string": (
        lambda: split_users(make_sessions(5), test_fraction="0.2"),
        ValueError,
        "test_fraction",
    ),
    "model negative items": (lambda: SASRec(-1), ValueError, "num_items（物品数）必须是正整数"),
    "model negative d_model": (lambda: SASRec(d_model=-2), ValueError, "d_model"),
    "model huge": (lambda: SASRec(10**7, d_model=1000), ValueError, "模型的参数个数太大了"),
    "train empty": (lambda: train_sasrec(np.zeros((0, 8), dtype=int)), ValueError, "会话的形状"),
    "train item 999": (
        lambda: train_sasrec(np.full((3, 8), 999)),
        ValueError,
        "sessions（会话表）",
    ),
    "train names": (lambda: train_sasrec([["手机", "耳机"]]), TypeError, "sessions（会话表）"),
    "train float ids": (lambda: train_sasrec(np.ones((3, 8))), TypeError, "sessions（会话表）"),
    "train 10**9 epochs": (
        lambda: train_sasrec(make_sessions(10), epochs=10**9),
        ValueError,
        "epochs（训练轮数）必须是 1 到 500 之间的整数",
    ),
    "train ragged": (lambda: check_sessions([[1, 2], [1]]), ValueError, "形状整齐"),
    "share of names": (lambda: chain_next_share([["a", "b"]]), TypeError, "sessions"),
    "popularity negative id": (lambda: popularity_scores(np.array([[-1, 2]])), ValueError, "-1"),
    "popularity float ids": (lambda: popularity_scores(np.array([[1.5, 2]])), TypeError, "整数"),
    "zipf nan": (lambda: everyday_popularity(float("nan")), ValueError, "exponent（指数）"),
    "zipf overflow": (lambda: everyday_popularity(-1e5), ValueError, "溢出"),
    "a page of unknown names": (
        lambda: parse_items("x" * 100_000),
        ValueError,
        "不认识的物品：“xxxxxxxxxxxx…（共 100000 个字符）”",
    ),
    "many unknown names": (
        lambda: parse_items("，".join(f"w{i}" for i in range(10_000))),
        ValueError,
        "不认识的物品：“w0”、“w1”、“w2”等 10000 个",
    ),
    "diverging": (
        lambda: train_sasrec(make_sessions(50), epochs=2, d_model=8, lr=1e30),
        ValueError,
        "训练发散了",
    ),
}


@pytest.mark.parametrize("call, error, fragment", DATA_BAD.values(), ids=DATA_BAD.keys())
def test_bad_data_and_settings_are_refused_in_chinese(call, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)) as info:
        call()
    assert CHINESE.search(str(info.value)) and len(str(info.value)) < 300


def test_sessions_may_be_lists_arrays_or_tensors(shipped):
    session = [ITEM_ID["手机"], ITEM_ID["纸巾"]]
    a = recommend(shipped, session)
    assert recommend(shipped, torch.tensor(session)).top_items == a.top_items
    assert recommend(shipped, np.array(session, dtype=np.int32)).top_items == a.top_items
    assert chain_next(np.array(session)) == chain_next(session) == ITEM_ID["手机壳"]
