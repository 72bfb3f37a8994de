"""Chapter 12's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones and on a stub. Nothing here needs
TensorFlow: the file runs on Keras's JAX backend (KERAS_BACKEND=jax) as well as on TensorFlow."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from coursekit.checks import CheckFailed, stub, success, unanswered  # noqa: E402
from coursekit.exercises import ch12  # noqa: E402


def not_answered(*args):
    stub("en")


# Exercise 1: separable_conv(x, depthwise, pointwise) -------------------------------------------


def separable_with_loops(x, depthwise, pointwise):
    k = depthwise.shape[0]
    height, width = x.shape[0] - k + 1, x.shape[1] - k + 1
    filtered = np.zeros((height, width, x.shape[2]))
    for i in range(height):
        for j in range(width):
            for c in range(x.shape[2]):
                filtered[i, j, c] = np.sum(x[i : i + k, j : j + k, c] * depthwise[:, :, c, 0])
    return filtered @ pointwise[0, 0]


def separable_with_keras_ops(x, depthwise, pointwise):
    # Another route: the backend's own op through keras.ops, a tensor with a batch of one.
    out = keras.ops.separable_conv(x[None], depthwise, pointwise, strides=1, padding="valid")
    return out[0]


def separable_with_einsum(x, depthwise, pointwise):
    k = depthwise.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))  # [h, w, c, k, k]
    filtered = np.einsum("hwcij,ijc->hwc", windows, depthwise[:, :, :, 0])
    return np.einsum("hwc,co->hwo", filtered, pointwise[0, 0])


def separable_flipped(x, depthwise, pointwise):
    return separable_with_loops(x, depthwise[::-1, ::-1], pointwise)


def separable_channels_summed_first(x, depthwise, pointwise):
    # Sums the channels inside the depthwise step, like an ordinary convolution would.
    k = depthwise.shape[0]
    windows = np.lib.stride_tricks.sliding_window_view(x, (k, k), axis=(0, 1))
    mixed = np.einsum("hwcij,ijc->hw", windows, depthwise[:, :, :, 0])
    return mixed[:, :, None] * pointwise[0, 0].sum(axis=0)


def separable_same_padding(x, depthwise, pointwise):
    out = keras.ops.separable_conv(x[None], depthwise, pointwise, strides=1, padding="same")
    return out[0]


@pytest.mark.parametrize(
    "answer", [separable_with_loops, separable_with_keras_ops, separable_with_einsum]
)
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_separable_check_accepts_equivalent_answers(answer, lang, capsys):
    ch12.check_separable_conv(answer, lang=lang)
    assert success(lang, "separable_conv") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "without flipping"), ("bn", "না উল্টে")])
def test_separable_check_explains_a_flipped_kernel(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_separable_conv(separable_flipped, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "wrong value at index"), ("bn", "মান ভুল")])
def test_separable_check_rejects_mixed_channels(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_separable_conv(separable_channels_summed_first, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", r"expected shape \(3, 3, 5\)"), ("bn", "আকৃতি")])
def test_separable_check_wants_valid_padding(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_separable_conv(separable_same_padding, lang=lang)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_separable_check_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch12.check_separable_conv(not_answered, lang=lang)


def test_separable_check_stays_exact_under_the_tpu_dtype_policy(capsys):
    # On a TPU the chapter sets the global policy "mixed_bfloat16"; the expected values must
    # still be float32, or a correct answer would miss the check's tolerance of 1e-4.
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        ch12.check_separable_conv(separable_with_loops, lang="en")
    finally:
        keras.mixed_precision.set_global_policy(previous)
    assert success("en", "separable_conv") in capsys.readouterr().out


def test_keras_separable_matches_the_loops():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 7, 3)).astype("float32")
    dw = rng.normal(size=(3, 3, 3, 1)).astype("float32")
    pw = rng.normal(size=(1, 1, 3, 2)).astype("float32")
    np.testing.assert_allclose(
        ch12.keras_separable(x, dw, pw), separable_with_loops(x, dw, pw), rtol=1e-4, atol=1e-4
    )


# Exercise 2: warmup_cosine(epoch, start, peak, rampup, total) -----------------------------------


def warmup_cosine(epoch, start, peak, rampup, total):
    if epoch < rampup:
        return start + (peak - start) * epoch / rampup
    return 0.5 * peak * (1 + math.cos(math.pi * (epoch - rampup) / (total - rampup)))


def warmup_cosine_keras(epoch, start, peak, rampup, total):
    # Another route: Keras's own CosineDecay, whose warm-up also ramps linearly; at whole
    # epochs, with one step per epoch, it gives the same values (as a float32 tensor).
    if epoch < rampup:
        return start + (peak - start) * epoch / rampup
    decay = keras.optimizers.schedules.CosineDecay(peak, decay_steps=total - rampup)
    return decay(epoch - rampup)


def warmup_cosine_sine(epoch, start, peak, rampup, total):
    # The same curve written with a squared cosine: cos²(x/2) = (1 + cos x) / 2.
    if epoch < rampup:
        return np.interp(epoch, [0, rampup], [start, peak])
    return peak * np.cos(np.pi * (epoch - rampup) / (total - rampup) / 2) ** 2


def warmup_cosine_full_wave(epoch, start, peak, rampup, total):
    if epoch < rampup:
        return start + (peak - start) * epoch / rampup
    return 0.5 * peak * (1 + math.cos(2 * math.pi * (epoch - rampup) / (total - rampup)))


def warmup_cosine_counting_from_zero(epoch, start, peak, rampup, total):
    # Forgets to subtract the ramp-up: the cosine starts at epoch 0 instead of at the peak.
    if epoch < rampup:
        return start + (peak - start) * epoch / rampup
    return 0.5 * peak * (1 + math.cos(math.pi * epoch / total))


@pytest.mark.parametrize("answer", [warmup_cosine, warmup_cosine_keras, warmup_cosine_sine])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_cosine_check_accepts_equivalent_answers(answer, lang, capsys):
    ch12.check_warmup_cosine(answer, lang=lang)
    assert success(lang, "warmup_cosine") in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "epoch 5: expected about 5e-05"), ("bn", "এপক 5:")])
def test_cosine_check_names_the_first_wrong_epoch(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_warmup_cosine(warmup_cosine_counting_from_zero, lang=lang)


def test_cosine_check_rejects_a_full_wave():
    with pytest.raises(CheckFailed, match="epoch 6:"):
        ch12.check_warmup_cosine(warmup_cosine_full_wave, lang="en")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_cosine_check_reports_a_stub(lang):
    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch12.check_warmup_cosine(not_answered, lang=lang)


def test_reference_cosine_starts_at_the_peak_and_ends_at_zero():
    values = [ch12.warmup_cosine_value(e, 1e-5, 5e-5, 5, 12) for e in range(13)]
    assert values[0] == 1e-5 and math.isclose(values[5], 5e-5) and abs(values[12]) < 1e-20
    assert all(a < b for a, b in zip(values[:5], values[1:6], strict=True))
    assert all(a > b for a, b in zip(values[5:-1], values[6:], strict=True))


# Exercise 3: separable_savings(model) ------------------------------------------------------------


def savings_from_weights(model):
    separable = ordinary = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.SeparableConv2D):
            depthwise = layer.depthwise_kernel.shape  # [k_h, k_w, c_in, multiplier]
            bias = layer.filters if layer.use_bias else 0
            separable += layer.count_params()
            ordinary += depthwise[0] * depthwise[1] * depthwise[2] * layer.filters + bias
    return separable, ordinary


def savings_from_configs(model):
    # Another form: Keras's config dictionaries, returned as a NumPy array.
    totals = np.zeros(2, dtype=np.int64)
    for layer in model.layers:
        if type(layer).__name__ == "SeparableConv2D":
            config = layer.get_config()
            c_in = layer.input.shape[-1]
            kernel = int(np.prod(config["kernel_size"]))
            bias = config["filters"] * config["use_bias"]
            totals += [layer.count_params(), kernel * c_in * config["filters"] + bias]
    return totals


def savings_ignoring_the_multiplier(model):
    separable, _ = savings_from_weights(model)
    ordinary = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.SeparableConv2D):
            k_h, k_w, c_in, m = layer.depthwise_kernel.shape
            ordinary += k_h * k_w * c_in * m * layer.filters + (
                layer.filters if layer.use_bias else 0
            )
    return separable, ordinary


def savings_of_every_convolution(model):
    # Counts the ordinary Conv2D and DepthwiseConv2D layers too.
    separable, ordinary = savings_from_weights(model)
    extra = sum(
        layer.count_params()
        for layer in model.layers
        if isinstance(layer, keras.layers.Conv2D | keras.layers.DepthwiseConv2D)
        and not isinstance(layer, keras.layers.SeparableConv2D)
    )
    return separable + extra, ordinary


@pytest.mark.parametrize("answer", [savings_from_weights, savings_from_configs])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_savings_check_accepts_equivalent_answers(answer, lang, capsys):
    ch12.check_separable_savings(answer, lang=lang)
    assert success(lang, "separable_savings") in capsys.readouterr().out


@pytest.mark.parametrize(
    "lang, text", [("en", "as ordinary convolutions"), ("bn", "সাধারণ কনভোলিউশন হলে")]
)
def test_savings_check_rejects_the_multiplier_in_the_ordinary_count(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_separable_savings(savings_ignoring_the_multiplier, lang=lang)


@pytest.mark.parametrize(
    "lang, text", [("en", "of the separable layers"), ("bn", "সেপারেবল লেয়ারগুলোর")]
)
def test_savings_check_rejects_other_layers(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch12.check_separable_savings(savings_of_every_convolution, lang=lang)


def test_savings_check_wants_a_pair_and_reports_a_stub():
    with pytest.raises(CheckFailed, match=r"2 values \(separable, ordinary\)"):
        ch12.check_separable_savings(lambda model: 5, lang="en")
    for lang in ("en", "bn"):
        with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
            ch12.check_separable_savings(not_answered, lang=lang)


def test_separable_counts_match_keras_on_xception_sized_layers():
    x = keras.Input((10, 10, 728))
    layer = keras.layers.SeparableConv2D(728, 3, padding="same", use_bias=False)
    keras.Model(x, layer(x))
    separable, ordinary = ch12.separable_counts(keras.Model(x, layer(x)))
    assert separable == layer.count_params() == 3 * 3 * 728 + 728 * 728
    assert ordinary == 3 * 3 * 728 * 728
