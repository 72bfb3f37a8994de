"""Checks for chapter 2: the chain rule and backpropagation through a network.

Every expected answer is computed here by central differences of a loss the checker defines
itself, so any correct answer passes (simplified or not, tuple or list, any algebraic form).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..checks import call_answer, compare, fail, message, passed, read_answer, unpack
from ..lang import Messages

# The descriptions of this chapter's cases; the messages live in coursekit.checks.
_text = Messages(
    {
        "en": {
            "random_20": "20 random s in [-4, 4], y in [0, 1]",
            "shape_3x2": "s and y of shape (3, 2)",
        },
        "bn": {
            "random_20": "[-4, 4]-এর মধ্যে ২০টি এলোমেলো s, [0, 1]-এর মধ্যে y",
            "shape_3x2": "(3, 2) আকৃতির s আর y",
        },
    }
)


def _central(f: Callable[[np.ndarray], float], a: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Gradient of the scalar function f at the array a by central differences."""
    a = np.asarray(a, dtype=np.float64)
    grad = np.zeros_like(a)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = eps
        grad[index] = (f(a + step) - f(a - step)) / (2 * eps)
    return grad


def _compare_parts(
    parts: list,
    expected: Sequence[np.ndarray],
    names: Sequence[str],
    *,
    name: str,
    lang: str,
    case: str,
    rtol: float,
    atol: float,
) -> None:
    for part, want, part_name in zip(parts, expected, names, strict=True):
        want = np.asarray(want, dtype=np.float64)
        if want.ndim == 0:
            # A number may come back as a float, a 0-d array or a one-element array.
            arr, problem = read_answer(part, lang=lang)
            if problem is None and arr.size == 1:
                part = arr.reshape(())
        problem = compare(part, want, lang=lang, rtol=rtol, atol=atol)
        if problem is not None:
            fail(lang, name, message(lang, "part", part=part_name, detail=problem), case=case)


# Exercise 1 ------------------------------------------------------------------------------


def _logistic_loss(s: np.ndarray, y: np.ndarray) -> float:
    """Sum over entries of -[y log σ(s) + (1 - y) log(1 - σ(s))], written stably."""
    return float(np.sum(np.logaddexp(0.0, -s) * y + np.logaddexp(0.0, s) * (1 - y)))


def check_logistic_grad(fn, lang: str = "en") -> None:
    """Exercise 1: fn(s, y) returns dC/ds entry by entry for the logistic loss of sigmoid(s)."""
    name = "logistic_grad"
    rng = np.random.default_rng(202)
    cases = [
        ("s = [0.0], y = [1.0]", np.array([0.0]), np.array([1.0])),
        (
            "s = [-2, -0.5, 1, 3], y = [0, 1, 0.3, 1]",
            np.array([-2.0, -0.5, 1.0, 3.0]),
            np.array([0.0, 1.0, 0.3, 1.0]),
        ),
        (_text(lang, "random_20"), rng.uniform(-4, 4, size=20), rng.uniform(0, 1, 20)),
        (
            _text(lang, "shape_3x2"),
            rng.uniform(-3, 3, size=(3, 2)),
            rng.integers(0, 2, (3, 2)) * 1.0,
        ),
    ]
    for case, s, y in cases:
        expected = _central(lambda t, y=y: _logistic_loss(t, y), s)
        got = call_answer(fn, (s.copy(), y.copy()), name=name, lang=lang, case=case)
        problem = compare(got, expected, lang=lang, rtol=1e-5, atol=1e-7)
        if problem is not None:
            fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 2 ------------------------------------------------------------------------------


def check_linear_backward(fn, lang: str = "en") -> None:
    """Exercise 2: fn(W, z, grad_s) returns (dC/dW, dC/dz) for s = W z, given dC/ds."""
    name = "linear_backward"
    names = ("grad_W", "grad_z")
    rng = np.random.default_rng(2)
    for m, n in [(3, 4), (4, 4), (1, 5), (6, 2)]:
        W = rng.normal(size=(m, n))
        z = rng.normal(size=n)
        a = rng.normal(size=m)

        # The checker's own "rest of the network": C(s) = Σ a[i] tanh(s[i]).
        def cost(W, z, a=a):
            return float(a @ np.tanh(W @ z))

        grad_s = a * (1 - np.tanh(W @ z) ** 2)
        expected = (_central(lambda V, z=z: cost(V, z), W), _central(lambda v, W=W: cost(W, v), z))
        case = f"W {m}×{n}"
        got = call_answer(fn, (W.copy(), z.copy(), grad_s.copy()), name=name, lang=lang, case=case)
        parts = unpack(got, names, name=name, lang=lang, case=case)
        _compare_parts(
            parts, expected, names, name=name, lang=lang, case=case, rtol=1e-5, atol=1e-8
        )
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------


def _two_layer_loss(W1, b1, w2, b2, X, y) -> float:
    y_hat = np.tanh(X @ W1.T + b1) @ w2 + b2
    return float(np.mean((y_hat - y) ** 2))


def _two_layer_central(W1, b1, w2, b2, X, y) -> tuple[np.ndarray, ...]:
    """The four gradients of _two_layer_loss by central differences."""
    return (
        _central(lambda V: _two_layer_loss(V, b1, w2, b2, X, y), W1),
        _central(lambda v: _two_layer_loss(W1, v, w2, b2, X, y), b1),
        _central(lambda v: _two_layer_loss(W1, b1, v, b2, X, y), w2),
        _central(lambda v: _two_layer_loss(W1, b1, w2, float(v), X, y), np.array(b2)),
    )


def check_two_layer_gradients(fn, lang: str = "en") -> None:
    """Exercise 3: fn(W1, b1, w2, b2, X, y) returns the gradients (W1, b1, w2, b2) of
    mean((tanh(X W1ᵀ + b1) w2 + b2 - y)**2)."""
    name = "two_layer_gradients"
    names = ("grad_W1", "grad_b1", "grad_w2", "grad_b2")
    rng = np.random.default_rng(22)
    for P, d, H in [(1, 2, 3), (7, 3, 4), (40, 5, 6)]:
        X = rng.normal(size=(P, d))
        y = rng.normal(size=P)
        W1 = rng.normal(size=(H, d)) / np.sqrt(d)
        b1 = rng.normal(size=H) * 0.5
        w2 = rng.normal(size=H)
        b2 = float(rng.normal())
        expected = _two_layer_central(W1, b1, w2, b2, X, y)
        case = f"P={P}, d={d}, H={H}"
        args = (W1.copy(), b1.copy(), w2.copy(), b2, X.copy(), y.copy())
        got = call_answer(fn, args, name=name, lang=lang, case=case)
        parts = unpack(got, names, name=name, lang=lang, case=case)
        _compare_parts(
            parts, expected, names, name=name, lang=lang, case=case, rtol=1e-5, atol=1e-8
        )
    passed(lang, name)
