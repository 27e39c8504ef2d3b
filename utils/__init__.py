"""《动手学 Transformer》各章共用的代码。The shared engine of the book.

Naming used everywhere (see README): batch, seq_len, d_model, num_heads,
d_k (key/query size), d_v (value size); q, k, v for queries, keys, values.
"""

from .examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X, notes_example
from .numpy_attention import AttentionSteps, attention_steps, naive_softmax, softmax
from .torch_attention import MultiHeadAttention, causal_mask, scaled_dot_product_attention

__all__ = [
    "NOTES_X",
    "NOTES_W_KEY",
    "NOTES_W_QUERY",
    "NOTES_W_VALUE",
    "notes_example",
    "AttentionSteps",
    "attention_steps",
    "softmax",
    "naive_softmax",
    "MultiHeadAttention",
    "causal_mask",
    "scaled_dot_product_attention",
]
