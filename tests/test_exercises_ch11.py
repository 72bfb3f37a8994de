"""Chapter 11's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from coursekit import squeezenet  # noqa: E402
from coursekit.checks import CheckFailed, stub, success, unanswered  # noqa: E402
from coursekit.exercises import ch11  # noqa: E402

# Keras's variables on the JAX backend call np.array(variable) in get_weights(), and NumPy 2 warns
# that their __array__ takes no `copy` keyword: Keras's matter, not this course's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def unanswered_en(*args):
    stub("en")


def unanswered_bn(*args):
    stub("bn")


STUBS = {"en": unanswered_en, "bn": unanswered_bn}


# Exercise 1: receptive_field(kernel_sizes, strides) ------------------------------------------


def receptive_field_formula(kernel_sizes, strides):
    field, jump = 1, 1
    for k, s in zip(kernel_sizes, strides, strict=True):
        field += (k - 1) * jump
        jump *= s
    return field


def receptive_field_numpy(kernel_sizes, strides):
    # The same sum, vectorised: the jump before layer i is the product of the earlier strides.
    jumps = np.concatenate([[1], np.cumprod(strides)[:-1]])
    return np.int64(1 + np.sum((np.asarray(kernel_sizes) - 1) * jumps))


def receptive_field_ignoring_strides(kernel_sizes, strides):
    return 1 + sum(k - 1 for k in kernel_sizes)


def receptive_field_by_gradient(kernel_sizes, strides, side=64):
    """Another route: the input pixels on which one output pixel of a real Keras stack depends.

    The stack (weights 1, no bias, no activation) is linear, so its gradient with respect to the
    input is its response to impulses: image ``r`` of the batch is 1 on row ``r`` and 0
    elsewhere, and the centre output pixel depends on row ``r`` exactly when it is non-zero for
    image ``r`` (all weights are positive, so nothing cancels). Any backend computes it.
    """
    x = keras.Input(shape=(side, side, 1))
    y = x
    for k, s in zip(kernel_sizes, strides, strict=True):
        y = keras.layers.Conv2D(1, k, strides=s, kernel_initializer="ones", use_bias=False)(y)
    model = keras.Model(x, y)
    rows_on = np.zeros((side, side, side, 1), dtype="float32")
    rows_on[np.arange(side), np.arange(side)] = 1.0  # image r: row r set to 1
    out = keras.ops.convert_to_numpy(model(rows_on))
    centre = out[:, out.shape[1] // 2, out.shape[2] // 2, 0]
    rows = np.flatnonzero(centre > 0.5)  # the responses are whole numbers (counts of paths)
    return int(rows.max() - rows.min() + 1)


@pytest.mark.parametrize("answer", [receptive_field_formula, receptive_field_numpy])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_receptive_field_check_accepts_equivalent_answers(answer, lang, capsys):
    ch11.check_receptive_field(answer, lang=lang)
    assert success(lang, "receptive_field") in capsys.readouterr().out


@pytest.mark.parametrize(
    "kernels, strides", [([3, 3], [1, 1]), ([3, 2, 3], [1, 2, 1]), ([7, 3, 3], [2, 2, 1])]
)
def test_the_checker_agrees_with_the_gradient_of_a_real_stack(kernels, strides):
    expected = ch11.receptive_field_by_intervals(kernels, strides)
    assert expected == receptive_field_by_gradient(kernels, strides)
    assert expected == receptive_field_formula(kernels, strides)


def test_the_codelab_squeezenet_sees_80_pixels():
    assert ch11.receptive_field_by_intervals(ch11.CODELAB_KERNELS, ch11.CODELAB_STRIDES) == 80


@pytest.mark.parametrize("lang, text", [("en", "expected about 8"), ("bn", "প্রায় 8")])
def test_receptive_field_check_rejects_ignoring_strides(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_receptive_field(receptive_field_ignoring_strides, lang=lang)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_receptive_field_check_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch11.check_receptive_field(STUBS[lang], lang=lang)


# Exercise 2: batch_norm_step(x, gamma, beta, moving_mean, moving_var, momentum, epsilon) -------


def batch_norm_numpy(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    mean = x.mean(axis=(0, 1, 2))
    var = x.var(axis=(0, 1, 2))
    y = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    return (
        y,
        momentum * moving_mean + (1 - momentum) * mean,
        momentum * moving_var + (1 - momentum) * var,
    )


def batch_norm_torch_style(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    # keras.ops for the statistics and the normalisation (backend tensors, not NumPy arrays),
    # and PyTorch's unbiased variance for the moving average.
    mean, var = keras.ops.moments(keras.ops.convert_to_tensor(x), axes=[0, 1, 2])
    y = keras.ops.batch_normalization(
        x, mean, var, axis=-1, offset=beta, scale=gamma, epsilon=epsilon
    )
    m = x.shape[0] * x.shape[1] * x.shape[2]
    unbiased = var * m / (m - 1)
    return (
        y,
        moving_mean + (1 - momentum) * (mean - moving_mean),
        moving_var + (1 - momentum) * (unbiased - moving_var),
    )


def batch_norm_per_pixel(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    mean = x.mean(axis=0)  # over the batch only: wrong
    var = x.var(axis=0)
    y = gamma * (x - mean) / np.sqrt(var + epsilon) + beta
    c_mean, c_var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    return (
        y,
        momentum * moving_mean + (1 - momentum) * c_mean,
        momentum * moving_var + (1 - momentum) * c_var,
    )


def batch_norm_momentum_swapped(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    y, _, _ = batch_norm_numpy(x, gamma, beta, moving_mean, moving_var, momentum, epsilon)
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    return (
        y,
        (1 - momentum) * moving_mean + momentum * mean,
        (1 - momentum) * moving_var + momentum * var,
    )


def batch_norm_in_place(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    y, new_mean, new_var = batch_norm_numpy(
        x, gamma, beta, moving_mean, moving_var, momentum, epsilon
    )
    moving_mean[:] = new_mean
    moving_var[:] = new_var
    return y, moving_mean, moving_var


@pytest.mark.parametrize("answer", [batch_norm_numpy, batch_norm_torch_style])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_batch_norm_check_accepts_equivalent_answers(answer, lang, capsys):
    ch11.check_batch_norm_step(answer, lang=lang)
    assert success(lang, "batch_norm_step") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "axis=\\(0, 1, 2\\)"), ("bn", "সব পিক্সেল জুড়ে")])
def test_batch_norm_check_explains_the_axes(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_batch_norm_step(batch_norm_per_pixel, lang=lang)


@pytest.mark.parametrize(
    "lang, text", [("en", "new_moving_mean.*momentum \\* old"), ("bn", "পুরোনো মানের")]
)
def test_batch_norm_check_explains_the_momentum(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_batch_norm_step(batch_norm_momentum_swapped, lang=lang)


@pytest.mark.parametrize(
    "lang, text", [("en", "changed its input moving_mean"), ("bn", "moving_mean-কে বদলে")]
)
def test_batch_norm_check_rejects_changing_the_inputs(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_batch_norm_step(batch_norm_in_place, lang=lang)


def test_batch_norm_check_wants_three_values_and_reports_a_stub():
    with pytest.raises(CheckFailed, match=r"3 values \(y, new_moving_mean, new_moving_var\)"):
        ch11.check_batch_norm_step(lambda *args: batch_norm_numpy(*args)[:2], lang="en")
    for lang in ("en", "bn"):
        with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
            ch11.check_batch_norm_step(STUBS[lang], lang=lang)


# Exercise 3: fire_bypass(x, squeeze, expand) -------------------------------------------------


def fire_bypass(x, squeeze, expand):
    return keras.layers.add([x, squeezenet.fire(x, squeeze, expand)])


def fire_bypass_by_hand(x, squeeze, expand):
    # Written out with the operator +, the 3×3 branch first: also correct.
    y = keras.layers.Conv2D(squeeze, 1, activation="relu")(x)
    y = keras.layers.BatchNormalization(momentum=0.9)(y)
    y3 = keras.layers.BatchNormalization(momentum=0.9)(
        keras.layers.Conv2D(expand // 2, 3, padding="same", activation="relu")(y)
    )
    y1 = keras.layers.BatchNormalization(momentum=0.9)(
        keras.layers.Conv2D(expand // 2, 1, activation="relu")(y)
    )
    return keras.layers.Concatenate()([y3, y1]) + x


def fire_without_bypass(x, squeeze, expand):
    return squeezenet.fire(x, squeeze, expand)


def fire_bypass_subtracted(x, squeeze, expand):
    return keras.layers.subtract([x, squeezenet.fire(x, squeeze, expand)])


def fire_bypass_without_batch_norm(x, squeeze, expand):
    return keras.layers.add([x, squeezenet.fire(x, squeeze, expand, batch_norm=False)])


def input_only(x, squeeze, expand):
    return keras.layers.Identity()(x)


@pytest.mark.parametrize("answer", [fire_bypass, fire_bypass_by_hand])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_fire_bypass_check_accepts_equivalent_answers(answer, lang, capsys):
    ch11.check_fire_bypass(answer, lang=lang)
    assert success(lang, "fire_bypass") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "is the input added"), ("bn", "ইনপুটটি কি")])
def test_fire_bypass_check_wants_the_input_added(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_fire_bypass(fire_without_bypass, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "never negative"), ("bn", "কখনো ঋণাত্মক নয়")])
def test_fire_bypass_check_rejects_a_subtraction(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_fire_bypass(fire_bypass_subtracted, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "parameters, expected"), ("bn", "প্যারামিটার আছে")])
def test_fire_bypass_check_counts_parameters(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch11.check_fire_bypass(fire_bypass_without_batch_norm, lang=lang)
    with pytest.raises(CheckFailed, match=text):
        ch11.check_fire_bypass(input_only, lang=lang)


def test_fire_bypass_check_wants_a_tensor_and_reports_a_stub():
    with pytest.raises(CheckFailed, match="Keras tensor"):
        ch11.check_fire_bypass(lambda x, s, e: keras.Model(x, fire_bypass(x, s, e)), lang="en")
    with pytest.raises(CheckFailed, match=r"expected \(None, 6, 6, 16\)"):
        ch11.check_fire_bypass(lambda x, s, e: squeezenet.fire(x, s, 2 * e), lang="en")
    for lang in ("en", "bn"):
        with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
            ch11.check_fire_bypass(STUBS[lang], lang=lang)
