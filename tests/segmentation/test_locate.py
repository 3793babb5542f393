"""Locating the amount field on a drawn check."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segmentation import locate
from segmentation.locate import Candidate, at_least, iou, locate_field


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


def thin_ruled_check(tilt: float) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """A check whose rules are one pixel thin, turned by ``tilt`` degrees about the amount box."""
    height, width = 700, 1600
    grey = np.full((height, width), 235, np.uint8)
    cv2.line(grey, (60, 380), (1300, 380), 70, 1)  # legal amount line
    cv2.line(grey, (1100, 120), (1450, 120), 70, 1)  # date line
    box = (1200, 200, 340, 100)
    x, y, w, h = box
    cv2.rectangle(grey, (x, y), (x + w, y + h), 60, 1)
    cv2.putText(grey, "125.00", (x + 30, y + 75), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 20, 4)
    matrix = cv2.getRotationMatrix2D((x + w / 2, y + h / 2), tilt, 1.0)
    return cv2.warpAffine(grey, matrix, (width, height), borderValue=235), box


def test_thin_box_rules_on_a_check_three_degrees_askew_are_found() -> None:
    # At the working width such rules climb a row every ~19 px, shorter than the opening kernel.
    for tilt in (3.0, -3.0):
        grey, box = thin_ruled_check(tilt)
        location = locate_field(grey)
        assert location.source == "detected"
        assert iou(location.bbox, box) >= 0.7
        assert abs(abs(location.tilt) - 3.0) < 0.8


def guide_line_check(faint_box: bool = False) -> np.ndarray:
    """A personal check without an amount box: "$" and a guide line under the amount, and a date line
    above whose left end lies 3% of the check's width to the right of the guide line's."""
    grey = np.full((700, 1600), 235, np.uint8)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.line(grey, (60, 420), (1300, 420), 70, 2)  # legal amount line
    cv2.line(grey, (1262, 150), (1536, 150), 70, 2)  # date line
    cv2.putText(grey, "3/19/2025", (1300, 140), font, 0.8, 60, 1)
    cv2.putText(grey, "$", (1170, 250), font, 0.9, 60, 2)
    cv2.line(grey, (1214, 260), (1530, 260), 70, 2)  # guide line under the amount
    cv2.putText(grey, "10.94", (1228, 245), font, 2.2, 20, 5)
    if faint_box:  # a tint panel's edges: rules only the faint contrast floor sees
        cv2.rectangle(grey, (100, 480), (700, 600), 205, 2)
    return grey


def test_date_line_ending_away_from_the_guide_line_makes_no_box_side() -> None:
    # The date line and the guide line paired into a box whose left side, the date line's end, cut
    # the first digit off.
    location = locate_field(guide_line_check())
    assert location.source == "detected"
    assert location.bbox[0] <= 1225


def test_guide_line_wins_over_implausible_faint_boxes() -> None:
    location = locate_field(guide_line_check(faint_box=True))
    assert location.source == "detected"
    assert location.bbox[0] <= 1225 and location.bbox[0] + location.bbox[2] >= 1500


def test_a_short_pen_stroke_above_the_guide_line_does_not_cap_the_field() -> None:
    # The line drawn under raised cents is a rule to the opening, but too short to be printed: the
    # field above the guide line was cut down to the strip under it.
    grey = guide_line_check()
    cv2.line(grey, (1410, 230), (1490, 230), 20, 4)
    location = locate_field(grey)
    assert location.source == "detected"
    _x, y, _w, h = location.bbox
    assert y <= 190 and y + h >= 260


def test_payee_line_stopping_short_of_the_guide_line_is_not_joined_to_it() -> None:
    # On the same row, 24 px (12 at the working width) apart: joined, the two made one line too long
    # to be the amount's guide line, and nothing was found.
    grey = guide_line_check()
    cv2.line(grey, (250, 260), (1190, 260), 70, 2)
    location = locate_field(grey)
    assert location.source == "detected"
    assert 1190 <= location.bbox[0] <= 1225


def test_a_good_guide_line_with_no_box_in_sight_is_not_replaced_by_the_askew_search(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Grown by the askew search, the waves of a guilloche pair into "boxes" that score well; a guide
    # line found where no box was seen at all is kept. A line that won over poor boxes is not.
    line = Candidate(600, 100, 170, 50, "line", 0.77, bottom_rule=3)
    wave_box = Candidate(450, 200, 340, 70, "box", 0.97, top_rule=2, bottom_rule=2)

    def fake(boxes_seen: bool):
        def best(_contrast: np.ndarray, _mask: np.ndarray, askew: bool):
            horizontal = np.zeros((350, 800), np.uint8)
            return (wave_box, horizontal, True) if askew else (line, horizontal, boxes_seen)

        return best

    grey = np.full((700, 1600), 235, np.uint8)
    monkeypatch.setattr(locate, "best_candidate", fake(boxes_seen=False))
    assert locate_field(grey).bbox == (1200, 200, 340, 100)
    monkeypatch.setattr(locate, "best_candidate", fake(boxes_seen=True))
    assert locate_field(grey).bbox == (900, 400, 680, 140)


def test_at_least_equals_the_numpy_threshold() -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, (37, 53)).astype(np.uint8)
    for floor in (0, 1, 22, 40, 255):
        expected = ((image >= floor) * 255).astype(np.uint8)
        result = at_least(image, floor)
        assert result.dtype == np.uint8 and result.shape == image.shape
        assert np.array_equal(result, expected)


def test_iou_of_two_boxes() -> None:
    assert iou((0, 0, 10, 10), (5, 0, 10, 10)) == 5 * 10 / 150
    assert iou((0, 0, 10, 10), (20, 20, 5, 5)) == 0.0
    assert iou((0, 0, 0, 0), (0, 0, 0, 0)) == 0.0  # no area: not found, not a division by zero
