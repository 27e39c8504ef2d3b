"""One-hot 编码与嵌入（embedding）：第 3 章用到的度量与小例子。

* one-hot: every token becomes a row with a single 1 (``one_hot_encode``);
* what one-hot costs: bytes and sparsity (``memory_rows``), first-layer parameters
  (``first_layer_params``);
* one-hot × W = looking up row i of W (``lookup_vs_matmul``);
* the other two kinds of embedding in the notes: image patches as vectors
  (``image_patches``, ``pca_project``, ``leave_one_out_1nn``) and user vectors from a
  tiny matrix factorisation of a rating matrix (``factorise_ratings``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .._threads import torch_threads
from .._validate import (
    MAX_ELEMENTS,
    MAX_OPERATIONS,
    as_array,
    as_matrix,
    as_values,
    check_budget,
    check_int,
    check_number,
    check_positive,
    check_seed,
    short_repr,
)
from ..models.vit import patchify

# ---------------------------------------------------------------- one-hot


def one_hot_encode(tokens, vocab=None) -> tuple[list[str], np.ndarray, np.ndarray]:
    """把一串词/字变成 one-hot 矩阵。

    ``tokens``: 字符串（逐字切开）或词的列表；``vocab``: 词表（默认按首次出现的顺序）。
    返回 (vocab, ids, one_hot)，one_hot 形状 (seq_len, vocab_size)，第 t 行只有第 ids[t] 位是 1。
    """
    if tokens is None or (isinstance(tokens, str) and not tokens):
        raise ValueError("tokens（要编码的字或词）不能为空，例如 '我从哪里来'")
    tokens = as_values(
        "tokens（要编码的字或词）", list(tokens) if isinstance(tokens, str) else tokens
    )
    if not tokens:
        raise ValueError("tokens（要编码的字或词）不能为空，例如 '我从哪里来'")
    bad = [t for t in tokens if not (isinstance(t, str) and t)]
    if bad:
        raise ValueError(f"tokens 里每一项都必须是非空字符串，实际有 {short_repr(bad[0])}")
    if vocab is None:
        vocab = list(dict.fromkeys(tokens))
    vocab = as_values("vocab（词表）", list(vocab) if isinstance(vocab, str) else vocab)
    if not all(isinstance(w, str) for w in vocab):
        raise ValueError(f"vocab（词表）里每一项都必须是字符串，实际是 {short_repr(vocab)}")
    if len(set(vocab)) != len(vocab):
        raise ValueError("vocab（词表）里有重复的词")
    check_budget(
        "seq_len × vocab_size（one-hot 矩阵的大小）", len(tokens) * len(vocab), MAX_ELEMENTS
    )
    index = {w: i for i, w in enumerate(vocab)}
    missing = list(dict.fromkeys(t for t in tokens if t not in index))
    if missing:
        shown = "、".join(t if len(t) <= 10 else t[:10] + "…" for t in missing[:10])
        more = f"等 {len(missing)} 个" if len(missing) > 10 else ""
        raise ValueError(f"这些字/词不在词表里：{shown}{more}")
    ids = np.array([index[t] for t in tokens], dtype=np.int64)  # (seq_len,)
    one_hot = np.zeros((len(tokens), len(vocab)))  # (seq_len, vocab_size)
    one_hot[np.arange(len(tokens)), ids] = 1.0
    return vocab, ids, one_hot


# ---------------------------------------------------------------- what one-hot costs


def tensor_bytes(t: torch.Tensor) -> int:
    """张量实际占用的字节数 = 元素个数 × 每个元素的字节数。"""
    if not isinstance(t, torch.Tensor):
        raise ValueError(f"需要一个 torch 张量，实际是 {type(t).__name__}")
    return t.nelement() * t.element_size()


def memory_rows(vocab_sizes, seq_len: int = 100, d_model: int = 64, seed: int = 0) -> list[dict]:
    """对每个词表大小，真的建出一段 seq_len 个字的三种表示并量它们的字节数：

    * one-hot（float32）：(seq_len, vocab_size)
    * 稠密嵌入（float32）：(seq_len, d_model)
    * 编号（int64）：(seq_len,)
    以及 one-hot 中 0 所占的比例（稀疏度）。
    """
    seq_len = check_int("seq_len（序列长度）", seq_len)
    d_model = check_int("d_model（向量维度）", d_model)
    sizes = [
        check_int("vocab_size（词表大小）", v, 2)
        for v in as_values("vocab_sizes（词表大小列表）", vocab_sizes, limit=100)
    ]
    if not sizes:
        raise ValueError("vocab_sizes（词表大小列表）不能为空")
    check_budget("seq_len × vocab_size（one-hot 矩阵的大小）", seq_len * max(sizes), MAX_ELEMENTS)
    check_budget("vocab_size × d_model（嵌入表的大小）", max(sizes) * d_model, MAX_ELEMENTS)
    gen = torch.Generator().manual_seed(check_seed(seed))
    rows = []
    for vocab_size in sizes:
        ids = torch.randint(vocab_size, (seq_len,), generator=gen)  # (seq_len,)
        one_hot = nn.functional.one_hot(ids, vocab_size).float()  # (seq_len, vocab_size)
        table = nn.Embedding(vocab_size, d_model)
        dense = table(ids).detach()  # (seq_len, d_model)
        rows.append(
            {
                "vocab_size": vocab_size,
                "one_hot_bytes": tensor_bytes(one_hot),
                "dense_bytes": tensor_bytes(dense),
                "ids_bytes": tensor_bytes(ids),
                "table_bytes": tensor_bytes(table.weight),
                "sparsity": float((one_hot == 0).float().mean()),
            }
        )
    return rows


def first_layer_params(vocab_size: int, hidden: int, context: int, d_model: int) -> dict:
    """读 context 个字、输出 hidden 维的第一层有多少参数（用真的 nn 模块数）：

    * one-hot 直接进全连接层：Linear(context·vocab_size → hidden)
    * 先嵌入再进全连接层：Embedding(vocab_size, d_model) + Linear(context·d_model → hidden)
    """
    # only counted (no memory is used), but the counts must fit in a 64-bit integer
    vocab_size = check_int("vocab_size（词表大小）", vocab_size, 2, maximum=10**9)
    hidden = check_int("hidden（隐藏层大小）", hidden, maximum=10**9)
    context = check_int("context（上下文长度）", context, maximum=10**9)
    d_model = check_int("d_model（向量维度）", d_model, maximum=10**9)
    check_budget("context × vocab_size × hidden（参数个数）", context * vocab_size * hidden, 10**18)
    check_budget("context × d_model × hidden（参数个数）", context * d_model * hidden, 10**18)
    with torch.device("meta"):  # count parameters without allocating them
        direct = nn.Linear(context * vocab_size, hidden)
        embed = nn.Embedding(vocab_size, d_model)
        after = nn.Linear(context * d_model, hidden)

    def count(*modules):
        return sum(p.numel() for m in modules for p in m.parameters())

    return {"one_hot": count(direct), "embedding": count(embed, after)}


# ---------------------------------------------------------------- one-hot × W = lookup


@dataclass
class LookupComparison:
    by_matmul: torch.Tensor  # one_hot @ W, (seq_len, d_model)
    by_index: torch.Tensor  # W[ids], (seq_len, d_model)
    by_module: torch.Tensor  # nn.Embedding(ids), (seq_len, d_model)
    matmul_mults: int  # multiplications done by the product
    lookup_copies: int  # numbers copied by the lookup


def lookup_vs_matmul(ids, weight) -> LookupComparison:
    """one-hot 矩阵乘以 W，与直接按编号取出 W 的行，以及 ``nn.Embedding``，三种算法对比。"""
    w = torch.as_tensor(as_matrix("W（嵌入矩阵）", weight))  # (vocab_size, d_model)
    vocab_size, d_model = w.shape
    if ids is None or isinstance(ids, (str, bytes)):
        raise ValueError(f"ids（编号）必须是非空的一维整数序列，实际是 {type(ids).__name__}")
    try:
        ids = torch.as_tensor(np.asarray(ids))
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"ids（编号）必须是非空的一维整数序列，实际是 {short_repr(ids)}") from None
    integer = not (ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool)
    if ids.ndim != 1 or ids.numel() == 0 or not integer:
        raise ValueError("ids（编号）必须是非空的一维整数序列")
    seq_len = ids.numel()
    check_budget("seq_len × vocab_size（one-hot 矩阵的大小）", seq_len * vocab_size, MAX_ELEMENTS)
    check_budget(
        "seq_len × vocab_size × d_model（矩阵乘法的乘法次数）",
        seq_len * vocab_size * d_model,
        MAX_OPERATIONS,
    )
    if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
        raise ValueError(f"ids（编号）必须在 0 到 {vocab_size - 1} 之间（W 有 {vocab_size} 行）")
    ids = ids.long()
    one_hot = nn.functional.one_hot(ids, vocab_size).to(w.dtype)  # (seq_len, vocab_size)
    by_matmul = one_hot @ w  # (seq_len, vocab_size) @ (vocab_size, d_model) -> (seq_len, d_model)
    by_index = w[ids]  # (seq_len, d_model)
    table = nn.Embedding.from_pretrained(w, freeze=True)
    by_module = table(ids)  # (seq_len, d_model)
    seq_len = ids.numel()
    return LookupComparison(
        by_matmul, by_index, by_module, seq_len * vocab_size * d_model, seq_len * d_model
    )


# ---------------------------------------------------------------- image embedding


def image_patches(image, patch: int) -> np.ndarray:
    """把一张 (H, W) 的图切成 patch×patch 的小块，每块展平成一个向量（ViT 的第一步）。

    返回 (num_patches, patch·patch)，按从左到右、从上到下的顺序。
    The same cut as chapter 7's ``utils.models.vit.patchify``, for one single-channel image.
    """
    img = as_matrix("image（图像）", image)
    patch = check_int("patch（小块边长）", patch)
    h, w = img.shape
    if h % patch or w % patch:
        raise ValueError(f"图像大小 {h}×{w} 不能被小块边长 {patch} 整除")
    images = torch.tensor(img)[None, None]  # (H, W) -> (batch=1, channels=1, H, W)
    return patchify(images, patch)[0].numpy()  # (num_patches, p·p)


def leave_one_out_1nn(features, labels) -> float:
    """留一法最近邻准确率：每个样本的（欧氏距离）最近邻与它同类的比例。"""
    x = as_matrix("features（特征）", features)
    if x.shape[0] < 2:
        raise ValueError(
            f"features 至少要有 2 个样本（每个样本要和别的样本比），实际有 {x.shape[0]} 个"
        )
    check_budget("样本数²（两两距离的个数）", x.shape[0] ** 2, MAX_ELEMENTS)
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"labels 应有 {x.shape[0]} 个，实际形状 {y.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        sq = (x**2).sum(1)
        d2 = sq[:, None] + sq[None, :] - 2 * x @ x.T  # (n, n)
    if not np.isfinite(d2).all():
        raise ValueError("features（特征）里的数太大：距离的平方溢出成了无穷大，请先把特征缩小")
    np.fill_diagonal(d2, np.inf)
    return float((y[d2.argmin(axis=1)] == y).mean())


# ---------------------------------------------------------------- user embedding


@dataclass
class Factorisation:
    users: np.ndarray  # (num_users, rank): user embeddings
    items: np.ndarray  # (num_items, rank): item embeddings
    predicted: np.ndarray  # users @ items.T, (num_users, num_items)
    rmse: float  # on the observed ratings


def factorise_ratings(
    ratings, rank: int = 2, steps: int = 500, lr: float = 0.05, l2: float = 0.01, seed: int = 0
) -> Factorisation:
    """矩阵分解：评分矩阵 R ≈ U Vᵀ，只拟合已知的评分（NaN 表示没评）。

    U 的每一行就是一个用户的嵌入（user embedding），V 的每一行是一个物品的嵌入。
    minimise  Σ_{(u,i) 已知} (R_ui − U_u·V_i)² / n  +  l2 (|U|² + |V|²) / n
    """
    r = as_array("ratings（评分矩阵）", ratings, what="矩阵")
    if r.ndim != 2 or min(r.shape) < 2:
        raise ValueError(f"ratings（评分矩阵）必须是至少 2×2 的矩阵，实际形状 {r.shape}")
    if np.isinf(r).any():
        raise ValueError("ratings 里有无穷大（inf）：没评分的位置请用 NaN")
    known = ~np.isnan(r)
    if known.sum() < 2:
        raise ValueError("ratings 里已知的评分太少（至少要 2 个）")
    with np.errstate(over="ignore"):
        if not np.isfinite((r[known] ** 2).sum()):  # the loss would overflow at once
            raise ValueError("ratings 里的数太大：评分的平方和溢出成了无穷大，请把评分缩小")
    check_budget("评分矩阵的大小", r.size, MAX_ELEMENTS)
    rank = check_int("rank（嵌入维度）", rank, maximum=1000)
    steps = check_int("steps（迭代次数）", steps, maximum=100_000)
    check_budget("steps × 评分矩阵的大小 × rank（乘法次数）", steps * r.size * rank, MAX_OPERATIONS)
    lr = check_positive("lr（学习率）", lr)
    l2 = check_number("l2（正则化系数）", l2, 0.0)
    seed = check_seed(seed)
    with torch_threads(1):
        result = _factorise(r, known, rank, steps, lr, l2, seed)
    if not (np.isfinite(result.predicted).all() and np.isfinite(result.rmse)):
        raise ValueError(
            "矩阵分解的结果里出现了 NaN 或无穷大（inf）：评分太大（平方溢出）或训练发散了。"
            "请把评分缩小到常见的范围（例如 1 到 5），或把 lr（学习率）调小"
        )
    return result


def _factorise(r, known, rank, steps, lr, l2, seed) -> Factorisation:
    torch.manual_seed(seed)
    num_users, num_items = r.shape
    u = nn.Parameter(0.1 * torch.randn(num_users, rank, dtype=torch.float64))
    v = nn.Parameter(0.1 * torch.randn(num_items, rank, dtype=torch.float64))
    target = torch.tensor(np.nan_to_num(r))
    mask = torch.tensor(known, dtype=torch.float64)
    n = mask.sum()
    opt = torch.optim.Adam([u, v], lr=lr)
    for _ in range(steps):
        pred = u @ v.T  # (num_users, rank) @ (rank, num_items) -> (num_users, num_items)
        loss = (((pred - target) * mask) ** 2).sum() / n
        loss = loss + l2 * ((u**2).sum() + (v**2).sum()) / n
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        pred = u @ v.T  # (num_users, num_items)
        rmse = torch.sqrt((((pred - target) * mask) ** 2).sum() / n).item()
    return Factorisation(u.detach().numpy(), v.detach().numpy(), pred.numpy(), rmse)


# ---------------------------------------------------------------- figures (chapter 3)
