"""Optimizers, with exactly PyTorch's update rules (``torch.optim.SGD``, ``torch.optim.Adam`` and
``torch.optim.RMSprop``).

An optimizer updates ``p.data`` in place from ``p.grad``; it records no graph. Parameters whose
``grad`` is None are skipped, as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from .engine import Tensor

__all__ = ["SGD", "Adam", "RMSprop", "Optimizer"]


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
    """Stochastic gradient descent with optional momentum (plain or Nesterov's) and L2 weight
    decay, as torch.optim.SGD.

    g = grad + weight_decay·p;  b = g on the first step, else momentum·b + g;  p -= lr·b, or with
    nesterov=True p -= lr·(g + momentum·b) (p -= lr·g when momentum is 0).
    """

    def __init__(
        self,
        params,
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        _check("SGD", "learning rate", lr, _UPHILL)
        _check("SGD", "momentum", momentum)
        _check("SGD", "weight_decay", weight_decay)
        _check_flag("SGD", "nesterov", nesterov)
        if nesterov and not momentum > 0:
            raise ValueError(
                f"SGD: Nesterov momentum requires a momentum > 0, not {momentum!r} (its step looks "
                f"ahead along the momentum buffer; without one it would be plain SGD)"
            )
        super().__init__(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.nesterov = bool(nesterov)
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        for i, p, g in self._gradients():
            if self.momentum:
                if self.buffers[i] is None:
                    self.buffers[i] = g.copy()
                else:
                    self.buffers[i] *= self.momentum
                    self.buffers[i] += g
                # Nesterov: step with the gradient plus where the buffer is about to carry us.
                g = g + self.momentum * self.buffers[i] if self.nesterov else self.buffers[i]
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
        _check_eps("Adam", eps)
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


class RMSprop(Optimizer):
    """RMSprop (Hinton), with optional momentum, centering and L2 weight decay, as PyTorch's.

    g = grad + weight_decay·p;  v = α·v + (1-α)·g²;  d = sqrt(v) + eps (sqrt(v - ḡ²) + eps when
    centered, ḡ += (1-α)(g - ḡ));  p -= lr·g/d, or b = momentum·b + g/d and p -= lr·b
    """

    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        _check("RMSprop", "learning rate", lr, _UPHILL)
        if not (_is_number(alpha) and 0 <= alpha < 1):
            raise ValueError(
                f"RMSprop: invalid alpha {alpha!r}: it must be in [0, 1) (with 1 the average of "
                f"squared gradients never moves from 0)"
            )
        _check_eps("RMSprop", eps)
        _check("RMSprop", "weight_decay", weight_decay)
        _check("RMSprop", "momentum", momentum)
        _check_flag("RMSprop", "centered", centered)
        super().__init__(params)
        self.lr, self.alpha, self.eps = lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, bool(centered)
        self.square_avg: list[np.ndarray | None] = [None] * len(self.params)
        self.grad_avg: list[np.ndarray | None] = [None] * len(self.params)
        self.buffers: list[np.ndarray | None] = [None] * len(self.params)

    def step(self) -> None:
        alpha = self.alpha
        for i, p, g in self._gradients():
            if self.square_avg[i] is None:
                self.square_avg[i] = np.zeros_like(p.data)
                self.grad_avg[i] = np.zeros_like(p.data) if self.centered else None
                self.buffers[i] = np.zeros_like(p.data) if self.momentum else None
            v = self.square_avg[i]
            v *= alpha
            v += (1 - alpha) * (g * g)  # running mean of squared gradients
            if self.centered:  # subtract the squared running mean: a running variance
                self.grad_avg[i] += (1 - alpha) * (g - self.grad_avg[i])
                denom = np.sqrt(v - self.grad_avg[i] * self.grad_avg[i]) + self.eps
            else:
                denom = np.sqrt(v) + self.eps
            if self.momentum:
                self.buffers[i] *= self.momentum
                self.buffers[i] += g / denom
                p.data -= self.lr * self.buffers[i]
            else:
                p.data -= self.lr * (g / denom)


_UPHILL = " (with a negative one, each step would climb the loss instead of descending)"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _check(optimizer: str, name: str, value, why: str = "") -> None:
    """Refuse a hyperparameter that is not a number >= 0 (NaN too), as torch.optim does."""
    if not (_is_number(value) and value >= 0):
        why = why if _is_number(value) and value < 0 else ""
        raise ValueError(f"{optimizer}: invalid {name} {value!r}: it must be a number >= 0{why}")


def _check_eps(optimizer: str, eps) -> None:
    """Refuse an eps that is not a number > 0: Adam and RMSprop divide by sqrt(v) + eps, and v is
    0 wherever every gradient so far was 0 (stricter than PyTorch, which lets eps = 0 through)."""
    if not (_is_number(eps) and eps > 0):
        raise ValueError(
            f"{optimizer}: invalid epsilon value {eps!r}: it must be a number > 0 (it keeps the "
            f"division away from zero: with 0, an entry whose gradient is 0 becomes 0/0 = nan)"
        )


def _check_flag(optimizer: str, name: str, value) -> None:
    """Refuse a switch that is not True or False (a string such as "no" would read as true)."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{optimizer}: {name} must be True or False, not {value!r}")
