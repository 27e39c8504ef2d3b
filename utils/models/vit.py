"""Vision Transformer（ViT）：把图像切成小块（patch），当作一串 token 交给 Transformer 编码器。

The notes' six steps (section 5), each a function or a module here:

    1. patchify / PatchEmbedding      image -> patches -> embed_dim vectors
       (a Conv2d with kernel = stride = patch_size, then flatten(2) and transpose(1, 2))
    2. tokens                          (batch, num_patches, embed_dim)
    3. position + CLS token            fixed (sinusoidal) or learned position embeddings
    4.-6. encoder blocks               utils.nn.transformer.EncoderLayer(norm_first=True, "gelu")
                                       = multi-head attention, MLP, LayerNorm + residual
    head                               LayerNorm -> Linear on the CLS token -> class logits

Shapes: images (batch, channels, height, width); tokens (batch, seq_len, d_model) with
seq_len = 1 + num_patches (the CLS token first). ``d_model`` is the notes' ``embed_dim``.
"""

from __future__ import annotations

import inspect
import math
import time
from dataclasses import dataclass, field
from typing import NamedTuple

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
    check_nonzero_rows,
    check_num_threads,
    check_number,
    check_parameter_count,
    check_positive,
    check_seed,
    short_repr,
    training_guard,
)
from ..nn.positional_encoding import LearnedPositionalEmbedding, PositionalEncoding
from ..nn.transformer import Encoder

# Upper bounds for what a reader can type (the chapter: 8×8 images, 16 patches, d_model 64,
# 48 epochs in about 20 s): a typo gets a message, not a frozen kernel.
MAX_IMAGE_SIZE = 1024
MAX_PATCHES = 4096  # tokens per image: attention's work grows with the square
MAX_EPOCHS = 1000


def _check_images(images, *, finite: bool = False) -> None:
    """A 4-D tensor of numbers (integer or floating pixels; not bool, not complex).

    ``finite``: also refuse NaN and inf (what goes into the model: a NaN pixel would come
    out as "q 含有 NaN" deep inside the attention).
    """
    if not isinstance(images, torch.Tensor):
        raise ValueError(f"images（图像）必须是 torch.Tensor，实际是 {type(images).__name__}")
    if images.dim() != 4:
        raise ValueError(
            "images（图像）的形状应为 (batch, channels, height, width)，"
            f"实际是 {tuple(images.shape)}"
        )
    if images.dtype == torch.bool or images.is_complex():
        raise TypeError(f"images（图像）的像素必须是整数或浮点数，实际的类型是 {images.dtype}")
    if finite:
        check_finite("images（图像）", images)


def _check_model(model) -> None:
    check_instance("model", model, ViT, "ViT、train_vit 或 load_reference 给出的模型")


def _check_patch_size(patch_size, height: int, width: int) -> int:
    check_int("patch_size（块的边长）", patch_size)
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"图像的高和宽（{height}×{width}）必须能被 patch_size（{patch_size}）整除，才能切成整块"
        )
    return int(patch_size)


def patchify(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    """把图像切成不重叠的 patch_size × patch_size 小块，每块展平成一个向量。

    images (batch, channels, H, W) -> (batch, num_patches, patch_size·patch_size·channels),
    num_patches = (H / patch_size) · (W / patch_size), patches in row-major order (left to
    right, then top to bottom). Inside a patch the values are ordered (channel, row, column),
    the same order as a Conv2d kernel's weights flattened, so ``patchify(x, p) @ W.flatten(1).T``
    equals ``conv2d(x, W, stride=p)``.
    """
    _check_images(images)
    batch, channels, height, width = images.shape
    p = _check_patch_size(patch_size, height, width)
    rows, cols = height // p, width // p
    # (batch, C, H, W) -> (batch, C, rows, p, cols, p)
    x = images.reshape(batch, channels, rows, p, cols, p)
    # -> (batch, rows, cols, C, p, p): patch index first, then the patch's own values
    x = x.permute(0, 2, 4, 1, 3, 5)
    return x.reshape(batch, rows * cols, channels * p * p)  # (batch, num_patches, C·p·p)


# ---------------------------------------------------------------------------------------------
# 1) 切块 + 投影：卷积版（ViT 的写法）与“切块 + Linear”版（同样的权重，同样的结果）


class PatchEmbedding(nn.Module):
    """卷积投影（convolution projection）：kernel = stride = patch_size 的 Conv2d。

    Every output position of the convolution sees exactly one patch, so the convolution
    is one Linear layer applied to every patch. Then flatten and transpose, as in the notes:

        (batch, C, H, W) --conv--> (batch, d_model, H/p, W/p)
                         --flatten(2)--> (batch, d_model, num_patches)
                         --transpose(1, 2)--> (batch, num_patches, d_model)
    """

    def __init__(self, in_channels: int, patch_size: int, d_model: int):
        super().__init__()
        _check_embedding_sizes(in_channels, patch_size, d_model)
        self.in_channels, self.patch_size, self.d_model = in_channels, patch_size, d_model
        self.proj = nn.Conv2d(in_channels, d_model, kernel_size=patch_size, stride=patch_size)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (batch, C, H, W) -> tokens (batch, num_patches, d_model)"""
        _check_images(images)
        if images.shape[1] != self.in_channels:
            raise ValueError(
                f"图像应有 {self.in_channels} 个通道（channels），实际有 {images.shape[1]} 个"
            )
        _check_patch_size(self.patch_size, images.shape[2], images.shape[3])
        # integer or float64 pixels work too: compute in the model's own dtype
        x = self.proj(images.to(self.proj.weight.dtype))  # (batch, d_model, H/p, W/p)
        x = x.flatten(2)  # (batch, d_model, num_patches)
        return x.transpose(1, 2)  # (batch, num_patches, d_model)


def _check_embedding_sizes(in_channels, patch_size, d_model) -> None:
    for name, value in (
        ("in_channels", in_channels),
        ("patch_size", patch_size),
        ("d_model", d_model),
    ):
        check_int(name, value)
    check_parameter_count(in_channels * patch_size * patch_size * d_model + d_model)


class PatchLinearEmbedding(nn.Module):
    """切块（patchify）再乘同一个 Linear：与 PatchEmbedding 等价的写法。"""

    def __init__(self, in_channels: int, patch_size: int, d_model: int):
        super().__init__()
        _check_embedding_sizes(in_channels, patch_size, d_model)
        self.in_channels, self.patch_size, self.d_model = in_channels, patch_size, d_model
        self.linear = nn.Linear(in_channels * patch_size * patch_size, d_model)

    @classmethod
    @torch.no_grad()
    def from_conv(cls, embed: PatchEmbedding) -> PatchLinearEmbedding:
        """用卷积的权重建一个 Linear：W_linear = conv.weight 展平成 (d_model, C·p·p)。"""
        if not isinstance(embed, PatchEmbedding):
            raise ValueError(f"embed 必须是 PatchEmbedding，实际是 {type(embed).__name__}")
        out = cls(embed.in_channels, embed.patch_size, embed.d_model)
        out = out.to(embed.proj.weight.dtype)
        out.linear.weight.copy_(
            embed.proj.weight.flatten(1)
        )  # (d_model, C, p, p) -> (d_model, C·p·p)
        out.linear.bias.copy_(embed.proj.bias)
        return out

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (batch, C, H, W) -> patches (batch, num_patches, C·p·p) -> (…, d_model)"""
        _check_images(images)
        if images.shape[1] != self.in_channels:
            raise ValueError(
                f"图像应有 {self.in_channels} 个通道（channels），实际有 {images.shape[1]} 个"
            )
        # integer or float64 pixels work too: compute in the layer's own dtype
        patches = patchify(images, self.patch_size).to(self.linear.weight.dtype)
        return self.linear(patches)


def drop_patches(tokens: torch.Tensor, keep: int, generator: torch.Generator | None = None):
    """块丢弃（patch dropout）：每张图随机留下 ``keep`` 个块的 token，CLS 始终保留在最前面。

    tokens (batch, 1 + num_patches, d_model), position already added -> (batch, 1 + keep,
    d_model). Each image keeps its own random ``keep`` patches, in their original order.
    Because every token already carries its position vector, the encoder still knows where
    each kept patch was; attention works on any number of tokens. Used only in training
    (like dropout, but whole tokens): it regularises and, with fewer tokens, every step is
    cheaper. Returns ``(kept_tokens, kept_index)``; kept_index (batch, keep) numbers the
    patches 0..num_patches-1.
    """
    if not isinstance(tokens, torch.Tensor) or tokens.dim() != 3 or tokens.shape[1] < 2:
        raise ValueError("tokens 的形状应为 (batch, 1 + num_patches, d_model)")
    if generator is not None:
        check_instance("generator", generator, torch.Generator, "torch.Generator 或 None")
    batch, seq_len, d_model = tokens.shape
    num_patches = seq_len - 1
    check_int("keep（保留的块数）", keep, 1, maximum=num_patches)
    scores = torch.rand(batch, num_patches, generator=generator)  # (batch, num_patches)
    kept = scores.argsort(dim=1)[:, :keep].sort(dim=1).values  # (batch, keep), in order
    patches = tokens[:, 1:].gather(1, kept.unsqueeze(-1).expand(-1, -1, d_model))
    return torch.cat([tokens[:, :1], patches], dim=1), kept  # (batch, 1 + keep, d_model)


# ---------------------------------------------------------------------------------------------
# 2)–6) 整个 ViT

POSITIONS = ("learned", "fixed", "none")


class ViT(nn.Module):
    """Vision Transformer：切块投影 → 加 CLS token → 加位置编码 → N 个编码器块 → 分类头。

    position: "learned" (a trainable vector per position, what ViT uses), "fixed" (the
    sinusoidal formula of utils.nn.positional_encoding) or "none" (no position at all).
    ``patch_keep``: in training, keep only this many random patches per image (patch
    dropout, ``drop_patches``); None keeps them all.
    The encoder blocks are pre-norm with GELU, like ``nn.TransformerEncoderLayer(
    norm_first=True, activation="gelu")``, followed by a final LayerNorm.
    """

    def __init__(
        self,
        *,
        image_size: int = 8,
        patch_size: int = 2,
        in_channels: int = 1,
        num_classes: int = 10,
        d_model: int = 64,
        num_heads: int = 4,
        num_layers: int = 3,
        d_ff: int | None = None,
        dropout: float = 0.0,
        position: str = "learned",
        pos_init_std: float = 0.02,
        patch_keep: int | None = None,
    ):
        super().__init__()
        check_int("image_size（图像边长）", image_size, maximum=MAX_IMAGE_SIZE)
        _check_patch_size(patch_size, image_size, image_size)
        check_int("num_classes（类别数）", num_classes, 2, maximum=100_000)
        if not isinstance(position, str) or position not in POSITIONS:
            raise ValueError(
                f"position（位置编码）只能是 {POSITIONS} 之一，实际是 {short_repr(position)}"
            )
        _check_embedding_sizes(in_channels, patch_size, d_model)
        check_int("num_heads（头数）", num_heads, maximum=d_model)
        check_int("num_layers（层数）", num_layers, maximum=MAX_LAYERS)
        if d_ff is not None:
            check_int("d_ff（MLP 的宽度）", d_ff)
        check_number("pos_init_std（位置向量初始值的标准差）", pos_init_std, 0.0)
        num_patches = (image_size // patch_size) ** 2
        if num_patches > MAX_PATCHES:
            raise ValueError(
                f"块太多了：{image_size}×{image_size} 的图按 patch_size={patch_size} 切成 "
                f"{num_patches} 块，最多 {MAX_PATCHES} 块（注意力的计算量随块数的平方增长）"
            )
        width = 2 * d_model if d_ff is None else d_ff
        check_parameter_count(
            (num_patches + 1 + num_classes) * d_model
            + num_layers * (4 * d_model + 2 * width) * d_model
        )
        self.image_size, self.patch_size, self.in_channels = image_size, patch_size, in_channels
        self.num_classes, self.d_model, self.position = num_classes, d_model, position
        self.grid = image_size // patch_size  # patches per row (and per column)
        self.num_patches = self.grid * self.grid
        self.seq_len = 1 + self.num_patches  # the CLS token, then the patches
        if patch_keep is not None:
            check_int("patch_keep（训练时保留的块数）", patch_keep, 1, maximum=self.num_patches)
        self.patch_keep = patch_keep  # None: every patch, always

        self.patch_embed = PatchEmbedding(in_channels, patch_size, d_model)
        self.cls_token = nn.Parameter(torch.randn(1, 1, d_model) * 0.02)  # (1, 1, d_model)
        if position == "learned":
            self.pos = LearnedPositionalEmbedding(d_model, self.seq_len, init_std=pos_init_std)
        elif position == "fixed":
            self.pos = PositionalEncoding(d_model, self.seq_len)
        else:
            self.pos = None
        self.encoder = Encoder(
            num_layers,
            d_model,
            num_heads,
            d_ff if d_ff is not None else 2 * d_model,
            dropout=dropout,
            activation="gelu",
            norm_first=True,
            final_norm=True,
        )
        self.head = nn.Linear(d_model, num_classes)

    @property
    def blocks(self) -> nn.ModuleList:
        """编码器块（EncoderLayer）的列表。"""
        return self.encoder.layers

    def tokens(self, images: torch.Tensor) -> torch.Tensor:
        """步骤 1–3：images (batch, C, H, W) -> (batch, 1 + num_patches, d_model)"""
        _check_images(images, finite=True)
        if tuple(images.shape[1:]) != (self.in_channels, self.image_size, self.image_size):
            raise ValueError(
                f"图像的形状应为 (batch, {self.in_channels}, {self.image_size}, "
                f"{self.image_size})，实际是 {tuple(images.shape)}"
            )
        x = self.patch_embed(images)  # (batch, num_patches, d_model)
        cls = self.cls_token.expand(x.shape[0], -1, -1)  # (batch, 1, d_model)
        x = torch.cat([cls, x], dim=1)  # (batch, 1 + num_patches, d_model)
        return x if self.pos is None else self.pos(x)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """images (batch, C, H, W) -> logits (batch, num_classes)

        In training mode with ``patch_keep`` set, each image keeps only ``patch_keep`` random
        patches (``drop_patches``); in eval mode every patch is used.
        """
        x = self.tokens(images)  # (batch, seq_len, d_model)
        if self.training and self.patch_keep is not None and self.patch_keep < self.num_patches:
            x, _ = drop_patches(x, self.patch_keep)  # (batch, 1 + patch_keep, d_model)
        x = self.encoder(x)  # (batch, tokens, d_model)
        return self.head(x[:, 0])  # only the CLS token's output is classified

    def position_vectors(self) -> torch.Tensor | None:
        """位置向量 (seq_len, d_model)：第 0 行属于 CLS，第 1.. 行属于各块；"none" 时为 None。"""
        if self.pos is None:
            return None
        if isinstance(self.pos, LearnedPositionalEmbedding):
            return self.pos.weight.detach()
        return self.pos.pe[: self.seq_len].detach()

    def attention_maps(self) -> list[torch.Tensor]:
        """最近一次前向计算里每一层的注意力权重，每个 (batch, num_heads, seq_len, seq_len)。"""
        return [self.encoder.attention(i) for i in range(len(self.blocks))]


def count_parameters(model: nn.Module) -> int:
    """可训练参数的个数。"""
    check_instance("model", model, nn.Module, "一个 torch 模型")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def vit_parameter_count(
    *,
    image_size: int,
    patch_size: int,
    in_channels: int,
    d_model: int,
    num_layers: int,
    d_ff: int,
    num_classes: int,
) -> dict[str, int]:
    """按公式数参数（不建模型，大图也很快）：各部分与总数。

    patch projection C·p·p·d + d; CLS d; learned position (N+1)·d; per block
    4(d² + d) attention + (d·d_ff + d_ff) + (d_ff·d + d) MLP + 2·2d LayerNorms;
    final LayerNorm 2d; head d·classes + classes.
    """
    check_int("image_size（图像边长）", image_size)
    _check_patch_size(patch_size, image_size, image_size)
    for name, value in (
        ("in_channels", in_channels),
        ("d_model", d_model),
        ("num_layers（层数）", num_layers),
        ("d_ff（MLP 的宽度）", d_ff),
        ("num_classes（类别数）", num_classes),
    ):
        check_int(name, value)
    n = (image_size // patch_size) ** 2
    d = d_model
    parts = {
        "patch_embed": in_channels * patch_size * patch_size * d + d,
        "cls_token": d,
        "position": (n + 1) * d,
        "blocks": num_layers * (4 * (d * d + d) + 2 * d * d_ff + d_ff + d + 4 * d),
        "final_norm": 2 * d,
        "head": d * num_classes + num_classes,
    }
    parts["total"] = sum(parts.values())
    return parts


# ---------------------------------------------------------------------------------------------
# 数据：scikit-learn 自带的手写数字（8×8，1797 张，不需要下载）


NUM_DIGITS = 1797  # images in scikit-learn's load_digits()


@dataclass(frozen=True)
class DigitsSplit:
    """分好层的训练集 / 测试集。图像 (n, 1, 8, 8)，像素 0..1（原始 0..16 除以 16）。"""

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    test_index: torch.Tensor  # each test image's index in load_digits()


def load_digits_split(*, test_size: float = 0.2, seed: int = 0) -> DigitsSplit:
    """load_digits() 按类别分层（stratified）随机划分，固定种子，每次结果相同。"""
    if not (isinstance(test_size, float) and 0.0 < test_size < 1.0):
        raise ValueError(
            f"test_size（测试集比例）必须是 0 到 1 之间的小数，实际是 {short_repr(test_size)}"
        )
    seed = check_seed(seed, "seed")
    if seed >= 2**32:  # scikit-learn's random_state
        raise ValueError(f"seed 必须小于 2**32（scikit-learn 的限制），实际是 {seed}")
    n, classes = NUM_DIGITS, 10
    n_test = math.ceil(test_size * n)  # how train_test_split counts
    if n_test < classes or n - n_test < classes:
        raise ValueError(
            f"test_size={test_size:g} 让测试集有 {n_test} 张、训练集有 {n - n_test} 张图："
            f"分层划分要求两边都至少有 {classes} 张（每个数字一张）"
        )
    from sklearn.datasets import load_digits  # after the checks: the import takes a while
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (n, 1, 8, 8)
    labels = torch.tensor(digits.target, dtype=torch.long)  # (n,)
    idx_train, idx_test = train_test_split(
        np.arange(len(labels)), test_size=test_size, stratify=digits.target, random_state=seed
    )
    idx_train, idx_test = torch.from_numpy(idx_train), torch.from_numpy(idx_test)
    return DigitsSplit(
        images[idx_train], labels[idx_train], images[idx_test], labels[idx_test], idx_test
    )


def random_shift(
    images: torch.Tensor,
    max_shift: int = 1,
    *,
    prob: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """数据增强：每张图随机平移 -max_shift..max_shift 个像素（上下、左右各自独立），空出的补 0。

    images (batch, C, H, W) -> the same shape.
    """
    _check_images(images)
    batch, _, height, width = images.shape
    # a shift by the image's size already leaves nothing of it; the padding grows with m
    check_int("max_shift（最大平移）", max_shift, 0, maximum=max(height, width))
    check_number("prob（平移的概率）", prob, 0.0, 1.0)
    if generator is not None:
        check_instance("generator", generator, torch.Generator, "torch.Generator 或 None")
    if max_shift == 0:
        return images.clone()
    m = max_shift
    padded = F.pad(images, (m, m, m, m))  # (batch, C, H + 2m, W + 2m)
    shifts = torch.randint(-m, m + 1, (2, batch), generator=generator)  # dy, dx per image
    if prob < 1.0:  # each image is shifted only with probability ``prob``
        shifts = shifts * (torch.rand(batch, generator=generator) < prob)
    out = torch.empty_like(images)
    # only the (dy, dx) that were drawn, at most batch of them (not all (2m + 1)² shifts)
    for dy, dx in torch.unique(shifts, dim=1).T.tolist():
        sel = (shifts[0] == dy) & (shifts[1] == dx)  # (batch,)
        # shifting the picture down by dy = reading the padded image dy rows higher
        out[sel] = padded[sel, :, m - dy : m - dy + height, m - dx : m - dx + width]
    return out


# ---------------------------------------------------------------------------------------------
# 训练与评估


@dataclass
class TrainHistory:
    """训练损失、训练准确率（训练模式：丢块、平移后的图）每个 epoch 一条；测试准确率每隔
    ``eval_every`` 个 epoch 一条（最后一个 epoch 一定有），对应的 epoch 在 ``test_epoch`` 里。"""

    epoch: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_epoch: list[int] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)


class TrainResult(NamedTuple):
    model: ViT
    history: TrainHistory
    seconds: float


def train_vit(
    split: DigitsSplit | None = None,
    *,
    position: str = "learned",
    epochs: int = 48,
    batch_size: int = 256,
    lr: float = 1e-2,
    weight_decay: float = 0.05,
    warmup: float = 0.1,
    dropout: float = 0.0,
    pos_init_std: float = 1.0,
    patch_keep: int | None = 10,
    max_shift: int = 1,
    shift_prob: float = 0.5,
    label_smoothing: float = 0.0,
    d_ff: int = 64,
    eval_every: int = 4,
    seed: int = 0,
    num_threads: int | None = None,
    **model_kwargs,
) -> TrainResult:
    """在手写数字上训练一个小 ViT：AdamW + one-cycle 学习率（先升后降），块丢弃 + 随机平移。

    Returns ``(model, history, seconds)``; the model is in eval mode. Everything random
    (weights, shuffling, patch dropout, shifts) comes from ``seed``. The model is ``ViT``
    with ``d_ff`` (the MLP's hidden width; 64 here) and ``model_kwargs``.

    Regularisation, because 1437 training images are quickly memorised: ``patch_keep``
    patches per training image (``drop_patches``; None keeps them all) and a random 1-pixel
    shift (``random_shift``, ``max_shift``) of each training image with probability
    ``shift_prob``. With both, the model is still improving at the end, so the recipe
    spends its time on epochs (48) rather than width (d_ff 64 rather than 128).
    ``pos_init_std``: learned position vectors start as N(0, pos_init_std²); 1.0 (the
    size of the sinusoid's entries) lets position matter from the first step, which
    trains much faster here than ViT's 0.02.

    ``num_threads`` sets torch's CPU threads for the run and restores them afterwards; None
    (the default) leaves torch's own count, normally one per core: chapter 7's live run
    uses the reader's whole CPU. On the book's 2-core machine that is 2 threads, and 48
    epochs took 12.3–34.4 s (the median of a day's runs 15–20 s: the virtual machine's speed
    varies, the second thread's most) against about 20 s on one thread. The thread count
    changes the order of floating-point sums, so a run is reproducible only with the same
    count; the reference model and the seed table (``scripts/measure_vit_seeds.py``) use 1.
    ``eval_every``: measure the test accuracy every that many epochs (4: 12 points on the
    learning curve), and after the last one (each measurement is a forward pass over the
    test set, about 50 ms, counted in ``seconds``).

    Measured (``scripts/measure_vit_seeds.py``, one thread, reference numerics; chapter 7
    prints the table from data/models/vit_seeds.json): seeds 0–19 gave 3 to 13 of the 360
    test images wrong, 98.18 % on average, 14 of the 20 runs ≥ 98 %; 96 epochs (the
    reference model's recipe) 1 to 4 wrong in 10 seeds. A run's accuracy is a random draw:
    another seed, thread count or CPU gives another one. Chapter 6's exercise 8:
    ``patch_size=4`` (4 patches, passed on to ``ViT``), ``patch_keep=None``, ``batch_size=512``,
    ``epochs=128`` gave 1 to 9 wrong, 18 of 20 runs ≥ 98 %.
    """
    for name, value, most in (
        ("epochs", epochs, MAX_EPOCHS),
        ("batch_size", batch_size, None),
        ("eval_every", eval_every, None),
    ):
        check_int(name, value, maximum=most)
    check_seed(seed)
    check_positive("lr（学习率）", lr)
    check_number("weight_decay（权重衰减）", weight_decay, 0.0)
    check_number("warmup（学习率上升阶段的比例）", warmup, 0.0, 1.0, low_open=True, high_open=True)
    check_number("shift_prob（平移的概率）", shift_prob, 0.0, 1.0)
    check_number("label_smoothing（标签平滑）", label_smoothing, 0.0, 1.0)
    check_num_threads(num_threads)
    known = set(inspect.signature(ViT.__init__).parameters) - {"self"}
    unknown = sorted(set(model_kwargs) - known)
    if unknown:
        raise ValueError(
            f"未知的参数：{'、'.join(short_repr(k, 20) for k in unknown[:5])}。"
            f"ViT 的参数是：{'、'.join(sorted(known))}"
        )
    split = load_digits_split() if split is None else split
    check_instance("split", split, DigitsSplit, "load_digits_split() 给出的数据")
    check_int("max_shift（最大平移）", max_shift, 0, maximum=max(split.x_train.shape[-2:]))
    with torch_threads(num_threads):
        torch.manual_seed(seed)
        gen = torch.Generator().manual_seed(seed)
        model = ViT(
            position=position,
            dropout=dropout,
            pos_init_std=pos_init_std,
            patch_keep=patch_keep,
            d_ff=d_ff,
            **model_kwargs,
        )
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True
        )
        n = len(split.y_train)
        steps_per_epoch = math.ceil(n / batch_size)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch, pct_start=warmup
        )
        history = TrainHistory()
        start = time.perf_counter()
        with training_guard(model, optimizer):
            for epoch in range(1, epochs + 1):
                model.train()
                order = torch.randperm(n, generator=gen)
                total_loss, correct = 0.0, 0
                for i in range(0, n, batch_size):
                    idx = order[i : i + batch_size]
                    x = random_shift(split.x_train[idx], max_shift, prob=shift_prob, generator=gen)
                    y = split.y_train[idx]
                    logits = model(x)  # (batch, num_classes)
                    loss = F.cross_entropy(logits, y, label_smoothing=label_smoothing)
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    optimizer.step()
                    schedule.step()
                    total_loss += loss.item() * len(idx)
                    correct += int((logits.argmax(-1) == y).sum())
                history.epoch.append(epoch)
                history.train_loss.append(total_loss / n)
                history.train_acc.append(correct / n)
                if epoch % eval_every == 0 or epoch == epochs:
                    history.test_epoch.append(epoch)
                    history.test_acc.append(accuracy(model, split.x_test, split.y_test))
        seconds = time.perf_counter() - start
    model.eval()
    return TrainResult(model, history, seconds)


@torch.no_grad()
def nearest_neighbour_predict(split: DigitsSplit) -> torch.Tensor:
    """1-最近邻（1-nearest neighbour）：每张测试图取像素距离最近的那张训练图的标签。

    A baseline that learns nothing: it compares the 64 pixels directly (Euclidean distance,
    float64; a tie goes to the first training image). Returns the predicted labels (n_test,).
    """
    check_instance("split", split, DigitsSplit, "load_digits_split() 给出的数据")
    if len(split.y_train) == 0:
        raise ValueError("split 的训练集是空的：没有可以比较的训练图")
    x_train = split.x_train.flatten(1).double()  # (n_train, 64)
    x_test = split.x_test.flatten(1).double()  # (n_test, 64)
    distances = torch.cdist(x_test, x_train)  # (n_test, n_train)
    return split.y_train[distances.argmin(dim=1)]


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
    """模型的 logits (n, num_classes)，在 eval 模式下分批计算。"""
    check_instance("model", model, nn.Module, "ViT、train_vit 或 load_reference 给出的模型")
    _check_images(images, finite=True)
    if len(images) == 0:
        raise ValueError("images（图像）是空的：至少要有一张图")
    check_int("batch_size（批大小）", batch_size)
    was_training = model.training
    model.eval()
    out = torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])
    model.train(was_training)
    return out


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """准确率：预测（logits 最大的类）等于标签的比例。``labels``: (n,) 整数类别，与图一一对应。"""
    _check_images(images)
    labels = as_ids("labels（标签）", labels, 2**62, ndim=1)
    if len(labels) != len(images):
        raise ValueError(f"labels 有 {len(labels)} 个，图有 {len(images)} 张，两者应相等")
    logits = predict(model, images)  # (n, num_classes)
    if len(labels) and int(labels.max()) >= logits.shape[-1]:
        raise ValueError(
            f"labels（标签）里的类别必须在 0 到 {logits.shape[-1] - 1} 之间（模型有 "
            f"{logits.shape[-1]} 类），实际有 {int(labels.max())}"
        )
    return float((logits.argmax(-1) == labels).float().mean())


def confusion_matrix(y_true, y_pred, num_classes: int = 10) -> torch.Tensor:
    """混淆矩阵（confusion matrix）C：C[i, j] = 真实是 i、预测成 j 的个数。(classes, classes)"""
    check_int("num_classes（类别数）", num_classes, maximum=10_000)
    y_true = as_ids("y_true（真实类别）", y_true, num_classes)
    y_pred = as_ids("y_pred（预测类别）", y_pred, num_classes)
    if y_true.shape != y_pred.shape or y_true.dim() != 1:
        raise ValueError(
            f"y_true 与 y_pred 必须是等长的一维张量，实际形状 {tuple(y_true.shape)} 与 "
            f"{tuple(y_pred.shape)}"
        )
    flat = y_true.long() * num_classes + y_pred.long()  # (n,)
    return torch.bincount(flat, minlength=num_classes**2).reshape(num_classes, num_classes)


# ---------------------------------------------------------------------------------------------
# 看模型内部：CLS 的注意力、位置向量的相似度、逐步追踪一张图


@torch.no_grad()
def cls_attention(model: ViT, images: torch.Tensor, layer: int = -1, head: int | None = None):
    """CLS token 对各块的注意力，排成图像上的块网格 (batch, grid, grid)。

    ``layer``: which encoder block (negative counts from the end); ``head``: one head, or
    None for the mean over heads. The CLS token's attention to itself is left out, so a
    map sums to 1 − (its weight on itself).
    """
    _check_model(model)
    num_layers = len(model.blocks)
    check_int("layer（层）", layer, -num_layers, maximum=num_layers - 1)
    _check_images(images, finite=True)
    was_training = model.training
    model.eval()
    model(images)
    model.train(was_training)
    attn = model.attention_maps()[layer]  # (batch, num_heads, seq_len, seq_len)
    if head is None:
        attn = attn.mean(dim=1)  # (batch, seq_len, seq_len)
    else:
        check_int("head（头）", head, 0, maximum=attn.shape[1] - 1)
        attn = attn[:, head]  # (batch, seq_len, seq_len)
    row = attn[:, 0, 1:]  # CLS (query 0) -> patches (keys 1..): (batch, num_patches)
    return row.reshape(-1, model.grid, model.grid)  # (batch, grid, grid)


def position_similarity(pos: torch.Tensor) -> torch.Tensor:
    """各块的位置向量两两之间的余弦相似度（cosine similarity），(num_patches, num_patches)。

    ``pos``: (1 + num_patches, d_model) as returned by ``ViT.position_vectors()``; the
    first row (the CLS token's) is left out.
    """
    if not isinstance(pos, torch.Tensor) or pos.dim() != 2 or pos.shape[0] < 3:
        raise ValueError("pos 的形状应为 (1 + num_patches, d_model)")
    if not pos.is_floating_point():
        raise TypeError(f"pos（位置向量）必须是浮点张量，实际的类型是 {pos.dtype}")
    check_finite("pos（位置向量）", pos)
    p = pos[1:].to(torch.float64)  # (num_patches, d_model)
    norms = p.norm(dim=1, keepdim=True)  # (num_patches, 1)
    check_nonzero_rows("pos（位置向量）", norms)
    if not bool(norms.isfinite().all()):
        raise ValueError("pos（位置向量）里的数太大：向量的长度溢出成了无穷大，无法算余弦相似度")
    p = p / norms
    return p @ p.T  # (num_patches, d_model) @ (d_model, num_patches)


def shuffle_patches(images: torch.Tensor, patch_size: int, perm) -> torch.Tensor:
    """把图像的块按 ``perm`` 重新排列（块内部不变），返回同样形状的图像。

    New patch i is old patch perm[i]. Used to show that without position encoding the
    model cannot tell the patches' order.
    """
    patches = patchify(images, patch_size)  # (batch, num_patches, C·p·p)
    batch, n, _ = patches.shape
    perm = as_ids("perm（块的新顺序）", perm, n, ndim=1)
    if sorted(perm.tolist()) != list(range(n)):
        raise ValueError(f"perm 必须是 0 到 {n - 1} 的一个排列（每个编号正好出现一次）")
    return unpatchify(patches[:, perm], patch_size, images.shape[1], images.shape[2])


def unpatchify(patches: torch.Tensor, patch_size: int, channels: int, height: int):
    """patchify 的逆运算：(batch, num_patches, C·p·p) -> (batch, C, H, W)。

    ``height``: the image's height H; the width follows from the number of patches.
    """
    if not isinstance(patches, torch.Tensor) or patches.dim() != 3:
        shape = (
            tuple(patches.shape) if isinstance(patches, torch.Tensor) else type(patches).__name__
        )
        raise ValueError(f"patches 的形状应为 (batch, num_patches, C·p·p)，实际是 {shape}")
    p = check_int("patch_size（块的边长）", patch_size)
    check_int("channels（通道数）", channels)
    check_int("height（图像的高）", height)
    batch, n, size = patches.shape
    if height % p:
        raise ValueError(f"height（{height}）必须能被 patch_size（{p}）整除")
    rows = height // p
    if n % rows or size != channels * p * p:
        raise ValueError(
            f"patches 的形状 {tuple(patches.shape)} 与 patch_size={p}、channels={channels}、"
            f"height={height} 不符：应是 (batch, {rows} 的倍数, {channels * p * p})"
        )
    cols = n // rows
    x = patches.reshape(batch, rows, cols, channels, p, p)  # (batch, rows, cols, C, p, p)
    x = x.permute(0, 3, 1, 4, 2, 5)  # (batch, C, rows, p, cols, p)
    return x.reshape(batch, channels, rows * p, cols * p)


@dataclass(frozen=True)
class VitTrace:
    """一张图经过 ViT 的每一步（都是 float，已 detach）。"""

    image: torch.Tensor  # (C, H, W)
    patches: torch.Tensor  # (num_patches, C·p·p)
    tokens: torch.Tensor  # (1 + num_patches, d_model): CLS + patch tokens + position
    attention: list[torch.Tensor]  # per layer (num_heads, seq_len, seq_len)
    probs: torch.Tensor  # (num_classes,)

    @property
    def prediction(self) -> int:
        return int(self.probs.argmax())


@torch.no_grad()
def trace(model: ViT, image: torch.Tensor) -> VitTrace:
    """把一张图 (C, H, W) 送进模型，记下切块、token、每层注意力和预测概率。

    Integer pixels are turned into the model's float type first, so every field is float.
    """
    _check_model(model)
    if not isinstance(image, torch.Tensor) or image.dim() != 3:
        shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
        raise ValueError(f"image 的形状应为 (channels, height, width)，实际是 {shape}")
    _check_images(image.unsqueeze(0), finite=True)
    if not image.is_floating_point():
        image = image.to(model.cls_token.dtype)
    was_training = model.training
    model.eval()
    x = image.unsqueeze(0)  # (1, C, H, W)
    logits = model(x)  # (1, num_classes)
    model.train(was_training)
    return VitTrace(
        image=image.detach().clone(),
        patches=patchify(x, model.patch_size)[0],
        tokens=model.tokens(x)[0],
        attention=[a[0] for a in model.attention_maps()],
        probs=torch.softmax(logits[0], dim=-1),
    )


def neighbour_similarity(sim: torch.Tensor, grid: int) -> tuple[float, float]:
    """相邻（上下左右）两块的平均相似度，与相距远（行距 + 列距 ≥ grid）的两块的平均相似度。

    ``sim``: (grid², grid²) from ``position_similarity``; patches in row-major order.
    """
    check_int("grid（每行的块数）", grid, 2, maximum=MAX_PATCHES)  # one patch has no neighbour
    if not isinstance(sim, torch.Tensor) or sim.shape != (grid * grid, grid * grid):
        raise ValueError(f"sim 的形状应为 ({grid * grid}, {grid * grid})")
    check_finite("sim（相似度）", sim)
    idx = torch.arange(grid * grid)
    r, c = idx // grid, idx % grid
    dist = (r[:, None] - r[None, :]).abs() + (c[:, None] - c[None, :]).abs()  # (n, n)
    return float(sim[dist == 1].mean()), float(sim[dist >= grid].mean())
