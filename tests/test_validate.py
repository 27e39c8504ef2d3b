"""utils._validate: the shared input checks (the fast path of check_finite must stay exact)."""

import numpy as np
import pytest
import torch

from utils._validate import (
    as_matrix,
    check_finite,
    check_int,
    check_nonzero_rows,
    check_positive,
    is_int,
)

BAD = [float("nan"), float("inf"), float("-inf")]


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_check_finite_rejects_any_bad_entry(kind, bad):
    a = np.ones((4, 5), dtype=np.float32)
    a[2, 3] = bad
    a = torch.from_numpy(a) if kind == "torch" else a
    with pytest.raises(ValueError, match="x 含有 NaN 或无穷大"):
        check_finite("x", a)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_check_finite_rejects_inf_minus_inf(kind):
    # +inf and -inf together sum to NaN: still caught
    a = np.array([1.0, float("inf"), float("-inf")])
    with pytest.raises(ValueError):
        check_finite("x", torch.from_numpy(a) if kind == "torch" else a)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_check_finite_accepts_huge_finite_entries_whose_sum_overflows(kind):
    # the sum overflows to inf, but every entry is finite: the full check must let it pass
    big = np.finfo(np.float32).max
    a = np.full((3, 3), big, dtype=np.float32)
    with np.errstate(over="ignore"):
        assert np.isinf(a.sum(dtype=np.float32))
    check_finite("x", torch.from_numpy(a) if kind == "torch" else a)


def test_check_finite_accepts_empty_and_grad_tensors():
    check_finite("x", np.zeros((0, 3)))
    check_finite("x", torch.zeros(0, 3))
    t = torch.randn(4, 4, requires_grad=True)
    check_finite("x", t)
    assert t.grad is None  # the check builds no graph and leaves the tensor alone


def test_as_matrix_and_check_int_messages():
    with pytest.raises(ValueError, match="二维"):
        as_matrix("A", [1.0, 2.0])
    with pytest.raises(ValueError, match="含有 NaN"):
        as_matrix("A", [[1.0, float("nan")]])
    assert check_int("n", np.int64(3)) == 3
    with pytest.raises(ValueError, match="n 必须是正整数"):
        check_int("n", True)
    with pytest.raises(ValueError, match="不小于 0"):
        check_int("seed", -1, minimum=0)


def test_is_int_takes_python_and_numpy_integers_but_not_bools():
    assert is_int(3) and is_int(np.int64(3)) and is_int(np.uint8(3))
    assert not any(is_int(v) for v in (True, 3.0, "3", None, torch.tensor(3)))


def test_check_int_range_and_even():
    assert check_int("k", np.int64(10), 1, maximum=10) == 10
    assert type(check_int("k", np.int64(10), 1, maximum=10)) is int
    assert check_int("layer", -3, -3, maximum=2) == -3
    assert check_int("d_model", np.int64(8), 2, even=True) == 8


# (call, expected message): the whole message, so the wording and the spacing are checked
CHECK_INT_MESSAGES = {
    "bare name": (lambda: check_int("d_model", 0), "d_model 必须是正整数，实际是 0"),
    "name in brackets": (
        lambda: check_int("seq_len（序列长度）", -1),
        "seq_len（序列长度）必须是正整数，实际是 -1",
    ),
    "minimum": (lambda: check_int("seed", -1, 0), "seed 必须是不小于 0 的整数，实际是 -1"),
    "above maximum": (
        lambda: check_int("k", 11, 1, maximum=10),
        "k 必须是 1 到 10 之间的整数，实际是 11",
    ),
    "below minimum with maximum": (
        lambda: check_int("layer（层）", -4, -3, maximum=2),
        "layer（层）必须是 -3 到 2 之间的整数，实际是 -4",
    ),
    "odd": (
        lambda: check_int("d_model", 5, 2, even=True),
        "d_model 必须是不小于 2 的偶数，实际是 5",
    ),
    "even but too small": (
        lambda: check_int("d_model", 0, 2, even=True),
        "d_model 必须是不小于 2 的偶数，实际是 0",
    ),
    "float": (lambda: check_int("n", 2.0), "n 必须是正整数，实际是 2.0"),
    "string": (lambda: check_int("n", "3"), "n 必须是正整数，实际是 '3'"),
    "bool": (lambda: check_int("n", True), "n 必须是正整数，实际是 True"),
}


@pytest.mark.parametrize("call, message", CHECK_INT_MESSAGES.values(), ids=CHECK_INT_MESSAGES)
def test_check_int_messages(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message


def test_check_positive():
    assert check_positive("lr（学习率）", 0.01) == 0.01
    assert check_positive("lr（学习率）", np.float32(0.5)) == 0.5
    assert type(check_positive("lr（学习率）", 1)) is float
    for bad in (0, -1, 0.0, float("nan"), float("inf"), True, "0.1", None):
        with pytest.raises(ValueError, match="lr（学习率）必须是有限的正数"):
            check_positive("lr（学习率）", bad)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_check_nonzero_rows(kind):
    norms = np.array([1.0, 0.5, 2.0])
    check_nonzero_rows("v", torch.from_numpy(norms) if kind == "torch" else norms)
    norms[1] = 0.0
    with pytest.raises(ValueError, match="v 里有零向量：零向量没有方向"):
        check_nonzero_rows("v", torch.from_numpy(norms) if kind == "torch" else norms)
