"""Locating the amount field on a drawn check."""

from __future__ import annotations

import cv2
import numpy as np

from segmentation.locate import at_least, locate_field


def iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    return inter / (aw * ah + bw * bh - inter)


def drawn_check(tilt: float = 0.0) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A 200-dpi-sized check: payee and legal-amount lines, a date line, and the amount box."""
    height, width = 600, 1400
    grey = np.full((height, width), 235, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(grey, "PAY TO THE ORDER OF", (40, 230), font, 0.6, 60, 1)
    cv2.line(grey, (250, 235), (1000, 235), 70, 2)  # payee line
    cv2.line(grey, (60, 330), (1250, 330), 70, 2)  # legal amount line
    cv2.line(grey, (1000, 110), (1300, 110), 70, 2)  # date line
    cv2.putText(grey, "3/4/2024", (1040, 100), font, 1.0, 40, 2)
    cv2.putText(grey, "$", (1010, 235), font, 1.2, 50, 3)
    box = (1050, 180, 290, 80)
    x, y, w, h = box
    cv2.rectangle(grey, (x, y), (x + w, y + h), 60, 3)
    cv2.putText(grey, "125.00", (x + 30, y + 60), font, 1.6, 20, 4)
    cv2.line(grey, (100, 500), (700, 500), 70, 2)  # memo line
    if tilt:
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), tilt, 1.0)
        grey = cv2.warpAffine(grey, matrix, (width, height), borderValue=235)
    return grey, box


def test_box_is_found() -> None:
    grey, box = drawn_check()
    location = locate_field(grey)
    assert location.source == "detected"
    assert iou(location.bbox, box) >= 0.7
    assert location.confidence > 0.5


def test_slightly_rotated_check_still_found_and_tilt_measured() -> None:
    grey, box = drawn_check(tilt=1.5)
    location = locate_field(grey)
    assert location.source == "detected"
    assert iou(location.bbox, box) >= 0.5
    assert abs(abs(location.tilt) - 1.5) < 0.8


def test_field_shaped_or_blank_images_fall_back_to_whole_image() -> None:
    field = np.full((80, 300), 230, np.uint8)
    assert locate_field(field).source == "whole_image"
    blank = np.full((600, 1400), 240, np.uint8)
    location = locate_field(blank)
    assert location.source == "whole_image"
    assert location.bbox == (0, 0, 1400, 600)
    assert location.confidence < 1.0


def test_at_least_equals_the_numpy_threshold() -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (37, 53)).astype(np.uint8)
    for floor in (0, 1, 22, 40, 255):
        expected = ((image >= floor) * 255).astype(np.uint8)
        result = at_least(image, floor)
        assert result.dtype == np.uint8 and result.shape == image.shape
        assert np.array_equal(result, expected)
