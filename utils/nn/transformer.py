"""完整的 Transformer（编码器–解码器），由本书自己的零件搭成。

The whole encoder–decoder model of "Attention Is All You Need", built from the
book's own parts: ``MultiHeadAttention`` (utils.nn.attention) and the positional
encoding (utils.nn.positional_encoding). Tested against ``torch.nn.TransformerEncoderLayer``,
``TransformerDecoderLayer`` and ``torch.nn.Transformer`` with the same weights, in
float64, for both norm placements and with masks (tests/test_transformer.py).

Parts, bottom up::

    FeedForward          FFN(x) = W_2 · act(W_1 x + b_1) + b_2, applied at every position
    EncoderLayer         self-attention → add & norm → FFN → add & norm
    DecoderLayer         masked self-attention → cross-attention → FFN, each with add & norm
    Encoder, Decoder     N layers stacked (plus an optional final LayerNorm)
    TokenEmbedding       embedding · √d_model
    Transformer          embeddings + positional encoding → encoder → decoder → output projection

Residual + LayerNorm comes in two placements (``norm_first``):

    post-norm (the paper):    x = LayerNorm(x + Sublayer(x))
    pre-norm (most models):   x = x + Sublayer(LayerNorm(x))

Masks follow the book's convention: boolean, True = "may attend" (the opposite of
``nn.Transformer``'s boolean masks). Shapes: (batch, seq_len, d_model) everywhere.
Each attention layer keeps its last weights in ``.last_attention`` (detached) so the
chapters can draw them.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import (
    MAX_OPERATIONS,
    MAX_PARAMETERS,
    check_bool,
    check_budget,
    check_computed,
    check_finite,
    check_float_tensor,
    check_instance,
    check_int,
    check_seed,
    check_tensor,
    entry,
    short_repr,
)
from .attention import (
    MultiHeadAttention,
    causal_mask,
    check_keys,
    check_mask,
    check_same_batch,
)
from .positional_encoding import PositionalEncoding

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}

# what an overflow of a token model means: its inputs are ids, so the weights are to blame
_WEIGHTS = "模型的权重里可能已有 NaN 或无穷大（例如训练发散了），或者大得让计算溢出"


def _check_config(d_model, num_heads, d_ff, dropout, activation) -> tuple[int, int, int, float]:
    """The sizes of a layer; ``d_ff=None`` means 4·d_model. Returns (d_model, num_heads, d_ff,
    dropout) as Python numbers."""
    d_model = check_int("d_model（向量维度）", d_model)
    num_heads = check_int("num_heads（头数）", num_heads)
    d_ff = 4 * d_model if d_ff is None else check_int("d_ff（前馈网络中间层的大小）", d_ff)
    if d_model % num_heads:
        raise ValueError(f"d_model（{d_model}）必须能被 num_heads（{num_heads}）整除")
    return d_model, num_heads, d_ff, _check_dropout_and_activation(dropout, activation)


def _check_dropout_and_activation(dropout, activation) -> float:
    ok = isinstance(dropout, numbers.Real) and not isinstance(dropout, bool)
    if not (ok and 0.0 <= dropout < 1.0):  # NaN fails the comparison too; 10**400 compares fine
        raise ValueError(f"dropout 必须在 [0, 1) 之间，实际是 {short_repr(dropout)}")
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(
            f"activation 只能是 {sorted(ACTIVATIONS)} 之一，实际是 {short_repr(activation)}"
        )
    return dropout


def _layer_parameters(d_model: int, d_ff: int, attentions: int) -> int:
    """Parameters of one layer: each attention 4(d² + d), the FFN 2·d·d_ff + d_ff + d, the
    LayerNorms 2d each (one per sublayer)."""
    ffn = 2 * d_model * d_ff + d_ff + d_model
    return attentions * 4 * (d_model * d_model + d_model) + ffn + (attentions + 1) * 2 * d_model


def _check_activations(name: str, x, d_model: int, dtype) -> None:
    """A layer's input: a (batch, seq_len ≥ 1, d_model) tensor of the module's dtype."""
    check_float_tensor(name, x, dtype)
    if x.dim() != 3 or x.shape[-1] != d_model:
        raise ValueError(f"{name} 的形状应为 (batch, seq_len, {d_model})，实际是 {tuple(x.shape)}")
    check_keys(name, x.shape[1])


class FeedForward(nn.Module):
    """逐位置前馈网络（position-wise feed-forward network）：每个位置各自过同一个两层 MLP。

    FFN(x) = W_2 · act(W_1 x + b_1) + b_2,   d_model -> d_ff -> d_model
    """

    def __init__(self, d_model: int, d_ff: int, *, dropout: float = 0.0, activation="relu"):
        super().__init__()
        d_model = check_int("d_model（向量维度）", d_model)
        d_ff = check_int("d_ff（前馈网络中间层的大小）", d_ff)
        dropout = _check_dropout_and_activation(dropout, activation)
        check_budget(
            "前馈网络的参数个数（约 2 × d_model × d_ff）", 2 * d_model * d_ff, MAX_PARAMETERS
        )
        self.d_model = d_model
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (..., d_model), usually (batch, seq_len, d_model) -> the same shape."""
        check_float_tensor("x", x, self.linear1.weight.dtype)
        if x.dim() == 0 or x.shape[-1] != self.d_model:
            raise ValueError(
                f"x 的最后一维应是 d_model = {self.d_model}，实际形状 {tuple(x.shape)}"
            )
        with entry() as outer:
            if outer:  # checked first: relu(−inf) = 0 could hide an inf in x from the result
                check_finite("x", x)
            # (batch, seq_len, d_model) -> (batch, seq_len, d_ff) -> (batch, seq_len, d_model)
            out = self.linear2(self.dropout(self.activation(self.linear1(x))))
            if outer:
                check_computed("前馈网络 FeedForward ", out)
        return out


class EncoderLayer(nn.Module):
    """编码器层（encoder layer）：多头自注意力 + 前馈网络，各带残差连接与 LayerNorm。"""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int | None = None,
        *,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
    ):
        super().__init__()
        d_model, num_heads, d_ff, dropout = _check_config(
            d_model, num_heads, d_ff, dropout, activation
        )
        norm_first = check_bool("norm_first", norm_first)
        check_budget("这一层的参数个数", _layer_parameters(d_model, d_ff, 1), MAX_PARAMETERS)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads)
        self.ff = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.dropout1, self.dropout2 = nn.Dropout(dropout), nn.Dropout(dropout)
        self.last_attention: torch.Tensor | None = None  # (batch, num_heads, seq_len, seq_len)

    def _attend(self, x, mask):
        out, weights = self.self_attn(x, x, x, mask=mask)
        self.last_attention = weights.detach()
        return self.dropout1(out)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: (batch, seq_len, d_model); mask: True = may attend, e.g. padding_mask(...).

        mask: (seq_len, seq_len), (batch, seq_len, seq_len) or (batch, num_heads, …), bool.
        """
        with entry() as outer:
            _check_layer_input(self, outer, ("x", x), ("mask", mask, x))
            x_in = x
            if self.norm_first:  # pre-norm: x + Sublayer(LayerNorm(x))
                x = x + self._attend(self.norm1(x), mask)
                x = x + self.dropout2(self.ff(self.norm2(x)))
            else:  # post-norm: LayerNorm(x + Sublayer(x))
                x = self.norm1(x + self._attend(x, mask))
                x = self.norm2(x + self.dropout2(self.ff(x)))
            if outer:
                check_computed("编码器层 EncoderLayer ", x, [("x", x_in)])
        return x  # (batch, seq_len, d_model)

    @torch.no_grad()
    def load_from_torch(self, layer: nn.TransformerEncoderLayer) -> EncoderLayer:
        """从 ``torch.nn.TransformerEncoderLayer`` 复制权重（结构必须相同）。"""
        check_instance("layer", layer, nn.TransformerEncoderLayer)
        _check_same_structure(self, layer)
        self.self_attn.load_from_torch(layer.self_attn)
        _copy_ff_and_norms(self, layer, ("norm1", "norm2"))
        return self


class DecoderLayer(nn.Module):
    """解码器层（decoder layer）：带因果掩码的自注意力 → 交叉注意力 → 前馈网络。

    Cross-attention: queries come from the decoder, keys and values from the encoder
    output (``memory``), so each output position can look at the whole source.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int | None = None,
        *,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
    ):
        super().__init__()
        d_model, num_heads, d_ff, dropout = _check_config(
            d_model, num_heads, d_ff, dropout, activation
        )
        norm_first = check_bool("norm_first", norm_first)
        check_budget("这一层的参数个数", _layer_parameters(d_model, d_ff, 2), MAX_PARAMETERS)
        self.d_model, self.norm_first = d_model, norm_first
        self.self_attn = MultiHeadAttention(d_model, num_heads)
        self.cross_attn = MultiHeadAttention(d_model, num_heads)
        self.ff = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1, self.norm2, self.norm3 = (nn.LayerNorm(d_model) for _ in range(3))
        self.dropout1, self.dropout2, self.dropout3 = (nn.Dropout(dropout) for _ in range(3))
        self.last_self_attention: torch.Tensor | None = None  # (batch, heads, T_tgt, T_tgt)
        self.last_cross_attention: torch.Tensor | None = None  # (batch, heads, T_tgt, T_src)

    def _self(self, x, mask):
        out, weights = self.self_attn(x, x, x, mask=mask)
        self.last_self_attention = weights.detach()
        return self.dropout1(out)

    def _cross(self, x, memory, mask):
        out, weights = self.cross_attn(x, memory, memory, mask=mask)  # Q from x; K, V from memory
        self.last_cross_attention = weights.detach()
        return self.dropout2(out)

    def forward(self, x, memory, tgt_mask=None, memory_mask=None) -> torch.Tensor:
        """x: (batch, T_tgt, d_model); memory: (batch, T_src, d_model) from the encoder.

        tgt_mask: (T_tgt, T_tgt) or (batch, T_tgt, T_tgt), usually causal_mask(T_tgt);
        memory_mask: (batch, 1, T_src) or (batch, T_tgt, T_src), usually the source padding.
        """
        with entry() as outer:
            _check_layer_input(
                self,
                outer,
                ("x", x),
                ("tgt_mask", tgt_mask, x),
                ("memory_mask", memory_mask, memory),
            )
            x_in = x
            if self.norm_first:
                x = x + self._self(self.norm1(x), tgt_mask)
                x = x + self._cross(self.norm2(x), memory, memory_mask)
                x = x + self.dropout3(self.ff(self.norm3(x)))
            else:
                x = self.norm1(x + self._self(x, tgt_mask))
                x = self.norm2(x + self._cross(x, memory, memory_mask))
                x = self.norm3(x + self.dropout3(self.ff(x)))
            if outer:
                check_computed("解码器层 DecoderLayer ", x, [("x", x_in), ("memory", memory)])
        return x  # (batch, T_tgt, d_model)

    @torch.no_grad()
    def load_from_torch(self, layer: nn.TransformerDecoderLayer) -> DecoderLayer:
        """从 ``torch.nn.TransformerDecoderLayer`` 复制权重（结构必须相同）。"""
        check_instance("layer", layer, nn.TransformerDecoderLayer)
        _check_same_structure(self, layer)
        self.self_attn.load_from_torch(layer.self_attn)
        self.cross_attn.load_from_torch(layer.multihead_attn)
        _copy_ff_and_norms(self, layer, ("norm1", "norm2", "norm3"))
        return self


class _Stack(nn.Module):
    """N 个结构相同、参数各自独立的层，最后可选一个 LayerNorm（Encoder 与 Decoder 共用）。"""

    layer_class: type[nn.Module]

    def __init__(
        self,
        num_layers: int,
        d_model: int,
        num_heads: int,
        d_ff=None,
        *,
        dropout=0.0,
        activation="relu",
        norm_first=False,
        final_norm=None,
    ):
        super().__init__()
        num_layers = _check_num_layers(num_layers)
        d_model, _, d_ff, _ = _check_config(d_model, num_heads, d_ff, dropout, activation)
        if final_norm is not None:
            check_bool("final_norm", final_norm)
        per_layer = _layer_parameters(d_model, d_ff, 2 if self.layer_class is DecoderLayer else 1)
        check_budget("num_layers × 每层的参数个数", num_layers * per_layer, MAX_PARAMETERS)
        self.layers = nn.ModuleList(
            self.layer_class(
                d_model,
                num_heads,
                d_ff,
                dropout=dropout,
                activation=activation,
                norm_first=norm_first,
            )
            for _ in range(num_layers)
        )
        final_norm = norm_first if final_norm is None else final_norm
        self.norm = nn.LayerNorm(d_model) if final_norm else None

    def _finish(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.norm is None else self.norm(x)

    @torch.no_grad()
    def load_from_torch(self, stack):
        """从 ``torch.nn.TransformerEncoder`` / ``TransformerDecoder`` 复制权重。"""
        torch_class = nn.TransformerDecoder if isinstance(self, Decoder) else nn.TransformerEncoder
        check_instance("stack", stack, torch_class)
        _load_stack(self, stack)
        return self

    @property
    def d_model(self) -> int:
        return self.layers[0].d_model


class Encoder(_Stack):
    """N 个编码器层堆叠（stacked）；``final_norm`` 时最后再做一次 LayerNorm（pre-norm 必需）。"""

    layer_class = EncoderLayer

    def forward(self, x, mask=None) -> torch.Tensor:
        """x: (batch, seq_len, d_model); mask as for ``EncoderLayer`` (True = may attend)."""
        with entry() as outer:
            _check_layer_input(self.layers[0], outer, ("x", x), ("mask", mask, x))
            x_in = x
            for layer in self.layers:
                x = layer(x, mask)  # (batch, seq_len, d_model), the same shape at every layer
            x = self._finish(x)
            if outer:
                check_computed("编码器 Encoder ", x, [("x", x_in)])
        return x

    def attention(self, layer: int = -1) -> torch.Tensor:
        """上一次前向计算中第 ``layer`` 层的注意力权重 (batch, num_heads, seq_len, seq_len)。"""
        n = len(self.layers)
        layer = check_int("layer（第几层）", layer, -n, maximum=n - 1)
        weights = self.layers[layer].last_attention
        if weights is None:
            raise RuntimeError("模型还没有做过前向计算，没有注意力权重")
        return weights


class Decoder(_Stack):
    """N 个解码器层堆叠；``final_norm`` 时最后再做一次 LayerNorm。"""

    layer_class = DecoderLayer

    def forward(self, x, memory, tgt_mask=None, memory_mask=None) -> torch.Tensor:
        """x: (batch, T_tgt, d_model); memory: (batch, T_src, d_model); masks: see DecoderLayer."""
        with entry() as outer:
            _check_layer_input(
                self.layers[0],
                outer,
                ("x", x),
                ("tgt_mask", tgt_mask, x),
                ("memory_mask", memory_mask, memory),
            )
            x_in = x
            for layer in self.layers:
                x = layer(x, memory, tgt_mask, memory_mask)  # (batch, T_tgt, d_model)
            x = self._finish(x)
            if outer:
                check_computed("解码器 Decoder ", x, [("x", x_in), ("memory", memory)])
        return x


def _check_layer_input(layer, outer: bool, x_named, *masks) -> None:
    """A layer's (or stack's) input x, its memory (for a decoder) and its masks.

    ``masks``: (name, mask, keys) with ``keys`` the tensor the mask's columns refer to (x for
    self-attention, memory for cross-attention). Types and shapes are always checked; the
    mask rows (a pass over each mask) only in the ``outer`` call, the one the reader made.
    """
    name, x = x_named
    dtype = layer.self_attn.w_q.weight.dtype
    _check_activations(name, x, layer.d_model, dtype)
    num_heads = layer.self_attn.num_heads
    for mask_name, mask, keys in masks:
        if keys is not x:  # the decoder's memory
            if keys is None:
                raise TypeError(
                    "memory 不能是 None：解码器的交叉注意力要看编码器的输出 memory "
                    "(batch, T_src, d_model)（只有自注意力的模型请用 Encoder 或 EncoderLayer）"
                )
            _check_activations("memory", keys, layer.d_model, dtype)
            check_same_batch((name, x), ("memory", keys))
        if mask is not None:
            shape = (x.shape[0], num_heads, x.shape[1], keys.shape[1])
            check_mask(mask_name, mask, shape, rows=outer)


class TokenEmbedding(nn.Module):
    """词嵌入乘以 √d_model（论文 3.4 节），使它与位置编码的量级相当。

    乘以 √d_model 要与标准差 1/√d_model 的初始化配套（第 4 章的“精确地说”）：这样相乘
    之后分量的均方根约为 1，与位置编码的 1/√2 相当。nn.Embedding 默认的标准差是 1，
    乘以 √d_model 后会把位置编码淹没。
    """

    def __init__(self, vocab_size: int, d_model: int):
        super().__init__()
        vocab_size = check_int("vocab_size（词表大小）", vocab_size)
        d_model = check_int("d_model（向量维度）", d_model)
        check_budget("vocab_size × d_model（参数个数）", vocab_size * d_model, MAX_PARAMETERS)
        self.embedding = nn.Embedding(vocab_size, d_model)
        nn.init.normal_(self.embedding.weight, mean=0.0, std=d_model**-0.5)
        self.vocab_size, self.d_model = vocab_size, d_model

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (batch, seq_len) int -> (batch, seq_len, d_model)"""
        _check_token_type("tokens", tokens)
        with entry() as outer:
            if outer:
                _check_token_values("tokens", tokens, self.vocab_size)
            return self.embedding(tokens) * math.sqrt(self.d_model)


def check_token_batch(name: str, tokens, max_len: int, *, hint: str = "") -> None:
    """A model's input ids: an integer tensor (batch ≥ 1, 1 ≤ seq_len ≤ max_len).

    Used by every token model of the book (Transformer, CharLM, SASRec). ``hint``: what to
    do instead, for a value that is not a tensor (e.g. how to turn text into ids).
    """
    if not isinstance(tokens, torch.Tensor):
        raise TypeError(
            f"{name} 必须是整数张量 (batch, seq_len)，实际是 {type(tokens).__name__}{hint}"
        )
    _check_token_type(name, tokens)
    if tokens.dim() != 2 or tokens.shape[0] < 1 or tokens.shape[1] < 1:
        raise ValueError(
            f"{name} 的形状应为 (batch, seq_len)，两维都至少是 1（不能是空的），"
            f"实际是 {tuple(tokens.shape)}"
        )
    if tokens.shape[1] > max_len:
        raise ValueError(
            f"{name} 的长度 {tokens.shape[1]} 超过了 max_len={max_len}："
            f"模型的位置编码只准备了 {max_len} 个位置"
        )


def _check_token_type(name: str, tokens) -> None:
    check_tensor(name, tokens)
    if tokens.dtype not in (torch.int64, torch.int32):
        raise TypeError(
            f"{name} 必须是整数张量（词的编号，torch.long 或 torch.int32），实际是 {tokens.dtype}"
        )


def _check_token_values(name: str, tokens: torch.Tensor, vocab_size: int) -> None:
    if tokens.numel():
        low, high = (int(v) for v in torch.aminmax(tokens))
        if low < 0 or high >= vocab_size:
            raise ValueError(
                f"{name} 中词的编号必须在 0 到 {vocab_size - 1} 之间，实际范围是 {low} 到 {high}"
            )


def padding_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """填充掩码（padding mask）：(batch, seq_len) -> (batch, 1, seq_len)，True = 真实的词。

    The middle axis of size 1 broadcasts over every query position.
    """
    check_tensor("tokens", tokens)
    if tokens.is_floating_point() or tokens.is_complex() or tokens.dtype == torch.bool:
        raise TypeError(f"tokens 必须是整数张量（词的编号），实际是 {tokens.dtype}")
    if tokens.dim() != 2:
        raise ValueError(f"tokens 的形状应为 (batch, seq_len)，实际是 {tuple(tokens.shape)}")
    pad_id = check_int("pad_id（填充的编号）", pad_id, 0, maximum=torch.iinfo(torch.int64).max)
    return (tokens != pad_id).unsqueeze(1)


def decoder_mask(tgt: torch.Tensor, pad_id: int) -> torch.Tensor:
    """解码器自注意力的掩码：因果掩码 且 不看填充。(batch, T_tgt) -> (batch, T_tgt, T_tgt)"""
    keep = padding_mask(tgt, pad_id)  # (batch, 1, T_tgt); checks tgt and pad_id
    if tgt.shape[1] < 1:
        raise ValueError(
            f"tgt 至少要有一个词：形状应为 (batch, T_tgt)，T_tgt ≥ 1，实际是 {tuple(tgt.shape)}"
        )
    causal = causal_mask(tgt.shape[1], device=tgt.device)  # (T_tgt, T_tgt)
    return causal & keep  # (T, T) & (batch, 1, T) -> (batch, T, T)


@dataclass
class DecodeStep:
    """贪心解码的一步（``Transformer.greedy_decode_trace``）：解码器看到什么、选了什么。"""

    inputs: list[int]  # the decoder input so far: bos, then the tokens chosen before
    probs: torch.Tensor  # (tgt_vocab,) probabilities of the next token
    chosen: int  # argmax of probs
    self_attention: torch.Tensor  # (num_layers, num_heads, len(inputs)): last row
    cross_attention: torch.Tensor  # (num_layers, num_heads, T_src): last row


class Transformer(nn.Module):
    """编码器–解码器 Transformer：源序列 → 编码器 → 解码器（逐词生成目标序列）。

    src (batch, T_src) → TokenEmbedding + PE → Encoder → memory (batch, T_src, d_model)
    tgt (batch, T_tgt) → TokenEmbedding + PE → Decoder(memory) → Linear → logits
    (batch, T_tgt, tgt_vocab). Training uses "teacher forcing": the decoder sees the
    right answer shifted by one, and the causal mask stops it from peeking ahead.
    """

    def __init__(
        self,
        src_vocab: int,
        tgt_vocab: int,
        *,
        d_model: int = 64,
        num_heads: int = 4,
        num_encoder_layers: int = 2,
        num_decoder_layers: int = 2,
        d_ff: int | None = None,
        dropout: float = 0.0,
        activation: str = "relu",
        norm_first: bool = False,
        final_norm: bool | None = None,
        max_len: int = 128,
        pad_id: int = 0,
    ):
        super().__init__()
        src_vocab = check_int("src_vocab（源序列的词表大小）", src_vocab)
        tgt_vocab = check_int("tgt_vocab（目标序列的词表大小）", tgt_vocab)
        d_model, num_heads, d_ff_, dropout = _check_config(
            d_model, num_heads, d_ff, dropout, activation
        )
        num_encoder_layers = _check_num_layers(
            num_encoder_layers, "num_encoder_layers（编码器层数）"
        )
        num_decoder_layers = _check_num_layers(
            num_decoder_layers, "num_decoder_layers（解码器层数）"
        )
        check_bool("norm_first", norm_first)
        if final_norm is not None:
            check_bool("final_norm", final_norm)
        max_len = check_int("max_len（最多准备多少个位置）", max_len)
        pad_id = check_int("pad_id（填充的编号）", pad_id, 0, maximum=min(src_vocab, tgt_vocab) - 1)
        parameters = (
            (src_vocab + 2 * tgt_vocab + 1) * d_model  # two embeddings and the output layer
            + num_encoder_layers * _layer_parameters(d_model, d_ff_, 1)
            + num_decoder_layers * _layer_parameters(d_model, d_ff_, 2)
        )
        check_budget("整个模型的参数个数", parameters, MAX_PARAMETERS)
        kwargs = dict(
            dropout=dropout, activation=activation, norm_first=norm_first, final_norm=final_norm
        )
        self.pad_id, self.d_model = pad_id, d_model
        self.src_embed = TokenEmbedding(src_vocab, d_model)
        self.tgt_embed = TokenEmbedding(tgt_vocab, d_model)
        self.pos = PositionalEncoding(d_model, max_len)
        self.encoder = Encoder(num_encoder_layers, d_model, num_heads, d_ff, **kwargs)
        self.decoder = Decoder(num_decoder_layers, d_model, num_heads, d_ff, **kwargs)
        self.generator = nn.Linear(d_model, tgt_vocab)  # the output projection
        self.dropout = nn.Dropout(dropout)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """src: (batch, T_src) -> memory (batch, T_src, d_model)"""
        self._check_tokens("src", src)
        with entry() as outer:
            if outer:
                self._check_token_values(src=src)
            x = self.dropout(self.pos(self.src_embed(src)))
            memory = self.encoder(x, padding_mask(src, self.pad_id))
            if outer:
                check_computed("编码器 ", memory, hint=_WEIGHTS)
        return memory

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """tgt: (batch, T_tgt) -> logits (batch, T_tgt, tgt_vocab)

        memory: ``encode(src)`` (batch, T_src, d_model); src: the source, for its padding.
        """
        self._check_tokens("tgt", tgt)
        self._check_tokens("src", src)
        check_same_batch(("src", src), ("tgt", tgt))
        check_float_tensor("memory", memory, self.generator.weight.dtype)
        if tuple(memory.shape) != (*src.shape, self.d_model):
            raise ValueError(
                f"memory 的形状应为 (batch, T_src, d_model) = {(*src.shape, self.d_model)}"
                f"（encode(src) 的输出），实际是 {tuple(memory.shape)}"
            )
        with entry() as outer:
            if outer:
                self._check_token_values(src=src, tgt=tgt)
                check_finite("memory", memory)
            y = self.dropout(self.pos(self.tgt_embed(tgt)))
            y = self.decoder(
                y, memory, decoder_mask(tgt, self.pad_id), padding_mask(src, self.pad_id)
            )
            logits = self.generator(y)
            if outer:
                check_computed("解码器 ", logits, hint=_WEIGHTS)
        return logits

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        """src: (batch, T_src), tgt: (batch, T_tgt) -> logits (batch, T_tgt, tgt_vocab)"""
        self._check_tokens("src", src)
        self._check_tokens("tgt", tgt)
        check_same_batch(("src", src), ("tgt", tgt))
        with entry() as outer:
            if outer:
                self._check_token_values(src=src, tgt=tgt)
            logits = self.decode(tgt, self.encode(src), src)
            if outer:
                check_computed("Transformer ", logits, hint=_WEIGHTS)
        return logits

    def _check_tokens(self, name: str, tokens) -> None:
        check_token_batch(name, tokens, self.pos.max_len)

    def _check_token_values(self, src=None, tgt=None) -> None:
        """The ids are in the vocabularies; no source is all padding; every target starts
        with a real token (its first row of the decoder mask would hide everything)."""
        if src is not None:
            _check_token_values("src", src, self.src_embed.vocab_size)
            real = src != self.pad_id  # (batch, T_src)
            if not bool(real.any(dim=1).all()):
                b = int((~real.any(dim=1)).nonzero()[0])
                raise ValueError(
                    f"src 的第 {b} 个序列全是填充（pad_id={self.pad_id}）：编码器没有可以关注的词"
                )
        if tgt is not None:
            _check_token_values("tgt", tgt, self.tgt_embed.vocab_size)
            if bool((tgt[:, 0] == self.pad_id).any()):
                b = int((tgt[:, 0] == self.pad_id).nonzero()[0])
                raise ValueError(
                    f"tgt 的第 {b} 个序列以填充（pad_id={self.pad_id}）开头："
                    "解码器的第一个位置没有可以关注的词（第一个词通常是开始符 bos）"
                )

    def _check_decoding(self, src, bos_id, eos_id, max_len) -> tuple[int, int, int]:
        self._check_tokens("src", src)
        vocab = self.tgt_embed.vocab_size
        bos_id = check_int("bos_id（开始符的编号）", bos_id, 0, maximum=vocab - 1)
        eos_id = check_int("eos_id（结束符的编号）", eos_id, 0, maximum=vocab - 1)
        if bos_id == self.pad_id:
            raise ValueError(f"bos_id 不能等于 pad_id（{self.pad_id}）：解码器的第一个词不能是填充")
        # the decoder input grows to max_len tokens: each needs a position
        max_len = check_int("max_len（最多生成几个词）", max_len, 1, maximum=self.pos.max_len)
        return bos_id, eos_id, max_len

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int):
        """贪心解码（greedy decoding）：每一步取概率最大的词，直到 eos 或 max_len 个词。

        src: (batch, T_src). Returns (batch, ≤ max_len + 1) starting with bos_id; after a
        sequence has produced eos_id it is padded with pad_id. max_len is at most the
        model's own max_len (the number of positions it has encodings for).
        """
        bos_id, eos_id, max_len = self._check_decoding(src, bos_id, eos_id, max_len)
        with entry() as outer:
            if outer:
                self._check_token_values(src=src)
            memory = self.encode(src)  # computed once, reused at every step
            if outer:
                check_computed("编码器 ", memory, hint=_WEIGHTS)
            out = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
            done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
            for _ in range(max_len):
                logits = self.decode(out, memory, src)  # (batch, T_so_far, tgt_vocab)
                last = logits[:, -1]  # only the last position predicts the next token
                if outer:
                    check_computed("解码器 ", last, hint=_WEIGHTS)
                nxt = last.argmax(-1)
                nxt = torch.where(done, torch.full_like(nxt, self.pad_id), nxt)
                out = torch.cat([out, nxt.unsqueeze(1)], dim=1)
                done |= nxt == eos_id
                if bool(done.all()):
                    break
        return out

    @torch.no_grad()
    def greedy_decode_trace(
        self, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int
    ) -> list[DecodeStep]:
        """与 ``greedy_decode`` 相同的贪心解码（只对一个序列），但记下每一步看到了什么。

        src: (1, T_src). Step t feeds the decoder the t + 1 tokens chosen so far and keeps,
        for the last position only: the next-token probabilities, the masked
        self-attention row and the cross-attention row of every layer and head.
        """
        check_tensor("src", src)
        if src.dim() != 2 or src.shape[0] != 1:
            raise ValueError(
                f"src 的形状应为 (1, T_src)（一次只跟踪一个序列），实际是 {tuple(src.shape)}"
            )
        bos_id, eos_id, max_len = self._check_decoding(src, bos_id, eos_id, max_len)
        with entry() as outer:
            if outer:
                self._check_token_values(src=src)
            return self._trace(src, bos_id, eos_id, max_len, outer)

    def _trace(self, src, bos_id: int, eos_id: int, max_len: int, outer: bool):
        memory = self.encode(src)  # (1, T_src, d_model), computed once
        tokens = [bos_id]
        steps = []
        for _ in range(max_len):
            tgt = torch.tensor([tokens], dtype=torch.long, device=src.device)  # (1, t + 1)
            logits = self.decode(tgt, memory, src)  # (1, t + 1, tgt_vocab)
            if outer:
                check_computed("解码器 ", logits[0, -1], hint=_WEIGHTS)
            probs = torch.softmax(logits[0, -1], dim=-1)  # (tgt_vocab,)
            chosen = int(probs.argmax())
            layers = self.decoder.layers
            steps.append(
                DecodeStep(
                    inputs=list(tokens),
                    probs=probs,
                    chosen=chosen,
                    # (num_layers, num_heads, t + 1) and (num_layers, num_heads, T_src)
                    self_attention=torch.stack(
                        [lay.last_self_attention[0, :, -1] for lay in layers]
                    ),
                    cross_attention=torch.stack(
                        [lay.last_cross_attention[0, :, -1] for lay in layers]
                    ),
                )
            )
            tokens.append(chosen)
            if chosen == eos_id:
                break
        return steps

    @torch.no_grad()
    def load_from_torch(self, model: nn.Transformer) -> Transformer:
        """从 ``torch.nn.Transformer`` 复制编码器与解码器的权重（嵌入与输出层它没有）。"""
        check_instance("model", model, nn.Transformer)
        self.encoder.load_from_torch(model.encoder)
        self.decoder.load_from_torch(model.decoder)
        return self


# --- copying weights from PyTorch's modules (used by the parity tests) ---


def _check_num_layers(num_layers, name: str = "num_layers（层数）") -> int:
    return check_int(name, num_layers)


def _check_same_structure(ours, theirs) -> None:
    names = {fn: name for name, fn in ACTIVATIONS.items()}
    act = names.get(theirs.activation, repr(theirs.activation))
    ours_act = names[ours.ff.activation]
    if theirs.norm_first != ours.norm_first or act != ours_act:
        raise ValueError(
            f"结构不一致：torch 层 norm_first={theirs.norm_first}, activation={act}；"
            f"本层 norm_first={ours.norm_first}, activation={ours_act}"
        )
    if not theirs.self_attn.batch_first:
        raise ValueError("torch 层必须用 batch_first=True 创建，形状才与本书一致")


def _copy_ff_and_norms(ours, theirs, norms) -> None:
    pairs = [(ours.ff.linear1, theirs.linear1), (ours.ff.linear2, theirs.linear2)]
    pairs += [(getattr(ours, name), getattr(theirs, name)) for name in norms]
    for a, b in pairs:
        _copy_state(a, b)


def _copy_state(ours: nn.Module, theirs: nn.Module) -> None:
    """``ours.load_state_dict(theirs.state_dict())`` with a Chinese message on a mismatch."""
    try:
        ours.load_state_dict(theirs.state_dict())
    except RuntimeError:
        mine = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
        other = {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
        raise ValueError(f"形状不一致，无法复制：torch 层是 {other}，本层是 {mine}") from None


def _load_stack(ours, theirs) -> None:
    if len(ours.layers) != len(theirs.layers):
        raise ValueError(
            f"层数不一致：torch 有 {len(theirs.layers)} 层，本模块有 {len(ours.layers)} 层"
        )
    if (ours.norm is None) != (theirs.norm is None):
        raise ValueError("一个有最后的 LayerNorm（final_norm）一个没有，无法复制")
    for a, b in zip(ours.layers, theirs.layers, strict=True):
        a.load_from_torch(b)
    if ours.norm is not None:
        _copy_state(ours.norm, theirs.norm)


# --- chapter 5: post-norm vs pre-norm at initialisation ---


def norm_placement_stats(
    num_layers: int,
    *,
    norm_first: bool,
    d_model: int = 32,
    num_heads: int = 4,
    d_ff: int = 64,
    batch: int = 4,
    seq_len: int = 10,
    seed: int = 0,
) -> dict:
    """一个刚初始化的编码器堆叠：每层输出的大小，以及第一层与最后一层的梯度之比。

    Returns ``{"rms": [RMS of each layer's output (no final norm)], "grad_ratio":
    ‖∂loss/∂W_1 of the first layer‖ / ‖… of the last layer‖}``. The loss is the mean
    squared error between the stack's output, passed through one final LayerNorm (for
    both placements, so the two losses are on the same scale), and a random target.
    Post-norm ends every layer with LayerNorm, so its RMS stays 1; pre-norm adds to a
    residual stream that grows with depth.
    """
    num_layers = _check_num_layers(num_layers)
    norm_first = check_bool("norm_first", norm_first)
    d_model, num_heads, d_ff, _ = _check_config(d_model, num_heads, d_ff, 0.0, "relu")
    batch = check_int("batch（批大小）", batch)
    seq_len = check_int("seq_len（序列长度）", seq_len)
    seed = check_seed(seed)
    check_budget(
        "num_layers × 每层的参数个数",
        num_layers * _layer_parameters(d_model, d_ff, 1),
        MAX_PARAMETERS,
    )
    tokens = batch * seq_len  # multiply-adds: projections and FFN per token, scores per pair
    work = num_layers * (
        tokens * (4 * d_model + 2 * d_ff) * d_model + 2 * tokens * seq_len * d_model
    )
    check_budget("这次计算的乘法次数（约 num_layers × batch × seq_len × …）", work, MAX_OPERATIONS)
    torch.manual_seed(seed)
    enc = Encoder(num_layers, d_model, num_heads, d_ff, norm_first=norm_first, final_norm=True)
    x = torch.randn(batch, seq_len, d_model)  # (batch, seq_len, d_model)
    rms, h = [], x
    for layer in enc.layers:
        h = layer(h)  # (batch, seq_len, d_model)
        rms.append(float(h.detach().pow(2).mean().sqrt()))
    out = enc.norm(h)
    target = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed + 1))
    ((out - target) ** 2).mean().backward()
    first = enc.layers[0].ff.linear1.weight.grad.norm()
    last = enc.layers[-1].ff.linear1.weight.grad.norm()
    return {"rms": rms, "grad_ratio": float(first / last)}


def trace_shapes(model: Transformer, src: torch.Tensor, tgt: torch.Tensor) -> list[tuple]:
    """做一次真实的前向传播 ``model(src, tgt)``，用 forward hook 记下每个阶段输出的形状。

    Returns ``[(stage name, shape tuple), ...]`` in the order the stages ran.
    """
    check_instance("model", model, Transformer, "utils.nn.transformer 的模型")
    records: list[tuple] = []
    pos_calls = []

    def hook_for(name):
        def hook(_module, _inputs, output):
            label = name
            if name == "位置编码":
                pos_calls.append(1)
                label = "源序列 + 位置编码" if len(pos_calls) == 1 else "目标序列 + 位置编码"
            records.append((label, tuple(output.shape)))

        return hook

    named = [
        (model.src_embed, "源序列词嵌入 × √d_model"),
        (model.pos, "位置编码"),
        (model.tgt_embed, "目标序列词嵌入 × √d_model"),
        (model.generator, "线性层 → logits"),
        (model.encoder, "编码器输出 memory"),
    ]
    named += [(layer, f"编码器第 {i} 层") for i, layer in enumerate(model.encoder.layers, 1)]
    named += [(layer, f"解码器第 {i} 层") for i, layer in enumerate(model.decoder.layers, 1)]
    handles = [m.register_forward_hook(hook_for(n)) for m, n in named]
    try:
        with torch.no_grad():
            model(src, tgt)
    finally:
        for h in handles:
            h.remove()
    return records


def to_torch_encoder_layer(layer: EncoderLayer) -> nn.TransformerEncoderLayer:
    """把本书的编码器块复制成同样权重的 ``nn.TransformerEncoderLayer``（用来比较）。"""
    check_instance("layer", layer, EncoderLayer)
    attn = layer.self_attn
    ref = nn.TransformerEncoderLayer(
        layer.d_model,
        attn.num_heads,
        layer.ff.linear1.out_features,
        dropout=0.0,
        activation=next(k for k, f in ACTIVATIONS.items() if f is layer.ff.activation),
        batch_first=True,
        norm_first=layer.norm_first,
        dtype=attn.w_q.weight.dtype,
    )
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(
            torch.cat([attn.w_q.weight, attn.w_k.weight, attn.w_v.weight])
        )  # (3·d_model, d_model)
        ref.self_attn.in_proj_bias.copy_(torch.cat([attn.w_q.bias, attn.w_k.bias, attn.w_v.bias]))
        ref.self_attn.out_proj.load_state_dict(attn.w_o.state_dict())
        ref.linear1.load_state_dict(layer.ff.linear1.state_dict())
        ref.linear2.load_state_dict(layer.ff.linear2.state_dict())
        ref.norm1.load_state_dict(layer.norm1.state_dict())
        ref.norm2.load_state_dict(layer.norm2.state_dict())
    return ref.eval()
