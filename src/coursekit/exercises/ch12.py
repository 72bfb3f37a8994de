"""Checks for chapter 12: Xception, separable convolutions and fine-tuning.

Every expected value is computed here by another route than the student's: Keras's own
``SeparableConv2D`` layer for exercise 1, the schedule's formula written out here for exercise 2,
and the layers' configurations (kernel size, filters, input channels, bias) for exercise 3.
Keras is imported only inside the checks that need it, and nothing here needs TensorFlow: the
checks run on Keras's JAX and TensorFlow backends alike. The layer that computes exercise 1's
expected values is float32 whatever the global dtype policy (under ``"mixed_bfloat16"`` on a TPU
it would compute in bfloat16, far coarser than the check's tolerance).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import as_numpy, call_answer, compare, fail, message, passed, unpack
from ..lang import Messages

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "flipped": (
            " Your result is the convolution with the kernel turned by 180°: Keras (like every "
            "deep-learning library) slides the kernel as it is, without flipping it."
        ),
        "epoch": "epoch {epoch}: {detail}",
        "which": {
            0: "the parameters of the separable layers",
            1: "the parameters the same layers would need as ordinary convolutions",
        },
        "model": "the model named {model}",
    },
    "bn": {
        "flipped": (
            " আপনার ফল হলো কার্নেলকে ১৮০° ঘুরিয়ে নেওয়া কনভোলিউশন: Keras (অন্য সব ডিপ লার্নিং"
            " লাইব্রেরির মতোই) কার্নেলটি না উল্টে যেমন আছে তেমনই সরিয়ে সরিয়ে চালায়।"
        ),
        "epoch": "এপক {epoch}: {detail}",
        "which": {
            0: "সেপারেবল লেয়ারগুলোর প্যারামিটার",
            1: "একই লেয়ারগুলো সাধারণ কনভোলিউশন হলে যত প্যারামিটার লাগত",
        },
        "model": "{model} নামের মডেল",
    },
}


_text = Messages(_MESSAGES)


# Exercise 1: a separable convolution by hand ---------------------------------------------------


def keras_separable(x: np.ndarray, depthwise: np.ndarray, pointwise: np.ndarray) -> np.ndarray:
    """Keras's SeparableConv2D ('valid', stride 1, no bias) on one image x [H, W, C_in], in
    float32 whatever the global dtype policy."""
    import keras

    layer = keras.layers.SeparableConv2D(
        pointwise.shape[-1], depthwise.shape[:2], padding="valid", use_bias=False, dtype="float32"
    )
    layer.build((1, *x.shape))
    layer.set_weights([depthwise.astype("float32"), pointwise.astype("float32")])
    return keras.ops.convert_to_numpy(layer(x[None].astype("float32")))[0].astype(np.float64)


def check_separable_conv(fn, lang: str = "en") -> None:
    """Exercise 1: fn(x [H, W, C_in], depthwise [k, k, C_in, 1], pointwise [1, 1, C_in, C_out])
    -> the output [H - k + 1, W - k + 1, C_out] of a separable convolution."""
    name = "separable_conv"
    rng = np.random.default_rng(12)
    for height, width, c_in, k, c_out in [(6, 6, 3, 4, 5), (7, 5, 2, 3, 4), (9, 8, 4, 3, 6)]:
        x = rng.normal(size=(height, width, c_in)).astype(np.float32)
        depthwise = rng.normal(size=(k, k, c_in, 1)).astype(np.float32)
        pointwise = rng.normal(size=(1, 1, c_in, c_out)).astype(np.float32)
        expected = keras_separable(x, depthwise, pointwise)
        case = f"x: {x.shape}, depthwise: {depthwise.shape}, pointwise: {pointwise.shape}"
        got = call_answer(
            fn, (x.copy(), depthwise.copy(), pointwise.copy()), name=name, lang=lang, case=case
        )
        problem = compare(got, expected, lang=lang, rtol=1e-4, atol=1e-4)
        if problem is not None:
            flipped = keras_separable(x, depthwise[::-1, ::-1].copy(), pointwise)
            if compare(got, flipped, lang=lang, rtol=1e-4, atol=1e-4) is None:
                problem += _text(lang, "flipped")
            fail(lang, name, problem, case=case)
    passed(lang, name)


# Exercise 2: a linear ramp-up, then a cosine decay -----------------------------------------------


def warmup_cosine_value(epoch: float, start: float, peak: float, rampup: int, total: int) -> float:
    """Linear from ``start`` to ``peak`` over ``rampup`` epochs, then half a cosine wave from
    ``peak`` down to 0 at epoch ``total``."""
    if epoch < rampup:
        return start + (peak - start) * epoch / rampup
    return peak * 0.5 * (1.0 + np.cos(np.pi * (epoch - rampup) / (total - rampup)))


COSINE_CASES = [
    # start, peak, rampup, total
    (1e-5, 5e-5, 5, 12),  # the codelab's ramp-up on one replica, 12 epochs
    (1e-5, 4e-4, 5, 12),  # on the 8 cores of a TPU
    (1e-4, 1e-3, 2, 20),
    (0.0, 3e-4, 1, 8),
]


def check_warmup_cosine(fn, lang: str = "en") -> None:
    """Exercise 2: fn(epoch, start, peak, rampup, total) -> the learning rate of that epoch."""
    name = "warmup_cosine"
    for start, peak, rampup, total in COSINE_CASES:
        case = f"start={start}, peak={peak}, rampup={rampup}, total={total}"
        for epoch in range(total + 1):
            expected = warmup_cosine_value(epoch, start, peak, rampup, total)
            got = call_answer(
                fn, (epoch, start, peak, rampup, total), name=name, lang=lang, case=case
            )
            # float32 answers (Keras's own schedules) are right to about 1e-6 of the peak.
            problem = compare(got, expected, lang=lang, rtol=1e-5, atol=1e-6 * peak)
            if problem is not None:
                detail = _text(lang, "epoch", epoch=epoch, detail=problem)
                fail(lang, name, detail, case=case)
    passed(lang, name)


# Exercise 3: what the separable layers of a model save ------------------------------------------


def separable_counts(model: Any) -> tuple[int, int]:
    """(parameters of the model's SeparableConv2D layers, parameters of ordinary Conv2D layers
    with the same kernel size, input channels, filters and bias), from the layers' settings."""
    import keras

    separable = ordinary = 0
    for layer in model.layers:
        if not isinstance(layer, keras.layers.SeparableConv2D):
            continue
        config = layer.get_config()
        k_h, k_w = config["kernel_size"]
        c_in = int(layer.input.shape[-1])
        filters, multiplier = config["filters"], config["depth_multiplier"]
        bias = filters if config["use_bias"] else 0
        separable += k_h * k_w * c_in * multiplier + c_in * multiplier * filters + bias
        ordinary += k_h * k_w * c_in * filters + bias
    return separable, ordinary


def _test_models() -> list[tuple[str, Any]]:
    import keras

    layers = keras.layers
    x = keras.Input((12, 12, 3))
    y = layers.SeparableConv2D(8, 3, padding="same", activation="relu")(x)
    y = layers.Conv2D(4, 1)(y)
    y = layers.SeparableConv2D(16, 5, use_bias=False, depth_multiplier=2)(y)
    y = layers.BatchNormalization()(y)
    first = keras.Model(x, y, name="small")

    x = keras.Input((16, 16, 6))
    a = layers.SeparableConv2D(10, 3, padding="same", use_bias=False)(x)
    a = layers.SeparableConv2D(10, (3, 1), padding="same", depth_multiplier=3)(a)
    b = layers.Conv2D(10, 1, padding="same")(x)
    y = layers.Add()([a, b])
    y = layers.DepthwiseConv2D(3)(y)
    y = layers.SeparableConv2D(7, 2)(y)
    second = keras.Model(x, y, name="branching")
    return [("small", first), ("branching", second)]


def check_separable_savings(fn, lang: str = "en") -> None:
    """Exercise 3: fn(model) -> (parameters of its SeparableConv2D layers, parameters those
    layers would have as ordinary Conv2D layers)."""
    name = "separable_savings"
    for model_name, model in _test_models():
        case = _text(lang, "model", model=model_name)
        expected = separable_counts(model)
        got = as_numpy(call_answer(fn, (model,), name=name, lang=lang, case=case))
        if isinstance(got, np.ndarray):
            got = got.tolist()
        got = unpack(got, ("separable", "ordinary"), name=name, lang=lang, case=case)
        for index in (0, 1):
            problem = compare(got[index], expected[index], lang=lang, rtol=0.0, atol=0.5)
            if problem is not None:
                which = _text(lang, "which")[index]
                fail(lang, name, message(lang, "part", part=which, detail=problem), case=case)
    passed(lang, name)
