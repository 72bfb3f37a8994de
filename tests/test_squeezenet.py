"""coursekit.squeezenet: the fire module's shape and parameter count, the codelab model's
120,613 parameters (with and without its augmentation layers), its float32 output under the
mixed_bfloat16 policy, the saturation in keras.ops, the augmentation (training only), and the
chapter 11 full-run script's recipe.

Backend-neutral: run it with KERAS_BACKEND=jax and with KERAS_BACKEND=tensorflow. Only the
comparison with tf.image.adjust_saturation needs TensorFlow (skipped where it is missing).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import keras
import numpy as np
import pytest

from coursekit import squeezenet

ROOT = Path(__file__).resolve().parents[1]

# Keras's variables on the JAX backend call np.array(variable) in get_weights(), and NumPy 2 warns
# that their __array__ takes no `copy` keyword: Keras's matter, not this course's.
pytestmark = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


@pytest.mark.parametrize("batch_norm", [True, False])
@pytest.mark.parametrize(("c_in", "squeeze", "expand"), [(32, 24, 48), (3, 8, 16), (96, 64, 128)])
def test_fire_shape_and_parameters(c_in, squeeze, expand, batch_norm):
    x = keras.Input(shape=(12, 10, c_in))
    module = keras.Model(x, squeezenet.fire(x, squeeze, expand, batch_norm=batch_norm))
    assert tuple(module.output.shape) == (None, 12, 10, expand)
    expected = squeezenet.fire_params(c_in, squeeze, expand, batch_norm=batch_norm)
    assert module.count_params() == expected
    # the same count written out by hand, layer by layer
    half = expand // 2
    by_hand = (c_in + 1) * squeeze + (squeeze + 1) * half + (9 * squeeze + 1) * half
    assert expected == by_hand + (4 * (squeeze + expand) if batch_norm else 0)


def test_fire_concatenates_a_1x1_and_a_3x3_branch():
    x = keras.Input(shape=(6, 6, 4))
    module = keras.Model(x, squeezenet.fire(x, 2, 6, batch_norm=False))
    kernels = sorted(
        tuple(layer.kernel.shape)
        for layer in module.layers
        if isinstance(layer, keras.layers.Conv2D)
    )
    assert kernels == [(1, 1, 2, 3), (1, 1, 4, 2), (3, 3, 2, 3)]


def test_fire_rejects_odd_expand():
    x = keras.Input(shape=(6, 6, 4))
    with pytest.raises(ValueError, match="even"):
        squeezenet.fire(x, 2, 5)


@pytest.mark.parametrize("image_size", [192, 64])
def test_codelab_model_has_120613_parameters(image_size):
    model = squeezenet.codelab_squeezenet(image_size=image_size)
    assert model.count_params() == squeezenet.CODELAB_PARAMS == 120_613
    assert tuple(model.output.shape) == (None, 5)
    # by formula: first conv + BN, five fire modules, dense layer
    c_in, total = 32, (27 + 1) * 32 + 4 * 32
    for squeeze, expand in squeezenet.CODELAB_FIRES:
        total += squeezenet.fire_params(c_in, squeeze, expand)
        c_in = expand
    total += (c_in + 1) * 5
    assert total == 120_613
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.BatchNormalization)]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(norms) == len(convs) == 16
    assert all(layer.momentum == 0.9 for layer in norms)


def test_codelab_model_without_batch_norm_and_bad_size():
    model = squeezenet.codelab_squeezenet(image_size=32, classes=3, batch_norm=False)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in model.layers)
    assert tuple(model.output.shape) == (None, 3)
    probabilities = model.predict(np.random.default_rng(0).random((2, 32, 32, 3)), verbose=0)
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    with pytest.raises(ValueError, match="16"):
        squeezenet.codelab_squeezenet(image_size=100)


def random_photos(n=6, side=16, seed=0):
    """Colourful test images in [0, 1], with a few exactly grey pixels."""
    images = np.random.default_rng(seed).random((n, side, side, 3)).astype("float32")
    images[:, 0, :3] = images[:, 0, :3, :1]  # three grey pixels per image
    return images


def numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_codelab_model_with_augmentation_has_the_same_parameters_and_predictions():
    model = squeezenet.codelab_squeezenet(image_size=32, augment=True, seed=0)
    plain = squeezenet.codelab_squeezenet(image_size=32)
    assert model.count_params() == plain.count_params() == squeezenet.CODELAB_PARAMS
    assert model.layers[1].name == "augmentation" and model.layers[1].count_params() == 0
    plain.set_weights(model.get_weights())
    images = random_photos(4, 32)
    # predict runs with training=False: the augmentation layers let the photos pass unchanged
    assert np.abs(model.predict(images, verbose=0) - plain.predict(images, verbose=0)).max() < 1e-6


def test_last_layer_is_float32_under_mixed_bfloat16():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        model = squeezenet.codelab_squeezenet(image_size=32, augment=True, seed=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert all(layer.compute_dtype == "bfloat16" for layer in convs)
    assert all(layer.kernel.dtype == "float32" for layer in convs)  # variables stay float32
    assert model.layers[-1].dtype_policy.name == "float32"
    # the augmentation works on float32 pixels; the first convolution casts them to bfloat16
    augmentation = model.get_layer("augmentation")
    assert [layer.compute_dtype for layer in augmentation.layers] == ["float32", "float32"]
    assert augmentation(random_photos(2, 32), training=True).dtype == "float32"
    probabilities = model.predict(random_photos(2, 32), verbose=0)
    assert probabilities.dtype == np.float32
    assert np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_saturate_grey_identity_value_and_clipping():
    images = random_photos()
    grey = numpy(squeezenet.saturate(images, 0.0))
    assert np.allclose(grey.max(axis=-1), grey.min(axis=-1), atol=1e-6)  # factor 0: grey
    assert np.allclose(grey.max(axis=-1), images.max(axis=-1), atol=1e-6)  # the value stays
    assert np.allclose(numpy(squeezenet.saturate(images, 1.0)), images, atol=1e-6)
    vivid = numpy(squeezenet.saturate(images, 1e4))
    assert np.allclose(vivid.max(axis=-1), images.max(axis=-1), atol=1e-6)
    assert np.allclose(vivid.min(axis=-1)[:, 1:], 0.0, atol=1e-6)  # saturated: smallest channel 0
    assert np.allclose(vivid[:, 0, :3], images[:, 0, :3], atol=1e-6)  # grey pixels stay grey
    # one factor per image, broadcast against [batch, h, w, 3]
    factors = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0], "float32").reshape(-1, 1, 1, 1)
    mixed = numpy(squeezenet.saturate(images, factors))
    assert np.allclose(mixed[1::2], images[1::2], atol=1e-6)
    assert np.allclose(mixed[0::2], grey[0::2], atol=1e-6)


@pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None, reason="needs TensorFlow")
@pytest.mark.parametrize("factor", [0.0, 0.3, 1.0, 1.7, 2.0])
def test_saturate_equals_tf_image_adjust_saturation(factor):
    import tensorflow as tf

    images = random_photos(seed=1)
    expected = tf.image.adjust_saturation(images, factor).numpy()
    assert np.abs(numpy(squeezenet.saturate(images, factor)) - expected).max() < 1e-5


def test_augmentation_changes_training_batches_only():
    images = random_photos(32)
    layers = squeezenet.augmentation(seed=0)
    assert np.array_equal(numpy(layers(images, training=False)), images)
    assert layers.count_params() == 0
    out = numpy(layers(images, training=True))
    assert out.shape == images.shape and out.min() >= 0.0 and out.max() <= 1.0 + 1e-6
    assert np.abs(out - images).max() > 0.1
    # saturation keeps each pixel's value (largest channel); the flip mirrors it, or not
    value, original = out.max(axis=-1), images.max(axis=-1)
    kept = [np.allclose(v, o, atol=1e-5) for v, o in zip(value, original, strict=True)]
    flipped = [np.allclose(v, o[:, ::-1], atol=1e-5) for v, o in zip(value, original, strict=True)]
    assert all(k or f for k, f in zip(kept, flipped, strict=True))
    assert 0 < sum(flipped) < len(images)


def test_augmentation_with_a_seed_repeats_its_draws():
    images = random_photos(8)
    first = numpy(squeezenet.augmentation(seed=3)(images, training=True))
    again = numpy(squeezenet.augmentation(seed=3)(images, training=True))
    assert np.array_equal(first, again)


def test_augment_acts_on_numpy_batches_and_keeps_labels():
    images, labels = random_photos(16), np.arange(16, dtype=np.int32) % 5
    out, out_labels = squeezenet.augment(images, labels)
    assert isinstance(out, np.ndarray) and out.shape == images.shape
    assert out_labels is labels
    assert np.abs(out - images).max() > 0.1 and out.min() >= 0.0 and out.max() <= 1.0 + 1e-6


def chapter_settings(lang: str) -> str:
    return (ROOT / "chapters" / lang / "11-squeezenet.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["en", "bn"])
def test_full_run_script_trains_the_chapters_full_recipe(lang):
    """benchmarks/full_runs/ch11_squeezenet.py repeats the notebook's full-mode settings."""
    spec = importlib.util.spec_from_file_location(
        "ch11_full_run", ROOT / "benchmarks" / "full_runs" / "ch11_squeezenet.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)  # defines the recipe; trains nothing
    text = chapter_settings(lang)
    full = {
        "IMAGE_SIZE": r"IMAGE_SIZE = 32 if QUICK else (\d+)",
        "EPOCHS": r"EPOCHS = 6 if QUICK else (\d+)",
        "PER_REPLICA": r"PER_REPLICA = .* if QUICK else (\d+)",
        "SEED": r"SEED = (\d+)",
    }
    for name, pattern in full.items():
        assert int(re.search(pattern, text).group(1)) == getattr(script, name), name
    lr = re.search(r"LR_MAX, LR_MIN, LR_DECAY = ([\d.]+), ([\d.]+), ([\d.]+)", text)
    assert tuple(float(v) for v in lr.groups()) == (script.LR_MAX, script.LR_MIN, script.LR_DECAY)
    assert "augment=True" in text and "bn_momentum=0.9" in text
