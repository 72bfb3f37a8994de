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

__all__ = [
    "CODELAB_FIRES",
    "CODELAB_PARAMS",
    "augment",
    "codelab_squeezenet",
    "conv_bn",
    "fire",
    "fire_params",
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
    name: str = "squeezenet",
):
    """The codelab's SqueezeNet for ``image_size``×``image_size`` RGB images (uncompiled).

    ``image_size`` must be divisible by 16 (four 2×2 poolings). With ``classes=5`` and batch
    normalisation it has :data:`CODELAB_PARAMS` = 120,613 parameters. Build it inside
    ``strategy.scope()`` when training with a distribution strategy.
    """
    import keras

    if image_size % 16:
        raise ValueError(f"image_size={image_size} must be divisible by 16 (four 2×2 poolings).")
    options = {"bn_momentum": bn_momentum, "batch_norm": batch_norm}
    x = keras.Input(shape=(image_size, image_size, 3))
    y = conv_bn(x, 32, 3, **options)
    for i, (squeeze, expand) in enumerate(CODELAB_FIRES):
        if i:
            y = keras.layers.MaxPooling2D(2)(y)
        y = fire(y, squeeze, expand, **options)
    y = keras.layers.GlobalAveragePooling2D()(y)
    z = keras.layers.Dense(classes, activation="softmax")(y)
    return keras.Model(x, z, name=name)


def augment(image, label):
    """The codelab's augmentation: random left-right flip, random saturation factor in [0, 2].

    For float images in [0, 1] (as ``flowers.load`` gives them) the result stays in [0, 1].
    Pass it as ``flowers.load(..., augment=augment)``: it is applied to training images only.
    """
    import tensorflow as tf

    image = tf.image.random_flip_left_right(image)
    image = tf.image.random_saturation(image, lower=0.0, upper=2.0)
    return image, label
