"""Checks for chapter 11: SqueezeNet, 1×1 convolutions, fire modules and batch normalisation.

Every expected value is computed here by another route than the one the exercise asks for: the
receptive field by walking the layers and widening an interval of input pixels (exercise 1), the
batch-normalisation step by a Keras ``BatchNormalization`` layer in training mode (exercise 2),
and the fire module with a bypass by its parameter count from the course's own fire module and
by what it must compute when its convolutions are zero or random (exercise 3). TensorFlow and
Keras are imported only inside the checks that need them.
"""

from __future__ import annotations

import numpy as np

from ..checks import (
    call_answer,
    check_function,
    compare,
    fail,
    keras_model,
    message,
    passed,
    run_model,
    shape_problem,
    unpack,
)
from ..lang import Messages

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "codelab": "the codelab's SqueezeNet",
        "axes": (
            " Batch normalisation averages each channel over the whole batch and all pixels: "
            "axis=(0, 1, 2) for images of shape [N, H, W, C]."
        ),
        "momentum": (
            " The moving average keeps `momentum` of its old value: "
            "new = momentum * old + (1 - momentum) * batch value."
        ),
        "params": (
            "the module has {got:,} parameters, expected {expected:,} (those of "
            "squeezenet.fire with the same squeeze and expand): the bypass adds no parameters."
        ),
        "no_bypass": (
            "with all convolution weights and biases set to zero the output should be the input "
            "itself (the fire module then outputs zeros), but it differs by up to {diff:.3g}: "
            "is the input added to the fire module's output?"
        ),
        "no_fire": (
            "with random convolution weights the output is still the input alone: the fire "
            "module's output is missing from the sum."
        ),
        "not_added": (
            "output minus input should be the fire module's output, which is never negative "
            "(ReLU, then batch normalisation that has not been trained yet), but it reaches "
            "{low:.3g}: add the input to the fire module's output, without anything else."
        ),
    },
    "bn": {
        "codelab": "কোডল্যাবের SqueezeNet",
        "axes": (
            " ব্যাচ নরমালাইজেশন প্রতিটি চ্যানেলের গড় নেয় পুরো ব্যাচ আর সব পিক্সেল জুড়ে: "
            "[N, H, W, C] আকৃতির ছবির জন্য axis=(0, 1, 2)।"
        ),
        "momentum": (
            " চলমান গড় তার পুরোনো মানের `momentum` অংশ রাখে: "
            "new = momentum * old + (1 - momentum) * ব্যাচের মান।"
        ),
        "params": (
            "মডিউলে প্যারামিটার আছে {got:,}টি, থাকার কথা {expected:,}টি (একই squeeze আর expand-এ "
            "squeezenet.fire-এর যতগুলো): বাইপাস কোনো প্যারামিটার যোগ করে না।"
        ),
        "no_bypass": (
            "সব কনভোলিউশনের ওয়েট আর বায়াস শূন্য করলে আউটপুট হওয়ার কথা হুবহু ইনপুট (তখন ফায়ার "
            "মডিউলের আউটপুট শূন্য), কিন্তু পার্থক্য {diff:.3g} পর্যন্ত: ইনপুটটি কি ফায়ার মডিউলের "
            "আউটপুটের সঙ্গে যোগ করা হয়েছে?"
        ),
        "no_fire": ("এলোমেলো ওয়েট দিলেও আউটপুট শুধু ইনপুটটিই: যোগফলে ফায়ার মডিউলের আউটপুট নেই।"),
        "not_added": (
            "আউটপুট থেকে ইনপুট বাদ দিলে থাকার কথা ফায়ার মডিউলের আউটপুট, যা কখনো ঋণাত্মক নয় "
            "(ReLU, তারপর এখনো ট্রেনিং না পাওয়া ব্যাচ নরমালাইজেশন), কিন্তু তা নেমেছে {low:.3g} "
            "পর্যন্ত: ফায়ার মডিউলের আউটপুটের সঙ্গে শুধু ইনপুটটি যোগ করুন।"
        ),
    },
}

_text = Messages(_MESSAGES)


# Exercise 1: the receptive field of a stack of convolutions and poolings ---------------------


def receptive_field_by_intervals(kernel_sizes, strides) -> int:
    """Input pixels (along one side) that one output pixel of the stack depends on.

    Walk back from one output pixel: the pixels it depends on in a layer's input form an
    interval; a layer with kernel k and stride s maps the interval [a, b] of its output to
    [s*a, s*b + k - 1] of its input. No formula is used.
    """
    low, high = 0, 0
    for k, s in reversed(list(zip(kernel_sizes, strides, strict=True))):
        low, high = s * low, s * high + k - 1
    return high - low + 1


CODELAB_KERNELS = [3] + [1, 3, 2] * 4 + [1, 3]
CODELAB_STRIDES = [1] + [1, 1, 2] * 4 + [1, 1]


def check_receptive_field(fn, lang: str = "en") -> None:
    """Exercise 1: fn(kernel_sizes, strides) -> the receptive field, in pixels along one side."""
    cases = []
    for case, kernels, strides in [
        ("kernel_sizes=[3], strides=[1]", [3], [1]),
        ("kernel_sizes=[3, 3], strides=[1, 1]", [3, 3], [1, 1]),
        ("kernel_sizes=[5], strides=[1]", [5], [1]),
        ("kernel_sizes=[3, 2, 3], strides=[1, 2, 1]", [3, 2, 3], [1, 2, 1]),
        ("kernel_sizes=[7, 3, 3], strides=[2, 2, 1]", [7, 3, 3], [2, 2, 1]),
        ("kernel_sizes=[1, 1], strides=[1, 1]", [1, 1], [1, 1]),
        (_text(lang, "codelab"), CODELAB_KERNELS, CODELAB_STRIDES),
    ]:
        expected = receptive_field_by_intervals(kernels, strides)
        cases.append((case, (list(kernels), list(strides)), expected))
    check_function(fn, cases, name="receptive_field", lang=lang, rtol=0.0, atol=1e-9)


# Exercise 2: one training step of batch normalisation ---------------------------------------


def keras_batch_norm_step(x, gamma, beta, moving_mean, moving_var, momentum, epsilon):
    """What Keras' BatchNormalization computes in training mode, and its updated statistics.

    In float32 whatever the global dtype policy (under mixed_bfloat16 the layer would compute in
    bfloat16, too coarse for the comparison)."""
    import keras

    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon, dtype="float32")
    layer.build(x.shape)
    layer.set_weights([gamma, beta, moving_mean, moving_var])
    y = keras.ops.convert_to_numpy(layer(x.astype("float32"), training=True))
    new_mean, new_var = layer.get_weights()[2:]
    return y, new_mean, new_var


def check_batch_norm_step(fn, lang: str = "en") -> None:
    """Exercise 2: fn(x, gamma, beta, moving_mean, moving_var, momentum, epsilon) ->
    (y, new_moving_mean, new_moving_var) for images x of shape [N, H, W, C].

    The new moving variance may use the batch variance as Keras does (divided by the number of
    values m) or as PyTorch does (divided by m - 1); both are accepted.
    """
    name = "batch_norm_step"
    rng = np.random.default_rng(11)
    for n, h, w, c, momentum in [(4, 3, 3, 2, 0.9), (6, 5, 4, 3, 0.99), (2, 2, 2, 4, 0.5)]:
        x = rng.normal(
            loc=rng.uniform(-3, 3, size=c), scale=rng.uniform(0.5, 4, size=c), size=(n, h, w, c)
        )
        x = x.astype("float32")
        gamma = rng.uniform(0.5, 2.0, size=c).astype("float32")
        beta = rng.normal(size=c).astype("float32")
        moving_mean = rng.normal(size=c).astype("float32")
        moving_var = rng.uniform(0.5, 2.0, size=c).astype("float32")
        epsilon = 1e-3
        inputs = (x, gamma, beta, moving_mean, moving_var)
        y, new_mean, new_var = keras_batch_norm_step(*(a.copy() for a in inputs), momentum, epsilon)
        m = n * h * w
        # PyTorch updates the moving variance with the unbiased batch variance (divided by m - 1).
        biased = x.astype(np.float64).var(axis=(0, 1, 2))
        new_var_unbiased = new_var + (1 - momentum) * biased * (m / (m - 1) - 1)
        case = f"x.shape=({n}, {h}, {w}, {c}), momentum={momentum}"
        got = call_answer(
            fn,
            (*inputs, momentum, epsilon),
            name=name,
            lang=lang,
            case=case,
            read_only=dict(enumerate(("x", "gamma", "beta", "moving_mean", "moving_var"))),
        )
        parts = ("y", "new_moving_mean", "new_moving_var")
        got_y, got_mean, got_var = unpack(got, parts, name=name, lang=lang, case=case)
        checks = [
            (parts[0], got_y, y, "axes"),
            (parts[1], got_mean, new_mean, "momentum"),
        ]
        for part, value, expected, hint in checks:
            problem = compare(value, expected, lang=lang, rtol=1e-4, atol=1e-4)
            if problem is not None:
                detail = message(lang, "part", part=part, detail=problem)
                if shape_problem(value, expected.shape, lang=lang) is None:
                    detail += _text(lang, hint)  # the hints explain wrong values only
                fail(lang, name, detail, case=case)
        problem = compare(got_var, new_var, lang=lang, rtol=1e-4, atol=1e-4)
        if problem is not None and compare(
            got_var, new_var_unbiased, lang=lang, rtol=1e-4, atol=1e-4
        ):
            detail = message(lang, "part", part=parts[2], detail=problem)
            if shape_problem(got_var, new_var.shape, lang=lang) is None:
                detail += _text(lang, "momentum")
            fail(lang, name, detail, case=case)
    passed(lang, name)


# Exercise 3: a fire module with a bypass -------------------------------------------------------


def check_fire_bypass(fn, lang: str = "en") -> None:
    """Exercise 3: fn(x, squeeze, expand) -> x + fire(x, squeeze, expand), where x has
    ``expand`` channels."""
    import keras

    from .. import squeezenet

    name = "fire_bypass"
    rng = np.random.default_rng(12)
    for side, squeeze, expand in [(6, 4, 16), (5, 8, 24)]:
        case = (
            f"x = keras.Input(shape=({side}, {side}, {expand})), squeeze={squeeze}, expand={expand}"
        )

        model = keras_model(
            fn,
            keras.Input(shape=(side, side, expand)),
            (squeeze, expand),
            expected_shape=(None, side, side, expand),
            name=name,
            lang=lang,
            case=case,
        )
        probe = keras.Input(shape=(side, side, expand))
        expected = keras.Model(probe, squeezenet.fire(probe, squeeze, expand)).count_params()
        if model.count_params() != expected:
            detail = _text(lang, "params", got=model.count_params(), expected=expected)
            fail(lang, name, detail, case=case)
        sample = rng.normal(size=(2, side, side, expand)).astype("float32")
        convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
        random_weights = [layer.get_weights() for layer in convs]
        for layer in convs:
            layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
        out = run_model(model, sample, name=name, lang=lang, case=case, training=False)
        diff = float(np.max(np.abs(out - sample)))
        if diff > 1e-5:
            fail(lang, name, _text(lang, "no_bypass", diff=diff), case=case)
        for layer, weights in zip(convs, random_weights, strict=True):
            layer.set_weights(weights)
        out = run_model(model, sample, name=name, lang=lang, case=case, training=False)
        fire_part = out - sample
        if float(np.max(np.abs(fire_part))) < 1e-6:
            fail(lang, name, _text(lang, "no_fire"), case=case)
        if float(fire_part.min()) < -1e-4:
            fail(lang, name, _text(lang, "not_added", low=float(fire_part.min())), case=case)
    passed(lang, name)
