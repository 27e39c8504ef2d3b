"""字符级语言模型（character-level language model）：只有解码器的小 "GPT"。

A decoder-only Transformer trained on the book's own Chinese corpus
(``utils.models.corpus.load_text``), one character per token. A "GPT block" is the book's
``EncoderLayer`` used with a causal mask: position t may only look at positions ≤ t, so
the output at t can be trained to predict character t + 1.

    tokens (batch, seq_len) → TokenEmbedding + LearnedPositionalEmbedding
      → Encoder(num_layers, causal_mask) → Linear → logits (batch, seq_len, vocab_size)

Also here: the unigram / bigram baselines the model is compared with (per-character
cross-entropy on held-out sentences), greedy / seeded generation, and the per-step view
(context, causal-attention row, top-5 next characters) that the chapter's widget shows.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .._threads import torch_threads
from .._validate import (
    MAX_LAYERS,
    as_ids,
    check_bool,
    check_finite,
    check_instance,
    check_int,
    check_number,
    check_parameter_count,
    check_positive,
    check_seed,
    is_int,
    short_repr,
    training_guard,
)
from ..nn.attention import causal_mask
from ..nn.positional_encoding import LearnedPositionalEmbedding
from ..nn.transformer import Encoder, TokenEmbedding, check_token_batch

NEWLINE_SHOWN = "↵"  # how the sentence separator "\n" is displayed

# Upper bounds for what a reader can type (the chapter: 250 steps of 32 windows of 24
# characters, about 7 s; generation of 16 characters): a typo gets a message, not a hang.
MAX_STEPS = 20_000
MAX_BATCH = 4096
MAX_LEN = 1024  # block_size / max_len: the context the model sees
MAX_GENERATE = 1000  # characters generated in one call


def show_char(c: str) -> str:
    """把换行显示成 ↵，其他字符原样返回。"""
    return NEWLINE_SHOWN if c == "\n" else c


class CharVocab:
    """字表（vocabulary）：语料中出现过的每个字符一个编号，按 Unicode 排序。"""

    def __init__(self, text: str):
        if not isinstance(text, str) or not text:
            raise ValueError("建字表需要一段非空的文本（str）")
        self.chars = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, c) -> bool:
        return c in self.stoi

    def unknown(self, text: str) -> list[str]:
        """``text`` 中不在字表里的字符（去重，按出现顺序）。"""
        return list(dict.fromkeys(c for c in text if c not in self.stoi))

    def encode(self, text: str) -> list[int]:
        if not isinstance(text, str):
            raise TypeError(f"要编码的必须是字符串，实际是 {type(text).__name__}")
        bad = self.unknown(text)
        if bad:
            shown = "、".join(f"“{show_char(c)}”" for c in bad[:5])
            more = f"等 {len(bad)} 种字符" if len(bad) > 5 else ""
            raise ValueError(f"这些字符不在语料的字表里（共 {len(self)} 个字）：{shown}{more}")
        return [self.stoi[c] for c in text]

    def decode(self, ids) -> str:
        """编号 → 文本；编号必须在 0 到 len(vocab) - 1 之间（负数不会从末尾倒着取）。"""
        return "".join(
            self.chars[i] for i in as_ids("ids（字的编号）", ids, len(self), ndim=1).tolist()
        )


def split_sentences(text: str, *, held_out: float = 0.1, seed: int = 0) -> tuple[str, str]:
    """按句子随机分成训练集与留出集（held-out），各自用 "\\n" 连接；留出的句子训练时一次也没见过。

    The book's corpus is generated from templates, so one sentence can occur several times.
    The split is therefore over the *distinct* sentences: a random ``held_out`` share of them
    is held out (each once, in order of first appearance), and every copy of a held-out
    sentence is kept out of training. The training text keeps the other sentences with
    their repeats, in corpus order. Otherwise a model with a long context could score well
    on the held-out text just by having memorised its sentences during training.
    """
    if not isinstance(text, str):
        raise TypeError(f"text（文本）必须是字符串，实际是 {type(text).__name__}")
    check_number("held_out（留出比例）", held_out, 0.0, 1.0, low_open=True, high_open=True)
    seed = check_seed(seed)
    sentences = [s for s in text.split("\n") if s]
    distinct = list(dict.fromkeys(sentences))  # first appearance order
    if len(distinct) < 2:
        raise ValueError("至少需要两句不同的话才能分出训练集和留出集")
    order = np.random.default_rng(seed).permutation(len(distinct))
    n_test = min(len(distinct) - 1, max(1, int(round(held_out * len(distinct)))))
    test = {distinct[i] for i in order[:n_test]}
    train = [s for s in sentences if s not in test]
    return "\n".join(train), "\n".join(s for s in distinct if s in test)


class CharLM(nn.Module):
    """只有解码器的字符级 Transformer（decoder-only，GPT 式）。"""

    def __init__(
        self,
        vocab_size: int,
        *,
        d_model: int = 64,
        num_heads: int = 4,
        num_layers: int = 2,
        d_ff: int | None = None,
        max_len: int = 32,
    ):
        super().__init__()
        _check_sizes(vocab_size, d_model, num_heads, num_layers, d_ff, max_len)
        self.vocab_size, self.d_model, self.max_len = vocab_size, d_model, max_len
        self.embed = TokenEmbedding(vocab_size, d_model)
        self.pos = LearnedPositionalEmbedding(d_model, max_len)
        # pre-norm blocks + a final LayerNorm, as in GPT-2
        self.blocks = Encoder(num_layers, d_model, num_heads, d_ff, norm_first=True)
        self.head = nn.Linear(d_model, vocab_size)
        self.vocab: CharVocab | None = None  # set by train_char_lm

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (batch, seq_len) -> logits (batch, seq_len, vocab_size)"""
        hint = "（文字请先用 model.vocab.encode 变成编号）"
        check_token_batch("tokens", tokens, self.max_len, hint=hint)
        batch, seq_len = tokens.shape
        x = self.pos(self.embed(tokens))  # (batch, seq_len, d_model)
        x = self.blocks(x, causal_mask(seq_len, device=tokens.device))  # (batch, seq_len, d_model)
        return self.head(x)  # (batch, seq_len, vocab_size)

    def attention(self, layer: int = -1) -> torch.Tensor:
        """上一次前向计算中第 ``layer`` 层的注意力权重 (batch, num_heads, seq_len, seq_len)。"""
        return self.blocks.attention(layer)


def _check_sizes(vocab_size, d_model, num_heads, num_layers, d_ff, max_len) -> None:
    """CharLM's sizes, checked before anything is built (a negative size would otherwise stop
    deep inside torch, a huge one fill the memory)."""
    check_int("vocab_size（字表大小）", vocab_size)
    check_int("d_model（向量维度）", d_model)
    check_int("num_heads（头数）", num_heads, maximum=d_model)
    check_int("num_layers（层数）", num_layers, maximum=MAX_LAYERS)
    if d_ff is not None:
        check_int("d_ff（前馈层宽度）", d_ff)
    check_int("max_len（最长上下文）", max_len, maximum=MAX_LEN)
    width = 4 * d_model if d_ff is None else d_ff
    # embedding + output layer, positions, and per block attention (4 d²) and MLP (2 d·d_ff)
    embed = 2 * vocab_size * d_model + max_len * d_model
    check_parameter_count(embed + num_layers * (4 * d_model + 2 * width) * d_model)


def _check_model(model) -> None:
    check_instance("model", model, CharLM, "train_char_lm 或 load_reference 给出的模型")
    if model.vocab is None:
        raise ValueError("模型没有字表（vocab）：请用 train_char_lm 训练，或用 load_reference 载入")


@dataclass
class TrainHistory:
    steps: list[int]
    losses: list[float]  # training loss (mean over the logged interval), nats per character


def _windows(ids: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    offsets = torch.arange(length)  # (length,)
    return ids[starts.unsqueeze(1) + offsets]  # (batch, length)


def train_char_lm(
    text: str | None = None,
    *,
    seed: int = 0,
    steps: int = 250,
    batch: int = 32,
    block_size: int = 24,
    d_model: int = 64,
    num_heads: int = 4,
    num_layers: int = 2,
    d_ff: int = 128,
    lr: float = 5e-3,
    held_out: float = 0.1,
    log_every: int = 50,
) -> tuple[CharLM, TrainHistory, float]:
    """在本书语料的训练句子上训练 CharLM。返回 (model, history, 用时秒数)。

    The vocabulary is built from the whole corpus (the alphabet); only the training
    sentences (``split_sentences``) are used to learn. Random windows of
    ``block_size + 1`` characters: inputs are the first ``block_size``, targets the
    same window shifted by one. Runs single-threaded so a run is reproducible.
    """
    if text is None:
        from .corpus import load_text

        text = load_text()
    for name, v, most in (
        ("steps", steps, MAX_STEPS),
        ("batch", batch, MAX_BATCH),
        ("block_size", block_size, MAX_LEN),
        ("log_every", log_every, None),
    ):
        check_int(name, v, maximum=most)
    check_positive("lr（学习率）", lr)
    seed = check_seed(seed)
    _check_sizes(len(set(text)) if isinstance(text, str) else 1, d_model, num_heads,
                 num_layers, d_ff, block_size)  # fmt: skip
    vocab = CharVocab(text)
    train_text, _ = split_sentences(text, held_out=held_out, seed=seed)
    ids = torch.tensor(vocab.encode(train_text), dtype=torch.long)
    if len(ids) < block_size + 1:
        raise ValueError(f"训练文本太短（{len(ids)} 个字），至少要有 block_size+1 个字")

    with torch_threads(1):
        start = time.perf_counter()
        torch.manual_seed(seed)
        model = CharLM(
            len(vocab), d_model=d_model, num_heads=num_heads, num_layers=num_layers,
            d_ff=d_ff, max_len=block_size,
        )  # fmt: skip
        model.vocab = vocab
        opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
        gen = torch.Generator().manual_seed(seed)
        history, running = TrainHistory([], []), []
        with training_guard(model, opt):
            for step in range(1, steps + 1):
                # a window is block_size + 1 characters: starts 0 … len(ids) - block_size - 1
                starts = torch.randint(0, len(ids) - block_size, (batch,), generator=gen)
                chunk = _windows(ids, starts, block_size + 1)  # (batch, block_size + 1)
                x, y = chunk[:, :-1], chunk[:, 1:]  # (batch, block_size) each
                logits = model(x)  # (batch, block_size, vocab_size)
                loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
                opt.zero_grad()
                loss.backward()
                opt.step()
                running.append(loss.item())
                if step % log_every == 0 or step == steps:
                    history.steps.append(step)
                    history.losses.append(sum(running) / len(running))
                    running = []
        model.eval()
    return model, history, time.perf_counter() - start


def _eval_pairs(vocab: CharVocab, text: str, block_size: int) -> torch.Tensor:
    """留出文本切成不重叠的 block_size 长的窗口 (n_windows, block_size)。"""
    check_int("block_size（窗口长度）", block_size, 2)  # one character predicts nothing
    ids = torch.tensor(vocab.encode(text), dtype=torch.long)
    n = len(ids) // block_size
    if n < 1:
        raise ValueError(f"评估文本太短（{len(ids)} 个字），至少要有 block_size={block_size} 个字")
    return ids[: n * block_size].view(n, block_size)  # (n_windows, block_size)


@torch.no_grad()
def model_loss(model: CharLM, text: str) -> float:
    """模型在 ``text`` 上的平均每字交叉熵（nats）。

    Evaluated on non-overlapping windows of ``model.max_len`` characters; in each
    window, characters 2..max_len are predicted from the characters before them.
    """
    _check_model(model)
    windows = _eval_pairs(model.vocab, text, model.max_len)  # (n, max_len)
    logits = model(windows[:, :-1])  # (n, max_len - 1, vocab_size)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), windows[:, 1:].reshape(-1)).item()


def ngram_loss(train_text: str, test_text: str, vocab: CharVocab, *, n: int, block_size: int):
    """一元（unigram, n=1）或二元（bigram, n=2）模型的平均每字交叉熵（nats），加一平滑。

    Scored on exactly the same targets as ``model_loss`` (characters 2..block_size of
    each window), so the numbers are comparable.
    p_1(c) = (count(c) + 1) / (N + V);  p_2(c | b) = (count(b c) + 1) / (count(b) + V)
    """
    if not is_int(n) or n not in (1, 2):
        raise ValueError(f"n 只能是 1（一元）或 2（二元），实际是 {short_repr(n)}")
    check_instance("vocab（字表）", vocab, CharVocab, "CharVocab(text)")
    if not isinstance(train_text, str):
        raise TypeError(f"train_text（训练文本）必须是字符串，实际是 {type(train_text).__name__}")
    V = len(vocab)
    windows = _eval_pairs(vocab, test_text, block_size).tolist()
    uni = Counter(train_text)
    bi = Counter(zip(train_text, train_text[1:], strict=False))
    total, count = 0.0, 0
    for w in windows:
        chars = [vocab.chars[i] for i in w]
        for prev, c in zip(chars[:-1], chars[1:], strict=True):
            if n == 1:
                p = (uni[c] + 1) / (len(train_text) + V)
            else:
                p = (bi[prev, c] + 1) / (uni[prev] + V)
            total -= math.log(p)
            count += 1
    return total / count


@dataclass
class GenStep:
    """生成一个字的一步：上下文、最后一个位置的注意力、前 k 个候选、选中的字。"""

    context: str  # the characters the model sees
    attention: np.ndarray  # (len(context),) last layer, mean over heads, last query row
    top_chars: list[str]
    top_probs: list[float]
    chosen: str


def _check_prompt(model: CharLM, prompt: str, num_chars: int, most: int = MAX_GENERATE):
    _check_model(model)
    if not isinstance(prompt, str):
        raise TypeError(f"开头（prompt）必须是字符串，实际是 {type(prompt).__name__}")
    if not prompt:
        raise ValueError("开头（prompt）是空的：请至少输入一个字")
    check_int("num_chars（生成的字数）", num_chars, maximum=most)
    return model.vocab.encode(prompt)


@torch.no_grad()
def generate(
    model: CharLM,
    prompt: str,
    num_chars: int,
    *,
    greedy: bool = True,
    seed: int = 0,
    temperature: float = 1.0,
) -> str:
    """从 ``prompt`` 开始逐字生成 ``num_chars`` 个字，返回生成的部分。

    greedy=True takes the most probable character (deterministic); otherwise it samples
    from softmax(logits / temperature) with a generator seeded by ``seed``. The context
    is cut to the last ``model.max_len`` characters.
    """
    ids = _check_prompt(model, prompt, num_chars)
    greedy = check_bool("greedy（贪心）", greedy)
    check_number("temperature（温度）", temperature, 0.0, low_open=True)
    gen = torch.Generator().manual_seed(check_seed(seed))
    out = []
    for _ in range(num_chars):
        context = torch.tensor([ids[-model.max_len :]])  # (1, ≤ max_len)
        logits = model(context)[0, -1]  # (vocab_size,) only the last position predicts
        check_finite("模型的输出（logits）", logits)
        if greedy:
            nxt = int(logits.argmax())
        else:
            scaled = logits / temperature  # (vocab_size,)
            if not bool(scaled.isfinite().all()):
                # a tiny temperature: logits / T overflows. Subtracting the largest logit
                # first gives the limit T -> 0, all the probability on the best characters.
                scaled = (logits - logits.max()) / temperature
            probs = torch.softmax(scaled, dim=-1)
            nxt = int(torch.multinomial(probs, 1, generator=gen))
        ids.append(nxt)
        out.append(nxt)
    return model.vocab.decode(out)


@torch.no_grad()
def generation_steps(model: CharLM, prompt: str, num_chars: int, *, top_k: int = 5):
    """贪心生成的每一步（GenStep 列表），供 widget 逐步展示。

    The prompt plus the generated characters must fit in ``model.max_len``, so every
    step's attention row covers the whole context.
    """
    ids = _check_prompt(model, prompt, num_chars, most=model.max_len)
    check_int("top_k（显示几个候选）", top_k, maximum=len(model.vocab))
    if len(ids) + num_chars - 1 > model.max_len:
        raise ValueError(
            f"开头太长：开头 {len(ids)} 个字 + 生成 {num_chars} 个字超过了模型能看的 "
            f"{model.max_len} 个字，请把开头缩短到 {model.max_len - num_chars + 1} 个字以内"
        )
    steps = []
    for _ in range(num_chars):
        logits = model(torch.tensor([ids]))[0, -1]  # (vocab_size,)
        probs = torch.softmax(logits, dim=-1)
        attn = model.attention(-1)[0, :, -1].mean(0)  # (num_heads, T) -> (T,) last query row
        top = torch.topk(probs, top_k)
        nxt = int(top.indices[0])
        steps.append(
            GenStep(
                context=model.vocab.decode(ids),
                attention=attn.numpy().astype(float),
                top_chars=[model.vocab.chars[int(i)] for i in top.indices],
                top_probs=[float(p) for p in top.values],
                chosen=model.vocab.chars[nxt],
            )
        )
        ids.append(nxt)
    return steps
