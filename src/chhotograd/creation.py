"""New tensors, as in PyTorch: ``zeros``, ``ones``, ``randn``, ``arange`` and ``zeros_like``,
``ones_like``, ``randn_like``.

Sizes are given as ``zeros(2, 3)`` or ``zeros((2, 3))``. Floating tensors are float32 unless
``dtype`` says otherwise. Random values come from the generator that :func:`chhotograd.manual_seed`
seeds, the one that also initialises the layers' weights.
"""

from __future__ import annotations

import numpy as np

from . import nn
from .engine import Tensor

__all__ = ["arange", "ones", "ones_like", "randn", "randn_like", "zeros", "zeros_like"]


def zeros(*size, dtype=np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with 0."""
    return Tensor(np.zeros(_size(size, "zeros"), dtype), requires_grad, dtype)


def ones(*size, dtype=np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with 1."""
    return Tensor(np.ones(_size(size, "ones"), dtype), requires_grad, dtype)


def randn(*size, dtype=np.float32, requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` drawn from the standard normal distribution (mean 0,
    standard deviation 1)."""
    size = _size(size, "randn")
    _check_floating(dtype, "randn")
    # Drawn in float64 and then rounded, so float32 and float64 give the same numbers.
    return Tensor(nn._rng.standard_normal(size).astype(dtype), requires_grad, dtype)


def arange(start, end=None, step=1, *, dtype=None, requires_grad: bool = False) -> Tensor:
    """``start, start + step, ...`` up to, not including, ``end`` (as ``torch.arange``):
    ``arange(4)`` is 0, 1, 2, 3. Whole numbers give int64, a float anywhere gives float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange(): step must not be 0")
    if (end - start) * step < 0:
        raise ValueError(
            f"arange(): going from {start} in steps of {step} never reaches {end}; to count "
            f"down, give a negative step, like arange(3, 0, -1)"
        )
    if dtype is None:
        whole = all(isinstance(v, int | np.integer) for v in (start, end, step))
        dtype = np.int64 if whole else np.float32
    # Counted in float64 (or int64), then rounded to dtype, as PyTorch does.
    counted = np.arange(start, end, step, dtype=np.result_type(dtype, np.int64))
    return Tensor(counted.astype(dtype), requires_grad, dtype)


def zeros_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    """Zeros of ``x``'s shape and, unless ``dtype`` is given, ``x``'s dtype."""
    return zeros(np.shape(x), dtype=_dtype_of(x, dtype), requires_grad=requires_grad)


def ones_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    """Ones of ``x``'s shape and, unless ``dtype`` is given, ``x``'s dtype."""
    return ones(np.shape(x), dtype=_dtype_of(x, dtype), requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples of ``x``'s shape and, unless ``dtype`` is given, its dtype."""
    return randn(np.shape(x), dtype=_dtype_of(x, dtype), requires_grad=requires_grad)


def _size(size: tuple, name: str) -> tuple:
    """The shape from ``name(2, 3)`` or ``name((2, 3))``, checked."""
    if not size:
        raise TypeError(f"{name}() needs a size, like {name}(2, 3); for a 0-d tensor, {name}(())")
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = tuple(size[0])
    if not all(isinstance(n, int | np.integer) and not isinstance(n, bool) for n in size):
        raise TypeError(
            f"{name}() takes its size as whole numbers, like {name}(2, 3) or {name}((2, 3)); "
            f"got {size}"
        )
    if any(n < 0 for n in size):
        raise ValueError(f"{name}(): a size cannot be negative; got {size}")
    return tuple(int(n) for n in size)


def _check_floating(dtype, name: str) -> None:
    if np.dtype(dtype).kind != "f":
        raise TypeError(
            f"{name}() draws real numbers, which need a floating dtype, not {np.dtype(dtype)}; "
            f"pass dtype=np.float32"
        )


def _dtype_of(x, dtype) -> np.dtype:
    """``dtype``, or when it is None ``x``'s (a list of floats is float32, as in a Tensor)."""
    return Tensor(x).data.dtype if dtype is None else dtype
