"""Checks for chapter 1: loss, gradient descent and SGD on the diabetes data."""

from __future__ import annotations

import numpy as np

from ..checks import (
    call_answer,
    check_function,
    check_value,
    compare,
    fail,
    passed,
    read_answer,
    shape_problem,
)
from ..data import diabetes_xy


def _avg_loss(w: float, b: float, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((y - (w * x + b)) ** 2))


def _central_gradient(w: float, b: float, x: np.ndarray, y: np.ndarray, eps: float = 1e-6):
    dw = (_avg_loss(w + eps, b, x, y) - _avg_loss(w - eps, b, x, y)) / (2 * eps)
    db = (_avg_loss(w, b + eps, x, y) - _avg_loss(w, b - eps, x, y)) / (2 * eps)
    return np.array([dw, db])


def check_mse_gradient(fn, lang: str = "en") -> None:
    """Exercise 1: fn(w, b, x, y) returns (dL/dw, dL/db) of mean((y - (w*x + b))**2)."""
    rng = np.random.default_rng(2024)
    cases = []
    for n, w, b in [(5, 0.5, -1.0), (40, -2.0, 0.3), (442, 0.0, 0.0)]:
        x = rng.normal(size=n)
        y = 1.5 * x - 0.7 + 0.1 * rng.normal(size=n)
        cases.append((f"w={w}, b={b}, len(x)={n}", (w, b, x, y), _central_gradient(w, b, x, y)))
    check_function(fn, cases, name="mse_gradient", lang=lang, rtol=1e-5, atol=1e-7)


def stable_step_limit(X: np.ndarray) -> float:
    """2 / largest eigenvalue of the Hessian (2/N) XᵀX of the average squared loss."""
    hessian = 2.0 * X.T @ X / X.shape[0]
    return float(2.0 / np.linalg.eigvalsh(hessian).max())


def check_max_step(eta_max, lang: str = "en") -> None:
    """Exercise 2: the largest stable learning rate for features (bmi, bp, s5), within 1%."""
    X, _ = diabetes_xy(("bmi", "bp", "s5"))
    check_value(eta_max, stable_step_limit(X), name="eta_max", lang=lang, rtol=0.01, atol=0.0)


def check_sgd_decay(fn, lang: str = "en") -> None:
    """Exercise 3: fn(X, y, w0, lr0, tau, batch_size, epochs, seed) -> final weights, where step t
    (counted from 0 over the whole run) uses the learning rate lr0 / (1 + t / tau)."""
    name = "sgd_decay"
    X, y = diabetes_xy(("bmi", "bp"))
    n = X.shape[0]
    w0 = np.array([0.8, -0.6])

    def loss(w):
        return float(np.mean((y - X @ w) ** 2))

    def run_case(case, args, expected=None, loss_target=None):
        got = call_answer(fn, args, name=name, lang=lang, case=case, read_only={2: "w0"})
        problem = shape_problem(got, w0.shape, lang=lang)
        if problem is None and expected is not None:
            problem = compare(got, expected, lang=lang, rtol=1e-8, atol=1e-10)
        if problem is None and loss_target is not None:
            w = read_answer(got, lang=lang)[0]
            problem = compare(loss(w), loss_target, lang=lang, rtol=0.01, atol=0.0)
        if problem is not None:
            fail(lang, name, problem, case=case)

    # 1) A zero learning rate must leave the weights where they started.
    run_case("lr0=0", (X, y, w0.copy(), 0.0, 10.0, 16, 2, 0), expected=w0)

    # 2) One batch holding every sample: gradient descent with the decaying step, which does not
    #    depend on how the samples are shuffled.
    w = w0.copy()
    for t in range(5):
        w = w - 0.1 / (1 + t / 2.0) * (-2.0 / n) * X.T @ (y - X @ w)
    run_case(
        f"batch_size={n}, epochs=5, lr0=0.1, tau=2",
        (X, y, w0.copy(), 0.1, 2.0, n, 5, 0),
        expected=w,
    )

    # 3) Single-sample steps must settle within 1% of the least-squares optimum's loss.
    w_best = np.linalg.lstsq(X, y, rcond=None)[0]
    run_case(
        "batch_size=1, epochs=10, lr0=0.05, tau=200",
        (X, y, w0.copy(), 0.05, 200.0, 1, 10, 0),
        loss_target=loss(w_best),
    )
    passed(lang, name)
