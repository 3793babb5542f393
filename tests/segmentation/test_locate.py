"""Locating the amount field on a drawn check."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segmentation import locate
from segmentation.locate import (
    Candidate,
    Search,
    at_least,
    cuts_writing,
    has_side,
    iou,
    locate_field,
    ruled_between,
    rules_of,
)


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
            if askew:
                return Search(wave_box, horizontal, True, False)
            return Search(line, horizontal, boxes_seen, False)

        return best

    grey = np.full((700, 1600), 235, np.uint8)
    monkeypatch.setattr(locate, "best_candidate", fake(boxes_seen=False))
    assert locate_field(grey).bbox == (1200, 200, 340, 100)
    monkeypatch.setattr(locate, "best_candidate", fake(boxes_seen=True))
    assert locate_field(grey).bbox == (900, 400, 680, 140)


def test_the_steps_of_a_tilted_rule_are_one_rule_and_the_payee_line_stays_apart() -> None:
    # A one-pixel rule on a tilted scan steps a row every 40 columns, with an empty row between the
    # steps; the payee line stops 12 columns short of the guide line on the same row.
    horizontal = np.zeros((40, 260), np.uint8)
    for step in range(3):
        horizontal[10 + 3 * step : 12 + 3 * step, 40 * step : 40 * step + 40] = 255
    horizontal[16:18, 132:200] = 255
    assert sorted(rules_of(horizontal)) == [(0, 10, 120, 8), (132, 16, 68, 2)]
    assert len(rules_of(horizontal, join=False)) == 4


def band_with_stroke(top: int, bottom: int) -> np.ndarray:
    """A vertical-stroke map of a 60-row band between a rule at rows 0-2 and one at rows 57-59, with
    one stroke at column 50 from ``top`` to ``bottom``."""
    vertical = np.zeros((60, 100), np.uint8)
    vertical[top:bottom, 49:52] = 255
    return vertical


TOP_RULE, BOTTOM_RULE = (0, 0, 100, 3), (0, 57, 100, 3)


def test_a_box_side_meets_both_rules_and_a_handwritten_stroke_does_not() -> None:
    assert has_side(band_with_stroke(0, 60), TOP_RULE, BOTTOM_RULE, 50)
    # A faint side broken in the middle still meets the rules at the corners.
    broken = band_with_stroke(0, 60)
    broken[20:45] = 0
    assert has_side(broken, TOP_RULE, BOTTOM_RULE, 50)
    # A digit's stroke two thirds of the band tall, standing on the guide line.
    assert not has_side(band_with_stroke(20, 60), TOP_RULE, BOTTOM_RULE, 50)


def writing_at(columns: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """An ink mask with a box's rules and a glyph-sized blob over ``columns``, and its rule map."""
    mask = np.zeros((100, 300), np.uint8)
    lines = np.zeros_like(mask)
    for rows in (slice(20, 23), slice(77, 80)):
        mask[rows, 40:260] = lines[rows, 40:260] = 255
    mask[35:70, columns[0] : columns[1]] = 255
    return mask, lines


def test_a_box_side_through_a_glyph_cuts_the_writing() -> None:
    box = Candidate(100, 20, 160, 60, "box")
    assert cuts_writing(box, *writing_at((90, 110)))
    assert not cuts_writing(box, *writing_at((110, 130)))  # the glyph inside the box
    assert not cuts_writing(box, *writing_at((70, 98)))  # the "$" before it
    # A side where both rules end is a printed box's corner, whatever the writing does there.
    assert not cuts_writing(Candidate(100, 20, 160, 60, "box", rule_ends=(100,)), *writing_at((90, 110)))


def test_a_rule_across_the_band_makes_two_rows_of_the_form_not_a_box() -> None:
    date_line, box_top, box_bottom = (600, 95, 134, 5), (600, 117, 134, 4), (600, 159, 134, 3)
    rules = [date_line, box_top, box_bottom]
    assert ruled_between(rules, date_line, box_bottom, 600, 734)
    assert not ruled_between(rules, box_top, box_bottom, 600, 734)
    raised_cents_underline = (680, 140, 50, 3)
    assert not ruled_between([*rules, raised_cents_underline], box_top, box_bottom, 600, 734)


# Synthetic checks (seed, index) whose field box cut off digits: a tilted guide line joined under the
# date line's end ("455.00" read 5.00), a digit's stroke taken for a box side ("2343.75" read 43.75,
# "45.-" read 15.00, "1,329.00" read 329.00), a date line paired with the box's bottom, and the
# strokes of a guilloche behind "*0.03" taken for a cell side at the faint floor (read 3.00 at 0.995).
CUT_CHECKS = [(5150, 180), (6001, 289), (6001, 99), (6001, 946), (6001, 664), (2468, 600)]


@pytest.mark.parametrize(("seed", "index"), CUT_CHECKS)
def test_the_field_found_on_a_synthetic_check_holds_all_its_glyphs(
    seed: int, index: int, mnist_data_dir, tmp_path
) -> None:
    from checkocr.synth import MnistTestPool, SynthOptions
    from checkocr.synth.writer import make_item, save_image

    pool = MnistTestPool.from_data_dir(mnist_data_dir)
    grey, truth, chosen = make_item(index, seed, pool, "check", "mixed", SynthOptions())
    path = tmp_path / "check"
    save_image(grey, path, chosen, truth["dpi"], np.random.default_rng([seed, index, 1]))
    scanned = cv2.imdecode(np.fromfile(path, np.uint8), cv2.IMREAD_GRAYSCALE)
    x, y, w, h = locate_field(scanned).reading_box
    for glyph in truth["glyphs"]:
        gx, gy, gw, gh = glyph["bbox"]
        assert x <= gx + gw / 2 <= x + w and y <= gy + gh / 2 <= y + h, truth["written"]


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
