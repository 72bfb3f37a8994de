"""Layers and losses, as in ``torch.nn``.

A :class:`Module` finds its parameters by looking at its own attributes: every Tensor that
requires grad is a parameter, every Module a child. Names follow PyTorch ("0.weight" inside a
Sequential), so a PyTorch model's ``state_dict()`` loads into its chhotograd twin.

Layers: ``Linear``, ``Conv2d``, ``MaxPool2d``, ``Flatten``, ``Dropout`` (active only in training
mode: see ``Module.train`` and ``Module.eval``) and ``Sequential``; activations ``ReLU``,
``LeakyReLU``, ``GELU``, ``Tanh``, ``Sigmoid``; losses ``MSELoss`` and ``CrossEntropyLoss``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping

import numpy as np

from . import functional as F
from .engine import Tensor

__all__ = [
    "Conv2d",
    "CrossEntropyLoss",
    "Dropout",
    "Flatten",
    "GELU",
    "LeakyReLU",
    "Linear",
    "MSELoss",
    "MaxPool2d",
    "Module",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "manual_seed",
]

_rng = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Make the initial weights of layers created from now on reproducible."""
    global _rng
    _rng = np.random.default_rng(seed)


def _uniform(shape: tuple, bound: float, dtype) -> Tensor:
    return Tensor(_rng.uniform(-bound, bound, shape).astype(dtype), requires_grad=True)


class Module:
    """Base class of every layer and model: subclasses set attributes and define ``forward``."""

    training = True

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) for each direct sub-module: a Module attribute, or a Module inside a
        list or tuple attribute (named "layers.0", like PyTorch's ModuleList)."""
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, list | tuple):
                for i, item in enumerate(value):
                    if isinstance(item, Module):
                        yield f"{name}.{i}", item

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every parameter of this module and its children, each once
        (a parameter shared by two layers is listed under its first name)."""
        seen = set()
        for name, parameter in self._all_parameters(prefix):
            if id(parameter) not in seen:
                seen.add(id(parameter))
                yield name, parameter

    def _all_parameters(self, prefix: str) -> Iterator[tuple[str, Tensor]]:
        # Own parameters first, then each child's, depth first: PyTorch's order.
        for name, value in vars(self).items():
            if isinstance(value, Tensor) and value.requires_grad:
                yield prefix + name, value
        for name, child in self.named_children():
            yield from child._all_parameters(prefix + name + ".")

    def parameters(self) -> Iterator[Tensor]:
        for _, parameter in self.named_parameters():
            yield parameter

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to None."""
        for parameter in self.parameters():
            parameter.grad = None

    def train(self, mode: bool = True) -> Module:
        """Put this module and its children in training mode (or evaluation mode); returns self."""
        self.training = mode
        for _, child in self.named_children():
            child.train(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def double(self) -> Module:
        """Convert every parameter to float64 (for exact checks); returns self."""
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(np.float64)
        return self

    def float(self) -> Module:
        """Convert every parameter to float32; returns self."""
        for parameter in self.parameters():
            parameter.data = parameter.data.astype(np.float32)
        return self

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's values by name (a snapshot: training does not change it)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict) -> None:
        """Copy ``state`` (name -> array, Tensor, or PyTorch tensor) into the parameters.

        Names must match exactly and every shape must agree; nothing is changed otherwise.
        Values are written into the existing arrays, so an optimizer keeps working.
        """
        if not isinstance(state, Mapping):
            raise TypeError(
                f"load_state_dict takes a dict of name -> values, such as another model's "
                f"state_dict(), not a {type(state).__name__}"
            )
        params = dict(self.named_parameters())
        missing, unexpected = params.keys() - state.keys(), state.keys() - params.keys()
        if missing or unexpected:
            raise KeyError(
                f"state_dict does not match the model: missing {sorted(missing, key=str)}, "
                f"unexpected {sorted(unexpected, key=str)}"
            )
        # Check every value first, then write them all: a failure leaves the model as it was.
        values = {}
        for name, value in state.items():
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            target = params[name].data
            if value.shape != target.shape:
                raise ValueError(
                    f"{name}: the state has shape {value.shape}, but the model's parameter has "
                    f"shape {target.shape}"
                )
            if value.dtype.kind not in "fiub":
                raise TypeError(f"{name}: the state holds {value.dtype} values, not real numbers")
            if not target.flags.writeable:
                raise ValueError(
                    f"{name}: the model's parameter is a read-only array; give it an array of "
                    f"its own first (parameter.data = parameter.data.copy())"
                )
            values[name] = value
        for name, value in values.items():
            params[name].data[...] = value

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [
            f"  ({name}): {child!r}".replace("\n", "\n  ") for name, child in self.named_children()
        ]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ")" if not lines else head + "\n" + "\n".join(lines) + "\n)"


class Linear(Module):
    """y = x @ weight.T + bias: x (..., in_features) -> (..., out_features).

    Initialised like PyTorch: weight and bias uniform in ±1/sqrt(in_features).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype=np.float32):
        self.in_features, self.out_features = in_features, out_features
        bound = 1 / math.sqrt(in_features)
        self.weight = _uniform((out_features, in_features), bound, dtype)
        self.bias = _uniform((out_features,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Conv2d(Module):
    """2-D convolution on (N, C, H, W) input -> (N, out_channels, Ho, Wo); see F.conv2d.

    Initialised like PyTorch: uniform in ±1/sqrt(in_channels · kh · kw).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size,
        stride=1,
        padding=0,
        bias: bool = True,
        dtype=np.float32,
    ):
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"Conv2d: {name} must be a positive int, not {value!r}")
        kh, kw = F._checked_pair(kernel_size, "Conv2d", "kernel_size", 1)
        F._checked_pair(stride, "Conv2d", "stride", 1)
        F._checked_pair(padding, "Conv2d", "padding", 0)
        self.stride, self.padding = stride, padding
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, (kh, kw)
        bound = 1 / math.sqrt(in_channels * kh * kw)
        self.weight = _uniform((out_channels, in_channels, kh, kw), bound, dtype)
        self.bias = _uniform((out_channels,), bound, dtype) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )


class MaxPool2d(Module):
    """Largest value of each window: (N, C, H, W) -> (N, C, Ho, Wo); see F.max_pool2d."""

    def __init__(self, kernel_size, stride=None):
        self.kernel_size, self.stride = kernel_size, stride

    def forward(self, x: Tensor) -> Tensor:
        return F.max_pool2d(x, self.kernel_size, self.stride)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}"


class Sequential(Module):
    """Calls its modules in order; they are named "0", "1", ... as in PyTorch."""

    def __init__(self, *modules: Module):
        for i, module in enumerate(modules):
            setattr(self, str(i), module)

    def forward(self, x):
        for _, module in self.named_children():
            x = module(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return [module for _, module in self.named_children()][i]

    def __len__(self) -> int:
        return sum(1 for _ in self.named_children())


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Flatten(Module):
    """Merges axes start_dim..end_dim: (N, C, H, W) -> (N, C·H·W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return x.flatten(self.start_dim, self.end_dim)


class MSELoss(Module):
    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def forward(self, prediction: Tensor, target) -> Tensor:
        return F.mse_loss(prediction, target, self.reduction)


class CrossEntropyLoss(Module):
    def __init__(self, reduction: str = "mean"):
        self.reduction = reduction

    def forward(self, logits: Tensor, targets) -> Tensor:
        return F.cross_entropy(logits, targets, self.reduction)


# --------------------------------------------------------------------- more layers
class LeakyReLU(Module):
    """x where x > 0, else negative_slope · x; see F.leaky_relu."""

    def __init__(self, negative_slope: float = 0.01):
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class GELU(Module):
    """x · Φ(x), Φ the standard normal distribution function; see F.gelu."""

    def __init__(self, approximate: str = "none"):
        self.approximate = approximate

    def forward(self, x: Tensor) -> Tensor:
        return F.gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Dropout(Module):
    """In training mode, zeroes each value with probability ``p`` and scales the others by
    1/(1-p); after ``eval()`` it passes its input through unchanged. See F.dropout."""

    def __init__(self, p: float = 0.5):
        F._check_dropout_p(p)
        self.p = p

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
