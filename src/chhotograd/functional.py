"""Neural-network operations, as in ``torch.nn.functional``.

Each operation here (linear, softmax, cross entropy, convolution, pooling) is one node in the
graph with a hand-written backward rule: shorter graphs, and the classic formulas ("softmax minus
one-hot") where students can see them. The same holds for the activations ``leaky_relu`` and
``gelu`` and for ``dropout``. The calculus tools (``jacobian``, ``vjp``,
``gradcheck``) live in :mod:`chhotograd.calculus`.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .engine import Tensor, _from_op

__all__ = [
    "conv2d",
    "cross_entropy",
    "dropout",
    "gelu",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
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
        hint = ""
        if t.dtype.kind in "fb" and t.shape == logits.data.shape[:1]:
            hint = ": targets are class indices; make them integers with .astype(np.int64)"
        raise ValueError(
            f"cross_entropy expects logits of shape (N, C) and N integer targets; got logits "
            f"{logits.data.shape} and targets {t.shape} of dtype {t.dtype}{hint}"
        )
    n, classes = logits.data.shape
    if n and (t.min() < 0 or t.max() >= classes):
        row = int(np.flatnonzero((t < 0) | (t >= classes))[0])
        raise IndexError(
            f"cross_entropy: target {t[row]} (row {row}) is out of bounds for {classes} classes: "
            f"each target must be a class index from 0 to {classes - 1}"
            + (" (-1 does not mean the last class here)" if t[row] == -1 else "")
        )
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
    """Mean (or ``"sum"``, or ``"none"``: elementwise) of (prediction - target)².

    ``prediction`` and ``target`` must have the same shape. PyTorch only warns when they differ:
    broadcasting then pairs every prediction with every target (shapes (N, 1) and (N,) give
    N·N squared differences), a silent mistake. Here it is an error, so that it cannot pass.
    """
    _check_same_shape(np.shape(prediction), np.shape(target))
    diff = prediction - target
    return _reduce(diff * diff, reduction)


def _check_same_shape(prediction: tuple, target: tuple) -> None:
    """Refuse a prediction and a target of different shapes, saying how to make them match."""
    if prediction == target:
        return
    message = (
        f"mse_loss: the prediction has shape {prediction} but the target has shape {target}; "
        f"they must be equal"
    )
    if target == ():
        raise ValueError(f"{message}. For one target value v, pass np.full({prediction}, v)")
    try:
        both = np.broadcast_shapes(prediction, target)
        message += (
            f" (broadcasting would spread them to shape {both} and compare every prediction "
            f"with every target)"
        )
    except ValueError:
        pass
    sizes = math.prod(prediction), math.prod(target)
    if sizes[0] != sizes[1]:
        raise ValueError(
            f"{message}. They even hold different numbers of values ({sizes[0]} and "
            f"{sizes[1]}): check that both come from the same batch"
        )
    raise ValueError(
        f"{message}. Reshape one to the other's shape: prediction.reshape{target} or "
        f"target.reshape{prediction}"
    )


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


def _checked_pair(value, op: str, name: str, least: int) -> tuple[int, int]:
    """``value`` (an int, or a pair of ints for height and width) as a pair, refusing anything
    else and any size below ``least``: a negative stride would read the image backwards."""
    pair = (value, value) if isinstance(value, int | np.integer) else value
    whole = isinstance(pair, tuple | list) and len(pair) == 2
    whole = whole and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pair)
    if not whole or min(pair) < least:
        kind = "a positive" if least == 1 else "a non-negative"
        raise ValueError(
            f"{op}: {name} must be {kind} int or a pair of them (height, width), not {value!r}"
        )
    return int(pair[0]), int(pair[1])


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
    sh, sw = _checked_pair(stride, "conv2d", "stride", 1)
    ph, pw = _checked_pair(padding, "conv2d", "padding", 0)
    if x.data.ndim != 4 or weight.data.ndim != 4 or x.data.shape[1] != weight.data.shape[1]:
        raise ValueError(
            f"conv2d expects input (N, C, H, W) and weight (O, C, kh, kw) with the same C; got "
            f"input {x.data.shape} and weight {weight.data.shape}"
        )
    n, c, h, w = x.data.shape
    o, _, kh, kw = weight.data.shape
    if kh > h + 2 * ph or kw > w + 2 * pw:
        raise ValueError(
            f"conv2d: the kernel {(kh, kw)} is larger than the input {(h, w)} with padding "
            f"{(ph, pw)}, which is {(h + 2 * ph, w + 2 * pw)}: use a smaller kernel, more "
            f"padding, or a larger input"
        )
    if bias is not None and bias.data.shape != (o,):
        raise ValueError(
            f"conv2d: the bias must have one value per output channel, shape {(o,)}, "
            f"not {bias.data.shape}"
        )
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
    kh, kw = _checked_pair(kernel_size, "max_pool2d", "kernel_size", 1)
    sh, sw = (kh, kw) if stride is None else _checked_pair(stride, "max_pool2d", "stride", 1)
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


# --------------------------------------------------------------------- more activations, dropout
def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x where x > 0, else negative_slope · x (as ``torch.nn.functional.leaky_relu``): a ReLU
    whose negative side keeps a small slope, so that a unit never stops learning for good."""
    data = np.where(x.data > 0, x.data, negative_slope * x.data)

    def backward(g):
        # Slope 1 where x > 0, else negative_slope (at 0 too, as in PyTorch).
        return (g * np.where(x.data > 0, 1, negative_slope).astype(data.dtype),)

    return _from_op(data, (x,), backward, "leaky_relu")


# NumPy has no erf; math.erf, one element at a time, is exact and fast enough for this course.
_erf = np.vectorize(math.erf, otypes=[np.float64])


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x · Φ(x), with Φ the standard normal distribution function (as
    ``torch.nn.functional.gelu``): Φ(x) = (1 + erf(x/√2)) / 2, or with ``approximate="tanh"``
    the faster (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu(): approximate must be 'none' or 'tanh', not {approximate!r}")
    v = x.data.astype(np.float64)
    if approximate == "none":
        cdf = (1 + _erf(v / math.sqrt(2))) / 2
    else:
        k = math.sqrt(2 / math.pi)
        t = np.tanh(k * (v + 0.044715 * v**3))
        cdf = (1 + t) / 2
    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.float32

    def backward(g):
        # (x Φ(x))' = Φ(x) + x Φ'(x); the exact Φ' is the normal density φ(x).
        if approximate == "none":
            slope = cdf + v * np.exp(-v * v / 2) / math.sqrt(2 * math.pi)
        else:
            slope = cdf + v * (1 - t * t) / 2 * k * (1 + 3 * 0.044715 * v * v)
        return (g * slope.astype(dtype),)

    return _from_op((v * cdf).astype(dtype), (x,), backward, "gelu")


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """While training, set each value to 0 with probability ``p`` and multiply the others by
    1/(1-p), so that every value keeps its expected size (as ``torch.nn.functional.dropout``).
    Otherwise return ``x`` itself. The draws come from the generator that
    :func:`chhotograd.manual_seed` seeds."""
    _check_dropout_p(p)
    if not training or p == 0:
        return x
    from . import nn  # here, not at the top: nn imports this module

    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.float32
    keep = ((nn._rng.random(x.data.shape) >= p) / (1 - p)).astype(dtype)

    def backward(g):
        return (g * keep,)  # a dropped value had no effect; a kept one was scaled

    return _from_op(x.data * keep, (x,), backward, "dropout")


def _check_dropout_p(p) -> None:
    """Refuse a dropout probability outside [0, 1) (checked by dropout and nn.Dropout)."""
    number = isinstance(p, int | float | np.number) and not isinstance(p, bool)
    if not (number and 0 <= p < 1):
        why = " (p = 1 would drop every value: nothing to learn from)" if number and p == 1 else ""
        raise ValueError(
            f"dropout probability p must be a number in [0, 1), the share of values set to "
            f"zero; got {p!r}{why}"
        )
