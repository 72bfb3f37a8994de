"""Neural-network operations and calculus tools, as in ``torch.nn.functional``.

The operations here (linear, softmax, cross entropy, convolution, pooling) are each one node in
the graph with a hand-written backward rule: shorter graphs, and the classic formulas
("softmax minus one-hot") where students can see them. ``jacobian``, ``vjp`` and ``gradcheck``
look at any function from tensors to a tensor.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .autograd import no_grad
from .engine import Tensor, _from_op

__all__ = [
    "GradcheckError",
    "conv2d",
    "cross_entropy",
    "gradcheck",
    "jacobian",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
    "vjp",
]


def relu(x: Tensor) -> Tensor:
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    return x.tanh()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias``: x (..., in), weight (out, in), bias (out,) -> (..., out)."""
    try:
        data = x.data @ weight.data.T
    except ValueError:
        raise ValueError(
            f"linear: input of shape {x.data.shape} does not fit weight of shape "
            f"{weight.data.shape}: the input's last axis must equal the weight's second axis"
        ) from None
    if bias is not None:
        data += bias.data  # in place: data is a fresh array, so this saves one allocation

    def backward(g):
        # Flatten any leading axes, so that one matrix product sums over all of them.
        g2 = g.reshape(-1, g.shape[-1])
        grads = [
            g @ weight.data if x.requires_grad else None,
            g2.T @ x.data.reshape(-1, x.data.shape[-1]) if weight.requires_grad else None,
        ]
        if bias is not None:
            grads.append(g2.sum(axis=0) if bias.requires_grad else None)
        return grads

    parents = (x, weight) if bias is None else (x, weight, bias)
    return _from_op(data, parents, backward, "linear")


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along ``axis``; same shape as ``x``."""
    # Subtracting the max changes nothing mathematically and keeps every exp() at most 1.
    e = np.exp(x.data - x.data.max(axis=axis, keepdims=True))
    data = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        # ds_i/dx_j = s_i (δij - s_j), so gᵀJ = s * (g - <g, s>).
        return (data * (g - (g * data).sum(axis=axis, keepdims=True)),)

    return _from_op(data, (x,), backward, "softmax")


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed as x - max - log(sum(exp(x - max)))."""
    shifted = x.data - x.data.max(axis=axis, keepdims=True)
    data = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))

    def backward(g):
        # y_i = x_i - logsumexp(x), so dy_i/dx_j = δij - softmax_j.
        return (g - np.exp(data) * g.sum(axis=axis, keepdims=True),)

    return _from_op(data, (x,), backward, "log_softmax")


def cross_entropy(logits: Tensor, targets, reduction: str = "mean") -> Tensor:
    """Mean (or ``"sum"``, or ``"none"``: per row) of -log softmax(logits)[n, targets[n]].

    ``logits`` has shape (N, C); ``targets`` holds N integer classes in [0, C).
    """
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if logits.data.ndim != 2 or t.shape != logits.data.shape[:1] or t.dtype.kind not in "iu":
        raise ValueError(
            f"cross_entropy expects logits of shape (N, C) and N integer targets; got logits "
            f"{logits.data.shape} and targets {t.shape} of dtype {t.dtype}"
        )
    n = len(t)
    rows = np.arange(n)
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    total = e.sum(axis=1, keepdims=True)
    losses = np.log(total[:, 0]) - shifted[rows, t]
    data = _reduce(losses, reduction)

    def backward(g):
        # d loss_n / d logits_n = softmax_n - onehot(t_n): "prediction minus truth".
        grad = e / total
        grad[rows, t] -= 1
        if reduction == "mean":
            grad *= g / n
        else:
            grad *= g if reduction == "sum" else g[:, None]
        return (grad,)

    return _from_op(data, (logits,), backward, "cross_entropy")


def mse_loss(prediction: Tensor, target, reduction: str = "mean") -> Tensor:
    """Mean (or ``"sum"``, or ``"none"``: elementwise) of (prediction - target)²."""
    diff = prediction - target
    return _reduce(diff * diff, reduction)


def _reduce(losses, reduction: str):
    """Per-sample ``losses`` (a Tensor or an array) reduced as PyTorch's ``reduction=`` says."""
    if reduction == "mean":
        return losses.mean()
    if reduction == "sum":
        return losses.sum()
    if reduction == "none":
        return losses
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


# --------------------------------------------------------------------- convolution and pooling
def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _windows(x: np.ndarray, kh: int, kw: int, sh: int, sw: int) -> np.ndarray:
    """Every kh×kw window of x (N, C, H, W) taken with strides (sh, sw), as a view of shape
    (N, C, Ho, Wo, kh, kw): no copy and no Python loop over pixels.
    """
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def _at(a: np.ndarray, i: int, j: int, ho: int, wo: int, sh: int, sw: int) -> np.ndarray:
    """The pixel at position (i, j) inside every window: a writable (N, C, Ho, Wo) view of a."""
    return a[:, :, i : i + sh * ho : sh, j : j + sw * wo : sw]


def _add_windows(grads: np.ndarray, shape: tuple, sh: int, sw: int) -> np.ndarray:
    """The reverse of ``_windows``: an array of ``shape`` (N, C, H, W) in which every pixel
    receives the sum of ``grads`` (N, C, Ho, Wo, kh, kw) over all the windows it appeared in.
    """
    _, _, ho, wo, kh, kw = grads.shape
    out = np.zeros(shape, dtype=grads.dtype)
    # One vectorised add per position in the kernel: kh·kw additions, not one per pixel.
    for i in range(kh):
        for j in range(kw):
            view = _at(out, i, j, ho, wo, sh, sw)
            view += grads[:, :, :, :, i, j]
    return out


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D cross-correlation, as ``torch.nn.functional.conv2d``.

    x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, Ho, Wo) with
    Ho = (H + 2·padding - kh) // stride + 1 (likewise Wo). Computed as one matrix product of
    the flattened kernels with the unfolded windows ("im2col").
    """
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    if x.data.ndim != 4 or weight.data.ndim != 4 or x.data.shape[1] != weight.data.shape[1]:
        raise ValueError(
            f"conv2d expects input (N, C, H, W) and weight (O, C, kh, kw) with the same C; got "
            f"input {x.data.shape} and weight {weight.data.shape}"
        )
    n, c, h, w = x.data.shape
    o, _, kh, kw = weight.data.shape
    padded = np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x.data
    windows = _windows(padded, kh, kw, sh, sw)
    ho, wo = windows.shape[2:4]
    # Column (n, y, x) of cols holds the C·kh·kw input values under the kernel at output pixel
    # (y, x) of image n. The order (C, kh, kw, N, Ho, Wo) copies whole image rows at a time.
    cols = windows.transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)
    kernels = weight.data.reshape(o, c * kh * kw)
    data = kernels @ cols  # (O, N·Ho·Wo)
    if bias is not None:
        data += bias.data[:, None]
    data = np.ascontiguousarray(data.reshape(o, n, ho, wo).transpose(1, 0, 2, 3))

    def backward(g):
        g2 = g.transpose(1, 0, 2, 3).reshape(o, n * ho * wo)  # back to the columns' order
        grads = [None, None]
        if weight.requires_grad:
            grads[1] = (g2 @ cols.T).reshape(weight.data.shape)
        if x.requires_grad:
            dcols = (kernels.T @ g2).reshape(c, kh, kw, n, ho, wo).transpose(3, 0, 4, 5, 1, 2)
            grads[0] = _add_windows(dcols, padded.shape, sh, sw)[:, :, ph : ph + h, pw : pw + w]
        if bias is not None:
            grads.append(g2.sum(axis=1) if bias.requires_grad else None)
        return grads

    parents = (x, weight) if bias is None else (x, weight, bias)
    return _from_op(data, parents, backward, "conv2d")


def max_pool2d(x: Tensor, kernel_size, stride=None) -> Tensor:
    """Largest value of each kernel window, as ``torch.nn.functional.max_pool2d``.

    x (N, C, H, W) -> (N, C, Ho, Wo), Ho = (H - kh) // stride + 1; ``stride`` defaults to the
    kernel size. The gradient goes to the first largest element of each window, like PyTorch.
    """
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(kernel_size if stride is None else stride)
    if x.data.ndim != 4 or x.data.shape[2] < kh or x.data.shape[3] < kw:
        raise ValueError(
            f"max_pool2d expects input (N, C, H, W) of at least the kernel's size "
            f"{(kh, kw)}; got {x.data.shape}"
        )
    ho, wo = (x.data.shape[2] - kh) // sh + 1, (x.data.shape[3] - kw) // sw + 1
    positions = [(i, j) for i in range(kh) for j in range(kw)]
    # The maximum over the kh·kw positions, each one a view of all windows at once.
    data = _at(x.data, 0, 0, ho, wo, sh, sw).copy()
    for i, j in positions[1:]:
        np.maximum(data, _at(x.data, i, j, ho, wo, sh, sw), out=data)

    def backward(g):
        grad = np.zeros_like(x.data)
        unclaimed = np.ones(data.shape, dtype=bool)  # windows whose max is not yet found
        for i, j in positions:
            # Each window's gradient goes to the first position that holds its max (on a tie
            # too, as in PyTorch), so a later equal value finds the window already claimed.
            hit = _at(x.data, i, j, ho, wo, sh, sw) == data
            hit &= unclaimed
            unclaimed ^= hit
            view = _at(grad, i, j, ho, wo, sh, sw)
            view += g * hit
        return (grad,)

    return _from_op(data, (x,), backward, "max_pool2d")


# --------------------------------------------------------------------- calculus tools
def _leaf(value) -> Tensor:
    """A fresh leaf that requires grad, holding a copy of ``value`` (so the caller's tensor keeps
    its own ``grad`` untouched)."""
    data = value.data if isinstance(value, Tensor) else Tensor(value).data
    return Tensor(data.copy(), requires_grad=True)


def jacobian(f, x) -> np.ndarray:
    """The full Jacobian of ``f`` at ``x``: J[i..., j...] = d f(x)[i...] / d x[j...].

    Returns an ndarray of shape ``f(x).shape + x.shape``, one backward pass per output element.
    """
    x = _leaf(x)
    out = f(x)
    jac = np.zeros(out.data.shape + x.data.shape, dtype=np.result_type(out.data, x.data))
    if not out.requires_grad:  # f does not depend on x
        return jac
    rows = jac.reshape(out.data.size, x.data.size)
    for i in range(out.data.size):
        seed = np.zeros(out.data.shape, dtype=out.data.dtype)
        seed.flat[i] = 1
        x.grad = None
        out.backward(seed)
        if x.grad is not None:
            rows[i] = x.grad.ravel()
    return jac


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
    size = out.data.size

    # Backward: row i of each input's Jacobian comes from seeding output element i with 1.
    analytic = {i: np.zeros((size, args[i].data.size)) for i in checked}
    if out.requires_grad:
        for row in range(size):
            seed = np.zeros(out.data.shape, dtype=out.data.dtype)
            seed.flat[row] = 1
            for i in checked:
                args[i].grad = None
            out.backward(seed)
            for i in checked:
                if args[i].grad is not None:
                    analytic[i][row] = args[i].grad.ravel()

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
