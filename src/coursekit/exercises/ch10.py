"""Checks for chapter 10: Keras classifiers on the flower photos.

Every expected value is computed here by another route than the student's: a log-sum-exp written
out in NumPy for exercise 1, the checker's own record (built with ``tf.train.Example``) and its own
JPEG decoding for exercise 2, the closed-form parameter count of a convolution for exercise 3.
TensorFlow and Keras are imported only inside the checks that need them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import (
    Messages,
    call_answer,
    check_function,
    compare,
    fail_with,
    message,
    passed,
)

# Messages this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "pair": "expected a pair (image, label), got {got}.",
        "image": "the image: {detail}",
        "label": "the label: {detail}",
        "range": " Pixel values should lie between 0 and 1: did you divide by 255?",
        "not_tensor": "expected the output of a layer (a Keras tensor), got {got}.",
        "out_shape": "the module's output has shape {got}, expected {expected}.",
        "params": (
            "the module has {got:,} parameters (weights and biases), expected {expected:,}: "
            "check the three branches and the number of filters of each convolution."
        ),
        "negative": "the output has negative values: every convolution should use ReLU.",
        "keras_error": "Keras could not build a model from your module: {error}",
    },
    "bn": {
        "pair": "একটি জোড়া (image, label) আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "image": "ছবিটি: {detail}",
        "label": "লেবেলটি: {detail}",
        "range": " পিক্সেলের মান ০ থেকে ১-এর মধ্যে হওয়ার কথা: ২৫৫ দিয়ে ভাগ করেছেন কি?",
        "not_tensor": "একটি লেয়ারের আউটপুট (একটি Keras টেনসর) আশা করা হয়েছিল, পাওয়া গেছে {got}।",
        "out_shape": "মডিউলের আউটপুটের আকৃতি {got}, হওয়ার কথা {expected}।",
        "params": (
            "মডিউলে প্যারামিটার (ওয়েট ও বায়াস) আছে {got:,}টি, থাকার কথা {expected:,}টি: তিনটি"
            " শাখা আর প্রতিটি কনভোলিউশনের ফিল্টারের সংখ্যা মিলিয়ে দেখুন।"
        ),
        "negative": "আউটপুটে ঋণাত্মক মান আছে: প্রতিটি কনভোলিউশনে ReLU থাকার কথা।",
        "keras_error": "আপনার মডিউল থেকে Keras মডেল বানাতে পারেনি: {error}",
    },
}


_text = Messages(_MESSAGES)


def _numpy(value: Any) -> Any:
    """A TensorFlow tensor as a NumPy array; anything else unchanged."""
    return value.numpy() if hasattr(value, "numpy") and callable(value.numpy) else value


# Exercise 1: mean cross-entropy from logits -------------------------------------------------


def mean_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> float:
    """mean over the batch of log(sum_j exp z_j) - z_label, with the maximum shifted out."""
    z = np.asarray(logits, dtype=np.float64)
    top = z.max(axis=1, keepdims=True)
    log_sum_exp = top[:, 0] + np.log(np.exp(z - top).sum(axis=1))
    return float(np.mean(log_sum_exp - z[np.arange(len(z)), np.asarray(labels)]))


def check_cross_entropy(fn, lang: str = "en") -> None:
    """Exercise 1: fn(logits [N, 5], labels [N]) -> the mean cross-entropy of softmax(logits)."""
    rng = np.random.default_rng(10)
    batch = rng.normal(scale=2.0, size=(6, 5))
    batch_labels = rng.integers(0, 5, size=6)
    huge = np.array([[1000.0, 0.0, -1000.0, 10.0, 20.0], [-5.0, 800.0, 799.0, 0.0, 0.0]])
    cases = []
    for case, logits, labels in [
        ("logits=[[2, 1, 0.1, -1, 0.5]], labels=[0]", [[2.0, 1.0, 0.1, -1.0, 0.5]], [0]),
        ("6 random photos", batch, batch_labels),
        ("logits=[[1000, 0, -1000, 10, 20], [-5, 800, 799, 0, 0]], labels=[2, 1]", huge, [2, 1]),
    ]:
        logits = np.asarray(logits, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.int64)
        cases.append((case, (logits.copy(), labels.copy()), mean_cross_entropy(logits, labels)))

    def answer(logits, labels):
        return _numpy(fn(logits, labels))

    check_function(answer, cases, name="cross_entropy", lang=lang, rtol=1e-5, atol=1e-6)


# Exercise 2: decode one TFRecord of the chapter's shards ---------------------------------------


def make_record(image: np.ndarray, label: int, photo_id: int = 0, name: bytes = b"x.jpg"):
    """A serialized tf.train.Example with the features of coursekit.flowers' shards."""
    import tensorflow as tf

    image = tf.constant(image, dtype=tf.uint8)
    jpeg = tf.io.encode_jpeg(image, quality=95, chroma_downsampling=False).numpy()

    def feature(kind, value):
        if kind == "bytes":
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value]))
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[value]))

    features = {
        "image": feature("bytes", jpeg),
        "label": feature("int", label),
        "id": feature("int", photo_id),
        "name": feature("bytes", name),
    }
    example = tf.train.Example(features=tf.train.Features(feature=features))
    return example.SerializeToString(), jpeg


def check_decode_record(fn, lang: str = "en") -> None:
    """Exercise 2: fn(record, image_size) -> (image float32 [s, s, 3] in [0, 1], label)."""
    import tensorflow as tf

    name = "decode_record"
    rng = np.random.default_rng(11)
    for size, label in [(8, 3), (12, 0)]:
        # A smooth picture: JPEG keeps it well, so that different decoders agree closely.
        ramp = np.linspace(0, 1, size)
        wave = 0.5 + 0.4 * np.sin(2 * np.pi * rng.uniform(0.5, 1.0) * np.add.outer(ramp, ramp))
        image = np.stack([np.add.outer(ramp, ramp) / 2, np.add.outer(ramp, 1 - ramp) / 2, wave], -1)
        image = (255 * image).round().astype(np.uint8)
        record, jpeg = make_record(image, label, photo_id=label + 5)
        expected = tf.io.decode_jpeg(jpeg, channels=3, dct_method="INTEGER_ACCURATE")
        expected_image = expected.numpy() / 255.0
        case = f"image_size={size}, label={label}"
        got = call_answer(fn, (tf.constant(record), size), name=name, lang=lang, case=case)
        if not isinstance(got, tuple | list) or len(got) != 2:
            fail_with(lang, name, _text(lang, "pair", got=type(got).__name__))
        got_image, got_label = (_numpy(v) for v in got)
        # JPEG decoders differ: TensorFlow's fast default and libjpeg's accurate method (Pillow)
        # disagree by up to 8 levels of 255 on these pictures, so allow 10/255 per value.
        problem = compare(got_image, expected_image, lang=lang, rtol=0.0, atol=10.0 / 255)
        if problem is not None:
            try:
                too_bright = float(np.max(np.asarray(got_image, dtype=np.float64))) > 1.5
            except (TypeError, ValueError):
                too_bright = False
            detail = _text(lang, "image", detail=problem) + (
                _text(lang, "range") if too_bright else ""
            )
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
        problem = compare(got_label, label, lang=lang, rtol=0.0, atol=0.0)
        if problem is not None:
            detail = _text(lang, "label", detail=problem)
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
    passed(lang, name)


# Exercise 3: a module with three branches, built with the functional API -----------------------


def module_param_count(channels_in: int, filters: int) -> int:
    """Weights and biases of the three-branch module: 1×1 | 1×1 then 3×3 | max-pool then 1×1."""
    one_by_one = (channels_in * 1 * 1 + 1) * filters
    three_by_three = (filters * 3 * 3 + 1) * filters
    return one_by_one + (one_by_one + three_by_three) + one_by_one


def check_inception_module(fn, lang: str = "en") -> None:
    """Exercise 3: fn(x, filters) -> the concatenated output of the three branches."""
    import keras

    name = "inception_module"
    rng = np.random.default_rng(12)
    for side, channels, filters in [(8, 6, 4), (5, 3, 2)]:
        case = f"x = keras.Input(shape=({side}, {side}, {channels})), filters={filters}"
        x = keras.Input(shape=(side, side, channels))
        y = call_answer(fn, (x, filters), name=name, lang=lang, case=case)
        if not isinstance(y, keras.KerasTensor):
            detail = _text(lang, "not_tensor", got=type(y).__name__)
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
        expected_shape = (None, side, side, 3 * filters)
        if tuple(y.shape) != expected_shape:
            detail = _text(lang, "out_shape", got=tuple(y.shape), expected=expected_shape)
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
        try:
            model = keras.Model(x, y)
        except Exception as exc:  # a student's graph may be broken in many ways
            detail = _text(lang, "keras_error", error=f"{type(exc).__name__}: {exc}")
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
        expected = module_param_count(channels, filters)
        if model.count_params() != expected:
            detail = _text(lang, "params", got=model.count_params(), expected=expected)
            fail_with(lang, name, message(lang, "case", case=case, detail=detail))
        sample = rng.normal(size=(2, side, side, channels)).astype("float32")
        if np.min(np.asarray(model(sample))) < 0:
            fail_with(lang, name, message(lang, "case", case=case, detail=_text(lang, "negative")))
    passed(lang, name)
