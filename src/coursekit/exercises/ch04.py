"""Checks for chapter 4: PyTorch autograd, gradient accumulation and the training step.

Every expected value is computed here by another route than autograd: central differences for
exercise 1, the closed-form gradient of the squared loss (NumPy) for exercises 2 and 3.
"""

from __future__ import annotations

import numpy as np

from ..checks import call_answer, compare, fail, passed
from ..data import diabetes_xy
from ..lang import Messages

# Messages and case descriptions this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "call": "call {k} of {n} in a row: {detail}",
        "param": "{param} after the step: {detail}",
        "loss": "the returned loss: {detail}",
        "accumulating": (
            " The first call was right, so the gradients of an earlier call were probably added"
            " in: gradients accumulate until you clear them (p.grad = None or p.grad.zero_())."
        ),
        "fresh_leaf": (
            " The first call was right, so the gradients of an earlier call were probably added"
            " in: make a fresh tensor with requires_grad=True on every call."
        ),
        "branch": "a branch on the sign of x.sum(), x0=[{x0}]",
        "loop": "a loop that grows x until its norm reaches 10, x0=[{x0}]",
        "diabetes": "the diabetes data, batch_size={batch_size}",
        "small": "10 samples, batch_size={batch_size}",
        "linear": "nn.Linear(3, 1) on the diabetes data, lr={lr}",
    },
    "bn": {
        "call": "পরপর {n}টি কলের {k} নম্বরটিতে: {detail}",
        "param": "ধাপের পরে {param}: {detail}",
        "loss": "ফেরত দেওয়া লস: {detail}",
        "accumulating": (
            " প্রথম কলটি ঠিক ছিল, তাই সম্ভবত আগের কলের গ্রেডিয়েন্টও যোগ হয়ে গেছে: মুছে না"
            " ফেলা পর্যন্ত গ্রেডিয়েন্ট জমতে থাকে (p.grad = None বা p.grad.zero_())।"
        ),
        "fresh_leaf": (
            " প্রথম কলটি ঠিক ছিল, তাই সম্ভবত আগের কলের গ্রেডিয়েন্টও যোগ হয়ে গেছে: প্রতিটি কলে"
            " requires_grad=True দিয়ে নতুন একটি টেনসর তৈরি করুন।"
        ),
        "branch": "x.sum()-এর চিহ্ন অনুযায়ী শাখা, x0=[{x0}]",
        "loop": "যে লুপ x-কে বাড়ায় যতক্ষণ না তার নর্ম 10 ছোঁয়, x0=[{x0}]",
        "diabetes": "ডায়াবেটিস ডেটা, batch_size={batch_size}",
        "small": "১০টি স্যাম্পল, batch_size={batch_size}",
        "linear": "ডায়াবেটিস ডেটায় nn.Linear(3, 1), lr={lr}",
    },
}


_text = Messages(_MESSAGES)


# Exercise 1 ------------------------------------------------------------------------------------


def _central_difference(f, x0: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    import torch

    grad = np.zeros_like(x0)
    for i in range(len(x0)):
        step = np.zeros_like(x0)
        step[i] = eps
        with torch.no_grad():
            up = float(f(torch.tensor(x0 + step, dtype=torch.float64)))
            down = float(f(torch.tensor(x0 - step, dtype=torch.float64)))
        grad[i] = (up - down) / (2 * eps)
    return grad


def _test_functions(lang: str):
    import torch

    def cubes(x):
        return (x**3).sum()

    def mixed(x):
        return torch.sin(x[0]) * x[1] + torch.exp(x[2]) * x[0]

    def branch(x):
        # A different graph for each sign of the sum, as in section 4.3.
        if x.sum() > 0:
            return (x**2).sum()
        return -x.prod()

    def loop(x):
        # The graph's length depends on the input.
        y = x
        while y.norm() < 10:
            y = y * 1.5
        return (y * y).sum()

    return [
        ("sum(x**3), x0=[1, -2, 0.5]", cubes, np.array([1.0, -2.0, 0.5])),
        ("sin(x0)*x1 + exp(x2)*x0, x0=[0.3, -1.2, 0.7]", mixed, np.array([0.3, -1.2, 0.7])),
        (_text(lang, "branch", x0="1, 2"), branch, np.array([1.0, 2.0])),
        (_text(lang, "branch", x0="-1, -2"), branch, np.array([-1.0, -2.0])),
        (_text(lang, "loop", x0="0.5, -1, 2"), loop, np.array([0.5, -1.0, 2.0])),
    ]


def check_autograd_gradient(fn, lang: str = "en") -> None:
    """Exercise 1: fn(f, x0) returns the gradient of the scalar function f at x0 (shape [d]).

    Each case is called twice in a row; the second answer must equal the first, so an answer that
    lets gradients accumulate between calls fails with a hint.
    """
    name = "autograd_gradient"
    for case, f, x0 in _test_functions(lang):
        expected = _central_difference(f, x0)
        for k in (1, 2):
            got = call_answer(
                fn, (f, x0.copy()), name=name, lang=lang, case=case, read_only={1: "x0"}
            )
            problem = compare(got, expected, lang=lang, rtol=1e-4, atol=1e-6)
            if problem is not None:
                if k == 2:
                    problem = _text(lang, "call", k=2, n=2, detail=problem)
                    problem += _text(lang, "fresh_leaf")
                fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 2 ------------------------------------------------------------------------------------


def full_batch_gradient(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Gradient of mean((y - X w)**2) with respect to w: -2/P Xᵀ(y - X w), shape [d]."""
    return -2.0 / len(y) * X.T @ (y - X @ w)


def check_accumulated_gradient(fn, lang: str = "en") -> None:
    """Exercise 2: fn(w, X, y, batch_size) returns the gradient of the average squared loss over
    all samples (accumulated over mini-batches of consecutive rows)."""
    name = "accumulated_gradient"
    X, y = diabetes_xy(("bmi", "bp", "s5"))
    rng = np.random.default_rng(4)
    X_small = rng.normal(size=(10, 2))
    y_small = X_small @ np.array([1.0, -2.0]) + 0.3 * rng.normal(size=10)
    w = np.array([0.5, -0.2, 0.1])
    cases = [
        (_text(lang, "diabetes", batch_size=442), (w, X, y, 442)),
        (_text(lang, "diabetes", batch_size=100), (w, X, y, 100)),
        (_text(lang, "diabetes", batch_size=1), (w, X, y, 1)),
        (_text(lang, "small", batch_size=4), (np.array([0.2, 0.4]), X_small, y_small, 4)),
    ]
    for case, args in cases:
        got = call_answer(
            fn, (args[0].copy(), *args[1:]), name=name, lang=lang, case=case, read_only={0: "w"}
        )
        problem = compare(
            got,
            full_batch_gradient(args[0], args[1], args[2]),
            lang=lang,
            rtol=1e-5,
            atol=1e-8,
        )
        if problem is not None:
            fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 3 ------------------------------------------------------------------------------------


def _sgd_step_numpy(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float):
    """One gradient-descent step on mean((X Wᵀ + b - y)**2); returns (W, b, loss before)."""
    residual = X @ W.T + b - y  # [P, 1]
    loss = float(np.mean(residual**2))
    grad_W = 2.0 / len(y) * residual.T @ X
    grad_b = 2.0 / len(y) * residual.sum(axis=0)
    return W - lr * grad_W, b - lr * grad_b, loss


def check_manual_sgd_step(fn, lang: str = "en") -> None:
    """Exercise 3: fn(model, X, y, lr) does one gradient-descent step on the average squared
    loss of an nn.Linear, in place, and returns the loss before the step. Three calls in a row."""
    import torch

    name = "manual_sgd_step"
    X_np, y_np = diabetes_xy(("bmi", "bp", "s5"))
    y_np = y_np.reshape(-1, 1)
    X = torch.tensor(X_np, dtype=torch.float64)
    y = torch.tensor(y_np, dtype=torch.float64)
    W = np.array([[0.8, -0.6, 0.3]])
    b = np.array([0.2])
    model = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(W))
        model.bias.copy_(torch.tensor(b))
    lr, calls = 0.1, 3
    case = _text(lang, "linear", lr=lr)

    for k in range(1, calls + 1):
        W, b, loss = _sgd_step_numpy(W, b, X_np, y_np, lr)
        got_loss = call_answer(fn, (model, X, y, lr), name=name, lang=lang, case=case)
        problems = []
        for param, expected in (("model.weight", W), ("model.bias", b)):
            problem = compare(
                getattr(model, param.split(".")[1]),
                expected,
                lang=lang,
                rtol=1e-7,
                atol=1e-9,
            )
            if problem is not None:
                problems.append(_text(lang, "param", param=param, detail=problem))
        if isinstance(got_loss, np.ndarray | torch.Tensor) and np.prod(got_loss.shape) == 1:
            got_loss = got_loss.reshape(())  # a one-element tensor is a number too
        problem = compare(got_loss, loss, lang=lang, rtol=1e-7, atol=1e-9)
        if problem is not None:
            problems.append(_text(lang, "loss", detail=problem))
        if problems:
            detail = _text(lang, "call", k=k, n=calls, detail=problems[0])
            if k > 1:
                detail += _text(lang, "accumulating")
            fail(lang, name, detail, case=case)
    passed(lang, name)
