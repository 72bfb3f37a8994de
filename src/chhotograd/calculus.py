"""Calculus on any function from tensors to a tensor, as ``torch.autograd.functional`` and
``torch.autograd.gradcheck``: the full Jacobian, a vector-Jacobian product, and a check of the
backward rules against central differences.

Each tool builds fresh leaves from its inputs, so the caller's tensors keep their ``grad``.
"""

from __future__ import annotations

import numpy as np

from .autograd import no_grad
from .engine import Tensor

__all__ = ["GradcheckError", "gradcheck", "jacobian", "vjp"]


def _leaf(value) -> Tensor:
    """A fresh leaf that requires grad, holding a copy of ``value`` (so the caller's tensor keeps
    its own ``grad`` untouched)."""
    data = value.data if isinstance(value, Tensor) else Tensor(value).data
    return Tensor(data.copy(), requires_grad=True)


def _jacobians_by_backward(out: Tensor, leaves: list) -> list:
    """For each leaf, its Jacobian flattened to (out.size, leaf.size): row i comes from one
    backward pass seeded with 1 at output element i (a vector-Jacobian product with a one-hot v).
    """
    jacobians = [
        np.zeros((out.data.size, leaf.data.size), dtype=np.result_type(out.data, leaf.data))
        for leaf in leaves
    ]
    if not out.requires_grad:  # out does not depend on any leaf
        return jacobians
    for i in range(out.data.size):
        seed = np.zeros(out.data.shape, dtype=out.data.dtype)
        seed.flat[i] = 1
        for leaf in leaves:
            leaf.grad = None
        out.backward(seed)
        for leaf, jac in zip(leaves, jacobians, strict=True):
            if leaf.grad is not None:
                jac[i] = leaf.grad.ravel()
    return jacobians


def jacobian(f, x) -> np.ndarray:
    """The full Jacobian of ``f`` at ``x``: J[i..., j...] = d f(x)[i...] / d x[j...].

    Returns an ndarray of shape ``f(x).shape + x.shape``, one backward pass per output element.
    """
    x = _leaf(x)
    out = f(x)
    (jac,) = _jacobians_by_backward(out, [x])
    return jac.reshape(out.data.shape + x.data.shape)


def vjp(f, x, v) -> tuple[np.ndarray, np.ndarray]:
    """``(f(x), vᵀJ)``: the value and the vector-Jacobian product, ``v`` of ``f(x)``'s shape,
    the product of ``x``'s shape. One backward pass: this is what ``backward(gradient=v)`` does.
    """
    x = _leaf(x)
    out = f(x)
    if out.requires_grad:
        out.backward(v)
    grad = x.grad if x.grad is not None else np.zeros_like(x.data)
    return out.data, grad


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when backward disagrees with central differences."""


def gradcheck(f, *inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3) -> bool:
    """Check ``f``'s backward against central differences, (f(x+eps) - f(x-eps)) / 2eps.

    Every floating input (a Tensor, unless it has ``requires_grad=False``, or an ndarray) is
    checked, as a float64 copy; other inputs are passed through unchanged. Each entry of the
    Jacobian must satisfy |backward - numerical| <= atol + rtol·|numerical|. Returns True, or
    raises :class:`GradcheckError` naming the worst entry.
    """
    args, checked = [], []
    for i, value in enumerate(inputs):
        floating = isinstance(value, Tensor | np.ndarray) and np.asarray(value).dtype.kind == "f"
        if floating and not (isinstance(value, Tensor) and not value.requires_grad):
            args.append(Tensor(np.array(value, dtype=np.float64), requires_grad=True))
            checked.append(i)
        else:
            args.append(value)
    out = f(*args)
    jacobians = _jacobians_by_backward(out, [args[i] for i in checked])
    analytic = dict(zip(checked, jacobians, strict=True))

    # Central differences: column j of each input's Jacobian from nudging input element j.
    with no_grad():
        for i in checked:
            flat = args[i].data.reshape(-1)  # a view: writing to it nudges the input itself
            numerical = np.zeros_like(analytic[i])
            for j in range(flat.size):
                original = flat[j]
                flat[j] = original + eps
                plus = np.array(f(*args).data, dtype=np.float64)
                flat[j] = original - eps
                minus = np.array(f(*args).data, dtype=np.float64)
                flat[j] = original
                numerical[:, j] = (plus - minus).ravel() / (2 * eps)
            error = np.abs(analytic[i] - numerical) - (atol + rtol * np.abs(numerical))
            error[np.isnan(error)] = np.inf  # a NaN anywhere is a failure, and the worst one
            if np.any(error > 0):
                row, col = np.unravel_index(np.argmax(error), error.shape)
                out_index = [int(k) for k in np.unravel_index(row, out.data.shape)]
                in_index = [int(k) for k in np.unravel_index(col, args[i].data.shape)]
                ours, theirs = float(analytic[i][row, col]), float(numerical[row, col])
                raise GradcheckError(
                    f"gradcheck failed for input {i}: d out{out_index} / d input{in_index} is "
                    f"{ours!r} by backward but {theirs!r} by central differences (allowed "
                    f"difference {atol + rtol * abs(theirs):.3g})"
                )
    return True
