"""Shared helpers for the chhotograd tests: the PyTorch twin check and hypothesis strategies."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chhotograd as cg

# Modest and deterministic: these run in CI on two cores next to many other tests.
SETTINGS = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class Constant:
    """Marks an input of :func:`compare_with_torch` that needs no gradient: chhotograd gets the
    plain ndarray, PyTorch a tensor without ``requires_grad``."""

    def __init__(self, array):
        self.array = np.asarray(array)


def compare_with_torch(f, *inputs, torch_f=None, rtol: float = 1e-10, atol: float = 1e-12):
    """Run ``f`` on chhotograd tensors and ``torch_f`` (default ``f``) on PyTorch tensors made
    from the same float64 arrays, then backward from the same random upstream gradient.

    Asserts that the outputs agree and that every input's gradient agrees (an input PyTorch
    gives no gradient must get none or zeros). Integer arrays and :class:`Constant` inputs are
    passed as constants. Returns the chhotograd output.
    """
    torch_f = torch_f or f
    ours, theirs = [], []
    for value in inputs:
        if isinstance(value, Constant) or np.asarray(value).dtype.kind != "f":
            array = value.array if isinstance(value, Constant) else np.asarray(value)
            ours.append(array)
            theirs.append(torch.from_numpy(array.copy()))
        else:
            array = np.asarray(value, dtype=np.float64)
            ours.append(cg.Tensor(array.copy(), requires_grad=True))
            theirs.append(torch.tensor(array, requires_grad=True))
    out, ref = f(*ours), torch_f(*theirs)
    ref_values = ref.detach().numpy()
    assert out.shape == tuple(ref.shape), f"shape {out.shape} != PyTorch's {tuple(ref.shape)}"
    assert out.dtype == ref_values.dtype, f"dtype {out.dtype} != PyTorch's {ref_values.dtype}"
    np.testing.assert_allclose(out.data, ref_values, rtol=rtol, atol=atol, err_msg="forward")
    if not ref.requires_grad:
        assert not out.requires_grad
        return out

    upstream = np.random.default_rng(0).standard_normal(ref.shape)
    out.backward(upstream)
    ref.backward(torch.from_numpy(upstream))
    for i, (mine, twin) in enumerate(zip(ours, theirs, strict=True)):
        if not isinstance(mine, cg.Tensor):
            continue
        expected = np.zeros(twin.shape) if twin.grad is None else twin.grad.numpy()
        actual = np.zeros(mine.shape) if mine.grad is None else mine.grad
        assert actual.shape == expected.shape and actual.dtype == np.float64
        np.testing.assert_allclose(
            actual, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}"
        )
    return out


def floats(low: float = -3.0, high: float = 3.0) -> st.SearchStrategy:
    return st.floats(low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False)


def arrays(shape, low: float = -3.0, high: float = 3.0) -> st.SearchStrategy:
    """float64 arrays of ``shape`` with values in [low, high] (repeats and zeros included)."""
    return hnp.arrays(np.float64, shape, elements=floats(low, high))


def away_from_zero(shape) -> st.SearchStrategy:
    """float64 arrays with every |value| in [0.5, 3], safe as divisors."""
    return arrays(shape, 0.5, 3.0).flatmap(
        lambda a: hnp.arrays(np.bool_, a.shape).map(lambda flip: np.where(flip, -a, a))
    )


shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def axes_for(ndim: int) -> st.SearchStrategy:
    """An axis argument of a reduction over ``ndim`` axes: None, an int, or a tuple of ints."""
    axes = [st.none()]
    if ndim:
        axes.append(st.integers(-ndim, ndim - 1))
        axes.append(st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple))
    return st.one_of(axes)


# Two shapes that broadcast together: different ranks, size-1 axes.
broadcast_pairs = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4
).map(lambda result: result.input_shapes)
