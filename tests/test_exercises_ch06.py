"""Chapter 6's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from coursekit.checks import CheckFailed, stub, success, unanswered
from coursekit.exercises import ch06

# Exercise 1: confusion_matrix(labels, predictions, num_classes) ----------------------------------


def confusion_add_at(labels, predictions, num_classes=10):
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (labels, predictions), 1)
    return counts


def confusion_nested_lists(labels, predictions, num_classes=10):
    # Plain Python, a list of lists of floats: a different but equivalent answer.
    rows = [[0.0] * num_classes for _ in range(num_classes)]
    for t, p in zip(labels, predictions, strict=True):
        rows[int(t)][int(p)] += 1.0
    return rows


def confusion_transposed(labels, predictions, num_classes=10):
    return confusion_add_at(labels, predictions, num_classes).T


def confusion_size_from_data(labels, predictions, num_classes=10):
    k = int(max(np.max(labels), np.max(predictions))) + 1
    return confusion_add_at(labels, predictions, k)


@pytest.mark.parametrize("answer", [confusion_add_at, confusion_nested_lists])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_confusion_check_accepts_equivalent_answers(answer, lang, capsys):
    ch06.check_confusion_matrix(answer, lang=lang)
    assert success(lang, "confusion_matrix") in capsys.readouterr().out


def test_confusion_check_names_the_wrong_entry_of_a_transposed_matrix():
    with pytest.raises(CheckFailed, match="wrong value at index"):
        ch06.check_confusion_matrix(confusion_transposed, lang="en")
    with pytest.raises(CheckFailed, match="মান ভুল"):
        ch06.check_confusion_matrix(confusion_transposed, lang="bn")


def test_confusion_check_wants_every_class_even_an_absent_one():
    with pytest.raises(CheckFailed, match=r"without a 9.*expected shape \(10, 10\), got \(9, 9\)"):
        ch06.check_confusion_matrix(confusion_size_from_data, lang="en")


# Exercise 2: adam_update(p, grad, m, v, t, lr, beta1, beta2, eps) ---------------------------------


def adam_textbook(p, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def adam_pytorch_form_in_place(p, grad, m, v, t, lr, beta1, beta2, eps):
    # PyTorch's arrangement of the same formula, updating the arrays in place, returning a list.
    m += (1 - beta1) * (grad - m)
    v *= beta2
    v += (1 - beta2) * grad * grad
    denom = np.sqrt(v) / np.sqrt(1 - beta2**t) + eps
    p -= lr / (1 - beta1**t) * m / denom
    return [p, m, v]


def adam_torch_tensors(p, grad, m, v, t, lr, beta1, beta2, eps):
    # Torch tensors instead of arrays are fine too.
    p, m, v = adam_textbook(p, grad, m, v, t, lr, beta1, beta2, eps)
    return torch.from_numpy(p), torch.from_numpy(m), torch.from_numpy(v)


def adam_without_bias_correction(p, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return p - lr * m / (np.sqrt(v) + eps), m, v


def adam_eps_inside_sqrt(p, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / np.sqrt(v_hat + eps), m, v


@pytest.mark.parametrize("answer", [adam_textbook, adam_pytorch_form_in_place, adam_torch_tensors])
def test_adam_check_accepts_equivalent_answers(answer, capsys):
    ch06.check_adam_update(answer, lang="en")
    assert success("en", "adam_update") in capsys.readouterr().out


def test_adam_check_catches_a_missing_bias_correction_at_the_first_step():
    with pytest.raises(CheckFailed, match=r"step t=1»: the returned p"):
        ch06.check_adam_update(adam_without_bias_correction, lang="en")
    with pytest.raises(CheckFailed, match=r"ধাপ t=1»-এর ক্ষেত্রে: ফেরত দেওয়া p"):
        ch06.check_adam_update(adam_without_bias_correction, lang="bn")


def test_adam_check_catches_epsilon_in_the_wrong_place():
    with pytest.raises(CheckFailed, match=r"eps=0\.001, step t=1»: the returned p"):
        ch06.check_adam_update(adam_eps_inside_sqrt, lang="en")


def test_adam_check_wants_the_triple():
    def only_p(p, grad, m, v, t, lr, beta1, beta2, eps):
        return adam_textbook(p, grad, m, v, t, lr, beta1, beta2, eps)[0]

    with pytest.raises(CheckFailed, match=r"expected a tuple of 3 values \(p, m, v\), got ndarray"):
        ch06.check_adam_update(only_p, lang="en")
    with pytest.raises(CheckFailed, match="টাপল"):
        ch06.check_adam_update(only_p, lang="bn")


# Exercise 3: torch_cnn(state) --------------------------------------------------------------------


def make_cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 2 * 2, 10),
    )


def torch_cnn_sequential(state):
    model = make_cnn().double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


class FunctionalCNN(torch.nn.Module):
    """Own parameter names, the functional API, and pooling before ReLU (they commute)."""

    def __init__(self, state):
        super().__init__()
        self.k1, self.c1 = (
            torch.nn.Parameter(torch.from_numpy(state[f"0.{n}"])) for n in ("weight", "bias")
        )
        self.k2, self.c2 = (
            torch.nn.Parameter(torch.from_numpy(state[f"3.{n}"])) for n in ("weight", "bias")
        )
        self.w, self.b = (
            torch.nn.Parameter(torch.from_numpy(state[f"7.{n}"])) for n in ("weight", "bias")
        )

    def forward(self, x):
        F = torch.nn.functional
        x = F.relu(F.max_pool2d(F.conv2d(x, self.k1, self.c1, padding=1), 2))
        x = F.relu(F.max_pool2d(F.conv2d(x, self.k2, self.c2, padding=1), 2))
        return F.linear(x.flatten(1), self.w, self.b)


def torch_cnn_float32(state):
    model = make_cnn()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


def torch_cnn_without_padding(state):
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10),
    ).double()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


def torch_cnn_fresh_weights(state):
    return make_cnn().double()  # forgets to load `state`


@pytest.mark.parametrize("answer", [torch_cnn_sequential, FunctionalCNN])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_torch_cnn_check_accepts_equivalent_answers(answer, lang, capsys):
    ch06.check_torch_cnn(answer, lang=lang)
    assert success(lang, "torch_cnn") in capsys.readouterr().out


def test_torch_cnn_check_hints_at_float64():
    with pytest.raises(CheckFailed, match=r"model\.double\(\)"):
        ch06.check_torch_cnn(torch_cnn_float32, lang="en")


def test_torch_cnn_check_reports_a_model_that_raises():
    with pytest.raises(CheckFailed, match="your model raised RuntimeError"):
        ch06.check_torch_cnn(torch_cnn_without_padding, lang="en")


def test_torch_cnn_check_compares_the_logits():
    with pytest.raises(CheckFailed, match="«40 digits»: the logits: wrong value at index"):
        ch06.check_torch_cnn(torch_cnn_fresh_weights, lang="en")
    with pytest.raises(CheckFailed, match="লজিট"):
        ch06.check_torch_cnn(torch_cnn_fresh_weights, lang="bn")


def test_torch_cnn_check_wants_a_module():
    with pytest.raises(CheckFailed, match="expected a PyTorch model"):
        ch06.check_torch_cnn(lambda state: state, lang="en")


def test_numpy_reference_matches_chhotograd():
    # The checker's own NumPy forward pass agrees with chhotograd's CNN on the same weights.
    import chhotograd as cg

    nn = cg.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(128, 10),
    ).double()
    state = ch06.cnn_state(seed=1)
    model.load_state_dict(state)
    images = np.random.default_rng(2).normal(size=(6, 1, 8, 8))
    np.testing.assert_allclose(
        ch06.cnn_logits(state, images), model(cg.tensor(images)).data, rtol=1e-12, atol=1e-14
    )


# Exercise 4: conv_weight_grad(x, grad_out, kernel_size) ------------------------------------------


def windows_of(x, kh, kw):
    """Every kh×kw window of x (N, C, H, W), as (N, C, Ho, Wo, kh, kw)."""
    return np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))


def conv_weight_grad_im2col(x, grad_out, kernel_size):
    # The chapter's route: unfold the windows into columns, then G · colsᵀ.
    kh, kw = kernel_size
    n, o, ho, wo = grad_out.shape
    c = x.shape[1]
    cols = windows_of(x, kh, kw).transpose(1, 4, 5, 0, 2, 3).reshape(c * kh * kw, n * ho * wo)
    g = grad_out.transpose(1, 0, 2, 3).reshape(o, n * ho * wo)
    return (g @ cols.T).reshape(o, c, kh, kw)


def conv_weight_grad_by_kernel_position(x, grad_out, kernel_size):
    # Another correct form: one einsum per kernel position, returned as a torch tensor.
    kh, kw = kernel_size
    ho, wo = grad_out.shape[2:]
    grad = np.zeros((grad_out.shape[1], x.shape[1], kh, kw))
    for a in range(kh):
        for b in range(kw):
            grad[:, :, a, b] = np.einsum("noij,ncij->oc", grad_out, x[:, :, a : a + ho, b : b + wo])
    return torch.from_numpy(grad)


def conv_weight_grad_axes_swapped(x, grad_out, kernel_size):
    return conv_weight_grad_im2col(x, grad_out, kernel_size).transpose(1, 0, 2, 3)


def conv_weight_grad_first_image_only(x, grad_out, kernel_size):
    # Forgets the sum over the images: keeps the first one's contribution.
    return conv_weight_grad_im2col(x[:1], grad_out[:1], kernel_size)


def conv_weight_grad_mean(x, grad_out, kernel_size):
    return conv_weight_grad_im2col(x, grad_out, kernel_size) / len(x)


def conv_weight_grad_zeroing_x(x, grad_out, kernel_size):
    grad = conv_weight_grad_im2col(x, grad_out, kernel_size)
    x[...] = 0  # changes the caller's array
    return grad


@pytest.mark.parametrize("answer", [conv_weight_grad_im2col, conv_weight_grad_by_kernel_position])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_conv_weight_grad_check_accepts_equivalent_answers(answer, lang, capsys):
    ch06.check_conv_weight_grad(answer, lang=lang)
    assert success(lang, "conv_weight_grad") in capsys.readouterr().out


def test_conv_weight_grad_check_names_swapped_axes():
    with pytest.raises(
        CheckFailed, match=r"expected shape \(4, 3, 3, 3\), got \(3, 4, 3, 3\)\. The first two axes"
    ):
        ch06.check_conv_weight_grad(conv_weight_grad_axes_swapped, lang="en")
    with pytest.raises(CheckFailed, match="অক্ষ অদলবদল"):
        ch06.check_conv_weight_grad(conv_weight_grad_axes_swapped, lang="bn")


def test_conv_weight_grad_check_catches_a_forgotten_sum_over_the_images():
    with pytest.raises(
        CheckFailed,
        match=r"grad_out of shape \(2, 4, 3, 4\), kernel_size=\(3, 3\)»: wrong value at index .*"
        r"the image x\[0\] alone",
    ):
        ch06.check_conv_weight_grad(conv_weight_grad_first_image_only, lang="en")
    with pytest.raises(CheckFailed, match=r"মান ভুল.*x\[0\] ছবিটির অবদান"):
        ch06.check_conv_weight_grad(conv_weight_grad_first_image_only, lang="bn")


def test_conv_weight_grad_check_wants_the_sum_not_the_mean():
    with pytest.raises(CheckFailed, match="wrong value at index .*sum, not their mean"):
        ch06.check_conv_weight_grad(conv_weight_grad_mean, lang="en")


def test_conv_weight_grad_check_refuses_an_answer_that_changes_x():
    with pytest.raises(CheckFailed, match=r"changed its input x in place"):
        ch06.check_conv_weight_grad(conv_weight_grad_zeroing_x, lang="en")


def test_conv_weight_reference_matches_chhotograd():
    # The checker's expected answer, summed over the images, is chhotograd's weight gradient too.
    import chhotograd as cg

    rng = np.random.default_rng(3)
    x, grad_out = rng.normal(size=(3, 2, 6, 5)), rng.normal(size=(3, 4, 4, 3))
    weight = cg.tensor(np.zeros((4, 2, 3, 3)), requires_grad=True)
    cg.functional.conv2d(cg.tensor(x), weight).backward(grad_out)
    np.testing.assert_allclose(
        ch06.conv_weight_gradients(x, grad_out, (3, 3)).sum(axis=0), weight.grad, rtol=1e-12
    )


# Every check reports an unanswered exercise, in both languages ------------------------------------


@pytest.mark.parametrize("lang", ["en", "bn"])
@pytest.mark.parametrize(
    "check",
    [
        ch06.check_confusion_matrix,
        ch06.check_adam_update,
        ch06.check_torch_cnn,
        ch06.check_conv_weight_grad,
    ],
)
def test_every_check_reports_a_stub(check, lang):
    def not_yet(*args):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        check(not_yet, lang=lang)
