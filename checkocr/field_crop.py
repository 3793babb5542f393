"""The located field cut out of the check and turned level, and the way back to image pixels.

Both readers read this crop: the digit path cleans and splits it, the field model reads it whole
(on a check, without the rules the cleaning found).
Every box a reader finds in it is mapped back to the submitted image with ``FieldCrop.to_image``.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from segmentation.clean import CleanField, clean_field
from segmentation.locate import FieldLocation

MIN_TILT = 0.3  # degrees; below this a rotation costs more than it helps
BOX_SIDE = 0.6  # a detected box is cut with margins: its sides span ~80% of the crop
FIELD_SIDE = 0.8  # a given field may start with a tall "1" at its edge
PAPER_PERCENTILE = 75  # the crop's grey at this percentile stands for its paper (ink covers far less)


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


def clean_crop(field: FieldCrop, location: FieldLocation) -> CleanField:
    """The cut-out field's ink with rules and box sides removed (the digit path splits this)."""
    return clean_field(field.image, side_fraction=BOX_SIDE if location.boxed else FIELD_SIDE)


def field_model_input(
    field: FieldCrop, location: FieldLocation, cleaned: CleanField | None = None
) -> np.ndarray:
    """What the field model reads: a given field as it is; a field found on a check without the rules
    and box sides the cleaning found (``without_rules``). Training cuts check fields the same way."""
    if location.source == "given":
        return field.image
    return without_rules(field.image, cleaned or clean_crop(field, location))


def without_rules(image: np.ndarray, cleaned: CleanField) -> np.ndarray:
    """The crop with the rules, box sides and slivers the cleaning took away painted in the paper's
    grey, for the field model: it reads a box side cut into the crop as a "1" ("$ 228" as "$2281").
    The specks the cleaning dropped stay: a pen point smaller than the digit path's speck floor is
    still a decimal point to the field model.
    Only fields located on a whole check are read this way: a field the caller cut out is read as
    given, as the field model was cross-validated on such crops."""
    if not cleaned.removed.any():
        return image
    grown = cv2.dilate(cleaned.removed, np.ones((3, 3), np.uint8))  # with the antialiased fringe
    out = image.copy()
    out[grown > 0] = np.uint8(np.percentile(image, PAPER_PERCENTILE))
    return out


def given_field(grey: np.ndarray) -> FieldLocation:
    """The whole image as the field (``region="field"``)."""
    height, width = grey.shape
    return FieldLocation((0, 0, width, height), "given", 1.0)
