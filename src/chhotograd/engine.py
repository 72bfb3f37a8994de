"""The Tensor: a NumPy array that remembers how it was computed (micrograd's engine.py, for arrays).

Every operation below does two things side by side: it computes its result with NumPy, and
right under that it defines ``backward(g)``, the local rule that turns the gradient of the
final output with respect to the result (``g``, the result's shape) into the gradient with
respect to each input (each input's shape). The graph walk that calls these rules lives in
:mod:`chhotograd.autograd`.
"""

from __future__ import annotations

import numpy as np

from . import autograd


class Tensor:
    """An n-dimensional array with an optional gradient.

    ``Tensor(data, requires_grad=False, dtype=None)`` wraps ``np.asarray(data)`` without copying
    when the dtype already fits. Floating data becomes float32, except float64 NumPy data or
    ``dtype=np.float64``, which stay float64 (the dtype for exact gradient checks). Integer and
    bool data keep their dtype (class labels, indices) and cannot require a gradient. As in
    PyTorch, integers meeting floats take the floats' dtype, and a result with fractions (a
    quotient, exp, a mean) of integers alone is float32.
    """

    __slots__ = ("data", "grad", "requires_grad", "_parents", "_backward", "_op", "_retains_grad")
    # NumPy hands `ndarray + tensor` over to Tensor.__radd__ instead of looping over elements.
    __array_ufunc__ = None

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        if isinstance(data, Tensor):
            data = data.data
        if dtype is not None:
            array = np.asarray(data, dtype=dtype)
        else:
            array = np.asarray(data)
            keep_float64 = array.dtype == np.float64 and isinstance(data, np.ndarray | np.generic)
            if array.dtype.kind == "f" and not keep_float64:
                array = array.astype(np.float32)
        if array.dtype.kind not in "fiub":
            raise TypeError(f"a Tensor holds numbers, not {array.dtype} data")
        if requires_grad and array.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, but this data is "
                f"{array.dtype}: a gradient measures the effect of a tiny change, and integers "
                f"cannot change by a tiny amount. Pass float data, or dtype=np.float32."
            )
        self.data = array
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self._parents = ()
        self._backward = None
        self._op = ""
        self._retains_grad = False

    # ----------------------------------------------------------------- plain attributes
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    def item(self) -> float:
        """The value of a one-element tensor as a Python number."""
        return self.data.item()

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def detach(self) -> Tensor:
        """A new leaf sharing this tensor's data, with no history and no gradient."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (``grad`` becomes None, as in PyTorch)."""
        self.grad = None

    def retain_grad(self) -> Tensor:
        """Keep this non-leaf tensor's gradient in ``grad`` after backward (leaves always do)."""
        self._retains_grad = True
        return self

    def __len__(self) -> int:
        return len(self.data)

    def __bool__(self) -> bool:
        return bool(self.data)

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self.data if dtype is None else self.data.astype(dtype)

    __hash__ = object.__hash__  # defining __eq__ would otherwise make tensors unhashable

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="tensor(")
        extra = "" if self.data.dtype == np.float32 else f", dtype={self.data.dtype}"
        if self._backward is not None:
            extra += f", op={self._op}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    # ----------------------------------------------------------------- autograd
    def backward(self, gradient=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires grad.

        On a one-element tensor the seed is 1; any other tensor needs ``gradient``, an array of
        its own shape: the result is then gradientᵀ·Jacobian, a vector-Jacobian product.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() was called on a tensor that does not require grad: nothing it was "
                "computed from has requires_grad=True (or it was computed under no_grad())"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient works only on a one-element tensor; this "
                    f"one has shape {self.data.shape}, so pass gradient= of that shape"
                )
            seed = np.ones_like(self.data)
        else:
            seed = np.asarray(gradient.data if isinstance(gradient, Tensor) else gradient)
            if seed.shape != self.data.shape:
                raise ValueError(
                    f"gradient has shape {seed.shape}, but the tensor has shape {self.data.shape}"
                )
            seed = seed.astype(self.data.dtype, copy=False)
        autograd.backward(self, seed)

    def to_dot(self, names: dict | None = None) -> str:
        """Graphviz DOT text of the graph that produced this tensor (see autograd.to_dot)."""
        return autograd.to_dot(self, names)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        data = _broadcasting(np.add, a, b, "+")

        def backward(g):
            return (
                _unbroadcast(g, a.data.shape) if a.requires_grad else None,
                _unbroadcast(g, b.data.shape) if b.requires_grad else None,
            )

        return _from_op(data, (a, b), backward, "add")

    def __sub__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        data = _broadcasting(np.subtract, a, b, "-")

        def backward(g):
            return (
                _unbroadcast(g, a.data.shape) if a.requires_grad else None,
                _unbroadcast(-g, b.data.shape) if b.requires_grad else None,
            )

        return _from_op(data, (a, b), backward, "sub")

    def __mul__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        data = _broadcasting(np.multiply, a, b, "*")

        def backward(g):
            return (
                _unbroadcast(g * b.data, a.data.shape) if a.requires_grad else None,
                _unbroadcast(g * a.data, b.data.shape) if b.requires_grad else None,
            )

        return _from_op(data, (a, b), backward, "mul")

    def __truediv__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        data = _broadcasting(np.divide, a, b, "/")

        def backward(g):
            # d(a/b)/db = -a/b² = -(a/b)/b, and a/b is already computed.
            return (
                _unbroadcast(g / b.data, a.data.shape) if a.requires_grad else None,
                _unbroadcast(-g * data / b.data, b.data.shape) if b.requires_grad else None,
            )

        return _from_op(data, (a, b), backward, "div")

    def __pow__(self, exponent) -> Tensor:
        if isinstance(exponent, np.generic):
            exponent = exponent.item()  # x ** np.float64(2) stays float32, like x ** 2.0
        if isinstance(exponent, int | float):  # the common case x ** 2: a constant exponent
            a, p = self, exponent
            data = (_floating(a) if isinstance(p, float) else a.data) ** p

            def backward(g):
                if p == 0:  # x ** 0 is constant; 0 * 0 ** -1 would give NaN at x = 0
                    return (np.zeros_like(a.data),)
                return (g * p * a.data ** (p - 1),)

            return _from_op(data, (a,), backward, f"pow {p}")

        a, b = self, _lift(exponent, self)
        data = _broadcasting(np.power, a, b, "**")

        def backward(g):
            # d(a^b)/da = b·a^(b-1) and d(a^b)/db = a^b · ln a. Where these read 0·∞, PyTorch
            # takes the limit 0: for the base where b = 0, for the exponent where a = 0, b >= 0.
            grad_a = grad_b = None
            with np.errstate(divide="ignore", invalid="ignore"):  # the 0·∞ that where() drops
                if a.requires_grad:
                    slope = np.where(b.data == 0, 0, b.data * a.data ** (b.data - 1))
                    grad_a = _unbroadcast(g * slope, a.data.shape)
                if b.requires_grad:
                    slope = np.where((a.data == 0) & (b.data >= 0), 0, data * np.log(a.data))
                    grad_b = _unbroadcast(g * slope, b.data.shape)
            return grad_a, grad_b

        return _from_op(data, (a, b), backward, "pow")

    def __matmul__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        try:
            data = np.matmul(*_promoted(a.data, b.data, np.matmul))
        except ValueError:
            if a.data.ndim == 0 or b.data.ndim == 0:
                raise ValueError(
                    f"matmul needs tensors with at least one axis, not shapes {a.data.shape} and "
                    f"{b.data.shape}: to multiply by a single number, use * instead of @"
                ) from None
            raise ValueError(
                f"matmul: shapes {a.data.shape} and {b.data.shape} do not match: the last axis "
                f"of the first must equal the {'only' if b.data.ndim == 1 else 'second-to-last'} "
                f"axis of the second"
            ) from None

        def backward(g):
            A, B = a.data, b.data
            # Treat a vector as a 1×k row (left) or a k×1 column (right), so one rule covers all.
            if B.ndim == 1:
                B, g = B[:, None], g[..., None]
            if A.ndim == 1:
                A, g = A[None, :], g[..., None, :]
            # Skip the product an input does not need: here lies most of a network's work.
            grad_a = grad_b = None
            if a.requires_grad:
                grad_a = _unbroadcast(g @ np.swapaxes(B, -1, -2), A.shape).reshape(a.data.shape)
            if b.requires_grad:
                grad_b = _unbroadcast(np.swapaxes(A, -1, -2) @ g, B.shape).reshape(b.data.shape)
            return grad_a, grad_b

        return _from_op(data, (a, b), backward, "matmul")

    def __neg__(self) -> Tensor:
        def backward(g):
            return (-g,)

        return _from_op(-self.data, (self,), backward, "neg")

    def __radd__(self, other) -> Tensor:
        return _lift(other, self) + self

    def __rsub__(self, other) -> Tensor:
        return _lift(other, self) - self

    def __rmul__(self, other) -> Tensor:
        return _lift(other, self) * self

    def __rtruediv__(self, other) -> Tensor:
        return _lift(other, self) / self

    def __rpow__(self, other) -> Tensor:
        return _lift(other, self) ** self

    def __rmatmul__(self, other) -> Tensor:
        return _lift(other, self) @ self

    # Comparisons give bool tensors and no gradient: a step function's slope is 0 almost everywhere.
    def __lt__(self, other) -> Tensor:
        return _compare(np.less, self, other, "<")

    def __le__(self, other) -> Tensor:
        return _compare(np.less_equal, self, other, "<=")

    def __gt__(self, other) -> Tensor:
        return _compare(np.greater, self, other, ">")

    def __ge__(self, other) -> Tensor:
        return _compare(np.greater_equal, self, other, ">=")

    def __eq__(self, other) -> Tensor:
        return _compare(np.equal, self, other, "==")

    def __ne__(self, other) -> Tensor:
        return _compare(np.not_equal, self, other, "!=")

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (an int, a tuple, or None for all axes)."""
        x, axis = self, _reduction_axis(self, axis)

        def backward(g):
            # Every summed element contributed with slope 1: copy g back along the summed axes.
            return (np.broadcast_to(_keep_dims(g, axis, keepdims), x.data.shape),)

        return _from_op(x.data.sum(axis=axis, keepdims=keepdims), (x,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (an int, a tuple, or None for all axes)."""
        x, axis = self, _reduction_axis(self, axis)
        data = _floating(x).mean(axis=axis, keepdims=keepdims)
        count = x.data.size // max(np.size(data), 1)

        def backward(g):
            return (np.broadcast_to(_keep_dims(g, axis, keepdims) / count, x.data.shape),)

        return _from_op(data, (x,), backward, "mean")

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis``. Ties share the gradient equally (like ``torch.amax``)."""
        x, axis = self, _reduction_axis(self, axis)
        top = x.data.max(axis=axis, keepdims=True)
        data = top if keepdims else (top.reshape(()) if axis is None else np.squeeze(top, axis))

        def backward(g):
            winners = x.data == top
            count = winners.sum(axis=axis, keepdims=True, dtype=x.data.dtype)
            return (winners * (_keep_dims(g, axis, keepdims) / count),)

        return _from_op(data, (x,), backward, "max")

    # ----------------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        x, data = self, np.exp(_floating(self))

        def backward(g):
            return (g * data,)  # (e^x)' = e^x

        return _from_op(data, (x,), backward, "exp")

    def log(self) -> Tensor:
        x = self

        def backward(g):
            return (g / x.data,)

        return _from_op(np.log(_floating(x)), (x,), backward, "log")

    def sqrt(self) -> Tensor:
        x, data = self, np.sqrt(_floating(self))

        def backward(g):
            return (g / (2 * data),)

        return _from_op(data, (x,), backward, "sqrt")

    def abs(self) -> Tensor:
        x = self

        def backward(g):
            return (g * np.sign(x.data),)  # slope 0 at 0, as in PyTorch

        return _from_op(np.abs(x.data), (x,), backward, "abs")

    def tanh(self) -> Tensor:
        x, data = self, np.tanh(_floating(self))

        def backward(g):
            return (g * (1 - data * data),)

        return _from_op(data, (x,), backward, "tanh")

    def sigmoid(self) -> Tensor:
        x = self
        # 1/(1+e^-x) overflows for very negative x; e^-|x| never does, and e/(1+e) keeps
        # full relative precision where the sigmoid is tiny.
        e = np.exp(-np.abs(_floating(x)))
        data = np.where(x.data >= 0, 1 / (1 + e), e / (1 + e))

        def backward(g):
            return (g * data * (1 - data),)

        return _from_op(data, (x,), backward, "sigmoid")

    def relu(self) -> Tensor:
        x, data = self, np.maximum(self.data, 0)

        def backward(g):
            return (g * (data > 0),)  # slope 1 where the input was positive, else 0

        return _from_op(data, (x,), backward, "relu")

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape) -> Tensor:
        """Same elements in a new shape; ``reshape(2, 3)`` and ``reshape((2, 3))`` both work."""
        x = self
        if len(shape) == 1 and isinstance(shape[0], tuple | list):
            shape = tuple(shape[0])

        def backward(g):
            return (g.reshape(x.data.shape),)

        return _from_op(x.data.reshape(shape), (x,), backward, "reshape")

    def permute(self, *axes) -> Tensor:
        """Reorder the axes: result axis i is input axis ``axes[i]``."""
        x = self
        if len(axes) == 1 and isinstance(axes[0], tuple | list):
            axes = axes[0]
        axes = tuple(axis % x.data.ndim for axis in axes)  # argsort needs -1 spelled ndim-1
        inverse = tuple(np.argsort(axes))

        def backward(g):
            return (g.transpose(inverse),)

        return _from_op(x.data.transpose(axes), (x,), backward, "permute")

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        """Swap two axes (as ``torch.transpose``)."""
        axes = list(range(self.data.ndim))
        axes[dim0], axes[dim1] = axes[dim1], axes[dim0]
        return self.permute(axes)

    @property
    def T(self) -> Tensor:
        """All axes reversed; for a matrix, its transpose."""
        return self.permute(tuple(reversed(range(self.data.ndim))))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes ``start_dim..end_dim`` (inclusive) into one, as ``torch.flatten``."""
        shape = self.data.shape
        if not shape:
            return self.reshape(1)
        start, end = start_dim % len(shape), end_dim % len(shape)
        return self.reshape(shape[:start] + (-1,) + shape[end + 1 :])

    def __getitem__(self, index) -> Tensor:
        """NumPy indexing: ints, slices, None, ``...``, integer (or bool) arrays and Tensors.

        Where ints and index arrays meet, the axes come in PyTorch's order: ``x[0, :, [0, 1]]``
        of a (2, 3, 4) tensor has shape (3, 2), as in PyTorch (NumPy gives (2, 3)).
        """
        x = self
        index = tuple(map(_plain, index)) if isinstance(index, tuple) else _plain(index)
        steps = _index_steps(index)  # usually just (index,)
        data = x.data
        for step in steps:
            data = data[step]

        def backward(g):
            grad = np.zeros_like(x.data)
            target = grad
            for step in steps[:-1]:
                target = target[step]  # ints and slices only: a view into grad
            # add.at, not target[index] = g: an index may repeat, and every repeat adds its share.
            np.add.at(target, steps[-1], g)
            return (grad,)

        return _from_op(data, (x,), backward, "getitem")

    # ----------------------------------------------------------------- more of PyTorch's methods
    # min, argmax/argmin, logsumexp, clip/clamp, squeeze/unsqueeze. Axes are called ``axis``
    # (with ``keepdims``), as in sum and max above.
    def min(self, axis=None, keepdims: bool = False) -> Tensor:
        """Smallest value over ``axis``. Ties share the gradient equally (like ``torch.amin``)."""
        x, axis = self, _reduction_axis(self, axis)
        data = x.data.min(axis=axis, keepdims=keepdims)

        def backward(g):
            winners = x.data == _keep_dims(data, axis, keepdims)
            count = winners.sum(axis=axis, keepdims=True, dtype=x.data.dtype)
            return (winners * (_keep_dims(g, axis, keepdims) / count),)

        return _from_op(data, (x,), backward, "min")

    def argmax(self, axis=None, keepdims: bool = False) -> Tensor:
        """Index (int64) of the largest value along ``axis``, or in the flattened tensor when
        ``axis`` is None. The first one wins a tie, as in PyTorch. An index has no gradient."""
        return _arg(np.argmax, self, axis, keepdims, "argmax")

    def argmin(self, axis=None, keepdims: bool = False) -> Tensor:
        """Index (int64) of the smallest value along ``axis``; see :meth:`argmax`."""
        return _arg(np.argmin, self, axis, keepdims, "argmin")

    def logsumexp(self, axis=None, keepdims: bool = False) -> Tensor:
        """log(sum(exp(x))) over ``axis``, computed as m + log(sum(exp(x - m))) with m the
        largest value: exp() never overflows, and the result is exact for huge inputs."""
        x, axis = self, _reduction_axis(self, axis)
        values = x.data if x.data.dtype.kind == "f" else x.data.astype(np.float32)
        top = values.max(axis=axis, keepdims=True)
        top = np.where(np.isfinite(top), top, 0)  # all -inf: shifting by -inf would give NaN
        with np.errstate(divide="ignore"):  # log 0 = -inf is the right answer for all -inf
            kept = top + np.log(np.exp(values - top).sum(axis=axis, keepdims=True))
        data = kept if keepdims else (kept.reshape(()) if axis is None else np.squeeze(kept, axis))

        def backward(g):
            # d/dx_i log Σ exp(x) = exp(x_i) / Σ exp(x): the softmax, exp(x - logsumexp).
            return (_keep_dims(g, axis, keepdims) * np.exp(values - kept),)

        return _from_op(data, (x,), backward, "logsumexp")

    def clip(self, min=None, max=None) -> Tensor:
        """Values below ``min`` raised to it and values above ``max`` lowered to it (either may
        be None), as ``torch.clamp``. The gradient is 1 where min <= x <= max, the bounds
        included, and 0 where a bound replaced the value."""
        x = self
        min, max = _bound(min, "min"), _bound(max, "max")
        if min is None and max is None:
            raise ValueError("clip() needs min, max or both: with neither there is nothing to do")
        data = np.clip(x.data, min, max)
        if x.data.dtype.kind != "f" and data.dtype.kind == "f":
            data = data.astype(np.float32)  # an integer tensor with a float bound, as in PyTorch
        inside = np.ones(x.data.shape, dtype=bool)
        if min is not None:
            inside &= x.data >= min
        if max is not None:
            inside &= x.data <= max

        def backward(g):
            return (g * inside,)

        return _from_op(data, (x,), backward, "clip")

    clamp = clip  # PyTorch has both names

    def squeeze(self, axis=None) -> Tensor:
        """Remove axes of size 1: all of them, or those among ``axis`` (an int or a tuple). As
        in PyTorch, a named axis whose size is not 1 stays as it is."""
        x = self
        if axis is None:
            axes = tuple(i for i, n in enumerate(x.data.shape) if n == 1)
        else:
            named = axis if isinstance(axis, tuple | list) else (axis,)
            # A 0-d tensor accepts axis 0 and -1, as in PyTorch.
            named = [_axis_index(a, max(x.data.ndim, 1), "squeeze") for a in named]
            axes = tuple(sorted({i for i in named if i < x.data.ndim and x.data.shape[i] == 1}))

        def backward(g):
            return (g.reshape(x.data.shape),)

        return _from_op(np.squeeze(x.data, axes), (x,), backward, "squeeze")

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert an axis of size 1 at position ``axis`` of the result: shape (2, 3) becomes
        (1, 2, 3) with axis 0, (2, 3, 1) with axis -1."""
        x = self
        axis = _axis_index(axis, x.data.ndim + 1, "unsqueeze")

        def backward(g):
            return (g.reshape(x.data.shape),)

        return _from_op(np.expand_dims(x.data, axis), (x,), backward, "unsqueeze")


def tensor(data, requires_grad: bool = False, dtype=None) -> Tensor:
    """Shorthand for ``Tensor(data, requires_grad, dtype)``."""
    return Tensor(data, requires_grad=requires_grad, dtype=dtype)


# --------------------------------------------------------------------- helpers for operations
def _from_op(data, parents: tuple, backward, op: str) -> Tensor:
    """A new Tensor holding an operation's result ``data``.

    It records ``parents`` and the rule ``backward`` only when there is something to record:
    grad mode is on and some parent requires grad. Otherwise it is a constant, like a new leaf.
    """
    out = Tensor.__new__(Tensor)  # skip __init__: its checks are for data from outside
    out.data = np.asarray(data)  # NumPy returns a scalar, not a 0-d array, from a full reduction
    out.grad, out._op, out._retains_grad = None, op, False
    if autograd._grad_enabled and any(parent.requires_grad for parent in parents):
        out.requires_grad, out._parents, out._backward = True, parents, backward
    else:
        out.requires_grad, out._parents, out._backward = False, (), None
    return out


def _lift(value, like: Tensor) -> Tensor:
    """A Tensor as is; anything else (a number, an array) as a constant Tensor. A constant takes
    ``like``'s floating dtype, so ``x * 2`` or ``x * np.float64(2)`` stays float32.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.generic):
        value = value.item()  # a NumPy number counts as a Python number, as in PyTorch
    return Tensor(value, dtype=like.data.dtype if like.data.dtype.kind == "f" else None)


def _broadcasting(ufunc, a: Tensor, b: Tensor, symbol: str) -> np.ndarray:
    """``ufunc(a.data, b.data)``, with an error that names both shapes when they do not fit, and
    PyTorch's result dtype when an operand holds integers (see ``_promoted``)."""
    try:
        return ufunc(*_promoted(a.data, b.data, ufunc))
    except ValueError:
        raise ValueError(
            f"shapes {a.data.shape} and {b.data.shape} cannot be broadcast together for "
            f"{symbol!r}: aligned from the right, each pair of sizes must be equal or contain a 1"
        ) from None


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` (a broadcast result's shape) down to ``shape``: an input that was repeated along
    an axis receives the sum of the gradients of all its copies.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1
    )
    return g.sum(axis=axes, keepdims=True).reshape(shape)


def _compare(ufunc, a: Tensor, other, symbol: str) -> Tensor:
    return _from_op(_broadcasting(ufunc, a, _lift(other, a), symbol), (), None, symbol)


def _axes(axis):
    """NumPy wants an int, a tuple or None; accept a list too."""
    return tuple(axis) if isinstance(axis, list) else axis


def _keep_dims(g: np.ndarray, axis, keepdims: bool) -> np.ndarray:
    """Put back the reduced axes as size 1, so ``g`` broadcasts against the reduction's input."""
    if keepdims or axis is None:
        return g  # with axis=None and no keepdims, g is 0-d and broadcasts as it is
    return np.expand_dims(g, axis)


def _plain(index):
    """Index parts as NumPy understands them: a Tensor becomes its array."""
    return index.data if isinstance(index, Tensor) else index


def _promoted(x: np.ndarray, y: np.ndarray, ufunc) -> tuple[np.ndarray, np.ndarray]:
    """The operands of ``ufunc`` in PyTorch's types, where integers (or bools) meet: beside a
    floating array an integer one takes its dtype (NumPy would make int64 with float32 a
    float64), and two integer arrays divide into float32 (NumPy: float64)."""
    if x.dtype.kind == "f":
        return (x, y) if y.dtype.kind == "f" else (x, y.astype(x.dtype))
    if y.dtype.kind == "f":
        return x.astype(y.dtype), y
    if ufunc is np.divide:
        return x.astype(np.float32), y.astype(np.float32)
    return x, y


def _floating(x: Tensor) -> np.ndarray:
    """``x``'s array, as float32 if it holds integers or bools: exp, log or a mean of integers is
    float32, as in PyTorch (NumPy would give float64)."""
    return x.data if x.data.dtype.kind == "f" else x.data.astype(np.float32)


def _index_steps(index) -> tuple:
    """``index`` as one NumPy index, or two applied one after the other, so that the result's
    axes come in PyTorch's order. NumPy counts an int beside an index array as one more index
    array, and when a slice separates them it moves their axes to the front: for x of shape
    (2, 3, 4), NumPy's x[0, :, [0, 1]] has shape (2, 3). PyTorch applies the ints first, which
    gives (3, 2). So when both are present, the first step takes the ints (and the slices and
    None), the second the index arrays."""
    if not isinstance(index, tuple):
        return (index,)
    kinds = [_index_kind(part) for part in index]
    if "int" not in kinds or "array" not in kinds or "bool" in kinds:
        return (index,)
    first, then = [], []
    for part, kind in zip(index, kinds, strict=True):
        if kind == "int":
            first.append(int(part))
        elif kind == "array":
            array = np.asarray(part)
            first += [slice(None)] * (array.ndim if array.dtype == bool else 1)
            then.append(part)
        else:  # a slice, None or ...: applied by the first step, a full slice in the second
            first.append(part)
            then.append(part if part is Ellipsis else slice(None))
    return tuple(first), tuple(then)


def _index_kind(part) -> str:
    """'int' (also a 0-d integer array), 'array' (a list or an array of integers or bools),
    'bool' (a lone True or False) or 'basic' (a slice, None or ...)."""
    if isinstance(part, bool | np.bool_):
        return "bool"
    if isinstance(part, int | np.integer):
        return "int"
    if isinstance(part, np.ndarray):
        if part.ndim:
            return "array"
        return "int" if part.dtype.kind in "iu" else "bool"
    return "array" if isinstance(part, list | tuple) else "basic"


# --------------------------------------------------------------------- joining and choosing
def cat(tensors, axis: int = 0) -> Tensor:
    """Join tensors end to end along an existing ``axis`` (as ``torch.cat``): shapes (2, 3) and
    (4, 3) give (6, 3) along axis 0. Every other axis must have the same size."""
    tensors = _tensors(tensors, "cat")
    shapes = [t.data.shape for t in tensors]
    if any(len(shape) == 0 for shape in shapes):
        raise ValueError(
            "cat() cannot join 0-d tensors (single numbers): they have no axis to join along; "
            "use stack(), which adds one"
        )
    if len({len(shape) for shape in shapes}) > 1:
        raise ValueError(f"cat() needs tensors with the same number of axes; got shapes {shapes}")
    axis = _axis_index(axis, len(shapes[0]), "cat")
    if len({shape[:axis] + shape[axis + 1 :] for shape in shapes}) > 1:
        raise ValueError(
            f"cat() along axis {axis}: every other axis must have the same size in every tensor, "
            f"but the shapes are {shapes}"
        )
    data = np.concatenate([t.data for t in tensors], axis=axis, dtype=_common_dtype(tensors))
    ends = np.cumsum([shape[axis] for shape in shapes])[:-1]

    def backward(g):
        # Each input gets back its own slice of g.
        pieces = np.split(g, ends, axis=axis)
        return [
            piece if t.requires_grad else None for t, piece in zip(tensors, pieces, strict=True)
        ]

    return _from_op(data, tuple(tensors), backward, "cat")


def stack(tensors, axis: int = 0) -> Tensor:
    """Put tensors of one shape side by side along a new ``axis`` (as ``torch.stack``): three
    tensors of shape (2,) give (3, 2) along axis 0, (2, 3) along axis 1."""
    tensors = _tensors(tensors, "stack")
    shapes = [t.data.shape for t in tensors]
    if len(set(shapes)) > 1:
        raise ValueError(f"stack() needs tensors of one shape; got shapes {shapes}")
    axis = _axis_index(axis, len(shapes[0]) + 1, "stack")
    data = np.stack([t.data for t in tensors], axis=axis, dtype=_common_dtype(tensors))

    def backward(g):
        # Input i is slice i of g along the new axis.
        return [
            np.take(g, i, axis=axis) if t.requires_grad else None for i, t in enumerate(tensors)
        ]

    return _from_op(data, tuple(tensors), backward, "stack")


def where(condition, x, y) -> Tensor:
    """``x`` where ``condition`` is True, else ``y`` (as ``torch.where``); the three broadcast
    together and ``x`` or ``y`` may be a number. The gradient goes to the one that was chosen."""
    cond = np.asarray(condition.data if isinstance(condition, Tensor) else condition)
    if cond.dtype != np.bool_:
        raise TypeError(
            f"where() needs a bool condition, such as x > 0, but got {cond.dtype} data; "
            f"compare it to something first (cond != 0)"
        )
    a, b = _lift_pair(x, y)
    try:
        data = np.where(cond, a.data, b.data).astype(_common_dtype((a, b)), copy=False)
    except ValueError:
        raise ValueError(
            f"where(): the condition {cond.shape}, x {a.data.shape} and y {b.data.shape} cannot "
            f"be broadcast together: aligned from the right, each size must match or be 1"
        ) from None

    def backward(g):
        return (
            _unbroadcast(np.where(cond, g, 0), a.data.shape) if a.requires_grad else None,
            _unbroadcast(np.where(cond, 0, g), b.data.shape) if b.requires_grad else None,
        )

    return _from_op(data, (a, b), backward, "where")


def maximum(a, b) -> Tensor:
    """The larger of ``a`` and ``b``, element by element, broadcast (as ``torch.maximum``)."""
    return _pick(np.maximum, np.less, a, b, "maximum")


def minimum(a, b) -> Tensor:
    """The smaller of ``a`` and ``b``, element by element, broadcast (as ``torch.minimum``)."""
    return _pick(np.minimum, np.greater, a, b, "minimum")


def _pick(ufunc, loses, x, y, name: str) -> Tensor:
    """maximum (``ufunc`` np.maximum, an input ``loses`` where it is less) or minimum."""
    a, b = _lift_pair(x, y)
    data = _broadcasting(ufunc, a, b, name)  # already in PyTorch's result dtype

    def backward(g):
        # The gradient goes to the input that was picked; a tie gives each half, as in PyTorch.
        half = np.where(a.data == b.data, g / 2, g)
        return (
            _unbroadcast(np.where(loses(a.data, b.data), 0, half), a.data.shape)
            if a.requires_grad
            else None,
            _unbroadcast(np.where(loses(b.data, a.data), 0, half), b.data.shape)
            if b.requires_grad
            else None,
        )

    return _from_op(data, (a, b), backward, name)


# --------------------------------------------------------------------- helpers for the above
def _axis_index(axis, ndim: int, name: str) -> int:
    """``axis`` as an index in [0, ndim), checked: negative axes count from the end."""
    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        raise TypeError(f"{name}(): axis must be an int, not {axis!r}")
    if not -ndim <= axis < ndim:
        raise IndexError(
            f"{name}(): axis {axis} is out of range for {ndim} axes: use an axis from {-ndim} "
            f"to {ndim - 1}"
        )
    return int(axis) % ndim


def _reduction_axis(x: Tensor, axis):
    """A reduction's ``axis`` for NumPy. A 0-d tensor's axis 0 (or -1) is all of it, as in
    PyTorch, which NumPy spells None."""
    axis = _axes(axis)
    if x.data.ndim == 0 and axis is not None:
        for a in axis if isinstance(axis, tuple) else (axis,):
            _axis_index(a, 1, "reduction")
        return None
    return axis


def _arg(function, x: Tensor, axis, keepdims: bool, name: str) -> Tensor:
    """argmax or argmin (``function``): an int64 constant, since an index has no gradient."""
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int | np.integer)):
        raise TypeError(f"{name}() takes one axis (an int) or None for all, not {axis!r}")
    if x.data.size == 0:
        raise ValueError(f"{name}() of an empty tensor (shape {x.data.shape}): it has no values")
    axis = _reduction_axis(x, axis)
    data = function(x.data, axis=axis, keepdims=keepdims).astype(np.int64)
    return _from_op(data, (), None, name)


def _bound(value, name: str):
    """A bound of clip: None or a number (a NumPy number as a Python one, so float32 stays)."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise TypeError(
            f"clip(): {name} must be a number or None, not {type(value).__name__}; for a "
            f"bound that varies, use maximum(x, low) and minimum(x, high)"
        )
    return value


def _tensors(tensors, name: str) -> list:
    """The list of tensors that cat() or stack() joins (arrays and numbers become constants)."""
    if isinstance(tensors, Tensor | np.ndarray) or not isinstance(tensors, list | tuple):
        raise TypeError(
            f"{name}() takes a list or tuple of tensors, like {name}([a, b]), "
            f"not {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{name}() needs at least one tensor, but the list is empty")
    return [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]


def _lift_pair(x, y) -> tuple[Tensor, Tensor]:
    """Two Tensors from two values of which either or both may be numbers or arrays."""
    if isinstance(x, Tensor):
        return x, _lift(y, x)
    if isinstance(y, Tensor):
        return _lift(x, y), y
    return Tensor(x), Tensor(y)


def _common_dtype(tensors) -> np.dtype:
    """PyTorch's result dtype: the widest floating dtype if any tensor is floating (float32
    with int64 stays float32, where NumPy would give float64), else the widest integer one."""
    floating = [t.data.dtype for t in tensors if t.data.dtype.kind == "f"]
    return np.result_type(*(floating or [t.data.dtype for t in tensors]))
