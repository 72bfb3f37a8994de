"""Chapter 4's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch04

# Exercise 1: autograd_gradient(f, x0) ------------------------------------------------------------


def gradient_by_backward(f, x0):
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    f(x).backward()
    return x.grad


def gradient_by_autograd_grad(f, x0):
    # torch.autograd.grad instead of backward(), float32 instead of float64, a NumPy result.
    x = torch.from_numpy(np.asarray(x0, dtype=np.float32)).requires_grad_()
    (grad,) = torch.autograd.grad(f(x.double()), x)
    return grad.numpy()


_cached_leaf: dict[int, torch.Tensor] = {}


def gradient_with_a_reused_leaf(f, x0):
    # Keeps one leaf per point and never clears its .grad: the gradients accumulate.
    key = hash(np.asarray(x0).tobytes())
    if key not in _cached_leaf:
        _cached_leaf[key] = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    x = _cached_leaf[key]
    f(x).backward()
    return x.grad.clone()


def value_instead_of_gradient(f, x0):
    return np.full(len(x0), float(f(torch.tensor(x0))))


@pytest.mark.parametrize("answer", [gradient_by_backward, gradient_by_autograd_grad])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_gradient_check_accepts_equivalent_answers(answer, lang, capsys):
    ch04.check_autograd_gradient(answer, lang=lang)
    assert success(lang, "autograd_gradient") in capsys.readouterr().out


@pytest.mark.parametrize(
    "lang, hint", [("en", "make a fresh tensor"), ("bn", "নতুন একটি টেনসর তৈরি করুন")]
)
def test_gradient_check_explains_accumulated_gradients(lang, hint):
    _cached_leaf.clear()
    with pytest.raises(CheckFailed, match=hint):
        ch04.check_autograd_gradient(gradient_with_a_reused_leaf, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "wrong value at index"), ("bn", "মান ভুল")])
def test_gradient_check_rejects_a_wrong_value(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch04.check_autograd_gradient(value_instead_of_gradient, lang=lang)


def test_gradient_check_rejects_a_modified_input():
    def modifies_x0(f, x0):
        x0 += 0.0  # in place, though the values stay
        x0[0] = 99.0
        return gradient_by_backward(f, x0)

    with pytest.raises(CheckFailed, match="changed its input x0"):
        ch04.check_autograd_gradient(modifies_x0, lang="en")


def test_gradient_check_rejects_a_wrong_shape():
    with pytest.raises(CheckFailed, match="expected 3 values, got 1"):
        ch04.check_autograd_gradient(lambda f, x0: torch.zeros(1), lang="en")


# Exercise 2: accumulated_gradient(w, X, y, batch_size) -------------------------------------------


def accumulated_by_backward(w, X, y, batch_size):
    w = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    for start in range(0, len(y), batch_size):
        Xb, yb = X[start : start + batch_size], y[start : start + batch_size]
        (((yb - Xb @ w) ** 2).sum() / len(y)).backward()
    return w.grad


def accumulated_by_weighted_means(w, X, y, batch_size):
    # Each batch's mean loss weighted by its share of the samples, with nn.MSELoss.
    w = torch.tensor(w, requires_grad=True)
    loss_fn = torch.nn.MSELoss()
    for start in range(0, len(y), batch_size):
        Xb = torch.tensor(X[start : start + batch_size])
        yb = torch.tensor(y[start : start + batch_size])
        (loss_fn(Xb @ w, yb) * len(yb) / len(y)).backward()
    return w.grad.numpy()


def mean_of_batch_means(w, X, y, batch_size):
    # Wrong when the last batch is smaller: it gets the same weight as a full one.
    w = torch.tensor(w, requires_grad=True)
    n_batches = -(-len(y) // batch_size)
    for start in range(0, len(y), batch_size):
        Xb = torch.tensor(X[start : start + batch_size])
        yb = torch.tensor(y[start : start + batch_size])
        (((yb - Xb @ w) ** 2).mean() / n_batches).backward()
    return w.grad


def sum_of_batch_means(w, X, y, batch_size):
    w = torch.tensor(w, requires_grad=True)
    for start in range(0, len(y), batch_size):
        Xb = torch.tensor(X[start : start + batch_size])
        yb = torch.tensor(y[start : start + batch_size])
        ((yb - Xb @ w) ** 2).mean().backward()
    return w.grad


@pytest.mark.parametrize("answer", [accumulated_by_backward, accumulated_by_weighted_means])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_accumulation_check_accepts_equivalent_answers(answer, lang, capsys):
    ch04.check_accumulated_gradient(answer, lang=lang)
    assert success(lang, "accumulated_gradient") in capsys.readouterr().out


def test_accumulation_check_rejects_unweighted_batch_means():
    with pytest.raises(CheckFailed, match="batch_size=100»: wrong value at index"):
        ch04.check_accumulated_gradient(mean_of_batch_means, lang="en")


def test_accumulation_check_rejects_a_sum_of_means_in_bengali():
    with pytest.raises(CheckFailed, match="«ডায়াবেটিস ডেটা, batch_size=100»-এর ক্ষেত্রে"):
        ch04.check_accumulated_gradient(sum_of_batch_means, lang="bn")


def test_accumulation_check_expected_value_is_the_full_batch_gradient():
    # The checker's closed form against autograd on the whole batch at once.
    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(7, 3)), rng.normal(size=7), rng.normal(size=3)
    w_t = torch.tensor(w, requires_grad=True)
    ((torch.tensor(y) - torch.tensor(X) @ w_t) ** 2).mean().backward()
    np.testing.assert_allclose(ch04.full_batch_gradient(w, X, y), w_t.grad.numpy(), rtol=1e-12)


# Exercise 3: manual_sgd_step(model, X, y, lr) ----------------------------------------------------


def step_zero_first(model, X, y, lr):
    for p in model.parameters():
        p.grad = None
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()


def step_zero_after(model, X, y, lr):
    # Another correct order: update first, then clear; returns a 0-d tensor that requires grad.
    loss = torch.nn.functional.mse_loss(model(X), y)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p.sub_(lr * p.grad)
            p.grad.zero_()
    return loss


def step_without_zeroing(model, X, y, lr):
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item()


def step_returns_the_new_loss(model, X, y, lr):
    step_zero_first(model, X, y, lr)
    with torch.no_grad():
        return ((model(X) - y) ** 2).mean().item()


def step_with_a_summed_loss(model, X, y, lr):
    for p in model.parameters():
        p.grad = None
    loss = ((model(X) - y) ** 2).sum()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss.item() / len(y)


@pytest.mark.parametrize("answer", [step_zero_first, step_zero_after])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_step_check_accepts_equivalent_answers(answer, lang, capsys):
    ch04.check_manual_sgd_step(answer, lang=lang)
    assert success(lang, "manual_sgd_step") in capsys.readouterr().out


@pytest.mark.parametrize(
    "lang, where, hint",
    [
        ("en", "call 2 of 3 in a row", "gradients accumulate until you clear them"),
        ("bn", "পরপর 3টি কলের 2 নম্বরটিতে", "গ্রেডিয়েন্ট জমতে থাকে"),
    ],
)
def test_step_check_explains_forgotten_zeroing(lang, where, hint):
    with pytest.raises(CheckFailed, match=where) as caught:
        ch04.check_manual_sgd_step(step_without_zeroing, lang=lang)
    assert hint in caught.value.message


def test_step_check_rejects_the_loss_after_the_step():
    with pytest.raises(CheckFailed, match="call 1 of 3 in a row: the returned loss"):
        ch04.check_manual_sgd_step(step_returns_the_new_loss, lang="en")


def test_step_check_rejects_a_summed_loss_in_bengali():
    with pytest.raises(CheckFailed, match="ধাপের পরে model.weight"):
        ch04.check_manual_sgd_step(step_with_a_summed_loss, lang="bn")


def test_step_check_expected_step_matches_torch_optim():
    # The checker's NumPy step against torch.optim.SGD on the same model.
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    W, b = rng.normal(size=(1, 3)), rng.normal(size=1)
    model = torch.nn.Linear(3, 1, dtype=torch.float64)
    with torch.no_grad():
        model.weight.copy_(torch.tensor(W))
        model.bias.copy_(torch.tensor(b))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    loss = torch.nn.functional.mse_loss(model(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    optimizer.step()
    W_new, b_new, loss_before = ch04._sgd_step_numpy(W, b, X, y, 0.05)
    np.testing.assert_allclose(model.weight.detach().numpy(), W_new, rtol=1e-12)
    np.testing.assert_allclose(model.bias.detach().numpy(), b_new, rtol=1e-12)
    assert loss_before == pytest.approx(loss.item(), rel=1e-12)


# Every check reports an unanswered exercise, in both languages ------------------------------------


@pytest.mark.parametrize("lang", ["en", "bn"])
@pytest.mark.parametrize(
    "check",
    [ch04.check_autograd_gradient, ch04.check_accumulated_gradient, ch04.check_manual_sgd_step],
)
def test_every_check_reports_a_stub(check, lang):
    def not_yet(*args):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        check(not_yet, lang=lang)


def test_checks_reject_something_that_is_not_a_function():
    with pytest.raises(CheckFailed, match="expected a function"):
        ch04.check_manual_sgd_step(0.5, lang="en")
