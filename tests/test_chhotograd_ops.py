"""Every Tensor operation gives PyTorch's values and gradients (float64, shapes and values from
hypothesis, broadcasting between different ranks and size-1 axes included)."""

import operator

import numpy as np
import pytest
import torch
from chhotograd_helpers import (
    SETTINGS,
    Constant,
    arrays,
    away_from_zero,
    axes_for,
    broadcast_pairs,
    compare_with_torch,
    shapes,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chhotograd as cg

# name -> (function of two tensors, strategy for the second operand given its shape)
BINARY = {
    "add": (lambda a, b: a + b, arrays),
    "sub": (lambda a, b: a - b, arrays),
    "mul": (lambda a, b: a * b, arrays),
    "div": (lambda a, b: a / b, away_from_zero),
}


@pytest.mark.parametrize("name", BINARY)
@SETTINGS
@given(data=st.data())
def test_broadcasting_binary_ops_match_torch(name, data):
    f, second = BINARY[name]
    shape_a, shape_b = data.draw(broadcast_pairs)
    compare_with_torch(f, data.draw(arrays(shape_a)), data.draw(second(shape_b)))


@SETTINGS
@given(data=st.data())
def test_pow_with_tensor_exponent_matches_torch(data):
    shape_a, shape_b = data.draw(broadcast_pairs)
    base, exponent = data.draw(arrays(shape_a, 0.5, 2.0)), data.draw(arrays(shape_b, -2.0, 2.0))
    compare_with_torch(lambda a, b: a**b, base, exponent)


@pytest.mark.parametrize("exponent", [2, 3, -1, 0.5, -1.5, 0])
@SETTINGS
@given(data=st.data())
def test_pow_with_number_exponent_matches_torch(exponent, data):
    x = data.draw(arrays(data.draw(shapes), 0.5, 3.0))
    compare_with_torch(lambda a: a**exponent, x)


SCALAR_SIDES = {
    "number + x": lambda x: 2.5 + x,
    "x - number": lambda x: x - 1.5,
    "number - x": lambda x: 1.5 - x,
    "number * x": lambda x: -2.0 * x,
    "x / number": lambda x: x / 4.0,
    "number / x": lambda x: 3.0 / x,
    "number ** x": lambda x: 2.0**x,
    "int * x": lambda x: 3 * x,
    "-x": lambda x: -x,
}


@pytest.mark.parametrize("name", SCALAR_SIDES)
@SETTINGS
@given(data=st.data())
def test_python_numbers_on_either_side_match_torch(name, data):
    compare_with_torch(SCALAR_SIDES[name], data.draw(away_from_zero(data.draw(shapes))))


@SETTINGS
@given(data=st.data())
def test_numpy_arrays_on_either_side_are_constants(data):
    shape_a, shape_b = data.draw(broadcast_pairs)
    c = data.draw(away_from_zero(shape_b))
    compare_with_torch(
        lambda x, c: (c * x) + (x - c) / c - c / x, data.draw(away_from_zero(shape_a)), Constant(c)
    )


def test_numpy_scalar_keeps_float32():
    x = cg.tensor([1.0, 2.0], requires_grad=True)
    for y in (
        x * np.float64(2),
        np.float64(2) * x,
        x + np.ones(2),
        np.ones(2) - x,
        x / 2,
        x ** np.float64(2),
        x ** np.int64(3),
    ):
        assert y.dtype == np.float32 and isinstance(y, cg.Tensor)


UNARY = {
    "exp": (lambda x: x.exp(), -3.0, 3.0),
    "log": (lambda x: x.log(), 0.1, 5.0),
    "sqrt": (lambda x: x.sqrt(), 0.1, 5.0),
    "abs": (lambda x: x.abs(), -3.0, 3.0),
    "tanh": (lambda x: x.tanh(), -5.0, 5.0),
    "sigmoid": (lambda x: x.sigmoid(), -60.0, 60.0),  # wide: tests the overflow-free formula
    "relu": (lambda x: x.relu(), -3.0, 3.0),
}


@pytest.mark.parametrize("name", UNARY)
@SETTINGS
@given(data=st.data())
def test_elementwise_functions_match_torch(name, data):
    f, low, high = UNARY[name]
    compare_with_torch(f, data.draw(arrays(data.draw(shapes), low, high)))


@st.composite
def reduction_args(draw):
    """An array, and an axis argument that fits it: None, an int, or a tuple of ints."""
    shape = draw(shapes)
    return draw(arrays(shape)), draw(axes_for(len(shape))), draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean"])
@SETTINGS
@given(args=reduction_args())
def test_sum_and_mean_match_torch(name, args):
    x, axis, keepdims = args
    if axis is None:  # PyTorch spells "all axes" differently
        compare_with_torch(
            lambda t: getattr(t, name)(axis=None, keepdims=keepdims),
            x,
            torch_f=lambda t: getattr(t, name)(dim=tuple(range(t.ndim)), keepdim=keepdims),
        )
    else:
        compare_with_torch(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x)


@SETTINGS
@given(args=reduction_args())
def test_max_matches_torch_amax_including_ties(args):
    x, axis, keepdims = args
    x = np.round(x)  # many ties: the gradient is shared equally among them, as amax does
    dims = tuple(range(x.ndim)) if axis is None else axis
    compare_with_torch(
        lambda t: t.max(axis=axis, keepdims=keepdims),
        x,
        torch_f=lambda t: torch.amax(t, dim=dims, keepdim=keepdims),
    )


@st.composite
def matmul_shapes(draw):
    """Shapes for a @ b: vectors, matrices and batches whose batch axes broadcast."""
    n, k, m = draw(st.integers(1, 4)), draw(st.integers(1, 4)), draw(st.integers(1, 4))
    batch_a, batch_b = draw(
        broadcast_pairs.filter(lambda pair: len(pair[0]) <= 2 and len(pair[1]) <= 2)
    )
    a_kind, b_kind = (
        draw(st.sampled_from(["vector", "matrix", "batch"])),
        draw(st.sampled_from(["vector", "matrix", "batch"])),
    )
    shape_a = {"vector": (k,), "matrix": (n, k), "batch": batch_a + (n, k)}[a_kind]
    shape_b = {"vector": (k,), "matrix": (k, m), "batch": batch_b + (k, m)}[b_kind]
    return shape_a, shape_b


@SETTINGS
@given(data=st.data())
def test_matmul_matches_torch(data):
    shape_a, shape_b = data.draw(matmul_shapes())
    compare_with_torch(lambda a, b: a @ b, data.draw(arrays(shape_a)), data.draw(arrays(shape_b)))


@SETTINGS
@given(data=st.data())
def test_matmul_with_an_array_on_either_side(data):
    a = data.draw(arrays((2, 3)))
    c = data.draw(arrays((3, 2)))
    compare_with_torch(lambda x, c: c @ (x @ c), a, Constant(c))


@st.composite
def shaped(draw, min_dims=0):
    """An array of any shape with at least ``min_dims`` axes (up to 4)."""
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=4, min_side=1, max_side=4))
    return draw(arrays(shape))


@SETTINGS
@given(x=shaped(), data=st.data())
def test_reshape_matches_torch(x, data):
    target = data.draw(st.sampled_from([(-1,), (x.size, 1), (1,) + x.shape, x.shape[::-1]]))
    compare_with_torch(lambda t: t.reshape(target), x)
    if target:  # torch's reshape() needs at least one argument; a 0-d target is only a tuple
        compare_with_torch(lambda t: t.reshape(*target), x)


@SETTINGS
@given(x=shaped(min_dims=1), data=st.data())
def test_permute_transpose_and_T_match_torch(x, data):
    axes = tuple(data.draw(st.permutations(range(x.ndim))))
    compare_with_torch(lambda t: t.permute(*axes), x)
    negative = tuple(axis - x.ndim for axis in axes)
    compare_with_torch(lambda t: t.permute(negative), x, torch_f=lambda t: t.permute(*negative))
    d0, d1 = data.draw(st.integers(0, x.ndim - 1)), data.draw(st.integers(-x.ndim, -1))
    compare_with_torch(lambda t: t.transpose(d0, d1), x)
    reverse = tuple(reversed(range(x.ndim)))
    compare_with_torch(lambda t: t.T, x, torch_f=lambda t: t.permute(*reverse))


@SETTINGS
@given(x=shaped(min_dims=1), data=st.data())
def test_flatten_matches_torch(x, data):
    start = data.draw(st.integers(0, x.ndim - 1))
    end = data.draw(st.integers(start, x.ndim - 1)) - x.ndim  # a negative end as well
    compare_with_torch(lambda t: t.flatten(), x)
    compare_with_torch(lambda t: t.flatten(start, end), x)


INDICES = {
    "int": lambda: 1,
    "negative int": lambda: -1,
    "slice": lambda: slice(1, 3),
    "slice with step": lambda: (slice(None), slice(0, None, 2)),
    "int and slice": lambda: (2, slice(None, 2)),
    "ellipsis": lambda: (Ellipsis, 1),
    "new axis": lambda: (None, slice(None)),
    "repeated ints": lambda: np.array([0, 2, 0, 0]),
    "array pairs": lambda: (np.array([0, 1, 1, 0]), np.array([3, 1, 1, 3])),
    "array and slice": lambda: (slice(None), np.array([2, 2, 0])),
    "bool mask": lambda: np.array([True, False, True]),
}


@pytest.mark.parametrize("name", INDICES)
@SETTINGS
@given(x=arrays((3, 4)))
def test_indexing_matches_torch_and_accumulates_repeats(name, x):
    index = INDICES[name]()

    def for_torch(part):
        return torch.from_numpy(part) if isinstance(part, np.ndarray) else part

    torch_index = tuple(map(for_torch, index)) if isinstance(index, tuple) else for_torch(index)
    compare_with_torch(lambda t: t[index], x, torch_f=lambda t: t[torch_index])


def test_indexing_with_a_tensor_of_indices():
    x = cg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[cg.tensor([2, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 0.0, 2.0])


@pytest.mark.parametrize(
    "f",
    [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne],
    ids=lambda f: f.__name__,
)
@SETTINGS
@given(data=st.data())
def test_comparisons_match_torch_and_carry_no_gradient(f, data):
    shape_a, shape_b = data.draw(broadcast_pairs)
    # Rounded values, so that equal pairs are common.
    a, b = np.round(data.draw(arrays(shape_a))), np.round(data.draw(arrays(shape_b)))
    out = compare_with_torch(f, a, b)
    assert out.dtype == np.bool_ and not out.requires_grad
    assert (compare_with_torch(lambda a: f(a, 0.0), a)).dtype == np.bool_
