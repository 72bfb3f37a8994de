"""Checks for chapter 10: Keras classifiers on the flower photos.

Every expected value is computed here by another route than the student's: a log-sum-exp written
out in NumPy for exercise 1, index arithmetic (row i, else row 0) for the padded batch of
exercise 2, the closed-form parameter count of a convolution for exercise 3. Nothing here needs
TensorFlow; Keras is imported only inside the check that builds a model, so the checks run on
the JAX and the TensorFlow backend alike.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..checks import (
    AnswerStub,
    call_answer,
    check_function,
    compare,
    fail,
    keras_model,
    passed,
    read_answer,
    run_model,
    unanswered,
    unpack,
)
from ..lang import Messages

# Messages and case descriptions this chapter needs beyond those of coursekit.checks.
_MESSAGES = {
    "en": {
        "images": "the images: {detail}",
        "labels": "the labels: {detail}",
        "weights": "the weights: {detail}",
        "zeros": " The padding is all zeros: fill it with copies of the batch's first example.",
        "last": " The padding copies the last example: copy the first one (images[0]) instead.",
        "flipped": " Weight 1 belongs to the real examples and 0 to the padding, not the reverse.",
        "no_error": (
            "a batch longer than size cannot be padded, so the function should raise ValueError;"
            " it returned without an error."
        ),
        "other_error": "expected a ValueError for a batch longer than size, got {error}.",
        "params": (
            "the module has {got:,} parameters (weights and biases), expected {expected:,}: "
            "check the three branches and the number of filters of each convolution."
        ),
        "negative": "the output has negative values: every convolution should use ReLU.",
        "photos": "6 random photos",
    },
    "bn": {
        "images": "ছবিগুলো: {detail}",
        "labels": "লেবেলগুলো: {detail}",
        "weights": "ওয়েটগুলো: {detail}",
        "zeros": " প্যাডিংয়ের সবই শূন্য: ব্যাচের প্রথম উদাহরণের কপি দিয়ে ভরুন।",
        "last": " প্যাডিংয়ে শেষ উদাহরণের কপি বসেছে: বরং প্রথমটির (images[0]) কপি নিন।",
        "flipped": " ওয়েট ১ পাবে আসল উদাহরণগুলো, ০ পাবে প্যাডিং; উল্টোটা নয়।",
        "no_error": (
            "size-এর চেয়ে লম্বা ব্যাচ প্যাড করা যায় না, তাই ফাংশনের ValueError তোলার কথা;"
            " সে কোনো error ছাড়াই ফেরত এসেছে।"
        ),
        "other_error": "size-এর চেয়ে লম্বা ব্যাচে ValueError আশা করা হয়েছিল, পাওয়া গেছে {error}।",
        "params": (
            "মডিউলে প্যারামিটার (ওয়েট ও বায়াস) আছে {got:,}টি, থাকার কথা {expected:,}টি: তিনটি"
            " শাখা আর প্রতিটি কনভোলিউশনের ফিল্টারের সংখ্যা মিলিয়ে দেখুন।"
        ),
        "negative": "আউটপুটে ঋণাত্মক মান আছে: প্রতিটি কনভোলিউশনে ReLU থাকার কথা।",
        "photos": "৬টি এলোমেলো ছবি",
    },
}


_text = Messages(_MESSAGES)


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
        (_text(lang, "photos"), batch, batch_labels),
        ("logits=[[1000, 0, -1000, 10, 20], [-5, 800, 799, 0, 0]], labels=[2, 1]", huge, [2, 1]),
    ]:
        logits = np.asarray(logits, dtype=np.float64)
        labels = np.asarray(labels, dtype=np.int64)
        cases.append((case, (logits.copy(), labels.copy()), mean_cross_entropy(logits, labels)))
    check_function(fn, cases, name="cross_entropy", lang=lang, rtol=1e-5, atol=1e-6)


# Exercise 2: fill a short batch up to a fixed size with zero-weight copies ------------------------


def padded_batch(images: np.ndarray, labels: np.ndarray, size: int):
    """``(images, labels, weights)`` with ``size`` rows, built by index arithmetic: row ``i`` is
    the input's row ``i`` while there is one and its row 0 after that; weight 1 for the real rows,
    0 for the copies. Raises ValueError when the batch holds more than ``size`` examples."""
    n = len(images)
    if n > size:
        raise ValueError(f"a batch of {n} examples does not fit into size={size}")
    real = np.arange(size) < n
    rows = np.where(real, np.arange(size), 0)
    return np.asarray(images)[rows], np.asarray(labels)[rows], real.astype(np.float32)


def _pad_cases() -> list[tuple[np.ndarray, np.ndarray, int]]:
    rng = np.random.default_rng(10)
    return [
        # a short batch of float images, like the last validation batch of section 10.3
        (rng.random((5, 4, 4, 3), dtype=np.float32), np.array([3, 0, 4, 1, 2], np.int32), 8),
        # a batch that is already full: nothing to add, every weight 1
        (rng.random((4, 2, 2, 3), dtype=np.float32), np.array([1, 1, 0, 2], np.int32), 4),
        # a single photo, as uint8 pixels
        (rng.integers(0, 256, (1, 3, 3, 3), dtype=np.uint8), np.array([4], np.int64), 6),
        (rng.random((3, 6, 6, 3), dtype=np.float32), np.array([2, 0, 1], np.int64), 5),
    ]


def _padding_hint(lang: str, got: Any, images: np.ndarray, size: int) -> str:
    """Name a common mistake in the padding rows, if the answer shows one."""
    n = len(images)
    rows, problem = read_answer(got, lang=lang)
    if problem is not None or n >= size or rows.shape != (size, *images.shape[1:]):
        return ""
    padding = rows[n:]
    if not padding.any():
        return _text(lang, "zeros")
    if np.array_equal(padding, np.repeat(images[-1:].astype(np.float64), size - n, axis=0)):
        return _text(lang, "last")
    return ""


def check_pad_batch(fn, lang: str = "en") -> None:
    """Exercise 2: fn(images [n, ...], labels [n], size) -> (images [size, ...], labels [size],
    weights [size]): copies of the first example fill the batch; weight 1 real, 0 padding; a
    batch longer than ``size`` raises ValueError."""
    name = "pad_batch"
    for images, labels, size in _pad_cases():
        case = (
            f"images.shape={images.shape}, images.dtype={images.dtype}, "
            f"labels={labels.tolist()}, size={size}"
        )
        expected = padded_batch(images, labels, size)
        args = (images.copy(), labels.copy(), size)
        got = call_answer(
            fn, args, name=name, lang=lang, case=case, read_only={0: "images", 1: "labels"}
        )
        parts = ("images", "labels", "weights")
        got = unpack(got, parts, name=name, lang=lang, case=case)
        for part, value, want in zip(parts, got, expected, strict=True):
            # Pixels and labels are copied, not computed: they must match exactly.
            problem = compare(value, want, lang=lang, rtol=0.0, atol=0.0)
            if problem is not None:
                hint = ""
                if part == "images":
                    hint = _padding_hint(lang, value, images, size)
                elif part == "weights":
                    flipped = compare(value, 1.0 - want, lang=lang, rtol=0.0, atol=0.0)
                    hint = _text(lang, "flipped") if flipped is None else ""
                fail(lang, name, _text(lang, part, detail=problem) + hint, case=case)

    # A batch longer than size cannot be padded: the function must say so.
    rng = np.random.default_rng(11)
    images = rng.random((9, 2, 2, 3), dtype=np.float32)
    labels = np.arange(9, dtype=np.int32) % 5
    case = f"images.shape={images.shape}, labels={labels.tolist()}, size=8"
    try:
        fn(images, labels, 8)
    except ValueError:
        pass
    except AnswerStub:
        fail(lang, name, unanswered(lang))
    except Exception as exc:  # the student's code may raise anything
        detail = _text(lang, "other_error", error=f"{type(exc).__name__}: {exc}")
        fail(lang, name, detail, case=case)
    else:
        fail(lang, name, _text(lang, "no_error"), case=case)
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
        model = keras_model(
            fn,
            keras.Input(shape=(side, side, channels)),
            (filters,),
            expected_shape=(None, side, side, 3 * filters),
            name=name,
            lang=lang,
            case=case,
        )
        expected = module_param_count(channels, filters)
        if model.count_params() != expected:
            detail = _text(lang, "params", got=model.count_params(), expected=expected)
            fail(lang, name, detail, case=case)
        sample = rng.normal(size=(2, side, side, channels)).astype("float32")
        out = run_model(model, sample, name=name, lang=lang, case=case)
        if np.min(out) < 0:
            fail(lang, name, _text(lang, "negative"), case=case)
    passed(lang, name)
