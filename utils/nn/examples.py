"""笔记第 2 节的手算例子：三个输入、三个权重矩阵。

The worked example of the notes' section 2 (a widely used hand-worked
self-attention example). Every chapter that needs it imports it from here, so
the numbers exist in exactly one place.
"""

from __future__ import annotations

import numpy as np

from .numpy_attention import attention_steps

# 步骤 1：三个输入，每个是 d_model = 4 维的行向量
NOTES_X = np.array(
    [
        [1, 0, 1, 0],  # x1
        [0, 2, 0, 2],  # x2
        [1, 1, 1, 1],  # x3
    ],
    dtype=np.float64,
)

# 步骤 2：权重矩阵，形状 (d_model, d_k) = (4, 3)
NOTES_W_KEY = np.array([[0, 0, 1], [1, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float64)
NOTES_W_QUERY = np.array([[1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 1]], dtype=np.float64)
NOTES_W_VALUE = np.array([[0, 2, 0], [0, 3, 0], [1, 0, 3], [1, 1, 0]], dtype=np.float64)


def notes_example(*, scaled: bool = False):
    """笔记例子的全部七个步骤。``scaled=True`` 时每个分数除以 √d_k。"""
    return attention_steps(NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE, scaled=scaled)
