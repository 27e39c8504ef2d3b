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
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from .._validate import check_int
from .attention import MultiHeadAttention, causal_mask
from .positional_encoding import PositionalEncoding

ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


def _check_config(d_model, num_heads, d_ff, dropout, activation) -> None:
    for name, value in (("d_model", d_model), ("num_heads", num_heads), ("d_ff", d_ff)):
        check_int(name, value)
    if d_model % num_heads:
        raise ValueError(f"d_model（{d_model}）必须能被 num_heads（{num_heads}）整除")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout 必须在 [0, 1) 之间，实际是 {dropout!r}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation 只能是 {sorted(ACTIVATIONS)} 之一，实际是 {activation!r}")


class FeedForward(nn.Module):
    """逐位置前馈网络（position-wise feed-forward network）：每个位置各自过同一个两层 MLP。

    FFN(x) = W_2 · act(W_1 x + b_1) + b_2,   d_model -> d_ff -> d_model
    """

    def __init__(self, d_model: int, d_ff: int, *, dropout: float = 0.0, activation="relu"):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)
        self.activation = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (batch, seq_len, d_model) -> (batch, seq_len, d_ff) -> (batch, seq_len, d_model)
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


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
        d_ff = 4 * d_model if d_ff is None else d_ff
        _check_config(d_model, num_heads, d_ff, dropout, activation)
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
        """x: (batch, seq_len, d_model); mask: True = may attend, e.g. padding_mask(...)."""
        if self.norm_first:  # pre-norm: x + Sublayer(LayerNorm(x))
            x = x + self._attend(self.norm1(x), mask)
            x = x + self.dropout2(self.ff(self.norm2(x)))
        else:  # post-norm: LayerNorm(x + Sublayer(x))
            x = self.norm1(x + self._attend(x, mask))
            x = self.norm2(x + self.dropout2(self.ff(x)))
        return x  # (batch, seq_len, d_model)

    @torch.no_grad()
    def load_from_torch(self, layer: nn.TransformerEncoderLayer) -> EncoderLayer:
        """从 ``torch.nn.TransformerEncoderLayer`` 复制权重（结构必须相同）。"""
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
        d_ff = 4 * d_model if d_ff is None else d_ff
        _check_config(d_model, num_heads, d_ff, dropout, activation)
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
        if self.norm_first:
            x = x + self._self(self.norm1(x), tgt_mask)
            x = x + self._cross(self.norm2(x), memory, memory_mask)
            x = x + self.dropout3(self.ff(self.norm3(x)))
        else:
            x = self.norm1(x + self._self(x, tgt_mask))
            x = self.norm2(x + self._cross(x, memory, memory_mask))
            x = self.norm3(x + self.dropout3(self.ff(x)))
        return x  # (batch, T_tgt, d_model)

    @torch.no_grad()
    def load_from_torch(self, layer: nn.TransformerDecoderLayer) -> DecoderLayer:
        """从 ``torch.nn.TransformerDecoderLayer`` 复制权重（结构必须相同）。"""
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
        _check_num_layers(num_layers)
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
        _load_stack(self, stack)
        return self


class Encoder(_Stack):
    """N 个编码器层堆叠（stacked）；``final_norm`` 时最后再做一次 LayerNorm（pre-norm 必需）。"""

    layer_class = EncoderLayer

    def forward(self, x, mask=None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, mask)  # (batch, seq_len, d_model), the same shape at every layer
        return self._finish(x)

    def attention(self, layer: int = -1) -> torch.Tensor:
        """上一次前向计算中第 ``layer`` 层的注意力权重 (batch, num_heads, seq_len, seq_len)。"""
        weights = self.layers[layer].last_attention
        if weights is None:
            raise RuntimeError("模型还没有做过前向计算，没有注意力权重")
        return weights


class Decoder(_Stack):
    """N 个解码器层堆叠；``final_norm`` 时最后再做一次 LayerNorm。"""

    layer_class = DecoderLayer

    def forward(self, x, memory, tgt_mask=None, memory_mask=None) -> torch.Tensor:
        for layer in self.layers:
            x = layer(x, memory, tgt_mask, memory_mask)  # (batch, T_tgt, d_model)
        return self._finish(x)


class TokenEmbedding(nn.Module):
    """词嵌入乘以 √d_model（论文 3.4 节），使它与位置编码的量级相当。"""

    def __init__(self, vocab_size: int, d_model: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.vocab_size, self.d_model = vocab_size, d_model

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: (batch, seq_len) int -> (batch, seq_len, d_model)"""
        if tokens.dtype not in (torch.int64, torch.int32):
            raise TypeError(f"tokens 必须是整数张量（词的编号），实际是 {tokens.dtype}")
        if tokens.numel() and (tokens.min() < 0 or tokens.max() >= self.vocab_size):
            raise ValueError(
                f"词的编号必须在 0 到 {self.vocab_size - 1} 之间，"
                f"实际范围是 {int(tokens.min())} 到 {int(tokens.max())}"
            )
        return self.embedding(tokens) * math.sqrt(self.d_model)


def padding_mask(tokens: torch.Tensor, pad_id: int) -> torch.Tensor:
    """填充掩码（padding mask）：(batch, seq_len) -> (batch, 1, seq_len)，True = 真实的词。

    The middle axis of size 1 broadcasts over every query position.
    """
    if tokens.dim() != 2:
        raise ValueError(f"tokens 的形状应为 (batch, seq_len)，实际是 {tuple(tokens.shape)}")
    return (tokens != pad_id).unsqueeze(1)


def decoder_mask(tgt: torch.Tensor, pad_id: int) -> torch.Tensor:
    """解码器自注意力的掩码：因果掩码 且 不看填充。(batch, T_tgt) -> (batch, T_tgt, T_tgt)"""
    causal = causal_mask(tgt.shape[1], device=tgt.device)  # (T_tgt, T_tgt)
    return causal & padding_mask(tgt, pad_id)  # (T, T) & (batch, 1, T) -> (batch, T, T)


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
        x = self.dropout(self.pos(self.src_embed(src)))
        return self.encoder(x, padding_mask(src, self.pad_id))

    def decode(self, tgt: torch.Tensor, memory: torch.Tensor, src: torch.Tensor) -> torch.Tensor:
        """tgt: (batch, T_tgt) -> logits (batch, T_tgt, tgt_vocab)"""
        y = self.dropout(self.pos(self.tgt_embed(tgt)))
        y = self.decoder(y, memory, decoder_mask(tgt, self.pad_id), padding_mask(src, self.pad_id))
        return self.generator(y)

    def forward(self, src: torch.Tensor, tgt: torch.Tensor) -> torch.Tensor:
        return self.decode(tgt, self.encode(src), src)

    @torch.no_grad()
    def greedy_decode(self, src: torch.Tensor, bos_id: int, eos_id: int, max_len: int):
        """贪心解码（greedy decoding）：每一步取概率最大的词，直到 eos 或 max_len 个词。

        src: (batch, T_src). Returns (batch, ≤ max_len + 1) starting with bos_id; after a
        sequence has produced eos_id it is padded with pad_id.
        """
        memory = self.encode(src)  # computed once, reused at every step
        out = torch.full((src.shape[0], 1), bos_id, dtype=torch.long, device=src.device)
        done = torch.zeros(src.shape[0], dtype=torch.bool, device=src.device)
        for _ in range(max_len):
            logits = self.decode(out, memory, src)  # (batch, T_so_far, tgt_vocab)
            nxt = logits[:, -1].argmax(-1)  # only the last position predicts the next token
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
        if src.dim() != 2 or src.shape[0] != 1:
            raise ValueError(
                f"src 的形状应为 (1, T_src)（一次只跟踪一个序列），实际是 {tuple(src.shape)}"
            )
        memory = self.encode(src)  # (1, T_src, d_model), computed once
        tokens = [bos_id]
        steps = []
        for _ in range(max_len):
            tgt = torch.tensor([tokens], dtype=torch.long, device=src.device)  # (1, t + 1)
            logits = self.decode(tgt, memory, src)  # (1, t + 1, tgt_vocab)
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
        self.encoder.load_from_torch(model.encoder)
        self.decoder.load_from_torch(model.decoder)
        return self


# --- copying weights from PyTorch's modules (used by the parity tests) ---


def _check_num_layers(num_layers) -> None:
    check_int("num_layers（层数）", num_layers)


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
    ours.ff.linear1.load_state_dict(theirs.linear1.state_dict())
    ours.ff.linear2.load_state_dict(theirs.linear2.state_dict())
    for name in norms:
        getattr(ours, name).load_state_dict(getattr(theirs, name).state_dict())


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
        ours.norm.load_state_dict(theirs.norm.state_dict())


# --- chapter 1: post-norm vs pre-norm at initialisation ---


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
    _check_num_layers(num_layers)
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
    if not isinstance(model, Transformer):
        raise ValueError(
            f"model 必须是 utils.nn.transformer.Transformer，实际是 {type(model).__name__}"
        )
    for name, t in (("src", src), ("tgt", tgt)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"{name} 的形状应为 (batch, seq_len) 的整数张量")
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
    if not isinstance(layer, EncoderLayer):
        raise ValueError(f"layer 必须是 EncoderLayer，实际是 {type(layer).__name__}")
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
