"""Chapter 2's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones and on the unanswered stub."""

from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch02


def sigmoid(s):
    return 1 / (1 + np.exp(-s))


# Exercise 1 ------------------------------------------------------------------------------


def logistic_grad_chain(s, y):
    z = sigmoid(s)
    return (-y / z + (1 - y) / (1 - z)) * z * (1 - z)


def logistic_grad_simplified(s, y):
    return sigmoid(s) - y


def logistic_grad_as_list(s, y):
    # Entry by entry with Python floats, returned as a nested list: still a correct answer.
    return (1 / (1 + np.exp(-np.asarray(s))) - np.asarray(y)).tolist()


def logistic_grad_without_sigmoid_prime(s, y):
    z = sigmoid(s)
    return -y / z + (1 - y) / (1 - z)


def logistic_grad_wrong_sign(s, y):
    return y - sigmoid(s)


@pytest.mark.parametrize("lang", ["en", "bn"])
@pytest.mark.parametrize(
    "answer", [logistic_grad_chain, logistic_grad_simplified, logistic_grad_as_list]
)
def test_logistic_check_accepts_equivalent_answers(answer, lang, capsys):
    ch02.check_logistic_grad(answer, lang=lang)
    assert success(lang, "logistic_grad") in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [logistic_grad_without_sigmoid_prime, logistic_grad_wrong_sign])
def test_logistic_check_rejects_wrong_answers(wrong):
    with pytest.raises(CheckFailed, match="expected about"):
        ch02.check_logistic_grad(wrong, lang="en")
    with pytest.raises(CheckFailed, match="মান ভুল|মান হওয়ার কথা"):
        ch02.check_logistic_grad(wrong, lang="bn")


# Exercise 2 ------------------------------------------------------------------------------


def linear_backward(W, z, grad_s):
    return np.outer(grad_s, z), W.T @ grad_s


def linear_backward_loops(W, z, grad_s):
    # Entry by entry, as the fan-out rule says, returned as a list of nested lists.
    m, n = W.shape
    grad_W = [[grad_s[i] * z[j] for j in range(n)] for i in range(m)]
    grad_z = [sum(W[i, j] * grad_s[i] for i in range(m)) for j in range(n)]
    return [grad_W, grad_z]


def linear_backward_forgets_the_weights(W, z, grad_s):
    return np.outer(grad_s, z), grad_s * z.sum()


def linear_backward_transposed_weights(W, z, grad_s):
    return np.outer(z, grad_s), W.T @ grad_s


@pytest.mark.parametrize("lang", ["en", "bn"])
@pytest.mark.parametrize("answer", [linear_backward, linear_backward_loops])
def test_linear_backward_check_accepts_equivalent_answers(answer, lang, capsys):
    ch02.check_linear_backward(answer, lang=lang)
    assert success(lang, "linear_backward") in capsys.readouterr().out


def test_linear_backward_check_names_the_wrong_part():
    with pytest.raises(CheckFailed, match="grad_z: expected 4 values, got 3"):
        ch02.check_linear_backward(linear_backward_forgets_the_weights, lang="en")
    with pytest.raises(CheckFailed, match="grad_W: আকৃতি"):
        ch02.check_linear_backward(linear_backward_transposed_weights, lang="bn")


def test_linear_backward_check_catches_transposes_on_square_weights():
    # On a square W the shapes fit, so only the values can reveal W z-style mistakes.
    def w_not_transposed(W, z, grad_s):
        if W.shape[0] == W.shape[1]:
            return np.outer(grad_s, z), W @ grad_s
        return linear_backward(W, z, grad_s)

    with pytest.raises(CheckFailed, match=r"«W 4×4»: grad_z: wrong value at index"):
        ch02.check_linear_backward(w_not_transposed, lang="en")


@pytest.mark.parametrize("got", [None, 3.0, (np.zeros((3, 4)),), "grad"])
def test_linear_backward_check_wants_a_pair(got):
    with pytest.raises(CheckFailed, match=r"expected (a tuple of )?2 values \(grad_W, grad_z\)"):
        ch02.check_linear_backward(lambda W, z, grad_s: got, lang="en")
    with pytest.raises(CheckFailed, match="২টি|2টি"):
        ch02.check_linear_backward(lambda W, z, grad_s: got, lang="bn")


# Exercise 3 ------------------------------------------------------------------------------


def two_layer_gradients(W1, b1, w2, b2, X, y):
    Z = np.tanh(X @ W1.T + b1)
    g = 2 * (Z @ w2 + b2 - y) / len(y)
    g_S = np.outer(g, w2) * (1 - Z**2)
    return g_S.T @ X, g_S.sum(axis=0), Z.T @ g, g.sum()


def two_layer_gradients_bias_as_input(W1, b1, w2, b2, X, y):
    # A bias is a weight whose input is always 1: append a column of ones and reuse the
    # bias-free backward pass; grad_b2 comes back as a one-element array.
    ones = np.ones((len(X), 1))
    Xb = np.hstack([X, ones])
    W1b = np.hstack([W1, b1[:, None]])
    Zb = np.hstack([np.tanh(Xb @ W1b.T), ones])
    w2b = np.append(w2, b2)
    g = 2 * (Zb @ w2b - y) / len(y)
    g_w2b = Zb.T @ g
    g_S = np.outer(g, w2) * (1 - Zb[:, :-1] ** 2)
    g_W1b = g_S.T @ Xb
    return [g_W1b[:, :-1], g_W1b[:, -1], g_w2b[:-1], g_w2b[-1:]]


def two_layer_gradients_forgets_tanh_for_b1(W1, b1, w2, b2, X, y):
    g_W1, _, g_w2, g_b2 = two_layer_gradients(W1, b1, w2, b2, X, y)
    g = 2 * (np.tanh(X @ W1.T + b1) @ w2 + b2 - y) / len(y)
    return g_W1, np.outer(g, w2).sum(axis=0), g_w2, g_b2


def two_layer_gradients_sum_not_mean(W1, b1, w2, b2, X, y):
    return tuple(np.asarray(g) * len(y) for g in two_layer_gradients(W1, b1, w2, b2, X, y))


@pytest.mark.parametrize("lang", ["en", "bn"])
@pytest.mark.parametrize("answer", [two_layer_gradients, two_layer_gradients_bias_as_input])
def test_two_layer_check_accepts_equivalent_answers(answer, lang, capsys):
    ch02.check_two_layer_gradients(answer, lang=lang)
    assert success(lang, "two_layer_gradients") in capsys.readouterr().out


def test_two_layer_check_names_the_wrong_gradient():
    with pytest.raises(CheckFailed, match="grad_b1: wrong value at index"):
        ch02.check_two_layer_gradients(two_layer_gradients_forgets_tanh_for_b1, lang="en")
    with pytest.raises(CheckFailed, match="«P=7, d=3, H=4»-এর ক্ষেত্রে: grad_W1: ইনডেক্স"):
        ch02.check_two_layer_gradients(two_layer_gradients_sum_not_mean, lang="bn")


def test_two_layer_check_wants_four_gradients():
    def three(W1, b1, w2, b2, X, y):
        return two_layer_gradients(W1, b1, w2, b2, X, y)[:3]

    with pytest.raises(CheckFailed, match=r"expected 4 values \(grad_W1, .*\), got 3\."):
        ch02.check_two_layer_gradients(three, lang="en")


# All three: an unanswered stub, and a function that crashes ---------------------------------

CHECKS = [
    (ch02.check_logistic_grad, 2),
    (ch02.check_linear_backward, 3),
    (ch02.check_two_layer_gradients, 6),
]


@pytest.mark.parametrize(("check", "n_args"), CHECKS)
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_checks_report_a_stub(check, n_args, lang):
    def not_yet(*args):
        assert len(args) == n_args
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        check(not_yet, lang=lang)


@pytest.mark.parametrize(("check", "n_args"), CHECKS)
def test_checks_report_a_crash_and_a_non_function(check, n_args):
    def crashes(*args):
        raise ZeroDivisionError("oops")

    with pytest.raises(CheckFailed, match="ZeroDivisionError: oops"):
        check(crashes, lang="en")
    with pytest.raises(CheckFailed, match="একটি ফাংশন আশা করা হয়েছিল"):
        check(np.zeros(3), lang="bn")


def test_checks_refuse_an_unknown_language():
    with pytest.raises(ValueError, match="lang='fr'"):
        ch02.check_linear_backward(lambda W, z, grad_s: 1.0, lang="fr")
