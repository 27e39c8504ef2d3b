"""自注意力序列推荐（self-attentive sequential recommendation，SASRec 式）。

A user's session is a sequence of items, just as a sentence is a sequence of characters:
the recommender is the same causal Transformer as the character language model, with
items instead of characters. Scores for the next item are dot products with the item
embeddings (shared input/output embeddings, as in SASRec, Kang & McAuley 2018).

The data is synthetic, generated here with a seed and a *planted* pattern:

* ``CHAINS``: purchase chains such as 手机 → 手机壳 → 耳机 → 充电宝;
* ``EVERYDAY``: everyday items (纸巾, 矿泉水, ...) bought often by everyone, with
  Zipf-like popularity: the noise, and what a popularity baseline recommends.

A session of ``session_len`` items: the first k ≥ 1 items of one chain, in order, at
random positions among everyday items; the last item (the one to predict) is the chain's
next item with probability ``p_chain``, otherwise an everyday item. A model that finds
the last chain item in the session can predict the next; popularity cannot.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._threads import torch_threads
from .._validate import (
    MAX_LAYERS,
    as_ids,
    check_finite,
    check_instance,
    check_int,
    check_number,
    check_parameter_count,
    check_positive,
    check_seed,
    is_int,
    quote,
    short_repr,
    training_guard,
)
from ..nn.attention import causal_mask
from ..nn.positional_encoding import LearnedPositionalEmbedding
from ..nn.transformer import Encoder, check_token_batch

CHAINS: tuple[tuple[str, ...], ...] = (
    ("手机", "手机壳", "耳机", "充电宝"),
    ("笔记本电脑", "鼠标", "键盘", "显示器"),
    ("相机", "存储卡", "三脚架"),
    ("跑鞋", "运动袜", "运动手环"),
    ("咖啡机", "咖啡豆", "奶泡器"),
    ("帐篷", "睡袋", "登山杖"),
    ("婴儿车", "奶瓶", "尿不湿"),
    ("鱼竿", "鱼线", "鱼饵"),
    ("吉他", "琴弦", "调音器"),
    ("瑜伽垫", "瑜伽砖", "弹力带"),
)
EVERYDAY: tuple[str, ...] = (
    "纸巾", "矿泉水", "牙膏", "洗发水", "零食", "水果",
    "大米", "食用油", "洗衣液", "酸奶", "面包", "鸡蛋",
)  # fmt: skip
ITEMS: tuple[str, ...] = tuple(i for chain in CHAINS for i in chain) + EVERYDAY
ITEM_ID = {name: i for i, name in enumerate(ITEMS)}
# The chain items come first: ids 0 … NUM_CHAIN_ITEMS - 1 are chain items, the rest everyday.
NUM_CHAIN_ITEMS = len(ITEMS) - len(EVERYDAY)

# Upper bounds for what a reader can type (the chapter: 2500 users, 8 epochs, a few seconds).
MAX_USERS = 100_000
MAX_SESSION_LEN = 1024
MAX_EPOCHS = 500


def everyday_popularity(exponent: float = 1.0) -> np.ndarray:
    """日常用品的流行度：齐普夫分布（Zipf），第 r 受欢迎的概率 ∝ 1 / r^exponent。"""
    check_number("exponent（指数）", exponent)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        w = 1.0 / np.arange(1, len(EVERYDAY) + 1) ** exponent
        p = w / w.sum()
    if not np.isfinite(p).all():
        raise ValueError(
            f"exponent（指数）= {exponent:g} 太大或太小：r^exponent 溢出了，概率算不出来"
        )
    return p


def _check_item(item, name: str = "item（物品编号）") -> int:
    if not is_int(item):
        raise TypeError(
            f"{name}必须是整数，实际是 {short_repr(item)}（物品名请先用 parse_items 转成编号）"
        )
    if not 0 <= item < len(ITEMS):
        raise ValueError(f"{name}必须在 0 到 {len(ITEMS) - 1} 之间，实际是 {item}")
    return int(item)


def is_chain_item(item: int) -> bool:
    """物品 ``item`` 是否属于某条购买链（而不是日常用品）。"""
    return _check_item(item) < NUM_CHAIN_ITEMS


def next_in_chain(item: int) -> int | None:
    """链条里 ``item`` 的下一个物品的编号；链条末尾或日常用品返回 None。"""
    name = ITEMS[_check_item(item)]
    for chain in CHAINS:
        if name in chain:
            j = chain.index(name)
            return ITEM_ID[chain[j + 1]] if j + 1 < len(chain) else None
    return None


def make_sessions(
    num_users: int = 3000, *, session_len: int = 8, p_chain: float = 0.8, seed: int = 0
) -> np.ndarray:
    """生成 ``num_users`` 个用户的会话 (num_users, session_len)，元素是物品编号。"""
    check_int("num_users（用户数）", num_users, maximum=MAX_USERS)
    check_int(
        "session_len（会话长度）",
        session_len,
        max(len(c) for c in CHAINS),
        maximum=MAX_SESSION_LEN,
    )
    check_number("p_chain", p_chain, 0.0, 1.0)
    rng = np.random.default_rng(check_seed(seed))
    pop = everyday_popularity()
    sessions = np.empty((num_users, session_len), dtype=np.int64)
    for u in range(num_users):
        chain = CHAINS[rng.integers(len(CHAINS))]
        k = int(rng.integers(1, len(chain)))  # chain items seen before the last one
        row = NUM_CHAIN_ITEMS + rng.choice(len(EVERYDAY), size=session_len, p=pop)
        positions = np.sort(rng.choice(session_len - 1, size=k, replace=False))
        row[positions] = [ITEM_ID[n] for n in chain[:k]]  # in order, among everyday items
        if rng.random() < p_chain:
            row[-1] = ITEM_ID[chain[k]]
        sessions[u] = row
    return sessions


def split_users(sessions: np.ndarray, *, test_fraction: float = 0.2, seed: int = 0):
    """按用户随机分成训练用户与测试用户（测试用户的最后一个物品是要预测的）。

    Both parts must be non-empty: at least two users, and a ``test_fraction`` in (0, 1)
    that leaves at least one user on each side.
    """
    sessions = check_sessions(sessions)
    check_number("test_fraction（测试用户的比例）", test_fraction, 0.0, 1.0, low_open=True,
                 high_open=True)  # fmt: skip
    order = np.random.default_rng(check_seed(seed)).permutation(len(sessions))
    n_test = max(1, int(round(test_fraction * len(sessions))))
    if n_test >= len(sessions):
        raise ValueError(
            f"{len(sessions)} 个用户按 test_fraction={test_fraction:g} 分，训练用户一个也不剩："
            "请给更多用户或更小的 test_fraction"
        )
    return sessions[np.sort(order[n_test:])], sessions[np.sort(order[:n_test])]


class SASRec(nn.Module):
    """自注意力序列推荐模型：物品嵌入 + 位置嵌入 → 因果 Transformer → 与物品嵌入点积打分。"""

    def __init__(
        self,
        num_items: int = len(ITEMS),
        *,
        d_model: int = 32,
        num_heads: int = 2,
        num_layers: int = 2,
        max_len: int = 16,
    ):
        super().__init__()
        check_int("num_items（物品数）", num_items)
        check_int("d_model（向量维度）", d_model)
        check_int("num_heads（头数）", num_heads, maximum=d_model)
        check_int("num_layers（层数）", num_layers, maximum=MAX_LAYERS)
        check_int("max_len（最长会话）", max_len, maximum=MAX_SESSION_LEN)
        # item and position embeddings, and per block attention (4 d²) and MLP (2 d · 2d)
        check_parameter_count((num_items + max_len) * d_model + num_layers * 8 * d_model**2)
        self.num_items, self.d_model, self.max_len = num_items, d_model, max_len
        self.item_embed = nn.Embedding(num_items, d_model)
        # small initial embeddings: scores h·e start near 0 (N(0, 1) ones start at ±√d_model)
        nn.init.normal_(self.item_embed.weight, std=d_model**-0.5)
        self.pos = LearnedPositionalEmbedding(d_model, max_len)
        self.encoder = Encoder(num_layers, d_model, num_heads, 2 * d_model, norm_first=True)

    def forward(self, items: torch.Tensor) -> torch.Tensor:
        """items (batch, seq_len) -> scores for the next item (batch, seq_len, num_items)"""
        hint = "（一个会话请用 recommend，物品名请先用 parse_items 转成编号）"
        check_token_batch("items", items, self.max_len, hint=hint)
        batch, seq_len = items.shape
        if items.numel() and (items.min() < 0 or items.max() >= self.num_items):
            raise ValueError(f"物品编号必须在 0 到 {self.num_items - 1} 之间")
        x = self.item_embed(items)  # (batch, seq_len, d_model)
        h = self.encoder(self.pos(x), causal_mask(seq_len, device=items.device))
        # score(i) = h_t · e_i for every item i: (batch, seq_len, d_model) @ (d_model, num_items)
        return h @ self.item_embed.weight.T  # (batch, seq_len, num_items)

    def attention(self, layer: int = -1) -> torch.Tensor:
        """上一次前向计算中第 ``layer`` 层的注意力权重 (batch, num_heads, seq_len, seq_len)。"""
        return self.encoder.attention(layer)


@dataclass
class RecHistory:
    epochs: list[int]
    losses: list[float]  # mean training cross-entropy of each epoch


def train_sasrec(
    train_sessions: np.ndarray,
    *,
    seed: int = 0,
    epochs: int = 8,
    batch: int = 128,
    d_model: int = 32,
    num_heads: int = 2,
    num_layers: int = 2,
    lr: float = 5e-3,
) -> tuple[SASRec, RecHistory, float]:
    """用训练用户的会话训练 SASRec：每个位置预测下一个物品。返回 (model, history, 用时秒数)。"""
    sessions = torch.as_tensor(check_sessions(train_sessions), dtype=torch.long)
    check_int("epochs（训练轮数）", epochs, maximum=MAX_EPOCHS)
    check_int("batch（批大小）", batch)
    check_positive("lr（学习率）", lr)
    seed = check_seed(seed)
    with torch_threads(1):
        start = time.perf_counter()
        torch.manual_seed(seed)
        model = SASRec(
            len(ITEMS), d_model=d_model, num_heads=num_heads, num_layers=num_layers,
            max_len=max(16, sessions.shape[1]),
        )  # fmt: skip
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        gen = torch.Generator().manual_seed(seed)
        history = RecHistory([], [])
        x_all, y_all = sessions[:, :-1], sessions[:, 1:]  # inputs and next items
        with training_guard(model, opt):
            for epoch in range(1, epochs + 1):
                order = torch.randperm(len(sessions), generator=gen)
                total = 0.0
                for i in range(0, len(order), batch):
                    idx = order[i : i + batch]
                    scores = model(x_all[idx])  # (b, seq_len - 1, num_items)
                    loss = F.cross_entropy(scores.reshape(-1, len(ITEMS)), y_all[idx].reshape(-1))
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    total += loss.item() * len(idx)
                history.epochs.append(epoch)
                history.losses.append(total / len(sessions))
        model.eval()
    return model, history, time.perf_counter() - start


@torch.no_grad()
def next_item_scores(model: SASRec, sessions) -> torch.Tensor:
    """每个会话（不含最后一项）之后的下一个物品的打分 (batch, num_items)。"""
    _check_model(model)
    x = torch.as_tensor(check_sessions(sessions, model.num_items))[:, :-1]  # (batch, seq_len - 1)
    return model(x)[:, -1]  # only the last position recommends


def popularity_scores(train_sessions: np.ndarray, num_items: int = len(ITEMS)) -> torch.Tensor:
    """流行度基线（popularity baseline）：每个物品在训练会话中出现的次数，所有人都一样。"""
    check_int("num_items（物品数）", num_items)
    counts = np.bincount(check_sessions(train_sessions, num_items).ravel(), minlength=num_items)
    return torch.as_tensor(counts, dtype=torch.float64)  # (num_items,)


def hit_rate(scores: torch.Tensor, targets, k: int = 10) -> float:
    """HR@k：真实的下一个物品排在前 k 名中的会话所占比例。

    scores: (batch, num_items) or (num_items,) (the same list for everybody), a tensor or a
    numpy array; targets: (batch,).
    """
    if isinstance(scores, (str, bytes)) or scores is None:
        raise TypeError(f"scores（打分）必须是数字张量或数组，实际是 {type(scores).__name__}")
    try:
        scores = torch.as_tensor(scores)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(
            f"scores（打分）必须是由数字组成的张量或数组：{short_repr(scores)}"
        ) from None
    if scores.is_complex() or scores.dtype == torch.bool:
        raise TypeError(f"scores（打分）必须是实数，实际的类型是 {scores.dtype}")
    if scores.dim() not in (1, 2):
        raise ValueError(
            f"scores 的形状应为 (batch, num_items) 或 (num_items,)，实际是 {tuple(scores.shape)}"
        )
    check_finite("scores（打分）", scores)  # NaN would rank first and be counted as a miss
    targets = as_ids("targets（真实的下一个物品）", targets, scores.shape[-1], ndim=1)
    if len(targets) == 0:
        raise ValueError("targets 是空的：没有会话，命中率（HR@k）没有定义")
    if scores.dim() == 1:
        scores = scores.expand(len(targets), -1)
    check_int("k", k, 1, maximum=scores.shape[-1])
    if scores.shape[0] != len(targets):
        raise ValueError(f"打分有 {scores.shape[0]} 行，目标有 {len(targets)} 个，数量必须相同")
    top = scores.topk(k, dim=-1).indices  # (batch, k)
    return (top == targets.unsqueeze(1)).any(dim=1).double().mean().item()


@dataclass
class Recommendation:
    """一次推荐：会话、最后一个位置对各历史物品的注意力、前 k 个推荐及其概率。"""

    session: list[str]
    attention: np.ndarray  # (len(session),) last layer, mean over heads, last query row
    top_items: list[str]
    top_probs: list[float]
    layer_attention: np.ndarray  # (num_layers, len(session)): the same row in every layer


@torch.no_grad()
def recommend(model: SASRec, session: list[int], *, k: int = 10) -> Recommendation:
    """给一个会话（物品编号列表）推荐下一个物品，并记下是哪些历史物品在起作用。"""
    _check_model(model)
    if isinstance(session, str):
        raise TypeError("session 应是物品编号的列表；物品名请先用 parse_items 转成编号")
    items = as_ids("session（物品编号）", session, model.num_items, ndim=1)
    if len(items) == 0:
        raise ValueError("会话是空的：请至少给一个物品")
    if len(items) > model.max_len:
        raise ValueError(f"会话太长：有 {len(items)} 件物品，模型最多看 {model.max_len} 件")
    session = items.tolist()
    check_int("k（推荐几个）", k, 1, maximum=model.num_items)
    scores = model(items.unsqueeze(0))[0, -1]  # (num_items,)
    probs = torch.softmax(scores, dim=-1)
    # each layer's (num_heads, T, T) -> the last query row, mean over heads -> (T,)
    rows = [model.attention(i)[0, :, -1].mean(0) for i in range(len(model.encoder.layers))]
    layer_attention = torch.stack(rows).numpy().astype(float)  # (num_layers, T)
    top = torch.topk(probs, k)
    return Recommendation(
        session=[ITEMS[i] for i in session],
        attention=layer_attention[-1],
        top_items=[ITEMS[int(i)] for i in top.indices],
        top_probs=[float(p) for p in top.values],
        layer_attention=layer_attention,
    )


# Separators a reader may type between item names: Chinese and English commas, 、, arrows,
# semicolons and any whitespace.
_ITEM_SEPARATORS = re.compile(r"[，,、;；→\s]+")


def parse_items(text: str, *, max_items: int = 7) -> list[int]:
    """把读者输入的物品名（如 “相机，纸巾，存储卡”）变成物品编号列表，出错时给中文提示。

    Names are separated by commas (，or ,), 、, arrows (→), semicolons or spaces. At most
    ``max_items`` names: the chapter's model was trained on histories of 7 items, and the
    position vectors beyond that were never trained.
    """
    check_int("max_items（最多几件）", max_items)
    if not isinstance(text, str):
        raise TypeError(f"会话应是一段文字（物品名用逗号隔开），实际是 {type(text).__name__}")
    names = [n for n in _ITEM_SEPARATORS.split(text.strip()) if n]
    if not names:
        raise ValueError("会话是空的：请至少输入一件物品，物品名之间用逗号隔开")
    unknown = list(dict.fromkeys(n for n in names if n not in ITEM_ID))
    if unknown:
        # at most three names, each cut short: a pasted page is not repeated back
        shown = "、".join(quote(n, 12) for n in unknown[:3])
        more = f"等 {len(unknown)} 个" if len(unknown) > 3 else ""
        raise ValueError(
            f"不认识的物品：{shown}{more}。可用的 {len(ITEMS)} 件物品是：{'、'.join(ITEMS)}"
        )
    if len(names) > max_items:
        raise ValueError(
            f"会话太长：有 {len(names)} 件物品，最多 {max_items} 件"
            f"（模型训练时只见过 {max_items} 件的历史）"
        )
    return [ITEM_ID[n] for n in names]


def chain_next(session: list[int]) -> int | None:
    """会话里最后一件链条物品在链条上的下一件（埋进数据的规律给出的“正确答案”）；没有则 None。"""
    if isinstance(session, str):
        raise TypeError("session 应是物品编号的列表；物品名请先用 parse_items 转成编号")
    session = as_ids("session（物品编号）", session, len(ITEMS), ndim=1).tolist()
    chain_items = [i for i in session if i < NUM_CHAIN_ITEMS]
    return next_in_chain(chain_items[-1]) if chain_items else None


def check_sessions(sessions, num_items: int = len(ITEMS)) -> np.ndarray:
    """会话表 (用户数 ≥ 1, 会话长度 ≥ 2) 的物品编号，作为 numpy 数组返回；形状不对时给中文提示。

    Every entry must be an integer item id 0 … num_items - 1 (not a float, not a name).
    """
    ids = as_ids("sessions（会话表）", sessions, num_items)
    if ids.dim() != 2 or ids.shape[1] < 2 or len(ids) == 0:
        raise ValueError(f"会话的形状应为 (用户数 ≥ 1, 会话长度 ≥ 2)，实际是 {tuple(ids.shape)}")
    return ids.numpy()


def _check_model(model) -> None:
    check_instance("model", model, SASRec, "train_sasrec 或 load_reference 给出的模型")


def chain_next_share(sessions: np.ndarray) -> np.ndarray:
    """在每个位置上，下一件恰好是“链条的下一件”（``chain_next`` of the items so far）的会话比例。

    sessions (num_users, session_len) -> (session_len - 1,): entry t - 1 is the share of
    sessions whose item t (counting from 0) is ``chain_next(session[:t])``. The generator
    puts the chain's next item at the last position, so the last entry is large and the
    others small: what the model learns depends on the position it predicts for.
    """
    sessions = check_sessions(sessions)
    hits = [
        [chain_next(list(s[:t])) == s[t] for s in sessions] for t in range(1, sessions.shape[1])
    ]
    return np.mean(hits, axis=1)  # (session_len - 1,)


@torch.no_grad()
def attention_on_chain_items(model: SASRec, sessions: np.ndarray, layer: int = -1):
    """最后一个位置的注意力（各头平均）落在链条物品上的平均比例，以及链条物品占位置的比例。"""
    _check_model(model)
    x = torch.as_tensor(check_sessions(sessions, model.num_items))[:, :-1]  # (batch, T)
    num_layers = len(model.encoder.layers)
    check_int("layer（层）", layer, -num_layers, maximum=num_layers - 1)
    model(x)
    attn = model.attention(layer)[:, :, -1].mean(1)  # (batch, num_heads, T) -> (batch, T)
    chain = x < NUM_CHAIN_ITEMS  # (batch, T) True where a chain item
    return (attn * chain).sum(1).mean().item(), chain.double().mean().item()
