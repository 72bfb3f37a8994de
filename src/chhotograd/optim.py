"""Optimizers, with exactly PyTorch's update rules (``torch.optim.SGD`` and ``torch.optim.Adam``).

An optimizer updates ``p.data`` in place from ``p.grad``; it records no graph. Parameters whose
``grad`` is None are skipped, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from .engine import Tensor

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """Holds the parameters (an iterable of Tensors) and clears their gradients."""

    weight_decay = 0.0

    def __init__(self, params):
        name = type(self).__name__
        if isinstance(params, Tensor) or not isinstance(params, Iterable):
            if hasattr(params, "parameters"):
                hint = ": pass model.parameters(), not the model"
            elif callable(params):
                hint = ": call it, model.parameters() with its ()"
            else:
                hint = ": for one tensor x, pass [x]" if isinstance(params, Tensor) else ""
            raise TypeError(
                f"{name} takes an iterable of the tensors to update, such as model.parameters()"
                f", not a {type(params).__name__}{hint}"
            )
        self.params = list(params)
        if not self.params:
            raise ValueError(
                f"{name} got an empty list of parameters: give it the tensors to update, such "
                f"as model.parameters() of a model that has some"
            )
        for p in self.params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name} updates Tensors, but one of its parameters is of type "
                    f"{type(p).__name__}"
                )

    def zero_grad(self) -> None:
        """Set every parameter's ``grad`` to None (PyTorch's default, set_to_none=True)."""
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    def _gradients(self):
        """(index, parameter, g) for each parameter whose ``grad`` is not None, with
        g = grad + weight_decay·p (L2 weight decay adds weight_decay/2·|p|² to the loss)."""
        for i, p in enumerate(self.params):
            if p.grad is None:
                continue
            g = p.grad
            if self.weight_decay:
                g = g + self.weight_decay * p.data
            yield i, p, g


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum and L2 weight decay.

    g = grad + weight_decay·p;  b = g on the first step, else momentum·b + g;  p -= lr·b
    (p -= lr·g when momentum is 0).
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        _check("SGD", "learning rate", lr, _UPHILL)
        _check("SGD", "momentum", momentum)
        _check("SGD", "weight_decay", weight_decay)
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p, g in self._gradients():
            if self.momentum:
                if self.buffers[i] is None:
                    self.buffers[i] = g.copy()
                else:
                    self.buffers[i] *= self.momentum
                    self.buffers[i] += g
                g = self.buffers[i]
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), bias-corrected, with optional L2 weight decay, as torch.optim.Adam.

    g = grad + weight_decay·p;  m += (1-β1)(g - m);  v = β2·v + (1-β2)·g²;
    p -= lr/(1-β1ᵗ) · m / (sqrt(v)/sqrt(1-β2ᵗ) + eps)
    """

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ):
        _check("Adam", "learning rate", lr, _UPHILL)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair such as (0.9, 0.999), not {betas!r}")
        for i, beta in enumerate(betas):
            if not (_is_number(beta) and 0 <= beta < 1):
                raise ValueError(
                    f"Adam: invalid beta parameter at index {i}: {beta!r}: each beta must be in "
                    f"[0, 1) (with 1 the average never moves, and 1 - beta^t divides by zero)"
                )
        _check("Adam", "epsilon value", eps, " (it keeps the division away from zero)")
        _check("Adam", "weight_decay", weight_decay)
        super().__init__(params)
        self.lr, self.betas, self.eps, self.weight_decay = lr, betas, eps, weight_decay
        self.steps = [0] * len(self.params)
        self.m: list[np.ndarray | None] = [None] * len(self.params)
        self.v: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        beta1, beta2 = self.betas
        for i, p, g in self._gradients():
            if self.m[i] is None:
                self.m[i], self.v[i] = np.zeros_like(p.data), np.zeros_like(p.data)
            self.steps[i] += 1
            t, m, v = self.steps[i], self.m[i], self.v[i]
            m += (1 - beta1) * (g - m)  # running mean of gradients
            v *= beta2
            v += (1 - beta2) * (g * g)  # running mean of squared gradients
            # Both averages start at 0 and are biased towards it early on; divide that out.
            step_size = self.lr / (1 - beta1**t)
            denom = np.sqrt(v) / math.sqrt(1 - beta2**t) + self.eps
            p.data -= step_size * (m / denom)


_UPHILL = " (with a negative one, each step would climb the loss instead of descending)"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check(optimizer: str, name: str, value, why: str = "") -> None:
    """Refuse a hyperparameter that is not a number >= 0 (NaN too), as torch.optim does."""
    if not (_is_number(value) and value >= 0):
        why = why if _is_number(value) and value < 0 else ""
        raise ValueError(f"{optimizer}: invalid {name} {value!r}: it must be a number >= 0{why}")
