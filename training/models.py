"""The three candidate architectures. Each returns a Keras model mapping [N, 28, 28, 1] to logits.

Logits (not probabilities) come out so that temperature scaling can be fitted afterwards; the exported
graph adds the calibrated softmax.
"""

from __future__ import annotations

from pathlib import Path

import keras
from keras import layers

INPUT_SHAPE = (28, 28, 1)
RESNET_SIDE = 32  # the smallest input keras.applications.ResNet50 accepts; keeps a CPU run feasible
IMAGENET_MEAN = 116.779  # mean of the caffe-style BGR means, for grey inputs


def build_logistic() -> keras.Model:
    """Softmax regression over the 784 pixels: the floor every other model must clear."""
    inputs = keras.Input(INPUT_SHAPE, name="digits")
    logits = layers.Dense(10, name="logits")(layers.Flatten()(inputs))
    return keras.Model(inputs, logits, name="logistic")


def _conv_bn(x, filters: int, kernel: int, strides: int = 1, padding: str = "same"):
    x = layers.Conv2D(filters, kernel, strides=strides, padding=padding, use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def build_cnn(dropout: float = 0.4) -> keras.Model:
    """Three convolution stages with batch norm and dropout; strided 5x5 convolutions replace pooling.

    This is the family of single CNNs that reach about 99.6-99.7% on MNIST; it is small enough
    (about 0.3M parameters) to train on two CPU cores in well under an hour.
    """
    inputs = keras.Input(INPUT_SHAPE, name="digits")
    x = _conv_bn(inputs, 32, 3, padding="valid")
    x = _conv_bn(x, 32, 3, padding="valid")
    x = _conv_bn(x, 32, 5, strides=2)
    x = layers.Dropout(dropout)(x)
    x = _conv_bn(x, 64, 3, padding="valid")
    x = _conv_bn(x, 64, 3, padding="valid")
    x = _conv_bn(x, 64, 5, strides=2)
    x = layers.Dropout(dropout)(x)
    x = _conv_bn(x, 128, 4, padding="valid")
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    logits = layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, logits, name="cnn")


def build_resnet50(weights: Path | str | None) -> tuple[keras.Model, keras.Model]:
    """ResNet-50 on the digit upscaled to 32x32 RGB. Returns (model, base) so the caller can freeze the base.

    ``weights`` is "imagenet" (Keras cache), a path to a weights file without the top, or None for
    random initialisation.
    """
    inputs = keras.Input(INPUT_SHAPE, name="digits")
    x = layers.Resizing(RESNET_SIDE, RESNET_SIDE, interpolation="bilinear")(inputs)
    x = layers.Concatenate(axis=-1)([x, x, x])
    x = layers.Rescaling(scale=255.0, offset=-IMAGENET_MEAN)(x)
    base = keras.applications.ResNet50(
        include_top=False,
        weights=str(weights) if weights is not None else None,
        input_shape=(RESNET_SIDE, RESNET_SIDE, 3),
        pooling="avg",
    )
    x = base(x)
    x = layers.Dropout(0.3)(x)
    logits = layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, logits, name="resnet50"), base
