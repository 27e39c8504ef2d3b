"""utils._validate: the shared input checks (the fast path of check_finite must stay exact)."""

import itertools
import re
import time

import numpy as np
import pytest
import torch

from utils._validate import (
    all_finite,
    as_array,
    as_matrix,
    as_values,
    check_computed,
    check_finite,
    check_float_dtype,
    check_float_tensor,
    check_int,
    check_nonzero_rows,
    check_positive,
    check_tensor,
    entry,
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


# ---------------------------------------------------------------- the helpers of utils.nn

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("abc", "无法转换"),  # numpy: "could not convert string to float"
        ([["1", "a"]], "无法转换"),
        ([[1.0, 2.0], [3.0]], "每行一样长"),  # numpy: "inhomogeneous shape"
        ([10**400], "无法转换"),  # Python: OverflowError "int too large to convert to float"
        ({"a": 1}, "无法转换"),
        (None, "实际是 None"),
        (np.array([1j, 2.0]), "复数"),  # numpy would drop the imaginary part with a warning
        (torch.tensor([1j]), "复数"),
    ],
    ids=["string", "strings", "ragged", "huge int", "dict", "None", "complex", "complex tensor"],
)
def test_as_array_gives_chinese_messages_only(bad, fragment):
    with pytest.raises(ValueError) as err:
        as_array("x", bad)
    message = str(err.value)
    assert fragment in message and message.startswith("x ")
    assert "could not" not in message and "inhomogeneous" not in message


def test_as_array_takes_numbers_lists_and_tensors():
    np.testing.assert_array_equal(as_array("x", [["1", "2.5"]]), [[1.0, 2.5]])
    t = torch.ones(2, 3, requires_grad=True)  # np.asarray alone refuses a tensor that needs grad
    np.testing.assert_array_equal(as_array("x", t), np.ones((2, 3)))
    assert as_array("x", 3).shape == ()


def test_as_matrix_no_longer_passes_numpy_messages_through():
    with pytest.raises(ValueError) as err:
        as_matrix("A", [["a", "b"]])
    assert "could not convert" not in str(err.value)
    assert str(err.value).startswith("A 必须是由数字组成的矩阵（matrix）")


def test_as_values_bounds_what_it_reads():
    assert as_values("k", 3) == [3] and as_values("k", np.int64(2)) == [2]
    assert as_values("k", range(3)) == [0, 1, 2]
    assert as_values("k", np.arange(4).reshape(2, 2)) == [0, 1, 2, 3]
    assert as_values("k", torch.tensor([[5, 6]])) == [5, 6]
    assert as_values("k", (v for v in (1, 2))) == [1, 2]
    start = time.perf_counter()
    for endless in (itertools.count(), range(10**12)):
        with pytest.raises(ValueError, match="k 最多 100,000 个"):
            as_values("k", endless)
    with pytest.raises(ValueError, match="最多 100,000 个，实际有 200,000 个"):
        as_values("k", np.zeros(200_000))
    assert time.perf_counter() - start < 2
    for bad in ("12", None, object()):
        with pytest.raises(ValueError, match="k 必须是一个数或一串数"):
            as_values("k", bad)


def test_tensor_checks():
    with pytest.raises(TypeError, match="x 必须是 torch.Tensor，实际是 list"):
        check_tensor("x", [1.0])
    with pytest.raises(TypeError, match=r"x 必须是浮点张量.*torch.int64.*\.float\(\)"):
        check_float_tensor("x", torch.ones(2, dtype=torch.long))
    with pytest.raises(
        TypeError, match="x 的数据类型是 torch.float64，本模块的权重是 torch.float32"
    ):
        check_float_tensor("x", torch.ones(2, dtype=torch.float64), torch.float32)
    check_float_tensor("x", torch.ones(2), torch.float32)
    assert check_float_dtype("dtype", torch.float16) is torch.float16
    for bad in (torch.int64, "float32", np.float64, None):
        with pytest.raises(TypeError, match="dtype 必须是 torch 的浮点类型"):
            check_float_dtype("dtype", bad)


@pytest.mark.parametrize("kind", ["numpy", "torch"])
def test_check_computed_names_the_bad_argument_or_says_overflow(kind):
    wrap = torch.from_numpy if kind == "torch" else np.asarray
    x, ok = wrap(np.array([1.0, np.nan])), wrap(np.ones(2))
    check_computed("f", wrap(np.ones(3)), [("x", x)])  # finite: the arguments are not looked at
    with pytest.raises(ValueError, match="^x 含有 NaN"):
        check_computed("f ", wrap(np.array([np.nan])), [("w", ok), ("x", x)])
    with pytest.raises(ValueError, match=r"f 的计算溢出了（overflow）.*float64.*1\.8e\+308"):
        check_computed("f ", wrap(np.array([np.inf])), [("w", ok)])
    with pytest.raises(ValueError, match="请换小一点"):
        check_computed("f ", wrap(np.array([np.nan])), hint="请换小一点")
    assert all_finite(wrap(np.zeros(0))) and not all_finite(wrap(np.array([np.inf])))
    huge = wrap(np.full(3, np.finfo(np.float64).max))  # the sum overflows, every entry is finite
    assert all_finite(huge)


def test_entry_tells_the_outer_call_from_the_inner_ones():
    with entry() as outer:
        assert outer
        with entry() as inner:
            assert not inner
    with entry() as again:  # reset after the block
        assert again
    with pytest.raises(RuntimeError):
        with entry():
            raise RuntimeError("boom")
    with entry() as after_error:  # reset after an exception, too
        assert after_error


def test_messages_cut_a_long_input_short():
    with pytest.raises(ValueError) as err:
        check_int("n", "x" * 100_000)
    assert len(str(err.value)) < 120 and CHINESE.search(str(err.value))
    with pytest.raises(ValueError) as err:
        check_positive("lr（学习率）", "y" * 100_000)
    assert len(str(err.value)) < 120
    with pytest.raises(ValueError) as err:
        check_int("n", -(10**400))  # a 401-digit number is shown cut short as well
    assert len(str(err.value)) < 120
