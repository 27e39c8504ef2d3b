"""输入检查：形状不对、含 NaN/inf 时给出清楚的中文错误信息。

Input checks shared by the numpy and torch code. Every message is in Chinese and
names the argument and the shape that was expected, so a reader who passes the
wrong thing sees at once what to fix.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def as_matrix(name: str, a, *, rows: int | None = None, cols: int | None = None):
    """把 ``a`` 转成二维 float64 数组并检查形状与数值。Return ``a`` as a 2-D float array."""
    try:
        m = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{name} 必须是由数字组成的矩阵（matrix），无法转换：{e}") from None
    if m.ndim != 2:
        raise ValueError(f"{name} 必须是二维矩阵，实际是 {m.ndim} 维，形状 {m.shape}")
    if rows is not None and m.shape[0] != rows:
        raise ValueError(f"{name} 应有 {rows} 行，实际有 {m.shape[0]} 行（形状 {m.shape}）")
    if cols is not None and m.shape[1] != cols:
        raise ValueError(f"{name} 应有 {cols} 列，实际有 {m.shape[1]} 列（形状 {m.shape}）")
    check_finite(name, m)
    return m


def quote(text, limit: int = 20) -> str:
    """“text”，太长时截断：错误信息引用读者的输入时用，不会把十万个字原样打印出来。"""
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f"…（共 {len(text)} 个字符）"
    return f"“{text}”"


def is_int(value) -> bool:
    """一个整数（Python int 或 numpy 整数），但不是 True/False。"""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(
    name: str, value, minimum: int = 1, *, maximum: int | None = None, even: bool = False
) -> int:
    """一个在 [minimum, maximum] 里的整数（不接受 True/False）。Return it as a Python int.

    Used by every ``utils`` function that takes a size, a count, a position or a number of
    steps. ``maximum=None``: no upper bound; ``even=True``: the value must also be even
    (the sinusoid's d_model, whose columns come in sin/cos pairs).
    """
    ok = (
        is_int(value)
        and value >= minimum
        and (maximum is None or value <= maximum)
        and not (even and value % 2)
    )
    if not ok:
        kind = "偶数" if even else "整数"
        if maximum is not None:
            need = f" {minimum} 到 {maximum} 之间的{kind}"
        elif minimum == 1 and not even:
            need = "正整数"
        else:
            need = f"不小于 {minimum} 的{kind}"
        raise ValueError(f"{name}{_sep(name)}必须是{need}，实际是 {value!r}")
    return int(value)


def check_positive(name: str, value) -> float:
    """一个有限的正数（学习率之类）。Return it as a Python float.

    Rejects 0, negative numbers, NaN, inf, True/False and anything that is not a number.
    """
    if (
        not isinstance(value, numbers.Real)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"{name}{_sep(name)}必须是有限的正数，实际是 {value!r}")
    return float(value)


def _sep(name: str) -> str:
    """名字和“必须”之间的空格：d_model 必须…；seq_len（序列长度）必须…（括号后不加）。"""
    return "" if name.endswith("）") else " "


def check_nonzero_rows(name: str, norms) -> None:
    """余弦相似度要除以每个向量的长度：拒绝零向量。``norms``: the rows' lengths (numpy or torch).

    Every cosine similarity in the book calls this, so a zero vector gives the same message
    everywhere instead of a table of NaN.
    """
    if bool((norms == 0).any()):
        raise ValueError(
            f"{name}{_sep(name)}里有零向量：零向量没有方向，余弦相似度（cosine similarity）没有定义"
        )


def check_finite(name: str, a) -> None:
    """拒绝 NaN 与无穷大。Reject NaN and inf (numpy arrays or torch tensors).

    Fast path: one sum. NaN and inf propagate through a sum, so a finite sum means every
    entry is finite; only a non-finite sum (a bad entry, or an overflow of huge but finite
    entries) needs the full element-wise check. This keeps the check cheap inside training
    loops (the ViT's attention calls it on every forward pass).
    """
    if isinstance(a, np.ndarray):
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow only means "look closer"
            total = a.sum()
        if a.size == 0 or np.isfinite(total):
            return
        finite = np.isfinite(a)
    else:
        a = a.detach()
        if a.numel() == 0 or bool(a.sum().isfinite()):
            return
        finite = a.isfinite()
    if not bool(finite.all()):
        raise ValueError(f"{name} 含有 NaN 或无穷大（inf），请检查输入")
