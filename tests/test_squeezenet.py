"""coursekit.squeezenet: the fire module's shape and parameter count, the codelab model's
120,613 parameters, and the augmentation's range."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from coursekit import squeezenet  # noqa: E402


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


def test_augment_keeps_range_and_label_and_flips():
    tf.random.set_seed(1)
    image = tf.random.uniform((16, 16, 3))
    seen_flip = seen_same = False
    for _ in range(20):
        out, label = squeezenet.augment(image, 3)
        assert label == 3 and out.shape == image.shape
        assert 0.0 <= float(tf.reduce_min(out)) and float(tf.reduce_max(out)) <= 1.0 + 1e-6
        # saturation changes colours but keeps each pixel's largest channel (the HSV value)
        value = tf.reduce_max(out, axis=-1).numpy()
        original = tf.reduce_max(image, axis=-1).numpy()
        if np.allclose(value, original, atol=1e-5):
            seen_same = True
        elif np.allclose(value, original[:, ::-1], atol=1e-5):
            seen_flip = True
    assert seen_flip and seen_same
