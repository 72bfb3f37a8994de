"""The fire module and the small SqueezeNet of Görner's Keras codelab, in Keras 3.

Chapter 11 builds these step by step; later chapters import them from here::

    from coursekit import squeezenet

    y = squeezenet.fire(x, squeeze=24, expand=48)       # a symbolic Keras tensor in, one out
    model = squeezenet.codelab_squeezenet(image_size=192, classes=5, bn_momentum=0.9)
    assert model.count_params() == squeezenet.CODELAB_PARAMS     # 120,613 for 192 px, 5 classes

The public API:

- :func:`conv_bn`: a convolution (``padding="same"``, ReLU) followed by batch normalisation;
- :func:`fire`: a fire module: a 1×1 *squeeze* convolution, then a 1×1 and a 3×3 *expand*
  convolution side by side on its output, concatenated along the channels (``expand`` channels
  in all, half from each branch), every convolution followed by batch normalisation;
- :func:`fire_params`: the number of parameters of one fire module, by formula;
- :func:`codelab_squeezenet`: the codelab's model, 3×3 conv (32) + BN, fire(24, 48), pool,
  fire(48, 96), pool, fire(64, 128), pool, fire(48, 96), pool, fire(24, 48), global average
  pooling, Dense(``classes``, softmax);
- :func:`squeezenet_v11`: SqueezeNet v1.1 of Iandola et al. (2016) without its classifier, the
  network whose ImageNet weights chapter 12 loads (:mod:`coursekit.pretrained`);
- :func:`augment`: the codelab's augmentation, a random left-right flip and a random
  saturation factor in [0, 2], for ``flowers.load(augment=...)`` (training data only).

Order inside each convolution, as in the codelab: convolution with bias, ReLU, then
``BatchNormalization(momentum=bn_momentum)``. ``bn_momentum=0.9`` instead of Keras' default 0.99
makes the moving averages that batch normalisation uses at inference follow the training
statistics faster, which matters with few steps per epoch (a small data set). With
``batch_norm=False`` the same networks are built without any normalisation layer.

The parameter count does not depend on ``image_size`` (the network ends in global average
pooling), only on ``classes`` and ``batch_norm``. Keras is imported only when a function that
needs it is called.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = [
    "CODELAB_FIRES",
    "CODELAB_PARAMS",
    "RandomSaturation",  # noqa: F822 (made on first use by __getattr__, to import Keras late)
    "FIRE_MODULES",
    "POOL_AFTER",
    "SQUEEZENET_PARAMS",
    "augment",
    "augmentation",
    "codelab_squeezenet",
    "conv_bn",
    "fire",
    "fire_params",
    "saturate",
    "squeezenet_v11",
]

CODELAB_FIRES = ((24, 48), (48, 96), (64, 128), (48, 96), (24, 48))
"""``(squeeze, expand)`` of the codelab's five fire modules, in order; a 2×2 max-pooling sits
between consecutive ones."""

CODELAB_PARAMS = 120_613
"""Parameters of ``codelab_squeezenet(classes=5)`` (with batch normalisation), any image size."""


def conv_bn(
    x,
    filters: int,
    kernel_size: int,
    *,
    bn_momentum: float = 0.9,
    batch_norm: bool = True,
    name: str | None = None,
):
    """``Conv2D(filters, kernel_size, padding="same", activation="relu")``, then batch norm.

    ``name`` names the convolution (and ``name + "_bn"`` the batch normalisation)."""
    import keras

    y = keras.layers.Conv2D(filters, kernel_size, padding="same", activation="relu", name=name)(x)
    if batch_norm:
        bn_name = None if name is None else name + "_bn"
        y = keras.layers.BatchNormalization(momentum=bn_momentum, name=bn_name)(y)
    return y


def fire(
    x,
    squeeze: int,
    expand: int,
    *,
    bn_momentum: float = 0.9,
    batch_norm: bool = True,
    name: str | None = None,
):
    """A fire module on the symbolic tensor ``x``; the output has ``expand`` channels.

    ``squeeze`` 1×1 filters first reduce the channels; on their output a 1×1 and a 3×3
    convolution with ``expand // 2`` filters each run side by side and are concatenated.
    ``expand`` must be even. Height and width are kept (``padding="same"``). With a ``name``
    such as ``"fire2"`` the layers are called ``fire2_squeeze1x1``, ``fire2_expand1x1``,
    ``fire2_expand3x3`` and ``fire2_concat``, the names of the original SqueezeNet.
    """
    import keras

    if expand % 2:
        raise ValueError(
            f"expand={expand} must be even: each expand branch has expand // 2 filters."
        )
    options = {"bn_momentum": bn_momentum, "batch_norm": batch_norm}

    def part(suffix: str) -> str | None:
        return None if name is None else f"{name}_{suffix}"

    y = conv_bn(x, squeeze, 1, name=part("squeeze1x1"), **options)
    y1 = conv_bn(y, expand // 2, 1, name=part("expand1x1"), **options)
    y3 = conv_bn(y, expand // 2, 3, name=part("expand3x3"), **options)
    return keras.layers.Concatenate(name=part("concat"))([y1, y3])


def fire_params(in_channels: int, squeeze: int, expand: int, *, batch_norm: bool = True) -> int:
    """Parameters of ``fire(x, squeeze, expand)`` on an input with ``in_channels`` channels.

    A k×k convolution from c_in to c_out channels has (k·k·c_in + 1)·c_out parameters (weights
    and biases); batch normalisation adds 4 per channel (scale, offset, moving mean and moving
    variance, the last two not trained).
    """
    half = expand // 2
    convs = [(1, in_channels, squeeze), (1, squeeze, half), (3, squeeze, half)]
    total = sum((k * k * c_in + 1) * c_out for k, c_in, c_out in convs)
    if batch_norm:
        total += 4 * (squeeze + 2 * half)
    return total


def codelab_squeezenet(
    image_size: int = 192,
    classes: int = 5,
    bn_momentum: float = 0.9,
    *,
    batch_norm: bool = True,
    augment: bool = False,
    seed: int | None = None,
    name: str = "squeezenet",
):
    """The codelab's SqueezeNet for ``image_size``×``image_size`` RGB images (uncompiled).

    ``image_size`` must be divisible by 16 (four 2×2 poolings). With ``classes=5`` and batch
    normalisation it has :data:`CODELAB_PARAMS` = 120,613 parameters. Build it inside
    ``hw.scope()`` (see :mod:`coursekit.hardware`) when training on several devices.
    ``augment=True`` puts :func:`augmentation` (seeded by ``seed``) right after the input: it
    changes training images only and adds no parameters. The last layer computes in float32
    whatever the dtype policy, so that a ``mixed_bfloat16`` model gives float32 probabilities.
    """
    import keras

    if image_size % 16:
        raise ValueError(f"image_size={image_size} must be divisible by 16 (four 2×2 poolings).")
    options = {"bn_momentum": bn_momentum, "batch_norm": batch_norm}
    x = keras.Input(shape=(image_size, image_size, 3))
    y = augmentation(seed)(x) if augment else x
    y = conv_bn(y, 32, 3, **options)
    for i, (squeeze, expand) in enumerate(CODELAB_FIRES):
        if i:
            y = keras.layers.MaxPooling2D(2)(y)
        y = fire(y, squeeze, expand, **options)
    y = keras.layers.GlobalAveragePooling2D()(y)
    z = keras.layers.Dense(classes, activation="softmax", dtype="float32")(y)
    return keras.Model(x, z, name=name)


# --- SqueezeNet v1.1 (chapter 12 loads its ImageNet weights) ---------------------------------

SQUEEZENET_PARAMS = 722_496

FIRE_MODULES = (
    # (number, squeeze filters, expand filters of each of the 1x1 and 3x3 branches)
    (2, 16, 64),
    (3, 16, 64),
    (4, 32, 128),
    (5, 32, 128),
    (6, 48, 192),
    (7, 48, 192),
    (8, 64, 256),
    (9, 64, 256),
)
POOL_AFTER = (3, 5)  # a 3x3, stride-2 max-pooling follows these fire modules


def squeezenet_v11(input_shape: tuple[int, int, int] = (224, 224, 3), name: str = "squeezenet"):
    """SqueezeNet v1.1 without its classifier, as a Keras model with Keras's default initialisation.

    Input: images of ``input_shape`` in Caffe's convention (see :func:`caffe_preprocess`).
    Output: the 512 channels of ``fire9``, ReLU-activated, of shape [batch, h, w, 512]; for a
    224×224 input h = w = 13. 722,496 parameters, all trainable; no batch normalisation.
    """
    import keras

    layers = keras.layers
    images = keras.Input(shape=input_shape, name="images")
    x = layers.Conv2D(64, 3, strides=2, activation="relu", name="conv1")(images)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for number, squeeze, expand in FIRE_MODULES:
        # v1.1's expand branches have `expand` filters each: 2 * expand channels in all.
        x = fire(x, squeeze, 2 * expand, batch_norm=False, name=f"fire{number}")
        if number in POOL_AFTER:
            x = layers.MaxPooling2D(3, strides=2, name=f"pool{number}")(x)
    return keras.Model(images, x, name=name)


def saturate(images, factor):
    """Scale the saturation of RGB ``images`` (values in [0, 1]) by ``factor``, as HSV does.

    In HSV terms the saturation S = (max − min) / max of a pixel's channels is multiplied by
    ``factor`` and clipped at 1, while hue and value (the largest channel) stay. In RGB this is
    ``max − (max − c) · min(factor, max / (max − min))`` for each channel c: grey pixels stay
    grey, ``factor=0`` turns the image grey, a large factor pushes the smallest channel to 0.
    The same as ``tf.image.adjust_saturation``, written with ``keras.ops`` so that it runs on
    every backend. ``factor`` broadcasts against ``images`` (for example one per image,
    shape [batch, 1, 1, 1]).
    """
    import keras

    ops = keras.ops
    top = ops.max(images, axis=-1, keepdims=True)
    bottom = ops.min(images, axis=-1, keepdims=True)
    limit = top / ops.maximum(top - bottom, 1e-12)
    return ops.clip(top - (top - images) * ops.minimum(factor, limit), 0.0, 1.0)


def augmentation(seed: int | None = None, name: str = "augmentation"):
    """The codelab's augmentation as Keras layers: a random left-right flip, then a random
    saturation factor in [0, 2] per image. Active only in training (``model.fit``); at
    inference (``evaluate``, ``predict``) it passes images through unchanged. No parameters.
    Both layers compute in float32 whatever the dtype policy: under ``mixed_bfloat16`` the
    saturation arithmetic would otherwise round every pixel to bfloat16's 8 significant bits
    before the first convolution (which casts to bfloat16 itself)."""
    import keras

    return keras.Sequential(
        [
            keras.layers.RandomFlip("horizontal", seed=seed, dtype="float32"),
            _random_saturation_class()(0.0, 2.0, seed=seed, dtype="float32"),
        ],
        name=name,
    )


@lru_cache(maxsize=1)
def _random_saturation_class():
    import keras

    @keras.saving.register_keras_serializable(package="coursekit")
    class RandomSaturation(keras.layers.Layer):
        """Multiply each image's saturation by a factor drawn uniformly from [lower, upper],
        in training only (see :func:`saturate`)."""

        def __init__(self, lower=0.0, upper=2.0, seed=None, **kwargs):
            super().__init__(**kwargs)
            if not 0.0 <= lower <= upper:
                raise ValueError(f"need 0 <= lower <= upper, got lower={lower}, upper={upper}.")
            self.lower, self.upper, self.seed = float(lower), float(upper), seed
            self.generator = keras.random.SeedGenerator(seed)

        def call(self, images, training=None):
            if not training:
                return images
            shape = (keras.ops.shape(images)[0], 1, 1, 1)
            factor = keras.random.uniform(
                shape, self.lower, self.upper, dtype=images.dtype, seed=self.generator
            )
            return saturate(images, factor)

        def compute_output_shape(self, input_shape):
            return input_shape

        def get_config(self):
            return {
                **super().get_config(),
                "lower": self.lower,
                "upper": self.upper,
                "seed": self.seed,
            }

    return RandomSaturation


def __getattr__(name: str):
    # RandomSaturation subclasses a Keras layer: Keras is imported only when it is asked for.
    if name == "RandomSaturation":
        return _random_saturation_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def augment(images, labels):
    """:func:`augmentation` applied to one batch of NumPy arrays, for ``flowers.load(augment=...)``.

    Takes float32 images [batch, h, w, 3] in [0, 1] and their labels; returns NumPy arrays.
    """
    import keras

    global _AUGMENT
    if _AUGMENT is None:
        _AUGMENT = augmentation()
    out = _AUGMENT(keras.ops.convert_to_tensor(images), training=True)
    return np.asarray(keras.ops.convert_to_numpy(out)), labels


_AUGMENT = None
