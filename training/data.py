"""Splits and input pipelines.

Augmentation lives here, in tf.data, and never inside the model: augmentation layers left in a graph
export to ops that onnxruntime cannot load, and the shipped model must be inference-only.
The augmentations imitate what handwriting on a scanned check does to a digit: slant (shear),
rotation, size, position, stroke thickness (pen and scanner threshold), blur, noise and broken strokes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from checkocr.mnist import Mnist

VALIDATION_SIZE = 5_000


@dataclass(frozen=True)
class Splits:
    x_train: np.ndarray  # float32 [N, 28, 28, 1] in [0, 1]
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def to_float(images: np.ndarray) -> np.ndarray:
    return (images.astype(np.float32) / 255.0)[..., None]


def stratified_split(labels: np.ndarray, val_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val) with each class's share of ``labels`` kept in the validation part."""
    rng = np.random.default_rng(seed)
    val_parts = []
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        take = round(val_size * len(members) / len(labels))
        val_parts.append(rng.choice(members, size=take, replace=False))
    val = np.sort(np.concatenate(val_parts))
    train = np.setdiff1d(np.arange(len(labels)), val)
    return rng.permutation(train), val


def make_splits(mnist: Mnist, seed: int, val_size: int = VALIDATION_SIZE, limit: int | None = None) -> Splits:
    """Holds back a stratified validation set; the test set is only ever used for the final report.

    ``limit`` keeps a stratified subset of every split (the quick path runs on a few hundred images).
    """
    train_idx, val_idx = stratified_split(mnist.train_labels, val_size, seed)
    x_test, y_test = mnist.test_images, mnist.test_labels
    if limit is not None:
        train_idx = train_idx[:limit]
        val_idx = val_idx[: max(limit // 4, 50)]
        keep, _ = stratified_split(y_test, min(len(y_test), max(limit, 1000)), seed)
        keep = keep[: max(limit, 1000)]
        x_test, y_test = x_test[keep], y_test[keep]
    return Splits(
        x_train=to_float(mnist.train_images[train_idx]),
        y_train=mnist.train_labels[train_idx].astype(np.int64),
        x_val=to_float(mnist.train_images[val_idx]),
        y_val=mnist.train_labels[val_idx].astype(np.int64),
        x_test=to_float(x_test),
        y_test=y_test.astype(np.int64),
    )


@dataclass(frozen=True)
class Augmentation:
    """Ranges of the random distortions; recorded in the model card."""

    rotation_deg: float = 10.0
    scale: tuple[float, float] = (0.85, 1.12)
    shear: float = 0.25  # slant, as tan(angle)
    shift_px: float = 2.0
    p_thicken: float = 0.15
    p_thin: float = 0.10
    p_blur: float = 0.10
    p_noise: float = 0.10
    noise_std: float = 0.08
    p_break: float = 0.08

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _affine_transforms(batch: int, aug: Augmentation) -> tf.Tensor:
    """Per-image inverse affine maps (output -> input pixel) in ImageProjectiveTransform's 8-vector form."""
    angle = tf.random.uniform([batch], -1.0, 1.0) * (aug.rotation_deg * math.pi / 180.0)
    scale = tf.random.uniform([batch], aug.scale[0], aug.scale[1])
    shear = tf.random.uniform([batch], -aug.shear, aug.shear)
    tx = tf.random.uniform([batch], -aug.shift_px, aug.shift_px)
    ty = tf.random.uniform([batch], -aug.shift_px, aug.shift_px)
    cos, sin = tf.cos(angle), tf.sin(angle)
    # forward = shift(centre + t) @ rotate @ shear @ scale @ shift(-centre)
    a = scale * (cos - sin * 0.0)
    b = scale * (cos * shear - sin)
    d = scale * sin
    e = scale * (sin * shear + cos)
    centre = 13.5
    c = centre + tx - (a * centre + b * centre)
    f = centre + ty - (d * centre + e * centre)
    zeros, ones = tf.zeros([batch]), tf.ones([batch])
    forward = tf.stack([a, b, c, d, e, f, zeros, zeros, ones], axis=1)
    inverse = tf.linalg.inv(tf.reshape(forward, [batch, 3, 3]))
    inverse = tf.reshape(inverse, [batch, 9])
    return inverse[:, :8] / inverse[:, 8:9]


def _apply_with_probability(images: tf.Tensor, altered: tf.Tensor, probability: float) -> tf.Tensor:
    pick = tf.random.uniform([tf.shape(images)[0], 1, 1, 1]) < probability
    return tf.where(pick, altered, images)


def augment_batch(images: tf.Tensor, aug: Augmentation) -> tf.Tensor:
    """Distorts a batch [B, 28, 28, 1] of MNIST digits the way check handwriting differs from MNIST."""
    batch = tf.shape(images)[0]
    images = tf.raw_ops.ImageProjectiveTransformV3(
        images=images,
        transforms=_affine_transforms(batch, aug),
        output_shape=tf.constant([28, 28]),
        fill_value=0.0,
        interpolation="BILINEAR",
        fill_mode="CONSTANT",
    )
    thick = tf.nn.max_pool2d(images, ksize=2, strides=1, padding="SAME")
    images = _apply_with_probability(images, thick, aug.p_thicken)
    thin = -tf.nn.max_pool2d(-images, ksize=2, strides=1, padding="SAME")
    images = _apply_with_probability(images, thin, aug.p_thin)
    kernel = tf.constant([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16.0
    blurred = tf.nn.conv2d(images, tf.reshape(kernel, [3, 3, 1, 1]), strides=1, padding="SAME")
    images = _apply_with_probability(images, blurred, aug.p_blur)
    noisy = images + tf.random.normal(tf.shape(images), stddev=aug.noise_std)
    images = _apply_with_probability(images, noisy, aug.p_noise)
    # A broken stroke: a 2-pixel band with no ink at a random row or column.
    position = tf.random.uniform([batch, 1, 1, 1], 6, 22, dtype=tf.int32)
    rows = tf.reshape(tf.range(28), [1, 28, 1, 1])
    cols = tf.reshape(tf.range(28), [1, 1, 28, 1])
    horizontal = tf.random.uniform([batch, 1, 1, 1]) < 0.5
    band = tf.where(
        horizontal,
        (rows >= position) & (rows < position + 2),
        (cols >= position) & (cols < position + 2),
    )
    broken = tf.where(band, tf.zeros_like(images), images)
    images = _apply_with_probability(images, broken, aug.p_break)
    return tf.clip_by_value(images, 0.0, 1.0)


def train_dataset(
    x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, aug: Augmentation | None
) -> tf.data.Dataset:
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    dataset = dataset.shuffle(len(x), seed=seed, reshuffle_each_iteration=True).batch(batch_size)
    if aug is not None:
        dataset = dataset.map(lambda images, labels: (augment_batch(images, aug), labels))
    return dataset.prefetch(tf.data.AUTOTUNE)


def eval_dataset(x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size)
