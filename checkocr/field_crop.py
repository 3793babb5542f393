"""The located field cut out of the check and turned level, and the way back to image pixels.

Both readers read this crop: the digit path cleans and splits it, the field model reads it whole.
Every box a reader finds in it is mapped back to the submitted image with ``FieldCrop.to_image``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from segmentation.locate import FieldLocation

MIN_TILT = 0.3  # degrees; below this a rotation costs more than it helps


@dataclass(frozen=True)
class FieldCrop:
    """The field cut out of the image and turned level; maps boxes back to the submitted image."""

    image: np.ndarray
    origin: tuple[int, int]
    inverse: np.ndarray | None  # 2x3 affine from the levelled crop to crop coordinates (None: identity)

    def to_image(self, bbox: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        x, y, w, h = bbox
        if self.inverse is not None:
            cx, cy = x + w / 2, y + h / 2
            mx, my = self.inverse @ np.array([cx, cy, 1.0])
            x, y = round(mx - w / 2), round(my - h / 2)
        return (int(x + self.origin[0]), int(y + self.origin[1]), int(w), int(h))


def cut_field(grey: np.ndarray, bbox: tuple[int, int, int, int], tilt: float) -> FieldCrop:
    """Crops the field and, when its rules are tilted, rotates it level so rules become horizontal."""
    x0, y0, w, h = bbox
    crop = grey[y0 : y0 + h, x0 : x0 + w]
    if abs(tilt) < MIN_TILT or crop.size == 0:
        return FieldCrop(crop, (x0, y0), None)
    centre = (w / 2, h / 2)
    forward = cv2.getRotationMatrix2D(centre, tilt, 1.0)
    level = cv2.warpAffine(crop, forward, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return FieldCrop(level, (x0, y0), cv2.invertAffineTransform(forward))


def given_field(grey: np.ndarray) -> FieldLocation:
    """The whole image as the field (``region="field"``)."""
    height, width = grey.shape
    return FieldLocation((0, 0, width, height), "given", 1.0)
