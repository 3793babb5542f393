"""The crop both readers read, and the field model's view of it on a check (checkocr/field_crop.py)."""

from __future__ import annotations

import cv2
import numpy as np

from checkocr.field_crop import clean_crop, cut_field, field_model_input, given_field, without_rules
from segmentation.locate import FieldLocation


def boxed_amount() -> np.ndarray:
    """A printed box (both sides inside the crop) around a handwritten-looking "25"."""
    grey = np.full((120, 400), 225, np.uint8)
    cv2.rectangle(grey, (12, 14), (388, 106), 40, 3)
    cv2.putText(grey, "25", (150, 88), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 25, 6, cv2.LINE_AA)
    return grey


def test_a_field_on_a_check_is_read_without_its_box_sides() -> None:
    grey = boxed_amount()
    location = FieldLocation((0, 0, 400, 120), "detected", 1.0, boxed=True)
    field = cut_field(grey, location.reading_box, location.tilt)
    image = field_model_input(field, location)
    assert image.shape == grey.shape
    assert image[20:100, 8:18].min() > 150  # the left side is paper now: no "1" to read
    assert image[20:100, 382:392].min() > 150  # and the right side
    assert image[40:90, 150:250].min() < 60  # the amount is untouched
    assert np.array_equal(image[40:90, 150:250], grey[40:90, 150:250])


def test_a_given_field_is_read_as_given() -> None:
    grey = boxed_amount()
    location = given_field(grey)
    field = cut_field(grey, location.reading_box, location.tilt)
    assert field_model_input(field, location) is field.image


def test_nothing_removed_leaves_the_crop_alone() -> None:
    grey = np.full((60, 200), 220, np.uint8)
    cv2.putText(grey, "7", (80, 50), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 30, 5, cv2.LINE_AA)
    location = FieldLocation((0, 0, 200, 60), "detected", 1.0)
    field = cut_field(grey, location.reading_box, location.tilt)
    cleaned = clean_crop(field, location)
    assert not cleaned.removed.any()
    assert without_rules(field.image, cleaned) is field.image


def test_a_point_too_small_for_the_digit_path_stays_for_the_field_model() -> None:
    """The cleaning drops specks under half a pen stroke squared, and a hurried decimal point can be
    one; the field model reads it in context, so only rules and box sides are painted out for it."""
    grey = boxed_amount()
    grey[80:83, 262:265] = 25  # a 3 x 3 point after the "25", below the speck floor of a 6 px pen
    location = FieldLocation((0, 0, 400, 120), "detected", 1.0, boxed=True)
    field = cut_field(grey, location.reading_box, location.tilt)
    cleaned = clean_crop(field, location)
    assert cleaned.mask[78:86, 260:268].max() == 0  # not ink to the digit path
    assert cleaned.removed[78:86, 260:268].max() == 0  # and not painted out
    assert field_model_input(field, location, cleaned)[80:83, 262:265].max() < 60
    assert field_model_input(field, location, cleaned)[20:100, 8:18].min() > 150  # the box side still is
