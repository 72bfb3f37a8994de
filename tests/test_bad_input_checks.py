"""Every exercise check answers a student's obvious mistakes with a message in the student's
language, never with a traceback from inside the course: not a function, a function with the wrong
parameters, a function that returns nothing, text, a list of the wrong length, NaN, complex
numbers, a tensor of the wrong dtype, something that cannot be read as numbers. Correct answers in
unusual forms (tensors that require grad, bfloat16) still pass.

The shared comparison (coursekit.checks) comes first, then one section per chapter."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import torch

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import ml_dtypes  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import chhotograd as cg  # noqa: E402
from coursekit import checks  # noqa: E402
from coursekit.checks import UNANSWERED, CheckFailed, success, unanswered  # noqa: E402
from coursekit.exercises import (  # noqa: E402
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch08,
    ch09,
    ch10,
    ch11,
    ch12,
)

LANGS = ["en", "bn"]

# What the shared messages say, in both languages (fragments, read as regular expressions).
SAYS = {
    "not_function": {"en": "expected a function, got", "bn": "একটি ফাংশন আশা করা হয়েছিল"},
    "arity": {
        "en": r"the check calls your function with \d+ argument\(s\), but",
        "bn": r"চেকটি আপনার ফাংশনকে \d+টি আর্গুমেন্ট দিয়ে ডাকে",
    },
    "complex": {
        "en": "expected real numbers, got complex ones",
        "bn": "বাস্তব সংখ্যা আশা করা হয়েছিল, পাওয়া গেছে জটিল সংখ্যা",
    },
    "unreadable": {
        "en": r"could not be read as numbers: RuntimeError: no array here",
        "bn": r"সংখ্যা হিসেবে পড়া যায়নি: RuntimeError: no array here",
    },
    "holds_none": {
        "en": "holds None where a number should be",
        "bn": "যেখানে সংখ্যা থাকার কথা সেখানে None আছে",
    },
    "float32": {
        "en": "Your answer is float32, which keeps only about 7 significant digits",
        "bn": "আপনার উত্তর float32, যা মোটে প্রায় 7টি সার্থক অঙ্ক রাখে",
    },
    "bfloat16": {
        "en": "Your answer is bfloat16, which keeps only about 2 significant digits",
        "bn": "আপনার উত্তর bfloat16, যা মোটে প্রায় 2টি সার্থক অঙ্ক রাখে",
    },
    "integers": {
        "en": "Your answer is int64: whole numbers only, so the fractions were lost",
        "bn": "আপনার উত্তর int64: শুধু পূর্ণসংখ্যা, তাই ভগ্নাংশ হারিয়ে গেছে",
    },
    "nan": {"en": "the answer contains NaN or infinity", "bn": "উত্তরে NaN বা অসীম"},
    "none": {
        "en": "expected a number or an array, got NoneType",
        "bn": "একটি সংখ্যা বা অ্যারে আশা করা হয়েছিল, পাওয়া গেছে NoneType",
    },
    "text": {"en": "expected a number or an array, got str", "bn": "পাওয়া গেছে str"},
    "model_raised": {
        "en": "the model built from your answer raised RuntimeError",
        "bn": "আপনার উত্তর থেকে বানানো মডেলটি এই error তুলেছে: RuntimeError",
    },
}


def fails(check, answer, pattern: str, lang: str = "en") -> str:
    """Run the check on ``answer``; it must fail with a message matching ``pattern``."""
    with pytest.raises(CheckFailed, match=pattern) as info:
        check(answer, lang=lang)
    return info.value.message


def returns(value):
    """An answer function that ignores its arguments and returns ``value``."""

    def answer(*args):
        return value

    return answer


class BadArray:
    """A value whose conversion to an array raises, like a broken custom container."""

    def __array__(self, *args, **kwargs):
        raise RuntimeError("no array here")


def takes_nothing():
    return None


def takes_twelve(a, b, c, d, e, f, g, h, i, j, k, m):
    return None


# Given where a function is expected, or a function that cannot take the check's arguments.
NOT_FUNCTIONS = [
    pytest.param(None, "not_function", id="None"),
    pytest.param("my_answer", "not_function", id="a string"),
    pytest.param(0.5, "not_function", id="a number"),
    pytest.param(takes_nothing, "arity", id="no parameters"),
    pytest.param(takes_twelve, "arity", id="twelve parameters"),
]


def refuses(check, bad, kind: str, lang: str) -> None:
    fails(check, bad, SAYS[kind][lang], lang=lang)


# The shared comparison: coursekit.checks --------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "got",
    [
        np.array([1.0, 2.0]) + 0j,  # imaginary parts zero: still refused, not silently dropped
        np.array([1.0 + 1e-3j, 2.0]),
        torch.tensor([1.0, 2.0], dtype=torch.complex64),
        torch.tensor([1.0, 2.0], dtype=torch.complex64).conj(),  # a lazy conjugate
        [1 + 0j, 2 + 0j],
        (torch.tensor(1.0 + 0j), 2.0),
    ],
    ids=["zero imaginary", "numpy", "torch", "torch conj", "list", "tuple with a tensor"],
)
def test_compare_refuses_complex_answers(got, lang):
    problem = checks.compare(got, [1.0, 2.0], lang=lang)
    assert problem is not None and re.search(SAYS["complex"][lang], problem)
    with pytest.raises(CheckFailed, match=SAYS["complex"][lang]):
        checks.check_value(got, [1.0, 2.0], name="value", lang=lang)


@pytest.mark.parametrize("lang", LANGS)
def test_a_complex_number_is_refused_as_a_scalar_too(lang):
    with pytest.raises(CheckFailed, match=SAYS["complex"][lang] + r".*complex128"):
        checks.check_value(0.5 + 0j, 0.5, name="value", lang=lang)


def test_shape_problem_reads_a_bfloat16_tensor():
    exact = torch.tensor([1.0, -2.5, 0.15625], dtype=torch.bfloat16)  # exact in bfloat16
    assert checks.shape_problem(exact, (3,), lang="en") is None
    assert checks.compare(exact, [1.0, -2.5, 0.15625], lang="en") is None
    assert checks.compare([exact[0], exact[1]], [1.0, -2.5], lang="en") is None
    with pytest.raises(CheckFailed, match="expected 2 values, got 3"):
        checks.check_value(exact, [1.0, 2.0], name="value", lang="en")


@pytest.mark.parametrize("lang", LANGS)
def test_shape_problem_explains_an_answer_that_cannot_be_read(lang):
    for got in (BadArray(), [1.0, BadArray()], (BadArray(), BadArray())):
        problem = checks.shape_problem(got, (2,), lang=lang)
        assert problem is not None and re.search(SAYS["unreadable"][lang], problem)
    with pytest.raises(CheckFailed, match=SAYS["unreadable"][lang]):
        checks.check_value(BadArray(), 1.0, name="value", lang=lang)


def test_a_tensor_that_cannot_leave_its_device_is_explained():
    meta = torch.empty(3, device="meta")  # has a shape, but no values to read
    problem = checks.shape_problem(meta, (3,), lang="en")
    assert problem is not None and "could not be read as numbers" in problem


@pytest.mark.parametrize("lang", LANGS)
def test_a_list_holding_none_is_not_read_as_nan(lang):
    with pytest.raises(CheckFailed, match=SAYS["holds_none"][lang]):
        checks.check_value([1.0, None], [1.0, 2.0], name="value", lang=lang)


@pytest.mark.parametrize(
    "got, text",
    [
        (None, "expected a number or an array, got NoneType"),
        ("1.5", "expected a number or an array, got str"),
        (b"1.5", "expected a number or an array, got bytes"),
        ({"a": 1.0}, "expected a number or an array, got dict"),
        ([[1.0, 2.0], [3.0]], "expected a number or an array, got list"),  # ragged
        ([1.0, "x"], "expected a number or an array, got list"),
        ([1.0, 2.0, 3.0], "expected 2 values, got 3"),
        (np.zeros((2, 1)), r"expected shape \(2,\), got \(2, 1\)"),
        ([1.0, np.nan], "the answer contains NaN or infinity"),
        ([1.0, -np.inf], "the answer contains NaN or infinity"),
        (UNANSWERED, re.escape(unanswered("en"))),
    ],
)
def test_shape_problem_names_what_is_wrong(got, text):
    with pytest.raises(CheckFailed, match=text):
        checks.check_value(got, [1.0, 2.0], name="value", lang="en")


def test_tensors_that_require_grad_are_read_also_inside_lists():
    a = torch.tensor(1.0, requires_grad=True) * 1
    b = torch.tensor([2.0], requires_grad=True)
    assert checks.compare((a, b[0]), [1.0, 2.0], lang="en") is None
    assert checks.compare([a.reshape(1), b], [[1.0], [2.0]], lang="en") is None
    arr, problem = checks.read_answer([a, b[0]], lang="en")
    assert problem is None and arr.dtype == np.float64 and arr.tolist() == [1.0, 2.0]


@pytest.mark.parametrize("lang", LANGS)
def test_compare_blames_a_coarse_dtype_when_that_explains_the_error(lang):
    expected = np.array([0.1, 0.2, 0.3])
    with pytest.raises(CheckFailed, match=SAYS["float32"][lang]):
        checks.check_value(expected.astype(np.float32), expected, name="v", lang=lang, rtol=1e-9)
    with pytest.raises(CheckFailed, match=SAYS["bfloat16"][lang]):
        checks.check_value(
            torch.tensor(expected, dtype=torch.bfloat16), expected, name="v", lang=lang
        )
    with pytest.raises(CheckFailed, match=SAYS["integers"][lang]):
        checks.check_value(torch.tensor([0, 0, 0]), expected, name="v", lang=lang)


def test_the_dtype_hint_stays_out_of_the_way():
    expected = np.array([0.1, 0.2, 0.3])
    # Far off: float32 does not explain it.
    problem = checks.compare(np.float32([0.1, 0.2, 0.5]), expected, lang="en", rtol=1e-9)
    assert problem is not None and "float32" not in problem
    # Python's own integers and floats name no dtype.
    assert "int64" not in checks.compare([0, 0, 0], expected, lang="en")
    # Integers where whole numbers are expected are simply wrong or right.
    assert checks.compare(np.array([3, 4]), [3.0, 4.0], lang="en") is None
    assert "whole numbers" not in checks.compare(np.array([3, 5]), [3.0, 4.0], lang="en")


@pytest.mark.parametrize("lang", LANGS)
def test_call_answer_names_a_function_with_the_wrong_parameters(lang):
    def gradient(w, b):
        return 0.0

    with pytest.raises(CheckFailed, match=SAYS["arity"][lang] + r".*gradient\(w, b\)"):
        checks.call_answer(gradient, (1, 2, 3), name="g", lang=lang, case="c")
    # Defaults, *args and functions without a signature are called as they are.
    assert checks.call_answer(lambda a, b, c=0: a + b + c, (1, 2), name="g", lang="en", case="c")
    assert checks.call_answer(lambda *a: sum(a), (1, 2), name="g", lang="en", case="c") == 3
    assert checks.call_answer(max, (1, 2), name="g", lang="en", case="c") == 2


@pytest.mark.parametrize("lang", LANGS)
def test_run_model_blames_the_answer_only_for_its_own_crash(lang):
    class FailsOnData(keras.layers.Layer):
        def compute_output_shape(self, input_shape):
            return input_shape

        def call(self, x):
            raise RuntimeError("broken layer")

    x = keras.Input(shape=(3,))
    model = keras.Model(x, FailsOnData()(x))
    sample = np.zeros((2, 3), dtype="float32")
    with pytest.raises(CheckFailed, match=SAYS["model_raised"][lang]):
        checks.run_model(model, sample, name="m", lang=lang, case="c")
    # The checker's own conversion of the output is not the answer's doing: no CheckFailed.
    with pytest.raises(Exception) as info:
        checks.run_model(lambda x: BadArray(), sample, name="m", lang=lang, case="c")
    assert not isinstance(info.value, CheckFailed)
    out = checks.run_model(keras.Model(x, x), sample, name="m", lang=lang, case="c")
    assert isinstance(out, np.ndarray) and out.shape == (2, 3)


# Chapter 1 ------------------------------------------------------------------------------------

CH01 = [ch01.check_mse_gradient, ch01.check_sgd_decay]


def mse_gradient(w, b, x, y):
    residual = y - (w * x + b)
    return -2 * np.mean(residual * x), -2 * np.mean(residual)


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch01.check_mse_gradient, returns(None), SAYS["none"]["en"]),
        (ch01.check_mse_gradient, returns("dw, db"), SAYS["text"]["en"]),
        (ch01.check_mse_gradient, returns([0.0] * 3), "expected 2 values, got 3"),
        (ch01.check_mse_gradient, returns(np.nan), r"expected shape \(2,\), got \(\)"),
        (ch01.check_mse_gradient, returns((np.nan, 0.0)), SAYS["nan"]["en"]),
        (ch01.check_mse_gradient, returns((1 + 0j, 2 + 0j)), SAYS["complex"]["en"]),
        (ch01.check_mse_gradient, returns((BadArray(), 0.0)), SAYS["unreadable"]["en"]),
        (ch01.check_mse_gradient, returns((0.0, None)), SAYS["holds_none"]["en"]),
        (
            ch01.check_mse_gradient,
            lambda w, b, x, y: torch.tensor(mse_gradient(w, b, x, y)).long(),
            SAYS["integers"]["en"],
        ),
        (ch01.check_sgd_decay, returns(None), SAYS["none"]["en"]),
        (ch01.check_sgd_decay, returns([0.0] * 3), "expected 2 values, got 3"),
        (ch01.check_sgd_decay, returns([np.nan, 0.0]), SAYS["nan"]["en"]),
        (
            ch01.check_sgd_decay,
            lambda X, y, w0, *rest: torch.tensor(w0, dtype=torch.float32),
            "lr0=0.*" + SAYS["float32"]["en"],
        ),
        (ch01.check_sgd_decay, lambda X, y, w0, *rest: w0 + 0j, SAYS["complex"]["en"]),
    ],
)
def test_ch01_function_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize(
    "value, text",
    [
        (None, SAYS["none"]["en"]),
        ("0.0094", SAYS["text"]["en"]),
        ([0.01, 0.02], r"expected shape \(\), got \(2,\)"),
        (np.nan, SAYS["nan"]["en"]),
        (0.0094 + 0j, SAYS["complex"]["en"]),
        (UNANSWERED, re.escape(unanswered("en"))),
        (BadArray(), SAYS["unreadable"]["en"]),
    ],
)
def test_ch01_max_step_explains_bad_values(value, text):
    fails(ch01.check_max_step, value, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch01_checks_speak_bengali_about_bad_answers(lang):
    fails(ch01.check_max_step, 0.01 + 0j, SAYS["complex"][lang], lang=lang)
    fails(ch01.check_mse_gradient, returns((None, 0.0)), SAYS["holds_none"][lang], lang=lang)


def test_ch01_accepts_correct_answers_as_tensors(capsys):
    X, _ = ch01.diabetes_xy(("bmi", "bp", "s5"))
    limit = ch01.stable_step_limit(X)
    ch01.check_max_step(torch.tensor(limit, requires_grad=True), lang="en")
    ch01.check_max_step(torch.tensor(limit, dtype=torch.bfloat16), lang="en")  # within 1%
    ch01.check_mse_gradient(
        lambda w, b, x, y: tuple(
            torch.tensor(g, requires_grad=True) for g in mse_gradient(w, b, x, y)
        ),
        lang="en",
    )
    assert capsys.readouterr().out.count(success("en", "eta_max")) == 2


# Chapter 2 ------------------------------------------------------------------------------------


def logistic_grad(s, y):
    return 1 / (1 + np.exp(-s)) - y


def linear_backward2(W, z, grad_s):
    return np.outer(grad_s, z), W.T @ grad_s


def two_layer_gradients(W1, b1, w2, b2, X, y):
    H = np.tanh(X @ W1.T + b1)
    r = 2 * (H @ w2 + b2 - y) / len(y)
    dA = np.outer(r, w2) * (1 - H**2)
    return dA.T @ X, dA.sum(axis=0), H.T @ r, r.sum()


CH02 = [ch02.check_logistic_grad, ch02.check_linear_backward, ch02.check_two_layer_gradients]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch02.check_logistic_grad, returns(None), SAYS["none"]["en"]),
        (ch02.check_logistic_grad, returns("s - y"), SAYS["text"]["en"]),
        (ch02.check_logistic_grad, returns([0.0] * 7), "expected 1 values, got 7"),
        (ch02.check_logistic_grad, returns(np.nan), r"expected shape \(1,\), got \(\)"),
        (ch02.check_logistic_grad, lambda s, y: s * np.nan, SAYS["nan"]["en"]),
        (ch02.check_logistic_grad, lambda s, y: s + 0j, SAYS["complex"]["en"]),
        (ch02.check_logistic_grad, lambda s, y: torch.zeros(len(s), dtype=torch.long), "int64"),
        (
            ch02.check_linear_backward,
            returns(None),
            r"expected a tuple of 2 values \(grad_W, grad_z\), got NoneType",
        ),
        (ch02.check_linear_backward, returns([0.0] * 7), r"expected 2 values \(grad_W, grad_z\)"),
        (ch02.check_linear_backward, returns((None, None)), "grad_W: " + SAYS["none"]["en"]),
        (
            ch02.check_linear_backward,
            lambda W, z, g: (np.outer(g, z) + 0j, W.T @ g),
            "grad_W: " + SAYS["complex"]["en"],
        ),
        (
            ch02.check_two_layer_gradients,
            returns((None,) * 4),
            "grad_W1: " + SAYS["none"]["en"],
        ),
        (
            ch02.check_two_layer_gradients,
            lambda *args: (*two_layer_gradients(*args)[:3], np.nan),
            "grad_b2: " + SAYS["nan"]["en"],
        ),
        (
            ch02.check_two_layer_gradients,
            lambda *args: (*two_layer_gradients(*args)[:3], 1 + 0j),
            "grad_b2: " + SAYS["complex"]["en"],
        ),
    ],
)
def test_ch02_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch02_checks_speak_bengali_about_bad_answers(lang):
    fails(ch02.check_logistic_grad, lambda s, y: s + 0j, SAYS["complex"][lang], lang=lang)
    fails(ch02.check_linear_backward, returns((None, 0.0)), SAYS["none"][lang], lang=lang)


def test_ch02_accepts_correct_answers_as_tensors_that_require_grad(capsys):
    def as_tensors(*parts):
        return tuple(torch.tensor(np.asarray(p), requires_grad=True) * 1 for p in parts)

    ch02.check_logistic_grad(lambda s, y: as_tensors(logistic_grad(s, y))[0], lang="en")
    ch02.check_linear_backward(lambda *a: as_tensors(*linear_backward2(*a)), lang="en")
    # grad_b2 as a one-element tensor counts as the number it holds.
    ch02.check_two_layer_gradients(
        lambda *a: (*two_layer_gradients(*a)[:3], torch.tensor([two_layer_gradients(*a)[3]])),
        lang="en",
    )
    assert capsys.readouterr().out.count("✔") == 3


# Chapter 3 ------------------------------------------------------------------------------------


def tanh_jacobian(W, b, z):
    return (1 - torch.tanh(W @ z + b) ** 2)[:, None] * W


CH03 = [
    ch03.check_tanh_layer_jacobian,
    ch03.check_linear_backward,
    ch03.check_mlp_weight_gradients,
]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch03.check_tanh_layer_jacobian, returns(None), SAYS["none"]["en"]),
        (ch03.check_tanh_layer_jacobian, returns("J"), SAYS["text"]["en"]),
        (
            ch03.check_tanh_layer_jacobian,
            returns([0.0] * 7),
            r"expected shape \(3, 4\), got \(7,\)",
        ),
        (ch03.check_tanh_layer_jacobian, returns(np.nan), r"expected shape \(3, 4\), got \(\)"),
        (ch03.check_tanh_layer_jacobian, lambda W, b, z: W * np.nan, SAYS["nan"]["en"]),
        (
            ch03.check_tanh_layer_jacobian,
            lambda W, b, z: tanh_jacobian(W, b, z).to(torch.complex128),
            SAYS["complex"]["en"],
        ),
        (
            # A Jacobian filled into a tensor of too coarse a dtype.
            ch03.check_tanh_layer_jacobian,
            lambda W, b, z: torch.zeros(W.shape, dtype=torch.bfloat16).copy_(
                tanh_jacobian(W, b, z)
            ),
            SAYS["bfloat16"]["en"],
        ),
        (
            ch03.check_linear_backward,
            returns(None),
            r"expected a tuple of 3 values \(grad_z, grad_W, grad_b\), got NoneType",
        ),
        (ch03.check_linear_backward, returns((None,) * 3), "grad_z: " + SAYS["none"]["en"]),
        (
            ch03.check_linear_backward,
            lambda g, W, z: (g @ W + 0j, g.T @ z[None], g),
            "grad_z: " + SAYS["complex"]["en"],
        ),
        (
            ch03.check_mlp_weight_gradients,
            returns(None),
            "expected a list with one gradient per weight matrix, got NoneType",
        ),
        (
            ch03.check_mlp_weight_gradients,
            returns("abc"),
            "expected a list with one gradient per weight matrix, got str",
        ),
        (ch03.check_mlp_weight_gradients, returns([None]), "∂c/∂W_0: " + SAYS["none"]["en"]),
        (ch03.check_mlp_weight_gradients, returns([None, None]), r"expected 1 gradients"),
        (
            ch03.check_mlp_weight_gradients,
            lambda Ws, bs, x, y: [torch.zeros(W.shape, dtype=torch.complex128) for W in Ws],
            "∂c/∂W_0: " + SAYS["complex"]["en"],
        ),
    ],
)
def test_ch03_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch03_checks_speak_bengali_about_bad_answers(lang):
    float16 = lambda W, b, z: tanh_jacobian(W, b, z).half()  # noqa: E731
    text = {"en": "Your answer is float16", "bn": "আপনার উত্তর float16"}[lang]
    fails(ch03.check_tanh_layer_jacobian, float16, text, lang=lang)
    fails(
        ch03.check_mlp_weight_gradients, returns([BadArray()]), SAYS["unreadable"][lang], lang=lang
    )


def test_ch03_accepts_a_jacobian_that_requires_grad(capsys):
    def by_autograd(W, b, z):
        z = z.clone().requires_grad_(True)
        return torch.autograd.functional.jacobian(
            lambda v: torch.tanh(W @ v + b), z, create_graph=True
        )

    ch03.check_tanh_layer_jacobian(by_autograd, lang="en")
    assert success("en", "tanh_layer_jacobian") in capsys.readouterr().out


# Chapter 4 ------------------------------------------------------------------------------------


def sgd_step(model, X, y, lr):
    model.zero_grad()
    loss = ((model(X) - y) ** 2).mean()
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= lr * p.grad
    return loss


CH04 = [
    ch04.check_autograd_gradient,
    ch04.check_accumulated_gradient,
    ch04.check_manual_sgd_step,
]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch04.check_autograd_gradient, returns(None), SAYS["none"]["en"]),
        (ch04.check_autograd_gradient, returns("grad"), SAYS["text"]["en"]),
        (ch04.check_autograd_gradient, returns([0.0] * 7), "expected 3 values, got 7"),
        (ch04.check_autograd_gradient, returns(np.nan), r"expected shape \(3,\), got \(\)"),
        (ch04.check_autograd_gradient, lambda f, x0: x0 * np.nan, SAYS["nan"]["en"]),
        (ch04.check_autograd_gradient, lambda f, x0: x0 + 0j, SAYS["complex"]["en"]),
        (ch04.check_autograd_gradient, lambda f, x0: torch.zeros(3, dtype=torch.long), "int64"),
        (ch04.check_accumulated_gradient, returns(None), SAYS["none"]["en"]),
        (ch04.check_accumulated_gradient, returns([0.0] * 7), "expected 3 values, got 7"),
        (
            ch04.check_accumulated_gradient,
            lambda w, X, y, b: torch.tensor(ch04.full_batch_gradient(w, X, y), dtype=torch.float16),
            "Your answer is float16, which keeps only about 3 significant digits",
        ),
        (
            ch04.check_accumulated_gradient,
            lambda w, X, y, b: ch04.full_batch_gradient(w, X, y) + 0j,
            SAYS["complex"]["en"],
        ),
        # Returning nothing and stepping nowhere: the weights are what is wrong first.
        (ch04.check_manual_sgd_step, returns(None), "model.weight after the step: wrong value"),
        (
            ch04.check_manual_sgd_step,
            lambda *args: str(sgd_step(*args).item()),
            "the returned loss: " + SAYS["text"]["en"],
        ),
        (
            ch04.check_manual_sgd_step,
            lambda *args: sgd_step(*args).detach() + 0j,
            "the returned loss: " + SAYS["complex"]["en"],
        ),
        (
            ch04.check_manual_sgd_step,
            lambda *args: sgd_step(*args).bfloat16(),
            "the returned loss: .*" + SAYS["bfloat16"]["en"],
        ),
    ],
)
def test_ch04_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch04_checks_speak_bengali_about_bad_answers(lang):
    integers = lambda f, x0: torch.zeros(3, dtype=torch.long)  # noqa: E731
    fails(ch04.check_autograd_gradient, integers, SAYS["integers"][lang], lang=lang)


def test_ch04_accepts_a_gradient_that_requires_grad_and_a_loss_tensor(capsys):
    def gradient(f, x0):
        x = torch.tensor(x0, requires_grad=True)
        return torch.autograd.grad(f(x), x, create_graph=True)[0]

    ch04.check_autograd_gradient(gradient, lang="en")
    ch04.check_manual_sgd_step(lambda *args: sgd_step(*args).reshape(1), lang="en")
    assert capsys.readouterr().out.count("✔") == 2


# Chapter 5 ------------------------------------------------------------------------------------


def leaves_of(root):
    """Every leaf behind root that requires grad (by identity)."""
    found, stack, seen = [], [root], set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node._parents and node.requires_grad:
            found.append(node)
        stack.extend(node._parents)
    return found


CH05 = [ch05.check_cumsum, ch05.check_unbroadcast, ch05.check_gradients]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch05.check_cumsum, returns(None), "expected a chhotograd Tensor, got NoneType"),
        (ch05.check_cumsum, returns("cumsum"), "expected a chhotograd Tensor, got str"),
        (
            ch05.check_cumsum,
            lambda x: np.cumsum(x.data, axis=-1),
            "expected a chhotograd Tensor, got ndarray",
        ),
        (
            ch05.check_cumsum,
            lambda x: cg.tensor(x.data * np.nan),
            "the values of the result: " + SAYS["nan"]["en"],
        ),
        (
            ch05.check_cumsum,
            lambda x: cg.tensor(np.cumsum(x.data, axis=-1)[..., :1]),
            "the values of the result: expected 5 values, got 1",
        ),
        (ch05.check_unbroadcast, returns(None), SAYS["none"]["en"]),
        (ch05.check_unbroadcast, returns("g"), SAYS["text"]["en"]),
        (ch05.check_unbroadcast, returns([0.0] * 7), "expected 3 values, got 7"),
        (ch05.check_unbroadcast, returns(np.nan), r"expected shape \(3,\), got \(\)"),
        (ch05.check_unbroadcast, lambda g, shape: g.sum(0) * np.nan, SAYS["nan"]["en"]),
        (ch05.check_unbroadcast, lambda g, shape: g.sum(0) + 0j, SAYS["complex"]["en"]),
        (
            ch05.check_unbroadcast,
            lambda g, shape: g.sum(0).astype(np.float32),
            SAYS["float32"]["en"],
        ),
        (
            ch05.check_gradients,
            returns(None),
            "expected a dictionary that maps each leaf to its gradient, got NoneType",
        ),
        (ch05.check_gradients, returns({}), "the dictionary has no entry for the leaf x"),
        (
            ch05.check_gradients,
            lambda root: dict.fromkeys(leaves_of(root)),
            "the gradient for the leaf x: " + SAYS["none"]["en"],
        ),
        (
            ch05.check_gradients,
            lambda root: {leaf: leaf.data + 0j for leaf in leaves_of(root)},
            "the gradient for the leaf x: " + SAYS["complex"]["en"],
        ),
    ],
)
def test_ch05_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch05_checks_speak_bengali_about_bad_answers(lang):
    complex_grad = lambda g, shape: g.sum(0) + 0j  # noqa: E731
    fails(ch05.check_unbroadcast, complex_grad, SAYS["complex"][lang], lang=lang)


# Chapter 6 ------------------------------------------------------------------------------------


def adam_step(p, grad, m, v, t, lr, beta1, beta2, eps):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    p = p - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps)
    return p, m, v


def cnn_answer(forward):
    """An answer to exercise 3 whose model returns ``forward(images)``."""

    class Model(nn.Module):
        def forward(self, images):
            return forward(images)

    return lambda state: Model()


class NoNumbers:
    """An object with a numpy() method that fails, as a half-built tensor type might."""

    def numpy(self):
        raise RuntimeError("no array here")


CH06 = [ch06.check_confusion_matrix, ch06.check_adam_update, ch06.check_torch_cnn]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch06.check_confusion_matrix, returns(None), SAYS["none"]["en"]),
        (ch06.check_confusion_matrix, returns("C"), SAYS["text"]["en"]),
        (ch06.check_confusion_matrix, returns([0] * 7), r"expected shape \(3, 3\), got \(7,\)"),
        (ch06.check_confusion_matrix, returns(np.full((3, 3), np.nan)), SAYS["nan"]["en"]),
        (ch06.check_confusion_matrix, returns(np.zeros((3, 3)) + 0j), SAYS["complex"]["en"]),
        (
            ch06.check_adam_update,
            returns(None),
            r"expected a tuple of 3 values \(p, m, v\), got NoneType",
        ),
        (ch06.check_adam_update, returns([0.0] * 7), r"expected 3 values \(p, m, v\), got 7"),
        (ch06.check_adam_update, returns((None,) * 3), "the returned m: " + SAYS["none"]["en"]),
        (
            ch06.check_adam_update,
            lambda *args: tuple(part.astype(np.float32) for part in adam_step(*args)),
            "the returned m: .*" + SAYS["float32"]["en"],
        ),
        (
            ch06.check_adam_update,
            lambda *args: tuple(part + 0j for part in adam_step(*args)),
            "the returned m: " + SAYS["complex"]["en"],
        ),
        (
            ch06.check_torch_cnn,
            returns(None),
            r"expected a PyTorch model \(a torch.nn.Module\), got NoneType",
        ),
        (ch06.check_torch_cnn, returns("cnn"), r"a torch.nn.Module\), got str"),
        (
            ch06.check_torch_cnn,
            cnn_answer(lambda images: None),
            "the logits: " + SAYS["none"]["en"],
        ),
        (
            ch06.check_torch_cnn,
            cnn_answer(lambda images: images.sum() * np.nan),
            r"the logits: expected shape \(40, 10\), got \(\)",
        ),
        (
            ch06.check_torch_cnn,
            cnn_answer(lambda images: torch.zeros(len(images), 10, dtype=torch.complex128)),
            "the logits: " + SAYS["complex"]["en"],
        ),
        (
            # The model ran; reading its output failed: that is not "your model raised".
            ch06.check_torch_cnn,
            cnn_answer(lambda images: NoNumbers()),
            "the logits: your answer \\(NoNumbers\\) " + SAYS["unreadable"]["en"],
        ),
        (
            ch06.check_torch_cnn,
            cnn_answer(lambda images: images.float() @ torch.zeros(3)),
            r"on images of shape \(40, 1, 8, 8\), your model raised RuntimeError",
        ),
    ],
)
def test_ch06_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch06_checks_speak_bengali_about_bad_answers(lang):
    unreadable = cnn_answer(lambda images: NoNumbers())
    message = fails(ch06.check_torch_cnn, unreadable, SAYS["unreadable"][lang], lang=lang)
    assert "your model raised" not in message and "মডেল এই error" not in message


def test_ch06_accepts_adam_tensors_that_require_grad(capsys):
    def adam_tensors(*args):
        return tuple(torch.tensor(part, requires_grad=True) * 1 for part in adam_step(*args))

    ch06.check_adam_update(adam_tensors, lang="en")
    assert success("en", "adam_update") in capsys.readouterr().out


# Chapter 7 ------------------------------------------------------------------------------------


def topk_then(value):
    """Evaluate the model properly, then return ``value`` instead of the accuracy."""

    def answer(model, loader, k):
        model.eval()
        with torch.no_grad():
            for inputs, _ in loader:
                model(inputs)
        return value

    return answer


def least_squares(x, y):
    slope, intercept = np.polyfit(x.double().numpy(), y.double().numpy(), 1)
    return slope, intercept


CH07 = [ch07.check_fit_line, ch07.check_topk_accuracy, ch07.check_load_weights]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (
            ch07.check_fit_line,
            returns(None),
            r"expected two numbers \(slope, intercept\), got None",
        ),
        (ch07.check_fit_line, returns("y = 2x"), r"expected two numbers .*, got str"),
        (ch07.check_fit_line, returns([0.0] * 7), r"expected two numbers .*, got list"),
        (ch07.check_fit_line, returns((np.nan, np.nan)), SAYS["nan"]["en"]),
        (ch07.check_fit_line, returns((1 + 0j, 0j)), SAYS["complex"]["en"]),
        (ch07.check_fit_line, returns((BadArray(), 0.0)), SAYS["unreadable"]["en"]),
        (ch07.check_topk_accuracy, topk_then(None), SAYS["none"]["en"]),
        (ch07.check_topk_accuracy, topk_then("22%"), SAYS["text"]["en"]),
        (ch07.check_topk_accuracy, topk_then([0.2] * 7), r"expected shape \(\), got \(7,\)"),
        (ch07.check_topk_accuracy, topk_then(np.nan), SAYS["nan"]["en"]),
        (ch07.check_topk_accuracy, topk_then(0.2 + 0j), SAYS["complex"]["en"]),
        (ch07.check_topk_accuracy, topk_then(torch.tensor(0)), "int64"),
        (
            ch07.check_load_weights,
            returns(None),
            "return the model with the loaded weights, got NoneType",
        ),
        (
            # A module, but not the one it was given: no AttributeError from inside the check.
            ch07.check_load_weights,
            lambda model, path: nn.Sequential(model),
            "return the model with the loaded weights, got Sequential",
        ),
    ],
)
def test_ch07_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch07_checks_speak_bengali_about_bad_answers(lang):
    fails(ch07.check_fit_line, returns((1 + 0j, 0j)), SAYS["complex"][lang], lang=lang)
    fails(ch07.check_topk_accuracy, topk_then(np.nan), SAYS["nan"][lang], lang=lang)


def test_ch07_accepts_a_line_as_a_column_tensor_that_requires_grad(capsys):
    def column(x, y):
        return torch.tensor([[value] for value in least_squares(x, y)], requires_grad=True)

    ch07.check_fit_line(column, lang="en")
    assert success("en", "fit_line") in capsys.readouterr().out


# Chapter 8 ------------------------------------------------------------------------------------


def weighted_loss(logits, targets, weights):
    losses = [F.cross_entropy(s, targets[:, k]) for k, s in enumerate(logits)]
    return sum(w * loss for w, loss in zip(weights, losses, strict=True)) / sum(weights)


def backward_inside(logits, targets, weights):
    loss = weighted_loss(logits, targets, weights)
    loss.backward()
    return loss


def backward_retained(logits, targets, weights):
    loss = weighted_loss(logits, targets, weights)
    loss.backward(retain_graph=True)
    return loss


def grad_inside(logits, targets, weights):
    loss = weighted_loss(logits, targets, weights)
    torch.autograd.grad(loss, logits)
    return loss


def changed_in_place(logits, targets, weights):
    # The value is right, but a tensor the graph saved was changed in place afterwards.
    probs = logits[0].sigmoid()
    loss = weighted_loss(logits, targets, weights) + 0 * probs.sum()
    probs.mul_(1.0)
    return loss


CH08 = [ch08.check_block_parameters, ch08.check_resnet18, ch08.check_weighted_heads_loss]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch08.check_block_parameters, returns(None), SAYS["none"]["en"]),
        (ch08.check_block_parameters, returns("73,984"), SAYS["text"]["en"]),
        (ch08.check_block_parameters, returns([0] * 7), r"expected shape \(\), got \(7,\)"),
        (ch08.check_block_parameters, returns(np.nan), SAYS["nan"]["en"]),
        (ch08.check_block_parameters, returns(73984 + 0j), SAYS["complex"]["en"]),
        (
            ch08.check_resnet18,
            returns(None),
            r"make_resnet18\(1000\) should return a torch.nn.Module, got NoneType",
        ),
        (ch08.check_resnet18, returns("resnet18"), "should return a torch.nn.Module, got str"),
        (
            ch08.check_weighted_heads_loss,
            returns(None),
            r"return a PyTorch tensor \(got NoneType\)",
        ),
        (
            ch08.check_weighted_heads_loss,
            lambda *args: weighted_loss(*args).item(),
            r"return a PyTorch tensor \(got float\)",
        ),
        (
            ch08.check_weighted_heads_loss,
            lambda logits, targets, weights: logits[1][0],
            r"the loss should hold a single number, got shape \(11,\)",
        ),
        (
            ch08.check_weighted_heads_loss,
            lambda *args: weighted_loss(*args) * np.nan,
            "wrong loss: " + SAYS["nan"]["en"],
        ),
        (
            ch08.check_weighted_heads_loss,
            lambda *args: weighted_loss(*args).to(torch.complex64),
            "wrong loss: " + SAYS["complex"]["en"],
        ),
        (
            ch08.check_weighted_heads_loss,
            lambda logits, *rest: weighted_loss([s.bfloat16() for s in logits], *rest),
            "wrong loss: .*" + SAYS["bfloat16"]["en"],
        ),
        (
            ch08.check_weighted_heads_loss,
            changed_in_place,
            "computing the gradient of your loss raised RuntimeError",
        ),
    ],
)
def test_ch08_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("answer", [backward_inside, backward_retained])
def test_ch08_loss_check_explains_a_backward_call_inside_the_function(answer, lang):
    text = {
        "en": r"your function already called backward\(\): return the loss without calling it",
        "bn": r"আপনার ফাংশন নিজেই backward\(\) ডেকেছে",
    }[lang]
    fails(ch08.check_weighted_heads_loss, answer, text, lang=lang)


@pytest.mark.parametrize("lang", LANGS)
def test_ch08_loss_check_explains_a_graph_used_up_inside_the_function(lang):
    text = {
        "en": "the graph behind your loss was already used by a backward pass inside your function",
        "bn": "আপনার লসের পেছনের গ্রাফটি ফাংশনের ভেতরেই একটি ব্যাকওয়ার্ড পাসে",
    }[lang]
    fails(ch08.check_weighted_heads_loss, grad_inside, text, lang=lang)


def test_ch08_loss_check_leaves_the_scores_grad_alone(capsys):
    seen = []

    def remembers(logits, targets, weights):
        seen.append(logits)
        return weighted_loss(logits, targets, weights)

    ch08.check_weighted_heads_loss(remembers, lang="en")
    assert success("en", "weighted_heads_loss") in capsys.readouterr().out
    assert all(s.grad is None for scores in seen for s in scores)


# Chapter 9 ------------------------------------------------------------------------------------


def to_bfloat16(x):
    return np.asarray(x).astype(ml_dtypes.bfloat16).astype(np.float32)


def allreduce(X, y, w, replicas):
    return -2.0 / len(y) * X.T @ (y - X @ w)


CH09 = [ch09.check_to_bfloat16, ch09.check_output_stationary, ch09.check_allreduce_gradient]


@pytest.mark.parametrize(
    "check, answer",
    [
        (ch09.check_to_bfloat16, lambda x: torch.tensor(to_bfloat16(x), requires_grad=True)),
        (ch09.check_to_bfloat16, lambda x: torch.tensor(to_bfloat16(x)).requires_grad_() * 1),
        (ch09.check_to_bfloat16, lambda x: torch.from_numpy(x).to(torch.bfloat16)),
        (
            ch09.check_allreduce_gradient,
            lambda *args: torch.tensor(allreduce(*args), requires_grad=True),
        ),
        (ch09.check_allreduce_gradient, lambda *args: list(torch.tensor(allreduce(*args)))),
        (
            ch09.check_output_stationary,
            lambda A, B: (torch.tensor(A @ B), torch.tensor(sum(A.shape) + B.shape[1] - 2)),
        ),
        (
            ch09.check_output_stationary,
            lambda A, B: (A @ B, np.array([sum(A.shape) + len(B.T) - 2])),
        ),
    ],
    ids=[
        "bf16 as a leaf that requires grad",
        "bf16 from a graph",
        "bf16 as a bfloat16 tensor",
        "all-reduce as a tensor that requires grad",
        "all-reduce as a list of 0-d tensors",
        "ticks as an integer tensor",
        "ticks as a one-element array",
    ],
)
def test_ch09_accepts_correct_answers_as_tensors(check, answer, capsys):
    check(answer, lang="en")
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch09.check_to_bfloat16, returns(None), SAYS["none"]["en"]),
        (ch09.check_to_bfloat16, returns("bf16"), SAYS["text"]["en"]),
        (ch09.check_to_bfloat16, returns([0.0] * 7), r"expected shape \(366,\), got \(7,\)"),
        (ch09.check_to_bfloat16, lambda x: x + 0j, SAYS["complex"]["en"]),
        (ch09.check_to_bfloat16, returns(BadArray()), SAYS["unreadable"]["en"]),
        (ch09.check_to_bfloat16, lambda x: list(x[:-1]) + [None], SAYS["holds_none"]["en"]),
        (
            ch09.check_output_stationary,
            returns(None),
            r"expected a tuple of 2 values \(C, ticks\), got NoneType",
        ),
        (
            ch09.check_output_stationary,
            lambda A, B: (A @ B, None),
            "the number of ticks: " + SAYS["none"]["en"],
        ),
        (
            ch09.check_output_stationary,
            lambda A, B: (A @ B, 7 + 0j),
            "the number of ticks: " + SAYS["complex"]["en"],
        ),
        (ch09.check_output_stationary, lambda A, B: (A @ B, True), "must be a whole number"),
        (ch09.check_output_stationary, lambda A, B: (A @ B, [7, 7]), "must be a whole number"),
        (ch09.check_output_stationary, lambda A, B: (A @ B, np.nan), "must be a whole number"),
        (
            ch09.check_output_stationary,
            lambda A, B: ((A @ B) * np.nan, 7),
            "the matrix C: " + SAYS["nan"]["en"],
        ),
        (ch09.check_allreduce_gradient, returns(None), SAYS["none"]["en"]),
        (ch09.check_allreduce_gradient, returns([0.0] * 7), "expected 3 values, got 7"),
        (ch09.check_allreduce_gradient, lambda *args: allreduce(*args) + 0j, SAYS["complex"]["en"]),
        (ch09.check_allreduce_gradient, lambda *args: allreduce(*args) * np.nan, SAYS["nan"]["en"]),
    ],
)
def test_ch09_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch09_checks_speak_bengali_about_bad_answers(lang):
    fails(ch09.check_to_bfloat16, lambda x: x + 0j, SAYS["complex"][lang], lang=lang)
    fails(ch09.check_allreduce_gradient, returns(BadArray()), SAYS["unreadable"][lang], lang=lang)


# Chapter 10 -----------------------------------------------------------------------------------


class FailsOnData(keras.layers.Layer):
    """A layer that builds fine but raises on real data, as a layer with a bug in call() does."""

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, x):
        raise RuntimeError("broken layer")


def inception(x, filters):
    relu = "relu"
    a = keras.layers.Conv2D(filters, 1, activation=relu)(x)
    b = keras.layers.Conv2D(filters, 1, activation=relu)(x)
    b = keras.layers.Conv2D(filters, 3, padding="same", activation=relu)(b)
    c = keras.layers.MaxPooling2D(3, strides=1, padding="same")(x)
    c = keras.layers.Conv2D(filters, 1, activation=relu)(c)
    return keras.layers.Concatenate()([a, b, c])


CH10 = [ch10.check_cross_entropy, ch10.check_pad_batch, ch10.check_inception_module]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch10.check_cross_entropy, returns(None), SAYS["none"]["en"]),
        (ch10.check_cross_entropy, returns("0.58"), SAYS["text"]["en"]),
        (ch10.check_cross_entropy, returns([0.5] * 7), r"expected shape \(\), got \(7,\)"),
        (ch10.check_cross_entropy, returns(np.nan), SAYS["nan"]["en"]),
        (ch10.check_cross_entropy, returns(0.5 + 0j), SAYS["complex"]["en"]),
        (
            ch10.check_cross_entropy,
            lambda z, labels: torch.tensor(
                ch10.mean_cross_entropy(z, labels), dtype=torch.bfloat16
            ),
            SAYS["bfloat16"]["en"],
        ),
        (
            ch10.check_pad_batch,
            returns(None),
            r"expected a tuple of 3 values \(images, labels, weights\), got NoneType",
        ),
        (ch10.check_pad_batch, returns((None,) * 3), "the images: " + SAYS["none"]["en"]),
        (
            ch10.check_pad_batch,
            lambda images, labels, size: tuple(
                part + 0j if k == 0 else part
                for k, part in enumerate(ch10.padded_batch(images, labels, size))
            ),
            "the images: " + SAYS["complex"]["en"],
        ),
        (
            ch10.check_pad_batch,
            lambda images, labels, size: (BadArray(), labels, np.ones(size)),
            r"the images: your answer \(BadArray\) " + SAYS["unreadable"]["en"],
        ),
        (
            ch10.check_inception_module,
            returns(None),
            r"expected the output of a layer \(a Keras tensor\), got NoneType",
        ),
        (
            ch10.check_inception_module,
            lambda x, filters: x,
            r"the output has shape \(None, 8, 8, 6\), expected \(None, 8, 8, 12\)",
        ),
        (
            ch10.check_inception_module,
            lambda x, filters: np.zeros((2, 8, 8, 12)),
            r"expected the output of a layer \(a Keras tensor\), got ndarray",
        ),
        (
            ch10.check_inception_module,
            lambda x, filters: FailsOnData()(inception(x, filters)),
            SAYS["model_raised"]["en"],
        ),
    ],
)
def test_ch10_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch10_blames_the_student_only_for_the_students_layers(lang):
    broken = lambda x, filters: FailsOnData()(inception(x, filters))  # noqa: E731
    message = fails(ch10.check_inception_module, broken, SAYS["model_raised"][lang], lang=lang)
    assert "broken layer" in message


def test_ch10_accepts_a_correct_module(capsys):
    ch10.check_inception_module(inception, lang="en")
    assert success("en", "inception_module") in capsys.readouterr().out


# Chapter 11 -----------------------------------------------------------------------------------


def fire_bypass(x, squeeze, expand):
    from coursekit import squeezenet

    return keras.layers.Add()([x, squeezenet.fire(x, squeeze, expand)])


def batch_norm(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    y = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    return (
        y,
        momentum * moving_mean + (1 - momentum) * mean,
        momentum * moving_var + (1 - momentum) * var,
    )


CH11 = [ch11.check_receptive_field, ch11.check_batch_norm_step, ch11.check_fire_bypass]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch11.check_receptive_field, returns(None), SAYS["none"]["en"]),
        (ch11.check_receptive_field, returns("3 pixels"), SAYS["text"]["en"]),
        (ch11.check_receptive_field, returns([3] * 7), r"expected shape \(\), got \(7,\)"),
        (ch11.check_receptive_field, returns(np.nan), SAYS["nan"]["en"]),
        (ch11.check_receptive_field, returns(3 + 0j), SAYS["complex"]["en"]),
        (
            ch11.check_batch_norm_step,
            returns(None),
            r"expected a tuple of 3 values \(y, new_moving_mean, new_moving_var\), got NoneType",
        ),
        (ch11.check_batch_norm_step, returns((None,) * 3), "y: " + SAYS["none"]["en"] + r"\.$"),
        (
            ch11.check_batch_norm_step,
            lambda *args: (args[0] + 0j, *batch_norm(*args)[1:]),
            "y: " + SAYS["complex"]["en"],
        ),
        (
            ch11.check_batch_norm_step,
            lambda *args: (*batch_norm(*args)[:2], np.nan * batch_norm(*args)[2]),
            "new_moving_var: " + SAYS["nan"]["en"] + r"\.$",
        ),
        (
            ch11.check_fire_bypass,
            returns(None),
            r"expected the output of a layer \(a Keras tensor\), got NoneType",
        ),
        (
            ch11.check_fire_bypass,
            lambda x, squeeze, expand: FailsOnData()(fire_bypass(x, squeeze, expand)),
            SAYS["model_raised"]["en"],
        ),
    ],
)
def test_ch11_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch11_hints_about_values_stay_off_answers_that_are_not_numbers(lang):
    message = fails(ch11.check_batch_norm_step, returns((None,) * 3), SAYS["none"][lang], lang=lang)
    assert "axis=(0, 1, 2)" not in message
    broken = lambda x, s, e: FailsOnData()(fire_bypass(x, s, e))  # noqa: E731
    fails(ch11.check_fire_bypass, broken, SAYS["model_raised"][lang], lang=lang)


# Chapter 12 -----------------------------------------------------------------------------------


CH12 = [ch12.check_separable_conv, ch12.check_warmup_cosine, ch12.check_separable_savings]


@pytest.mark.parametrize(
    "check, answer, text",
    [
        (ch12.check_separable_conv, returns(None), SAYS["none"]["en"]),
        (ch12.check_separable_conv, returns("conv"), SAYS["text"]["en"]),
        (ch12.check_separable_conv, returns([0.0] * 7), r"expected shape \(3, 3, 5\), got \(7,\)"),
        (ch12.check_separable_conv, returns(np.nan), r"expected shape \(3, 3, 5\), got \(\)"),
        (
            ch12.check_separable_conv,
            lambda x, dw, pw: ch12.keras_separable(x, dw, pw) * np.nan,
            SAYS["nan"]["en"],
        ),
        (
            ch12.check_separable_conv,
            lambda x, dw, pw: ch12.keras_separable(x, dw, pw) + 0j,
            SAYS["complex"]["en"],
        ),
        (
            ch12.check_separable_conv,
            lambda x, dw, pw: torch.tensor(ch12.keras_separable(x, dw, pw), dtype=torch.bfloat16),
            SAYS["bfloat16"]["en"],
        ),
        (ch12.check_warmup_cosine, returns(None), "epoch 0: " + SAYS["none"]["en"]),
        (ch12.check_warmup_cosine, returns("1e-5"), "epoch 0: " + SAYS["text"]["en"]),
        (
            ch12.check_warmup_cosine,
            returns([1e-5] * 7),
            r"epoch 0: expected shape \(\), got \(7,\)",
        ),
        (ch12.check_warmup_cosine, returns(np.nan), "epoch 0: " + SAYS["nan"]["en"]),
        (ch12.check_warmup_cosine, returns(1e-5 + 0j), "epoch 0: " + SAYS["complex"]["en"]),
        (
            ch12.check_separable_savings,
            returns(None),
            r"expected a tuple of 2 values \(separable, ordinary\), got NoneType",
        ),
        (
            ch12.check_separable_savings,
            returns((None, None)),
            "the parameters of the separable layers: " + SAYS["none"]["en"],
        ),
        (
            ch12.check_separable_savings,
            returns(("387", "1000")),
            "the parameters of the separable layers: " + SAYS["text"]["en"],
        ),
        (
            ch12.check_separable_savings,
            lambda model: tuple(n + 0j for n in ch12.separable_counts(model)),
            "the parameters of the separable layers: " + SAYS["complex"]["en"],
        ),
    ],
)
def test_ch12_checks_explain_bad_answers(check, answer, text):
    fails(check, answer, text)


@pytest.mark.parametrize("lang", LANGS)
def test_ch12_checks_speak_bengali_about_bad_answers(lang):
    fails(ch12.check_warmup_cosine, returns(1e-5 + 0j), SAYS["complex"][lang], lang=lang)


def test_ch12_accepts_correct_answers_as_tensors_and_arrays(capsys):
    ch12.check_warmup_cosine(
        lambda *args: torch.tensor(ch12.warmup_cosine_value(*args), requires_grad=True), lang="en"
    )
    ch12.check_separable_savings(lambda model: np.array(ch12.separable_counts(model)), lang="en")
    assert capsys.readouterr().out.count("✔") == 2


# Every chapter -------------------------------------------------------------------------------

FUNCTION_CHECKS = CH01 + CH02 + CH03 + CH04 + CH05 + CH06 + CH07 + CH08 + CH09 + CH10 + CH11 + CH12


@pytest.mark.parametrize("bad, kind", NOT_FUNCTIONS)
@pytest.mark.parametrize(
    "check", FUNCTION_CHECKS, ids=lambda c: f"{c.__module__.rsplit('.', 1)[1]}.{c.__name__}"
)
@pytest.mark.parametrize("lang", LANGS)
def test_every_function_check_refuses_what_it_cannot_call(check, bad, kind, lang):
    refuses(check, bad, kind, lang)
