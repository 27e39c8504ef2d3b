"""一个小小的 word2vec：skip-gram + 负采样（skip-gram with negative sampling, SGNS）。

Mikolov et al. (2013). Every word w has two vectors: an input vector v_w (the row of
the embedding table W that the chapter looks at) and an output vector u_w. For a
centre word c and a word o seen within ``window`` words of it, SGNS minimises

    loss = -log σ(u_o · v_c) - Σ_{k=1..K} log σ(-u_{n_k} · v_c)

where n_1..n_K are K "negative" words drawn from the unigram distribution raised to
the power 3/4. Words that occur in the same contexts are pushed towards the same
u_o, so their v's end up close: that is what the learned vectors capture.

Fast on a CPU: the pairs are built once, then each step handles a whole batch of
pairs with one gather and one batched dot product. Deterministic: one seeded
``torch.Generator`` drives the shuffling and the negative sampling, float64 throughout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .._threads import torch_threads
from .._validate import (
    as_matrix,
    check_instance,
    check_int,
    check_nonzero_rows,
    check_number,
    check_parameter_count,
    check_positive,
    check_seed,
    quote,
    short_repr,
    training_guard,
)
from ..nn.linalg import cosine_matrix, pca_project

# 第 3 章用来衡量 word2vec 的词组（全都在随书语料里）：同组的词应当彼此相近。
WORD_GROUPS = {
    "水果": ["苹果", "香蕉", "橘子", "葡萄", "西瓜", "草莓"],
    "动物": ["猫", "狗", "兔子", "熊猫", "老虎", "猴子"],
    "颜色": ["红色", "黄色", "蓝色", "绿色", "白色", "黑色"],
    "家人": ["爸爸", "妈妈", "哥哥", "姐姐", "爷爷", "奶奶"],
    "城市": ["北京", "上海", "广州", "杭州", "南京", "成都"],
    "饮料": ["牛奶", "茶", "咖啡", "果汁", "豆浆"],
    "主食": ["米饭", "面条", "饺子", "包子", "馒头"],
}

# Upper bounds for what a reader can type (the chapter trains 5 epochs, a few seconds).
MAX_EPOCHS = 1000
MAX_NEGATIVES = 100


@dataclass
class Vocab:
    """词表：words[i] 是编号 i 的词；counts[i] 是它在语料里出现的次数。"""

    words: list[str]
    counts: list[int]
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.index = {w: i for i, w in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self.index

    def id_of(self, word: str) -> int:
        """词 → 编号；空的、不是字符串或不在词表里时给出中文错误（ValueError / TypeError）。"""
        if not isinstance(word, str):
            raise TypeError(f"词必须是字符串，实际是 {type(word).__name__}")
        if not word.strip():
            raise ValueError("请输入一个词（不能为空）")
        word = word.strip()
        if word not in self.index:
            raise ValueError(f"{quote(word)}不在词表里（词表共 {len(self.words)} 个词）")
        return self.index[word]


def _check_sentences(sentences) -> None:
    if not isinstance(sentences, (list, tuple)) or not sentences:
        raise ValueError("sentences（句子列表）不能为空，应是 [[词, 词, ...], ...]")
    for i, s in enumerate(sentences):
        if isinstance(s, str) or not isinstance(s, (list, tuple)):
            raise ValueError(
                f"第 {i + 1} 句应是词的列表，例如 ['我', '喜欢', '苹果']，实际是 {short_repr(s)}"
            )
        bad = [w for w in s if not (isinstance(w, str) and w)]
        if bad:
            raise ValueError(f"第 {i + 1} 句里有不是字符串或为空的词：{short_repr(bad[0])}")


def _check_vocab(vocab) -> None:
    check_instance("vocab（词表）", vocab, Vocab, "build_vocab 或 train_word2vec 给出的词表")


def build_vocab(sentences, min_count: int = 1) -> Vocab:
    """按出现次数从多到少编号（次数相同按词本身排序，保证结果确定）。"""
    _check_sentences(sentences)
    check_int("min_count（最少出现次数）", min_count)
    counts = Counter(w for s in sentences for w in s)
    kept = sorted((w for w, c in counts.items() if c >= min_count), key=lambda w: (-counts[w], w))
    if not kept:
        raise ValueError(f"没有出现次数 ≥ {min_count} 的词，词表为空")
    return Vocab(kept, [counts[w] for w in kept])


def skipgram_pairs(sentences, vocab: Vocab, window: int = 2) -> torch.Tensor:
    """所有 (中心词, 上下文词) 的编号对，形状 (num_pairs, 2)。上下文 = 前后各 window 个词以内。"""
    _check_sentences(sentences)
    _check_vocab(vocab)
    check_int("window（窗口大小）", window)
    pairs = []
    for s in sentences:
        ids = [vocab.index[w] for w in s if w in vocab.index]
        for i, c in enumerate(ids):
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i:
                    pairs.append((c, ids[j]))
    if not pairs:
        raise ValueError("语料里没有任何 (中心词, 上下文词) 对：句子是否都只有一个词？")
    return torch.tensor(pairs, dtype=torch.long)


def negative_distribution(vocab: Vocab, power: float = 0.75) -> torch.Tensor:
    """负采样分布 P(w) ∝ count(w)^power（word2vec 用 3/4）。形状 (vocab_size,)。"""
    _check_vocab(vocab)
    power = check_number("power（次数的幂）", power)  # a float: 10**30 would overflow torch's int
    counts = torch.tensor(vocab.counts, dtype=torch.float64)
    p = counts**power
    p = p / p.sum()
    if not bool(p.isfinite().all()):
        raise ValueError(
            f"power（次数的幂）= {power:g} 太大或太小：count^power 溢出了，分布里出现 NaN"
        )
    return p


class SkipGramNS(nn.Module):
    """两张嵌入表：in_embed 是 W（中心词的向量 v），out_embed 是上下文向量 u。"""

    def __init__(self, vocab_size: int, d_model: int):
        super().__init__()
        check_int("vocab_size（词表大小）", vocab_size, 2)
        check_int("d_model（向量维度）", d_model)
        check_parameter_count(2 * vocab_size * d_model)
        self.in_embed = nn.Embedding(vocab_size, d_model, dtype=torch.float64)
        self.out_embed = nn.Embedding(vocab_size, d_model, dtype=torch.float64)
        bound = 0.5 / d_model
        nn.init.uniform_(self.in_embed.weight, -bound, bound)  # word2vec 的初始化
        nn.init.zeros_(self.out_embed.weight)

    def forward(self, center, context, negatives) -> torch.Tensor:
        """center, context: (batch,)；negatives: (batch, K)。返回这一批的平均损失。"""
        v = self.in_embed(center)  # (batch, d_model)
        u_pos = self.out_embed(context)  # (batch, d_model)
        u_neg = self.out_embed(negatives)  # (batch, K, d_model)
        # loss = -log σ(u_o·v_c) - Σ_k log σ(-u_k·v_c)
        pos = (u_pos * v).sum(-1)  # (batch,)
        neg = torch.einsum("bkd,bd->bk", u_neg, v)  # (batch, K)
        loss = -F.logsigmoid(pos) - F.logsigmoid(-neg).sum(-1)
        return loss.mean()


@dataclass
class Word2VecResult:
    """训练结果：词表、向量 W（= in_embed 的权重，(vocab_size, d_model)）和每轮的平均损失。"""

    vocab: Vocab
    vectors: np.ndarray
    epoch_losses: list[float]
    model: SkipGramNS = field(repr=False)


def train_word2vec(
    sentences,
    d_model: int = 16,
    window: int = 2,
    num_negatives: int = 5,
    epochs: int = 5,
    batch_size: int = 512,
    lr: float = 0.02,
    seed: int = 0,
    min_count: int = 1,
) -> Word2VecResult:
    """在 ``sentences`` 上训练 SGNS。固定 seed 时结果在同一台机器上完全可复现。"""
    check_int("d_model（向量维度）", d_model)
    check_int("num_negatives（负样本个数）", num_negatives, maximum=MAX_NEGATIVES)
    check_int("epochs（训练轮数）", epochs, maximum=MAX_EPOCHS)
    check_int("batch_size（批大小）", batch_size)
    check_positive("lr（学习率）", lr)
    check_seed(seed)
    # One thread: the ops here are far too small to gain from threads; on a busy 2-core
    # machine two threads waiting on each other made training ~8x slower (25 s vs 3 s).
    with torch_threads(1):
        return _train(
            sentences, d_model, window, num_negatives, epochs, batch_size, lr, seed, min_count
        )


def _train(sentences, d_model, window, num_negatives, epochs, batch_size, lr, seed, min_count):
    vocab = build_vocab(sentences, min_count)
    pairs = skipgram_pairs(sentences, vocab, window)  # (num_pairs, 2)
    noise = negative_distribution(vocab)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # the model's initial weights
    model = SkipGramNS(len(vocab), d_model)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    epoch_losses = []
    with training_guard(model, opt):
        for _ in range(epochs):
            order = torch.randperm(len(pairs), generator=gen)
            total, n = 0.0, 0
            for start in range(0, len(pairs), batch_size):
                batch = pairs[order[start : start + batch_size]]  # (batch, 2)
                negatives = torch.multinomial(
                    noise, batch.shape[0] * num_negatives, replacement=True, generator=gen
                ).view(batch.shape[0], num_negatives)  # (batch, K)
                loss = model(batch[:, 0], batch[:, 1], negatives)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * batch.shape[0]
                n += batch.shape[0]
            epoch_losses.append(total / n)
    vectors = model.in_embed.weight.detach().numpy().copy()
    return Word2VecResult(vocab, vectors, epoch_losses, model)


def nearest_neighbours(vectors, vocab: Vocab, word: str, k: int = 5) -> list[tuple[str, float]]:
    """与 ``word`` 余弦相似度最高的 k 个词（不含它自己），从高到低。

    ``vectors`` (vocab_size, d_model), one row per word of ``vocab``; a row with NaN or inf
    is refused (it would silently drop out of the ranking), and so are vectors so long that
    their length overflows.
    """
    _check_vocab(vocab)
    check_int("k（近邻个数）", k, maximum=max(1, len(vocab) - 1))
    i = vocab.id_of(word)
    m = as_matrix("vectors（词向量）", vectors)  # numbers, 2-D, no NaN or inf
    if m.shape[0] != len(vocab):
        raise ValueError(f"vectors 有 {m.shape[0]} 行，词表有 {len(vocab)} 个词，两者应相等")
    with np.errstate(over="ignore"):  # an overflow is reported just below
        norms = np.linalg.norm(m, axis=1, keepdims=True)  # (vocab_size, 1)
    check_nonzero_rows("vectors（词向量）", norms)
    if not np.isfinite(norms).all():
        raise ValueError("vectors（词向量）里的数太大：向量的长度溢出成了无穷大，无法算余弦相似度")
    unit = m / norms  # (vocab_size, d_model)
    sims = unit @ unit[i]  # (vocab_size,)
    sims[i] = -np.inf
    order = np.argsort(-sims, kind="stable")[: min(k, len(vocab) - 1)]
    return [(vocab.words[j], float(sims[j])) for j in order]


def group_similarity(vectors, vocab: Vocab, groups: dict[str, list[str]]) -> tuple[float, float]:
    """(同组词对的平均余弦相似度, 不同组词对的平均余弦相似度)。

    ``groups``: {group name: [word, ...]}, at least two groups, none of them empty.
    """
    _check_vocab(vocab)
    check_instance("groups（词组）", groups, dict, "{组名: [词, ...]}")
    if len(groups) < 2:
        raise ValueError("至少需要两组词，才能比较组内与组间的相似度")
    for name, ws in groups.items():
        if isinstance(ws, str) or not isinstance(ws, (list, tuple)) or not ws:
            raise ValueError(f"词组 {quote(name)} 应是非空的词列表，实际是 {short_repr(ws)}")
    words = [w for ws in groups.values() for w in ws]
    label = [g for g, ws in groups.items() for _ in ws]
    ids = [vocab.id_of(w) for w in words]
    m = as_matrix("vectors（词向量）", vectors)
    if m.shape[0] != len(vocab):
        raise ValueError(f"vectors 有 {m.shape[0]} 行，词表有 {len(vocab)} 个词，两者应相等")
    sims = cosine_matrix(m[ids])
    same, diff = [], []
    for a in range(len(words)):
        for b in range(a + 1, len(words)):
            (same if label[a] == label[b] else diff).append(sims[a, b])
    if not same:
        raise ValueError("每组至少要有两个词")
    return float(np.mean(same)), float(np.mean(diff))


def pca_2d(vectors) -> np.ndarray:
    """把词向量用主成分分析（PCA）投影到二维，(n, d) → (n, 2)，用来画图。"""
    return pca_project(vectors, 2)


def cooccurrence_matrix(sentences, vocab: Vocab, window: int = 2) -> np.ndarray:
    """共现次数 X：X[i, j] = 词 j 出现在词 i 前后 window 个词以内的次数（GloVe 的输入）。

    与 ``skipgram_pairs`` 数的是同一批 (中心词, 上下文词) 对，形状 (vocab_size, vocab_size)。
    """
    pairs = skipgram_pairs(sentences, vocab, window)  # (num_pairs, 2)
    x = np.zeros((len(vocab), len(vocab)))
    np.add.at(x, (pairs[:, 0].numpy(), pairs[:, 1].numpy()), 1.0)
    return x
