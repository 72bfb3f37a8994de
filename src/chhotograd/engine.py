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
    bool data keep their dtype (class labels, indices) and cannot require a gradient.
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
            data = a.data**p

            def backward(g):
                if p == 0:  # x ** 0 is constant; 0 * 0 ** -1 would give NaN at x = 0
                    return (np.zeros_like(a.data),)
                return (g * p * a.data ** (p - 1),)

            return _from_op(data, (a,), backward, f"pow {p}")

        a, b = self, _lift(exponent, self)
        data = _broadcasting(np.power, a, b, "**")

        def backward(g):
            # d(a^b)/db = a^b · ln a (defined for a > 0, as in PyTorch).
            return (
                _unbroadcast(g * b.data * a.data ** (b.data - 1), a.data.shape)
                if a.requires_grad
                else None,
                _unbroadcast(g * data * np.log(a.data), b.data.shape) if b.requires_grad else None,
            )

        return _from_op(data, (a, b), backward, "pow")

    def __matmul__(self, other) -> Tensor:
        a, b = self, _lift(other, self)
        try:
            data = a.data @ b.data
        except ValueError:
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
        x, axis = self, _axes(axis)

        def backward(g):
            # Every summed element contributed with slope 1: copy g back along the summed axes.
            return (np.broadcast_to(_keep_dims(g, axis, keepdims), x.data.shape),)

        return _from_op(x.data.sum(axis=axis, keepdims=keepdims), (x,), backward, "sum")

    def mean(self, axis=None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (an int, a tuple, or None for all axes)."""
        x, axis = self, _axes(axis)
        data = x.data.mean(axis=axis, keepdims=keepdims)
        count = x.data.size // max(np.size(data), 1)

        def backward(g):
            return (np.broadcast_to(_keep_dims(g, axis, keepdims) / count, x.data.shape),)

        return _from_op(data, (x,), backward, "mean")

    def max(self, axis=None, keepdims: bool = False) -> Tensor:
        """Largest value over ``axis``. Ties share the gradient equally (like ``torch.amax``)."""
        x, axis = self, _axes(axis)
        top = x.data.max(axis=axis, keepdims=True)
        data = top if keepdims else (top.reshape(()) if axis is None else np.squeeze(top, axis))

        def backward(g):
            winners = x.data == top
            count = winners.sum(axis=axis, keepdims=True, dtype=x.data.dtype)
            return (winners * (_keep_dims(g, axis, keepdims) / count),)

        return _from_op(data, (x,), backward, "max")

    # ----------------------------------------------------------------- elementwise functions
    def exp(self) -> Tensor:
        x, data = self, np.exp(self.data)

        def backward(g):
            return (g * data,)  # (e^x)' = e^x

        return _from_op(data, (x,), backward, "exp")

    def log(self) -> Tensor:
        x = self

        def backward(g):
            return (g / x.data,)

        return _from_op(np.log(x.data), (x,), backward, "log")

    def sqrt(self) -> Tensor:
        x, data = self, np.sqrt(self.data)

        def backward(g):
            return (g / (2 * data),)

        return _from_op(data, (x,), backward, "sqrt")

    def abs(self) -> Tensor:
        x = self

        def backward(g):
            return (g * np.sign(x.data),)  # slope 0 at 0, as in PyTorch

        return _from_op(np.abs(x.data), (x,), backward, "abs")

    def tanh(self) -> Tensor:
        x, data = self, np.tanh(self.data)

        def backward(g):
            return (g * (1 - data * data),)

        return _from_op(data, (x,), backward, "tanh")

    def sigmoid(self) -> Tensor:
        x = self
        # 1/(1+e^-x) overflows for very negative x; e^-|x| never does, and e/(1+e) keeps
        # full relative precision where the sigmoid is tiny.
        e = np.exp(-np.abs(x.data))
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
        """NumPy indexing: ints, slices, None, ``...``, integer (or bool) arrays and Tensors."""
        x = self
        index = tuple(map(_plain, index)) if isinstance(index, tuple) else _plain(index)

        def backward(g):
            grad = np.zeros_like(x.data)
            # add.at, not grad[index] = g: an index may repeat, and every repeat adds its share.
            np.add.at(grad, index, g)
            return (grad,)

        return _from_op(x.data[index], (x,), backward, "getitem")


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
    return Tensor(value, dtype=like.data.dtype if like.data.dtype.kind == "f" else None)


def _broadcasting(ufunc, a: Tensor, b: Tensor, symbol: str) -> np.ndarray:
    """``ufunc(a.data, b.data)``, with an error that names both shapes when they do not fit."""
    try:
        return ufunc(a.data, b.data)
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
