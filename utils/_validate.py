"""输入检查：形状不对、含 NaN/inf 时给出清楚的中文错误信息。

Input checks shared by the numpy and torch code. Every message is in Chinese and
names the argument and the shape that was expected, so a reader who passes the
wrong thing sees at once what to fix.
"""

from __future__ import annotations

import contextvars
import itertools
import math
import numbers
from contextlib import contextmanager

import numpy as np


def as_matrix(name: str, a, *, rows: int | None = None, cols: int | None = None):
    """把 ``a`` 转成二维 float64 数组并检查形状与数值。Return ``a`` as a 2-D float array."""
    m = as_array(name, a, what="矩阵（matrix）")
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
        raise ValueError(f"{name}{_sep(name)}必须是{need}，实际是 {short_repr(value)}")
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
        raise ValueError(f"{name}{_sep(name)}必须是有限的正数，实际是 {short_repr(value)}")
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
        raise ValueError(f"{name}{_sep(name)}含有 NaN 或无穷大（inf），请检查输入")


# --------------------------------------------------------------------------------------------
# Checks for the trained models and the experiments (utils/models, utils/experiments).

MAX_SEED = 2**63 - 1  # torch.manual_seed and numpy's default_rng both take 0 … 2**63 - 1


def short_repr(value, limit: int = 40) -> str:
    """The reader's value for a message: its repr, cut short (a 100,000-character string
    passed where a number belongs must not come back in full)."""
    if isinstance(value, int) and not -(10**18) < value < 10**18:  # repr fails past 4300 digits
        return count_text(abs(value)).replace("10^", "-10^" if value < 0 else "10^")
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"…（共 {len(text)} 个字符）"


def check_seed(value, name: str = "seed") -> int:
    """随机种子：0 到 2**63 - 1 之间的整数（torch 和 numpy 都接受）。Return it as an int."""
    check_int(name, value, 0)
    if value > MAX_SEED:
        raise ValueError(f"{name}{_sep(name)}太大了：必须小于 2**63，实际是 {short_repr(value)}")
    return int(value)


def check_bool(name: str, value) -> bool:
    """True 或 False（不接受 0/1、字符串等：``greedy="no"`` 在 Python 里算真）。"""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}{_sep(name)}必须是 True 或 False，实际是 {short_repr(value)}")
    return bool(value)


def check_number(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """一个有限的实数，可选地限定在区间里（``low_open``/``high_open``：不含端点）。Return a float.

    Rejects True/False, strings, None, NaN and inf. The message writes the interval the
    usual way: ``p_chain 必须在 [0, 1] 之间``, ``held_out 必须在 (0, 1) 之间``.
    """
    ok = (
        isinstance(value, numbers.Real)
        and not isinstance(value, (bool, np.bool_))
        and is_finite_number(value)
        and (low is None or (value > low if low_open else value >= low))
        and (high is None or (value < high if high_open else value <= high))
    )
    if not ok:
        if low is not None and high is not None:
            need = f"在 {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'} 之间"
        elif low is not None:
            need = f"是{'大于' if low_open else '不小于'} {low:g} 的有限数"
        elif high is not None:
            need = f"是{'小于' if high_open else '不大于'} {high:g} 的有限数"
        else:
            need = "是有限的数"
        raise ValueError(f"{name}{_sep(name)}必须{need}，实际是 {short_repr(value)}")
    return float(value)


def check_instance(name: str, value, cls, what: str = ""):
    """``value`` 必须是 ``cls`` 的实例；``what`` 说明它从哪里来（如“train_char_lm 返回的”）。"""
    if not isinstance(value, cls):
        hint = f"（{what}）" if what else ""
        raise TypeError(
            f"{name}{_sep(name)}必须是 {cls.__name__}{hint}，实际是 {type(value).__name__}"
        )
    return value


# Upper bounds for what a reader can type into a model's constructor or a training call: far
# above the book's models (d_model 16–64, 2–3 layers, at most a few hundred thousand
# parameters), low enough that a typo (d_model=640000, epochs=10**7) gets a message instead of
# a frozen kernel or an exhausted memory.
MAX_LAYERS = 64
MAX_THREADS = 256


def check_budget(what: str, amount: int, maximum: int) -> None:
    """计算量或内存的上限：读者输入的大小相乘之后太大时，在动手之前就拒绝（而不是算上几个小时）。

    ``what`` names the product in the reader's terms, e.g. "seq_len × vocab_size（one-hot 的大小）".
    """
    if amount > maximum:
        raise ValueError(
            f"{what}太大了：{count_text(amount)} 超过了上限 {maximum:,}（会算得很久或占满内存），"
            "请把它调小"
        )


def as_ids(name: str, ids, size: int, *, ndim: int | None = None):
    """把编号（Python 列表、numpy 数组、torch 张量或生成器）变成 torch.long 张量，并检查类型与范围。

    Every entry must be an integer (not a float such as 1.0, not True/False, not a string)
    in 0 … size - 1; ``ndim``: the number of dimensions required (None: any). Negative ids
    are refused too: Python would silently read them from the end of the list.
    """
    import torch

    if ids is None or isinstance(ids, (str, bytes)):
        raise TypeError(f"{name}{_sep(name)}必须是整数编号的序列，实际是 {type(ids).__name__}")
    if isinstance(ids, torch.Tensor):
        t = ids.detach()
        integer = not t.is_floating_point() and not t.is_complex() and t.dtype != torch.bool
    else:
        if not hasattr(ids, "__len__") and not isinstance(ids, numbers.Number):
            try:
                ids = list(ids)  # a generator
            except TypeError:
                raise TypeError(
                    f"{name}{_sep(name)}必须是整数编号的序列，实际是 {type(ids).__name__}"
                ) from None
        try:
            a = np.asarray(ids)
        except (ValueError, TypeError):
            raise ValueError(f"{name}{_sep(name)}必须是形状整齐的整数编号（每行一样长）") from None
        if a.dtype == object and all(is_int(v) for v in a.ravel()):
            big = next(v for v in a.ravel() if not -(2**63) <= v < 2**63)
            raise ValueError(
                f"{name}{_sep(name)}里的编号必须在 0 到 {size - 1} 之间，实际有 {short_repr(big)}"
            )
        integer = a.dtype.kind in "iu" or (a.size == 0 and a.dtype.kind == "f")
        t = torch.from_numpy(a.astype(np.int64)) if integer else None
    if not integer:
        kind = t.dtype if isinstance(ids, torch.Tensor) else np.asarray(ids).dtype
        raise TypeError(f"{name}{_sep(name)}必须是整数编号，实际的类型是 {kind}")
    if ndim is not None and t.dim() != ndim:
        raise ValueError(
            f"{name}{_sep(name)}应是 {ndim} 维的编号，实际是 {t.dim()} 维，形状 {tuple(t.shape)}"
        )
    if t.numel() and (int(t.min()) < 0 or int(t.max()) >= size):
        bad = int(t.min()) if int(t.min()) < 0 else int(t.max())
        raise ValueError(f"{name}{_sep(name)}里的编号必须在 0 到 {size - 1} 之间，实际有 {bad}")
    return t.long()


def check_parameter_count(count: int) -> None:
    """一个模型的参数个数（建模型之前按公式估计）不能超过 MAX_PARAMETERS（见下面的引擎部分）。"""
    check_budget("模型的参数个数", count, MAX_PARAMETERS)


@contextmanager
def training_guard(model, optimizer):
    """包住一个训练循环：训练发散（权重或中间结果变成 NaN、无穷大）时，说清楚是训练发散了。

    Without it a diverged run either returns a useless model full of NaN or stops in a check
    deep inside the model that names an internal tensor ("q 含有 NaN"). A ValueError after
    the optimizer's first step comes from the numbers (the data and the settings were
    checked before), so it is reported as divergence. Costs one pass over the weights at
    the end; computes nothing else.
    """
    try:
        yield
    except ValueError as err:
        if optimizer.state or not _weights_finite(model):  # some step was taken
            raise ValueError(_DIVERGED) from err
        raise
    if not _weights_finite(model):
        raise ValueError(_DIVERGED)


_DIVERGED = (
    "训练发散了：模型的权重或中间结果变成了 NaN 或无穷大（inf），这个模型没有用。"
    "请把 lr（学习率）调小后再训练"
)


def _weights_finite(model) -> bool:
    return all(bool(p.detach().isfinite().all()) for p in model.parameters())


def check_num_threads(value) -> None:
    """训练用的线程数的上限（下限和类型由 utils._threads.torch_threads 检查）。"""
    if is_int(value) and value > MAX_THREADS:
        raise ValueError(f"num_threads（线程数）太大了：最多 {MAX_THREADS}，实际是 {value}")


# --------------------------------------------------------------------------------------------
# Checks for the engine (utils/nn): numbers a reader passes as arrays or iterables, tensors,
# the sizes a reader can type, and results that overflowed. A model's forward pass checks
# once: ``entry()`` tells a layer whether it was called by the reader or by another layer.

MAX_ELEMENTS = 20_000_000  # numbers in one array built from sizes a reader typed (160 MB float64)
MAX_PARAMETERS = 100_000_000  # parameters of one module (400 MB in float32; about a second)
MAX_OPERATIONS = 10_000_000_000  # multiply-adds of one call: seconds, not hours
MAX_VALUES = 100_000  # entries of a list that is checked one by one in Python


def is_finite_number(value) -> bool:
    """A real number, not True/False, finite as a float (``math.isfinite(10**400)`` raises
    OverflowError instead of saying False)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def count_text(n: int) -> str:
    """A count for a message: 1,234,567, or about 10^N when it has more than 18 digits."""
    if n < 10**18:
        return f"{n:,}"
    return f"约 10^{int(n.bit_length() * math.log10(2))}"  # no str() of a 5000-digit number


def as_array(name: str, a, *, what: str = "数组") -> np.ndarray:
    """把 ``a`` 转成 float64 的 numpy 数组；不是数字时给出中文提示（不把 numpy 的英文传出去）。

    Takes numbers, nested lists (also of numeric strings), numpy arrays and torch tensors
    (also ones that require grad). Refuses None, complex numbers and ragged lists.
    """
    import torch

    if a is None:
        raise ValueError(f"{name}{_sep(name)}必须是由数字组成的{what}，实际是 None")
    if isinstance(a, torch.Tensor):
        a = a.detach().cpu()
        if a.is_complex():
            raise ValueError(f"{name}{_sep(name)}必须是实数，实际是复数张量（{a.dtype}）")
    elif isinstance(a, np.ndarray) and a.dtype.kind == "c":
        raise ValueError(f"{name}{_sep(name)}必须是实数，实际是复数数组（{a.dtype}）")
    try:
        return np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"{name}{_sep(name)}必须是由数字组成的{what}，每行一样长；无法转换：{short_repr(a)}"
        ) from None


def as_values(name: str, values, *, limit: int = MAX_VALUES) -> list:
    """一个数或一串数（列表、range、numpy 数组、torch 张量、生成器）→ 至多 ``limit`` 个元素的列表。

    The entries are not checked here (the caller knows what they must be). An iterable is
    read at most ``limit + 1`` entries far, so ``range(10**12)`` or an endless generator is
    refused at once instead of filling the memory.
    """
    import torch

    if values is None or isinstance(values, (str, bytes)):
        raise ValueError(f"{name}{_sep(name)}必须是一个数或一串数，实际是 {short_repr(values)}")
    if isinstance(values, (numbers.Number, np.generic)):
        return [values]
    if isinstance(values, (np.ndarray, torch.Tensor)):
        size = values.size if isinstance(values, np.ndarray) else values.numel()
        if size > limit:
            raise ValueError(f"{name}{_sep(name)}最多 {limit:,} 个，实际有 {size:,} 个")
        return values.reshape(-1).tolist()
    try:
        it = iter(values)
    except TypeError:
        raise ValueError(
            f"{name}{_sep(name)}必须是一个数或一串数，实际是 {type(values).__name__}"
        ) from None
    out = list(itertools.islice(it, limit + 1))
    if len(out) > limit:
        raise ValueError(f"{name}{_sep(name)}最多 {limit:,} 个，实际更多")
    return out


def check_tensor(name: str, t) -> None:
    """``t`` 必须是 torch.Tensor。"""
    import torch

    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name}{_sep(name)}必须是 torch.Tensor，实际是 {type(t).__name__}")


def check_float_tensor(name: str, t, dtype=None) -> None:
    """一个浮点张量；给出 ``dtype``（模块权重的类型）时还必须正好是这个类型。"""
    check_tensor(name, t)
    if not t.is_floating_point():
        raise TypeError(
            f"{name}{_sep(name)}必须是浮点张量（如 torch.float32、torch.float64），"
            f"实际是 {t.dtype}：整数张量请先用 .float() 或 .double() 转换"
        )
    if dtype is not None and t.dtype != dtype:
        raise TypeError(
            f"{name} 的数据类型是 {t.dtype}，本模块的权重是 {dtype}："
            "用 .double() 或 .float() 让两者一致"
        )


def check_float_dtype(name: str, dtype):
    """``dtype`` 必须是 torch 的浮点类型（torch.float32、torch.float64……）。Return it."""
    import torch

    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(
            f"{name}{_sep(name)}必须是 torch 的浮点类型（如 torch.float32、torch.float64），"
            f"实际是 {short_repr(dtype)}"
        )
    return dtype


def all_finite(a) -> bool:
    """numpy 数组或 torch 张量里没有 NaN 和无穷大（快：通常只求一次和，见 check_finite）。"""
    if isinstance(a, np.ndarray):
        with np.errstate(over="ignore", invalid="ignore"):
            total = a.sum()
        return a.size == 0 or bool(np.isfinite(total)) or bool(np.isfinite(a).all())
    a = a.detach()
    return a.numel() == 0 or bool(a.sum().isfinite()) or bool(a.isfinite().all())


def check_computed(what: str, result, arguments=(), *, hint: str | None = None) -> None:
    """``result`` 由 ``arguments``（(名字, 数组) 对）算出；有 NaN 或无穷大时说清楚是谁的问题。

    One pass over ``result``. Only when it holds NaN or inf are the arguments looked at: the
    first one that holds NaN or inf is named ("x 含有 NaN 或无穷大"); if they are all finite,
    the computation overflowed, and the message says so instead of returning NaN.
    """
    if all_finite(result):
        return
    for name, a in arguments:
        check_finite(name, a)
    if hint is None:
        hint = "请把输入的数缩小；输入不大时，可能是模型的权重里已有 NaN 或无穷大（例如训练发散了）"
    raise ValueError(
        f"{what}的计算溢出了（overflow）：结果里出现了 NaN 或无穷大，超出了 "
        f"{result.dtype} 能表示的范围（最大约 {_max_of(result.dtype):.1e}）。{hint}"
    )


def _max_of(dtype) -> float:
    import torch

    return float(torch.finfo(dtype).max if isinstance(dtype, torch.dtype) else np.finfo(dtype).max)


_INSIDE_ENTRY = contextvars.ContextVar("utils_inside_entry", default=False)


@contextmanager
def entry():
    """一个公共函数的主体：``with entry() as outer: …``。

    ``outer`` is True when the reader called this function, False when it runs inside another
    function of the book that already checked the same tensors (a model calls its stack, the
    stack its layers, a layer its attention). The checks that read whole tensors -- NaN,
    masks, overflow of the result -- run only when ``outer``: a training step pays for them
    once, not once per layer. Checks of types and shapes cost nothing and always run.
    """
    if _INSIDE_ENTRY.get():
        yield False
        return
    token = _INSIDE_ENTRY.set(True)
    try:
        yield True
    finally:
        _INSIDE_ENTRY.reset(token)
