"""utils._validate: the shared input checks (the fast path of check_finite must stay exact)."""

import numpy as np
import pytest
import torch

from utils._validate import as_matrix, check_finite, check_int

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
