"""Digit candidates as model input: pen width matched to MNIST before the contract's normalisation.

MNIST digits, once scaled to a 20-pixel box, have strokes about 2-3 pixels wide. A fine pen on a
large, high-resolution glyph shrinks to a hair-line under 1 pixel, and a felt tip on a small glyph
fills its loops; both look unlike anything the classifier saw. So the stroke is dilated or eroded
first, by the amount that brings its scaled width near MNIST's, and only then handed to
``segmentation.normalize.to_mnist`` (the one contract function).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from segmentation.normalize import BOX, to_mnist

TARGET_STROKE = 2.4  # MNIST pen width in pixels of the 20-pixel box
MIN_SCALED_STROKE = 1.6
MAX_SCALED_STROKE = 3.0


MAX_WORK_SIDE = 112  # 5.6x the 20-px box: fine enough for stroke matching, and a bounded cost


def match_stroke(image: np.ndarray, stroke_width: float) -> np.ndarray:
    """Dilates thin or erodes heavy strokes so that, at 20 px, they are about MNIST's width.

    A glyph larger than ``MAX_WORK_SIDE`` is first reduced to it (area averaging): dilating a 700-px
    blob with the 80-px kernel its thin stroke would need costs ~0.4 s each, and a hostile or
    unlocated image holds dozens of such blobs; the result is scaled to 20 px anyway.
    """
    height, width = image.shape
    if max(height, width) > MAX_WORK_SIDE:
        factor = MAX_WORK_SIDE / max(height, width)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        stroke_width *= factor
        height, width = image.shape
    scale = BOX / max(height, width, 1)
    scaled = stroke_width * scale
    if scaled < MIN_SCALED_STROKE:
        grow = round(TARGET_STROKE / scale - stroke_width)
        if grow >= 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (grow + 1, grow + 1))
            padded = cv2.copyMakeBorder(image, grow, grow, grow, grow, cv2.BORDER_CONSTANT, value=0)
            return cv2.dilate(padded, kernel)
    elif scaled > MAX_SCALED_STROKE:
        shrink = round((stroke_width - TARGET_STROKE / scale) / 2)
        if shrink >= 1:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * shrink + 1, 2 * shrink + 1))
            thinner = cv2.erode(image, kernel)
            if thinner.any():
                return thinner
    return image


def to_digit_batch(images: Sequence[np.ndarray], stroke_width: float) -> np.ndarray:
    """Digit candidates (uint8 masks, ink 255) as the model's [N, 28, 28, 1] float32 input."""
    if not images:
        return np.zeros((0, 28, 28, 1), dtype=np.float32)
    return np.stack([to_mnist(match_stroke(image, stroke_width)) for image in images])[..., None]
