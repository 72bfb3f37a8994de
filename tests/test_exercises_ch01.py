"""Chapter 1's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit.checks import AnswerStub, CheckFailed, message, stub, success, unanswered
from coursekit.data import diabetes_xy
from coursekit.exercises import ch01


def good_gradient(w, b, x, y):
    r = y - (w * x + b)
    return -2 * np.mean(r * x), -2 * np.mean(r)


def good_gradient_other_form(w, b, x, y):
    # Expanded algebra, returned as an array: a different but equivalent answer.
    n = len(x)
    dw = 2 * (w * x @ x + b * x.sum() - x @ y) / n
    db = 2 * (w * x.sum() + b * n - y.sum()) / n
    return np.array([dw, db])


def sum_not_mean_gradient(w, b, x, y):
    r = y - (w * x + b)
    return -2 * np.sum(r * x), -2 * np.sum(r)


def sgd_decay(X, y, w0, lr0, tau, batch_size, epochs, seed=0):
    rng = np.random.default_rng(seed)
    w, t = w0.copy(), 0
    for _ in range(epochs):
        order = rng.permutation(len(y))
        for start in range(0, len(y), batch_size):
            b = order[start : start + batch_size]
            w = w - lr0 / (1 + t / tau) * (-2 / len(b)) * X[b].T @ (y[b] - X[b] @ w)
            t += 1
    return w


def sgd_constant(X, y, w0, lr0, tau, batch_size, epochs, seed=0):
    return sgd_decay(X, y, w0, lr0, np.inf, batch_size, epochs, seed)


def sgd_in_place(X, y, w0, lr0, tau, batch_size, epochs, seed=0):
    w0 -= 0.0 * w0  # touches w0 in place without changing its values
    w0[0] += 1.0
    return sgd_decay(X, y, w0.copy(), lr0, tau, batch_size, epochs, seed)


@pytest.mark.parametrize("answer", [good_gradient, good_gradient_other_form])
def test_gradient_check_accepts_equivalent_answers(answer, capsys):
    ch01.check_mse_gradient(answer, lang="en")
    assert success("en", "mse_gradient") in capsys.readouterr().out


def test_gradient_check_names_the_wrong_entry_in_bengali():
    with pytest.raises(CheckFailed, match="ইনডেক্স 0-এ মান ভুল"):
        ch01.check_mse_gradient(sum_not_mean_gradient, lang="bn")


def test_gradient_check_reports_a_stub():
    def not_yet(w, b, x, y):
        stub("en")

    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch01.check_mse_gradient(not_yet, lang="en")


def test_gradient_check_reports_wrong_length():
    with pytest.raises(CheckFailed, match="expected 2 values, got 3"):
        ch01.check_mse_gradient(lambda w, b, x, y: (0.0, 0.0, 0.0), lang="en")


def test_step_limit_accepts_an_experimental_answer(capsys):
    X3, y3 = diabetes_xy(("bmi", "bp", "s5"))

    def diverges(lr):
        w = np.zeros(3)
        with np.errstate(over="ignore", invalid="ignore"):  # too large a step overflows
            for _ in range(3000):
                w = w - lr * (-2 / len(y3)) * X3.T @ (y3 - X3 @ w)
        return not np.all(np.isfinite(w)) or np.abs(w).max() > 1e6

    lo, hi = 0.1, 2.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if diverges(mid) else (mid, hi)
    ch01.check_max_step(lo, lang="en")
    assert success("en", "eta_max") in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [1.0, 0.274, "0.55", None, np.array([0.55, 0.55])])
def test_step_limit_rejects_wrong_answers(wrong):
    with pytest.raises(CheckFailed):
        ch01.check_max_step(wrong, lang="en")


def test_sgd_decay_check(capsys):
    ch01.check_sgd_decay(sgd_decay, lang="bn")
    assert success("bn", "sgd_decay") in capsys.readouterr().out
    with pytest.raises(CheckFailed, match="«batch_size=442, epochs=5"):
        ch01.check_sgd_decay(sgd_constant, lang="en")
    with pytest.raises(CheckFailed, match="in place"):
        ch01.check_sgd_decay(sgd_in_place, lang="en")


def test_check_failure_renders_without_a_traceback():
    err = CheckFailed("✘ x: wrong")
    assert err._render_traceback_() == ["✘ x: wrong"]
    with pytest.raises(AnswerStub, match=re.escape(message("bn", "write_here"))):
        stub("bn")


def test_checks_accept_torch_tensors_that_require_grad(capsys):
    import torch

    from coursekit.checks import check_value

    check_value(torch.tensor([1.0, 2.0], requires_grad=True) * 1, [1.0, 2.0], name="t", lang="en")
    assert success("en", "t") in capsys.readouterr().out
