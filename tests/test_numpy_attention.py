"""numpy 手算版自注意力的测试：笔记例子、与 torch 一致、softmax 数值稳定、输入检查。"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pytest
import torch

from utils.nn.examples import NOTES_W_KEY, NOTES_W_QUERY, NOTES_W_VALUE, NOTES_X, notes_example
from utils.nn.numpy_attention import attention_steps, naive_softmax, softmax

# ---------------------------------------------------------------- the worked example


def test_notes_example_keys_queries_values():
    st = notes_example()
    np.testing.assert_array_equal(st.key, [[0, 1, 1], [4, 4, 0], [2, 3, 1]])
    np.testing.assert_array_equal(st.query, [[1, 0, 2], [2, 2, 2], [2, 1, 3]])
    np.testing.assert_array_equal(st.value, [[1, 2, 3], [2, 8, 0], [2, 6, 3]])
    assert st.d_k == 3


def test_notes_example_scores_and_softmax_row1():
    st = notes_example()
    np.testing.assert_array_equal(st.scores[0], [2, 4, 4])
    np.testing.assert_allclose(st.weights[0], [0.0634, 0.4683, 0.4683], atol=5e-5)
    assert st.scaled is False


def test_notes_example_outputs():
    st = notes_example()
    expected = [[1.9366, 6.6831, 1.5951], [2.0000, 7.9640, 0.0540], [1.9997, 7.7599, 0.3584]]
    np.testing.assert_allclose(st.output, expected, atol=5e-5)


def test_notes_example_weighted_vectors_sum_to_output():
    st = notes_example()
    assert st.weighted.shape == (3, 3, 3)
    # weighted[i, j] = weights[i, j] * value[j]
    np.testing.assert_allclose(st.weighted[0, 1], st.weights[0, 1] * np.array([2, 8, 0]))
    np.testing.assert_allclose(st.weighted.sum(axis=1), st.output, atol=1e-12)


def test_notes_example_scaled():
    st = notes_example(scaled=True)
    assert st.scaled is True
    np.testing.assert_allclose(st.scores[0], np.array([2, 4, 4]) / np.sqrt(3), atol=1e-12)
    np.testing.assert_allclose(st.weights[0], [0.1361, 0.4319, 0.4319], atol=5e-5)
    np.testing.assert_allclose(st.output[0], [1.8639, 6.3194, 1.7042], atol=5e-5)


def test_notes_example_uses_shared_constants():
    st = notes_example()
    np.testing.assert_array_equal(st.x, NOTES_X)
    np.testing.assert_array_equal(st.w_query, NOTES_W_QUERY)
    np.testing.assert_array_equal(st.w_key, NOTES_W_KEY)
    np.testing.assert_array_equal(st.w_value, NOTES_W_VALUE)


# ---------------------------------------------------------------- agreement with torch


def _torch_sdpa(st, scaled: bool) -> np.ndarray:
    q, k, v = (torch.from_numpy(a) for a in (st.query, st.key, st.value))
    assert q.dtype == torch.float64
    out = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=None if scaled else 1.0)
    return out.numpy()


@pytest.mark.parametrize("scaled", [False, True])
def test_notes_example_matches_torch_sdpa(scaled):
    st = notes_example(scaled=scaled)
    np.testing.assert_allclose(st.output, _torch_sdpa(st, scaled), rtol=0, atol=1e-12)


@pytest.mark.parametrize("scaled", [False, True])
@pytest.mark.parametrize("n, d_model, d_k, d_v", [(5, 8, 4, 6), (1, 3, 2, 2), (9, 4, 7, 3)])
def test_random_inputs_match_torch_sdpa(scaled, n, d_model, d_k, d_v):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, d_model))
    wq = rng.normal(size=(d_model, d_k))
    wk = rng.normal(size=(d_model, d_k))
    wv = rng.normal(size=(d_model, d_v))
    st = attention_steps(x, wq, wk, wv, scaled=scaled)
    assert st.output.shape == (n, d_v)
    np.testing.assert_allclose(st.output, _torch_sdpa(st, scaled), rtol=0, atol=1e-12)
    # and the intermediate weights match torch's softmax of the scores
    scores = torch.from_numpy(x @ wq) @ torch.from_numpy(x @ wk).T
    if scaled:
        scores = scores / np.sqrt(d_k)
    np.testing.assert_allclose(st.weights, torch.softmax(scores, dim=-1).numpy(), atol=1e-12)


def test_scaled_and_unscaled_differ():
    # guards against `scaled` being ignored
    a, b = notes_example(scaled=False), notes_example(scaled=True)
    assert not np.allclose(a.weights, b.weights)


# ---------------------------------------------------------------- softmax


def test_softmax_rows_sum_to_one_and_match_torch():
    rng = np.random.default_rng(0)
    s = rng.normal(scale=5.0, size=(6, 9))
    p = softmax(s, axis=1)
    np.testing.assert_allclose(p.sum(axis=1), np.ones(6), atol=1e-12)
    assert (p > 0).all()
    np.testing.assert_allclose(p, torch.softmax(torch.from_numpy(s), dim=1).numpy(), atol=1e-12)
    # axis=0 normalises the columns instead
    np.testing.assert_allclose(softmax(s, axis=0).sum(axis=0), np.ones(9), atol=1e-12)


@pytest.mark.parametrize(
    "scores",
    [[1000.0, 1001.0, 1002.0], [-1e300, 0.0], [1e300, -1e300, 0.0], [-1000.0, -1001.0]],
)
def test_softmax_no_overflow(scores):
    p = softmax(scores)
    assert np.isfinite(p).all()
    assert p.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(
        p, torch.softmax(torch.tensor(scores, dtype=torch.float64), dim=0).numpy(), atol=1e-12
    )


def test_softmax_large_values_equal_shifted():
    np.testing.assert_allclose(softmax([1000.0, 1001.0, 1002.0]), softmax([0.0, 1.0, 2.0]))
    np.testing.assert_allclose(softmax([-1e300, 0.0]), [0.0, 1.0])


@pytest.mark.parametrize("c", [-50.0, 3.5, 700.0])
def test_softmax_shift_invariance(c):
    rng = np.random.default_rng(0)
    s = rng.normal(size=(3, 4))
    np.testing.assert_allclose(softmax(s + c), softmax(s), atol=1e-12)


def test_naive_softmax_overflows():
    with np.errstate(over="ignore", invalid="ignore"):
        p = naive_softmax([1000.0, 1001.0, 1002.0])
    assert np.isnan(p).all()
    # for small scores it agrees with the stable version
    np.testing.assert_allclose(naive_softmax([2.0, 4.0, 4.0]), softmax([2.0, 4.0, 4.0]))


@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf, 0.0], [[1.0, 2.0], [np.inf, -np.inf]]])
def test_softmax_rejects_nan_and_plus_inf(bad):
    with pytest.raises(ValueError, match=r"scores（分数）含有 NaN 或 \+inf"):
        softmax(bad)


def test_softmax_takes_minus_inf_the_way_a_mask_uses_it():
    # chapter 1: a masked score is set to −∞ before the softmax, and gets weight exactly 0
    scores = np.array([[2.0, -np.inf, 4.0], [1.0, 1.0, -np.inf]])
    p = softmax(scores, axis=1)
    assert p[0, 1] == 0.0 and p[1, 2] == 0.0
    np.testing.assert_allclose(p.sum(axis=1), [1.0, 1.0], atol=1e-15)
    np.testing.assert_array_equal(p[0, [0, 2]], softmax([2.0, 4.0]))  # as if the entry were absent
    ref = torch.softmax(torch.from_numpy(scores), dim=1).numpy()  # torch also takes −inf
    np.testing.assert_allclose(p, ref, atol=1e-15)
    # along the other axis: the column's one finite score gets all the weight
    np.testing.assert_array_equal(softmax([[-np.inf], [3.0]], axis=0), [[0.0], [1.0]])


def test_softmax_rejects_a_row_that_is_all_minus_inf():
    with pytest.raises(ValueError, match="一行全是 −inf.*没有有限的最大值"):
        softmax([[0.0, 1.0], [-np.inf, -np.inf]], axis=1)
    softmax([[0.0, -np.inf], [1.0, -np.inf]], axis=1)  # a column of −inf is fine along axis 1
    with pytest.raises(ValueError, match="一行全是 −inf"):
        softmax([[0.0, -np.inf], [1.0, -np.inf]], axis=0)


@pytest.mark.parametrize("empty", [[], [[]], np.zeros((3, 0)), 5.0])
def test_softmax_rejects_empty_scores_and_a_single_number(empty):
    with pytest.raises(ValueError, match="scores（分数）不能是空的"):
        softmax(empty)


@pytest.mark.parametrize(
    "axis, fragment",
    [(2, "axis 必须是 -2 到 1 之间的整数，实际是 2"), (-3, "实际是 -3"), (1.0, "实际是 1.0")],
)
def test_softmax_rejects_a_bad_axis(axis, fragment):
    with pytest.raises(ValueError, match=fragment):
        softmax(np.zeros((2, 3)), axis=axis)


# ---------------------------------------------------------------- bad input


def _args():
    return [NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE]


def test_x_columns_must_match_weight_rows():
    x = NOTES_X[:, :3]  # 3 columns, the weights have 4 rows
    with pytest.raises(ValueError, match="w_query 应有 3 行，实际有 4 行"):
        attention_steps(x, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)


def test_value_weight_rows_checked():
    with pytest.raises(ValueError, match="w_value 应有 4 行"):
        attention_steps(NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE[:3])


def test_one_dimensional_x():
    with pytest.raises(ValueError, match="必须是二维矩阵，实际是 1 维"):
        attention_steps(np.array([1.0, 0.0, 1.0, 0.0]), NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)


def test_key_and_query_need_same_d_k():
    w_key = np.ones((4, 2))
    with pytest.raises(ValueError, match="w_key 应有 3 列，实际有 2 列"):
        attention_steps(NOTES_X, NOTES_W_QUERY, w_key, NOTES_W_VALUE)


@pytest.mark.parametrize("pos", [0, 1, 2, 3])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_inf_rejected(pos, bad):
    args = [a.copy() for a in _args()]
    args[pos][1, 1] = bad
    with pytest.raises(ValueError, match="含有 NaN 或无穷大"):
        attention_steps(*args)


@pytest.mark.parametrize(
    "args, fragment",
    [
        ((np.zeros((0, 4)), NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE), "x（输入）不能是空的"),
        ((np.zeros((3, 0)), np.zeros((0, 3)), np.zeros((0, 3)), np.zeros((0, 3))), "x（输入）"),
        ((NOTES_X, np.zeros((4, 0)), np.zeros((4, 0)), NOTES_W_VALUE), "w_query（权重）不能是空的"),
        ((NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, np.zeros((4, 0))), "w_value（权重）不能是空的"),
    ],
    ids=["no rows", "no columns", "d_k 0", "d_v 0"],
)
def test_empty_matrices_rejected(args, fragment):
    with pytest.raises(ValueError, match=fragment):
        attention_steps(*args, scaled=True)


def test_non_numeric_strings_rejected():
    x = [["a", "b", "c", "d"], ["1", "2", "3", "4"]]
    with pytest.raises(ValueError, match="必须是由数字组成的矩阵"):
        attention_steps(x, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)


def test_numeric_strings_and_lists_accepted():
    # plain nested lists (and numeric strings) are converted, not rejected
    x = [[str(v) for v in row] for row in NOTES_X.astype(int)]
    st = attention_steps(x, NOTES_W_QUERY.tolist(), NOTES_W_KEY, NOTES_W_VALUE)
    np.testing.assert_allclose(st.output, notes_example().output)


# ---------------------------------------------------------------- issue 16: every bad input


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("abc", "无法转换"),  # numpy's own: "could not convert string to float"
        ([[1.0, 2.0], [3.0]], "每行一样长"),  # numpy's own: "inhomogeneous shape"
        (None, "None"),
        ([1.0, 10**400], "无法转换"),  # Python's OverflowError
        (np.array([1 + 2j]), "复数"),
    ],
    ids=["string", "ragged", "None", "huge int", "complex"],
)
@pytest.mark.parametrize("fn", [softmax, naive_softmax])
def test_softmax_input_that_is_not_numbers(fn, bad, fragment):
    with pytest.raises(ValueError, match=fragment) as err:
        fn(bad)
    assert str(err.value).startswith("scores（分数）")


def test_softmax_extreme_but_finite_scores_give_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # −1.7e308 − 1.7e308 overflows to −inf inside: silently
        p = softmax([1.7e308, -1.7e308, 0.0])
    np.testing.assert_array_equal(p, [1.0, 0.0, 0.0])


def test_naive_softmax_checks_its_input_but_still_shows_the_overflow():
    with pytest.raises(ValueError, match=r"\+inf"):
        naive_softmax([np.inf, 0.0])
    with pytest.raises(ValueError, match="axis"):
        naive_softmax([1.0, 2.0], axis=3)
    with np.errstate(over="ignore", invalid="ignore"):
        assert np.isnan(naive_softmax([1000.0, 1001.0])).all()  # the point of the function


@pytest.mark.parametrize("scale", [1e200, 1e160])
def test_overflow_is_an_error_not_nan(scale):
    # x · w_query overflows (1e200) or only q · k does (1e160): never a silent NaN
    with pytest.raises(ValueError, match="溢出了（overflow）") as err:
        attention_steps(NOTES_X * scale, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)
    assert "x 或权重矩阵里的数太大" in str(err.value)


def test_overflow_names_the_step():
    with pytest.raises(ValueError, match=r"^query（x · w_query）的计算溢出了"):
        attention_steps(NOTES_X * 1e300, NOTES_W_QUERY * 1e10, NOTES_W_KEY, NOTES_W_VALUE)
    with pytest.raises(ValueError, match=r"^scores（分数 q_i · k_j）的计算溢出了"):
        attention_steps(NOTES_X * 1e160, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE)


@pytest.mark.parametrize("scaled", ["False", 1, None, 0.0])
def test_scaled_must_be_a_bool(scaled):
    # "False" is truthy: it used to scale silently
    with pytest.raises(TypeError, match="scaled 必须是 True 或 False"):
        attention_steps(NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE, scaled=scaled)
    with pytest.raises(TypeError, match="scaled 必须是 True 或 False"):
        notes_example(scaled=scaled)


def test_numpy_bool_is_a_bool():
    st = attention_steps(NOTES_X, NOTES_W_QUERY, NOTES_W_KEY, NOTES_W_VALUE, scaled=np.True_)
    np.testing.assert_array_equal(st.output, notes_example(scaled=True).output)


def test_too_many_rows_are_refused_before_the_loop():
    start = time.perf_counter()
    with pytest.raises(ValueError, match="逐步手算的版本最多 500 行"):
        attention_steps(np.ones((10**4, 2)), np.eye(2), np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match="n × n × d_v"):  # weighted would hold 400 · 400 · 10⁶
        attention_steps(np.ones((400, 1)), np.ones((1, 1)), np.ones((1, 1)), np.ones((1, 10**6)))
    assert time.perf_counter() - start < 2


def test_weights_given_as_tensors_are_accepted():
    t = [torch.tensor(a, requires_grad=True) for a in _args()]
    np.testing.assert_array_equal(attention_steps(*t).output, notes_example().output)
