"""Chapter 3's exercise checks pass on correct answers (not only the reference one, and in either
layout the chapter allows) and fail, with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch03

# Exercise 1: the Jacobian of z_g = tanh(W z + b) ----------------------------------------------


def jacobian_by_formula(W, b, z):
    out = torch.tanh(W @ z + b)
    return torch.diag(1 - out**2) @ W


def jacobian_in_numpy(W, b, z):
    # A different route: NumPy, and row i scaled by the derivative of output i.
    W, b, z = W.numpy(), b.numpy(), z.numpy()
    return (1 / np.cosh(W @ z + b) ** 2)[:, None] * W


def jacobian_by_autograd(W, b, z):
    # Leaves the result attached to the graph: the check must detach it itself.
    z = z.clone().requires_grad_(True)
    rows = [torch.autograd.grad(out_i, z, retain_graph=True)[0] for out_i in torch.tanh(W @ z + b)]
    return torch.stack(rows) * torch.ones(1, requires_grad=True)


def jacobian_transposed(W, b, z):
    return jacobian_by_formula(W, b, z).T


def jacobian_without_tanh(W, b, z):
    return W


@pytest.mark.parametrize("answer", [jacobian_by_formula, jacobian_in_numpy, jacobian_by_autograd])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_tanh_jacobian_check_accepts_correct_answers(answer, lang, capsys):
    ch03.check_tanh_layer_jacobian(answer, lang=lang)
    assert success(lang, "tanh_layer_jacobian") in capsys.readouterr().out


def test_tanh_jacobian_check_spots_a_transposed_jacobian():
    with pytest.raises(CheckFailed, match="looks transposed"):
        ch03.check_tanh_layer_jacobian(jacobian_transposed, lang="en")
    with pytest.raises(CheckFailed, match="ট্রান্সপোজ করা মনে হচ্ছে"):
        ch03.check_tanh_layer_jacobian(jacobian_transposed, lang="bn")


def test_tanh_jacobian_check_names_a_wrong_entry():
    with pytest.raises(CheckFailed, match=r"W.shape=\(3, 4\).*wrong value at index"):
        ch03.check_tanh_layer_jacobian(jacobian_without_tanh, lang="en")
    with pytest.raises(CheckFailed, match="মান ভুল"):
        ch03.check_tanh_layer_jacobian(jacobian_without_tanh, lang="bn")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_tanh_jacobian_check_reports_a_stub(lang):
    def not_yet(W, b, z):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch03.check_tanh_layer_jacobian(not_yet, lang=lang)


def test_tanh_jacobian_check_rejects_a_number():
    with pytest.raises(CheckFailed, match="expected shape"):
        ch03.check_tanh_layer_jacobian(lambda W, b, z: 0.5, lang="en")


# Exercise 2: the two Jacobians of s = W z + b -------------------------------------------------


def backward_by_outer_product(g, W, z):
    return g @ W, torch.outer(g.reshape(-1), z), g.reshape(-1)


def backward_by_weight_jacobian(g, W, z):
    # The chapter's other layout: grad_W as the row g · (I ⊗ zᵀ), rows kept with their leading 1,
    # returned as a list of NumPy arrays.
    d_out = W.shape[0]
    weight_jacobian = torch.kron(torch.eye(d_out, dtype=W.dtype), z.reshape(1, -1))
    return [(g @ W).numpy(), (g @ weight_jacobian).numpy(), g.numpy()]


def backward_forgetting_the_weights(g, W, z):
    return g.reshape(-1) @ torch.ones_like(W), torch.outer(g.reshape(-1), z), g.reshape(-1)


@pytest.mark.parametrize("answer", [backward_by_outer_product, backward_by_weight_jacobian])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_linear_backward_check_accepts_both_layouts(answer, lang, capsys):
    ch03.check_linear_backward(answer, lang=lang)
    assert success(lang, "linear_backward") in capsys.readouterr().out


def test_linear_backward_check_names_the_wrong_part():
    # The first case is not square, so the transposed weight gradient has the wrong shape there.
    with pytest.raises(CheckFailed, match=r"grad_W: expected shape \(3, 5\), got \(5, 3\)"):
        ch03.check_linear_backward(
            lambda g, W, z: (g @ W, torch.outer(z, g.reshape(-1)), g.reshape(-1)), lang="en"
        )
    with pytest.raises(CheckFailed, match="grad_z: .*মান ভুল"):
        ch03.check_linear_backward(backward_forgetting_the_weights, lang="bn")


def test_linear_backward_check_catches_a_transposed_square_gradient():
    def transposed_when_square(g, W, z):
        grad_W = torch.outer(g.reshape(-1), z)
        if W.shape[0] == W.shape[1]:
            grad_W = grad_W.T
        return g @ W, grad_W, g.reshape(-1)

    with pytest.raises(CheckFailed, match=r"W.shape=\(4, 4\).*grad_W: wrong value"):
        ch03.check_linear_backward(transposed_when_square, lang="en")


@pytest.mark.parametrize(
    "answer, text",
    [
        (lambda g, W, z: g @ W, "expected a tuple of 3 values"),
        (lambda g, W, z: (g @ W, torch.outer(g.reshape(-1), z)), "expected 3 values"),
    ],
)
def test_linear_backward_check_wants_three_values(answer, text):
    with pytest.raises(CheckFailed, match=text):
        ch03.check_linear_backward(answer, lang="en")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_linear_backward_check_reports_a_stub(lang):
    def not_yet(g, W, z):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch03.check_linear_backward(not_yet, lang=lang)


# Exercise 3: weight gradients of a ReLU network of any depth ----------------------------------


def mlp_by_hand(Ws, bs, x, y):
    inputs, pre = [x], []
    for k, (W, b) in enumerate(zip(Ws, bs, strict=True)):
        pre.append(W @ inputs[-1] + b)
        if k < len(Ws) - 1:
            inputs.append(torch.relu(pre[-1]))
    g = pre[-1] - y
    grads = [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        grads[k] = torch.outer(g, inputs[k])
        if k > 0:
            g = (g @ Ws[k]) * (pre[k - 1] > 0)
    return grads


def mlp_by_autograd(Ws, bs, x, y):
    leaves = [W.clone().requires_grad_(True) for W in Ws]
    h = x
    for k, (W, b) in enumerate(zip(leaves, bs, strict=True)):
        h = W @ h + b
        h = torch.relu(h) if k < len(leaves) - 1 else h
    (0.5 * ((h - y) ** 2).sum()).backward()
    return tuple(W.grad.numpy() for W in leaves)


def mlp_with_relu_on_top(Ws, bs, x, y):
    inputs, pre = [x], []
    for W, b in zip(Ws, bs, strict=True):
        pre.append(W @ inputs[-1] + b)
        inputs.append(torch.relu(pre[-1]))
    g = (inputs[-1] - y) * (pre[-1] > 0)
    grads = [None] * len(Ws)
    for k in reversed(range(len(Ws))):
        grads[k] = torch.outer(g, inputs[k])
        if k > 0:
            g = (g @ Ws[k]) * (pre[k - 1] > 0)
    return grads


@pytest.mark.parametrize("answer", [mlp_by_hand, mlp_by_autograd])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_mlp_check_accepts_correct_answers(answer, lang, capsys):
    ch03.check_mlp_weight_gradients(answer, lang=lang)
    assert success(lang, "mlp_weight_gradients") in capsys.readouterr().out


def test_mlp_check_names_the_layer_and_the_network():
    with pytest.raises(CheckFailed, match=r"widths=\(4, 3\).*∂c/∂W_0: wrong value"):
        ch03.check_mlp_weight_gradients(mlp_with_relu_on_top, lang="en")
    with pytest.raises(CheckFailed, match="∂c/∂W_0: .*মান ভুল"):
        ch03.check_mlp_weight_gradients(mlp_with_relu_on_top, lang="bn")


def test_mlp_check_wants_one_gradient_per_layer():
    with pytest.raises(CheckFailed, match=r"widths=\(5, 4, 2\).*expected 2 gradients"):
        ch03.check_mlp_weight_gradients(
            lambda Ws, bs, x, y: mlp_by_hand(Ws, bs, x, y)[-1:], lang="en"
        )
    with pytest.raises(CheckFailed, match="গ্রেডিয়েন্টের লিস্ট"):
        ch03.check_mlp_weight_gradients(
            lambda Ws, bs, x, y: mlp_by_hand(Ws, bs, x, y)[0], lang="bn"
        )


def test_mlp_check_rejects_transposed_gradients():
    def transposed(Ws, bs, x, y):
        return [grad.T for grad in mlp_by_hand(Ws, bs, x, y)]

    with pytest.raises(CheckFailed, match=r"expected shape \(3, 4\), got \(4, 3\)"):
        ch03.check_mlp_weight_gradients(transposed, lang="en")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_mlp_check_reports_a_stub(lang):
    def not_yet(Ws, bs, x, y):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch03.check_mlp_weight_gradients(not_yet, lang=lang)


def test_mlp_check_reports_a_crash():
    def crashes(Ws, bs, x, y):
        return [Ws[0] @ Ws[0]]

    with pytest.raises(CheckFailed, match="raised RuntimeError"):
        ch03.check_mlp_weight_gradients(crashes, lang="en")


# Shared pieces --------------------------------------------------------------------------------


def test_fit_shape_accepts_an_alternative_layout_and_names_the_main_one():
    arr, problem = ch03.fit_shape(torch.arange(6.0).reshape(1, 6), [(2, 3), (1, 6)], lang="en")
    assert problem is None and arr.shape == (2, 3) and arr[1, 0] == 3.0
    arr, problem = ch03.fit_shape(np.zeros(5), [(2, 3), (1, 6)], lang="en")
    assert arr is None and "expected shape (2, 3)" in problem


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang="):
        ch03.check_tanh_layer_jacobian(jacobian_by_formula, lang="fr")
