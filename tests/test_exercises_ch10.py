"""Chapter 10's exercise checks pass on correct answers (not only the reference one) and fail,
with a message in the reader's language, on wrong ones."""

from __future__ import annotations

import io
import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402
from PIL import Image  # noqa: E402

from coursekit.checks import CheckFailed, stub  # noqa: E402
from coursekit.exercises import ch10  # noqa: E402

WORDS = [("en", "correct"), ("bn", "সঠিক")]


def unanswered(*args):
    stub("en")


# Exercise 1: cross_entropy(logits, labels) ----------------------------------------------------


def cross_entropy_numpy(logits, labels):
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def cross_entropy_tensorflow(logits, labels):
    # float32 tensors and TensorFlow's fused op: a different but correct answer.
    per_photo = tf.nn.sparse_softmax_cross_entropy_with_logits(
        labels=tf.constant(labels), logits=tf.constant(logits, dtype=tf.float32)
    )
    return tf.reduce_mean(per_photo)


def cross_entropy_keras(logits, labels):
    return keras.ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, True))


def cross_entropy_naive(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)  # overflows for 1000
    return -np.log(p[np.arange(len(labels)), labels]).mean()


def cross_entropy_summed(logits, labels):
    return cross_entropy_numpy(logits, labels) * len(labels)


@pytest.mark.parametrize(
    "answer", [cross_entropy_numpy, cross_entropy_tensorflow, cross_entropy_keras]
)
@pytest.mark.parametrize("lang, word", WORDS)
def test_cross_entropy_check_accepts_equivalent_answers(answer, lang, word, capsys):
    ch10.check_cross_entropy(answer, lang=lang)
    assert word in capsys.readouterr().out


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
    with pytest.raises(CheckFailed, match="not answered yet"):
        ch10.check_cross_entropy(unanswered, lang="en")


def test_mean_cross_entropy_matches_keras_on_ordinary_logits():
    logits = np.random.default_rng(0).normal(size=(7, 5))
    labels = np.arange(7) % 5
    by_keras = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    assert np.isclose(ch10.mean_cross_entropy(logits, labels), float(np.mean(by_keras)), rtol=1e-5)


# Exercise 2: decode_record(record, image_size) ------------------------------------------------

FEATURES = {
    "image": tf.io.FixedLenFeature([], tf.string),
    "label": tf.io.FixedLenFeature([], tf.int64),
}


def decode_with_tensorflow(record, image_size):
    example = tf.io.parse_single_example(record, FEATURES)
    image = tf.io.decode_jpeg(example["image"], channels=3)
    image = tf.reshape(tf.cast(image, tf.float32) / 255.0, [image_size, image_size, 3])
    return image, example["label"]


def decode_with_protobuf_and_pillow(record, image_size):
    # Another route: the protocol buffer parsed in Python, the JPEG decoded by Pillow.
    example = tf.train.Example.FromString(record.numpy())
    feature = example.features.feature
    photo = Image.open(io.BytesIO(feature["image"].bytes_list.value[0])).convert("RGB")
    return np.asarray(photo) / 255.0, int(feature["label"].int64_list.value[0])


def decode_without_scaling(record, image_size):
    image, label = decode_with_tensorflow(record, image_size)
    return image * 255.0, label


def decode_with_the_wrong_label(record, image_size):
    example = tf.io.parse_single_example(record, {**FEATURES, "id": FEATURES["label"]})
    image, _ = decode_with_tensorflow(record, image_size)
    return image, example["id"]


@pytest.mark.parametrize("answer", [decode_with_tensorflow, decode_with_protobuf_and_pillow])
@pytest.mark.parametrize("lang, word", WORDS)
def test_decode_check_accepts_equivalent_answers(answer, lang, word, capsys):
    ch10.check_decode_record(answer, lang=lang)
    assert word in capsys.readouterr().out


@pytest.mark.parametrize("lang, text", [("en", "divide by 255"), ("bn", "২৫৫ দিয়ে ভাগ")])
def test_decode_check_explains_unscaled_pixels(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_decode_record(decode_without_scaling, lang=lang)


@pytest.mark.parametrize("lang, text", [("en", "the label"), ("bn", "লেবেলটি")])
def test_decode_check_rejects_the_wrong_label(lang, text):
    with pytest.raises(CheckFailed, match=text):
        ch10.check_decode_record(decode_with_the_wrong_label, lang=lang)


def test_decode_check_wants_a_pair_and_reports_a_stub():
    with pytest.raises(CheckFailed, match=r"a pair \(image, label\)"):
        ch10.check_decode_record(lambda record, size: None, lang="en")
    with pytest.raises(CheckFailed, match="not answered yet"):
        ch10.check_decode_record(unanswered, lang="en")


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
@pytest.mark.parametrize("lang, word", WORDS)
def test_module_check_accepts_equivalent_answers(answer, lang, word, capsys):
    ch10.check_inception_module(answer, lang=lang)
    assert word in capsys.readouterr().out


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
    with pytest.raises(CheckFailed, match="not answered yet"):
        ch10.check_inception_module(unanswered, lang="en")
