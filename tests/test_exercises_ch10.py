"""Chapter 10's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import os
import re

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402

from coursekit.checks import CheckFailed, stub, success, unanswered  # noqa: E402
from coursekit.exercises import ch10  # noqa: E402


def not_answered(*args):
    stub("en")


# Exercise 1: cross_entropy(logits, labels) ----------------------------------------------------


def cross_entropy_numpy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def cross_entropy_keras_ops(logits, labels):
    # float32 tensors of the backend in use and keras.ops.log_softmax: a different correct answer.
    log_p = keras.ops.log_softmax(keras.ops.convert_to_tensor(logits, dtype="float32"), axis=-1)
    picked = keras.ops.take_along_axis(log_p, keras.ops.convert_to_tensor(labels)[:, None], axis=1)
    return -keras.ops.mean(picked)


def cross_entropy_keras(logits, labels):
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, True))


def cross_entropy_naive(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # overflows for 1000
    return -np.log(p[np.arange(len(labels)), labels]).mean()


def cross_entropy_summed(logits, labels):
    return cross_entropy_numpy(logits, labels) * len(labels)


@pytest.mark.parametrize(
    "answer", [cross_entropy_numpy, cross_entropy_keras_ops, cross_entropy_keras]
)
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_cross_entropy_check_accepts_equivalent_answers(answer, lang, capsys):
    ch10.check_cross_entropy(answer, lang=lang)
    assert success(lang, "cross_entropy") in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("lang, text", [("en", "NaN or infinity"), ("bn", "NaN বা অসীম")])
def test_cross_entropy_check_rejects_an_overflowing_softmax(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_cross_entropy(cross_entropy_naive, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "expected about"), ("bn", "হওয়ার কথা প্রায়")])
def test_cross_entropy_check_rejects_a_sum(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_cross_entropy(cross_entropy_summed, lang=lang)


def test_cross_entropy_check_reports_a_stub():
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch10.check_cross_entropy(not_answered, lang="en")


def test_mean_cross_entropy_matches_keras_on_ordinary_logits():
    logits = np.random.default_rng(0).normal(size=(7, 5))
    labels = np.arange(7) % 5
    by_keras = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    assert np.isclose(ch10.mean_cross_entropy(logits, labels), float(np.mean(by_keras)), rtol=1e-5)


# Exercise 2: pad_batch(images, labels, size) --------------------------------------------------


def pad_with_concatenate(images, labels, size):
    missing = size - len(images)
    if missing < 0:
        raise ValueError("too long")
    weights = np.concatenate([np.ones(len(images), np.float32), np.zeros(missing, np.float32)])
    images = np.concatenate([images, np.repeat(images[:1], missing, axis=0)])
    labels = np.concatenate([labels, np.repeat(labels[:1], missing)])
    return images, labels, weights


def pad_with_indices(images, labels, size):
    # Another route: index with [0, 1, ..., n-1, 0, 0, ...]; boolean weights, returned as a list.
    n = len(images)
    if n > size:
        raise ValueError(f"{n} > {size}")
    rows = [*range(n), *[0] * (size - n)]
    return [images[rows], labels[rows], np.arange(size) < n]


def pad_with_keras_ops(images, labels, size):
    # A third: backend tensors (JAX or TensorFlow), integer weights.
    n = len(images)
    if n > size:
        raise ValueError("batch longer than size")
    first = keras.ops.repeat(keras.ops.convert_to_tensor(images[:1]), size - n, axis=0)
    padded = keras.ops.concatenate([keras.ops.convert_to_tensor(images), first], axis=0)
    padded_labels = keras.ops.concatenate([labels, keras.ops.repeat(labels[:1], size - n)])
    weights = keras.ops.cast(keras.ops.arange(size) < n, "int32")
    return padded, padded_labels, weights


def pad_with_zeros(images, labels, size):
    images, labels, weights = pad_with_concatenate(images, labels, size)
    images[int(weights.sum()) :] = 0
    return images, labels, weights


def pad_with_the_last(images, labels, size):
    missing = size - len(images)
    if missing < 0:
        raise ValueError("too long")
    images = np.concatenate([images, np.repeat(images[-1:], missing, axis=0)])
    labels = np.concatenate([labels, np.repeat(labels[:1], missing)])
    return images, labels, (np.arange(size) < size - missing).astype(np.float32)


def pad_with_flipped_weights(images, labels, size):
    images, labels, weights = pad_with_concatenate(images, labels, size)
    return images, labels, 1 - weights


def pad_with_label_zero(images, labels, size):
    images, labels, weights = pad_with_concatenate(images, labels, size)
    labels[int(weights.sum()) :] = 0
    return images, labels, weights


def pad_without_the_check(images, labels, size):
    if len(images) > size:
        return images[:size], labels[:size], np.ones(size, np.float32)
    return pad_with_concatenate(images, labels, size)


def pad_with_an_assert(images, labels, size):
    assert len(images) <= size, "too long"
    return pad_with_concatenate(images, labels, size)


def pad_in_place(images, labels, size):
    images[0] = 0.5  # changes the caller's array
    return pad_with_concatenate(images, labels, size)


def pad_not_at_all(images, labels, size):
    if len(images) > size:
        raise ValueError("too long")
    return images, labels, np.ones(len(images), np.float32)


def test_padded_batch_is_the_rows_then_copies_of_row_0():
    images = np.arange(3 * 2).reshape(3, 2)
    padded, labels, weights = ch10.padded_batch(images, np.array([7, 8, 9]), 5)
    assert padded.tolist() == [[0, 1], [2, 3], [4, 5], [0, 1], [0, 1]]
    assert labels.tolist() == [7, 8, 9, 7, 7] and weights.tolist() == [1, 1, 1, 0, 0]
    with pytest.raises(ValueError):
        ch10.padded_batch(images, np.array([7, 8, 9]), 2)


@pytest.mark.parametrize("answer", [pad_with_concatenate, pad_with_indices, pad_with_keras_ops])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_pad_check_accepts_equivalent_answers(answer, lang, capsys):
    ch10.check_pad_batch(answer, lang=lang)
    assert success(lang, "pad_batch") in capsys.readouterr().out


@pytest.mark.parametrize(
    "wrong, lang, text",
    [
        (pad_with_zeros, "en", "all zeros: fill it with copies"),
        (pad_with_zeros, "bn", "প্রথম উদাহরণের কপি"),
        (pad_with_the_last, "en", r"copy the first one \(images\[0\]\)"),
        (pad_with_flipped_weights, "en", "Weight 1 belongs to the real examples"),
        (pad_with_flipped_weights, "bn", "ওয়েট ১ পাবে আসল উদাহরণগুলো"),
        (pad_with_label_zero, "en", "the labels: wrong value at index 5"),
        (pad_without_the_check, "en", "should raise ValueError"),
        (pad_without_the_check, "bn", "ValueError তোলার কথা"),
        (pad_with_an_assert, "en", "expected a ValueError .* got AssertionError"),
        (pad_in_place, "en", "changed its input images in place"),
        (pad_not_at_all, "en", r"the images: expected shape \(8, 4, 4, 3\), got \(5, 4, 4, 3\)"),
        (lambda images, labels, size: (images, labels), "en", r"3 values \(images, .*\), got 2"),
        (lambda images, labels, size: None, "bn", "3টি মানের একটি টাপল"),
    ],
)
def test_pad_check_rejects_wrong_answers(wrong, lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_pad_batch(wrong, lang=lang)


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_pad_check_reports_a_stub(lang):
    def unanswered_here(*args):
        stub(lang)

    with pytest.raises(CheckFailed, match=re.escape(unanswered(lang))):
        ch10.check_pad_batch(unanswered_here, lang=lang)


# Exercise 3: inception_module(x, filters) -----------------------------------------------------

layers = keras.layers


def module(x, filters):
    branch1 = layers.Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch2 = layers.Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch2 = layers.Conv2D(filters, 3, padding="same", activation="relu")(branch2)
    branch3 = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branch3 = layers.Conv2D(filters, 1, padding="same", activation="relu")(branch3)
    return layers.concatenate([branch1, branch2, branch3])


def module_other_order(x, filters):
    # Another order of the branches, the Concatenate class and separate ReLU layers.
    pooled = layers.MaxPool2D(pool_size=(3, 3), strides=(1, 1), padding="same")(x)
    branch3 = layers.ReLU()(layers.Conv2D(filters, (1, 1))(pooled))
    branch2 = layers.Conv2D(filters, (1, 1), activation="relu")(x)
    branch2 = layers.ReLU()(layers.Conv2D(filters, (3, 3), padding="same")(branch2))
    branch1 = layers.Conv2D(filters, (1, 1), activation="relu")(x)
    return layers.Concatenate(axis=-1)([branch3, branch2, branch1])


def module_without_the_squeeze(x, filters):
    branch1 = layers.Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch2 = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    branch3 = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branch3 = layers.Conv2D(filters, 1, padding="same", activation="relu")(branch3)
    return layers.concatenate([branch1, branch2, branch3])


def module_with_two_branches(x, filters):
    branch1 = layers.Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch2 = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
    return layers.concatenate([branch1, branch2])


def module_without_relu(x, filters):
    branch1 = layers.Conv2D(filters, 1, padding="same")(x)
    branch2 = layers.Conv2D(filters, 1, padding="same")(x)
    branch2 = layers.Conv2D(filters, 3, padding="same")(branch2)
    branch3 = layers.MaxPooling2D(3, strides=1, padding="same")(x)
    branch3 = layers.Conv2D(filters, 1, padding="same")(branch3)
    return layers.concatenate([branch1, branch2, branch3])


def module_as_a_model(x, filters):
    return keras.Model(x, module(x, filters))


@pytest.mark.parametrize("answer", [module, module_other_order])
@pytest.mark.parametrize("lang", ["en", "bn"])
def test_module_check_accepts_equivalent_answers(answer, lang, capsys):
    ch10.check_inception_module(answer, lang=lang)
    assert success(lang, "inception_module") in capsys.readouterr().out


def test_module_param_count_matches_keras():
    x = keras.Input(shape=(8, 8, 6))
    assert keras.Model(x, module(x, 4)).count_params() == ch10.module_param_count(6, 4) == 232


@pytest.mark.parametrize("lang, text", [("en", "expected 232"), ("bn", "থাকার কথা 232টি")])
def test_module_check_counts_parameters(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_inception_module(module_without_the_squeeze, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", r"expected \(None, 8, 8, 12\)"), ("bn", "আকৃতি")])
def test_module_check_rejects_a_wrong_shape(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_inception_module(module_with_two_branches, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "ReLU"), ("bn", "ঋণাত্মক")])
def test_module_check_wants_relu(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_inception_module(module_without_relu, lang=lang)


def test_module_check_wants_a_tensor_and_reports_a_stub():
    with pytest.raises(CheckFailed, match="Keras tensor"):
        ch10.check_inception_module(module_as_a_model, lang="en")
    with pytest.raises(CheckFailed, match=re.escape(unanswered("en"))):
        ch10.check_inception_module(not_answered, lang="en")
