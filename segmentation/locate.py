"""Finding the courtesy-amount field on a whole check.

Every check layout we know puts the amount in figures in the right part of the check, in its upper
middle, either inside a printed box or on a short guide line after a printed currency sign. The search
works on a copy scaled to a fixed width (speed; resolution does not matter for finding a box):

1. ``ink_mask``: dark-on-paper pixels after flattening the background (tints and guilloche drop out).
2. ``box_candidates``: rectangles closed by long horizontal and vertical strokes (morphological
   opening with line kernels), i.e. the printed amount box.
3. ``line_candidates``: when there is no box, short horizontal guide lines in the right half with
   handwriting above them.
4. ``score``: each candidate by shape, position prior and the ink inside it; the best wins. When
   nothing plausible exists the caller gets the whole image with a low confidence.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import cv2
import numpy as np

from segmentation.components import component_boxes

WORK_WIDTH = 800
MIN_SCORE = 0.35
# A best box below this (on a level check good boxes score 0.7-1.0) prompts a second look.
DOUBTFUL_SCORE = 0.6
WHOLE_IMAGE_CONFIDENCE = 0.6
DETECTED_CONFIDENCE = 1.0
LINE_ONLY_CONFIDENCE = 0.9
LINE_FLOORS = (40, 22)  # contrast floors tried in turn: printed rules can be faint tints


@dataclass(frozen=True)
class FieldLocation:
    """Field box (x, y, w, h) in pixels of the submitted image; how it was found; how sure we are."""

    bbox: tuple[int, int, int, int]
    source: str  # detected, given or whole_image
    confidence: float
    read_bbox: tuple[int, int, int, int] | None = None  # inside the rules; None means ``bbox``
    boxed: bool = False  # a printed box: a currency sign may be printed at its left inside it
    tilt: float = 0.0  # degrees the field's rules are turned (positive: right end lower)

    @property
    def reading_box(self) -> tuple[int, int, int, int]:
        return self.read_bbox or self.bbox


@dataclass(frozen=True)
class Candidate:
    x: int
    y: int
    w: int
    h: int
    kind: str  # box or line
    score: float = 0.0
    inner: tuple[int, ...] = ()  # vertical rules inside the box (a currency cell's right side)
    top_rule: int = 0  # thickness of the rule at the top (0: none) and at the bottom
    bottom_rule: int = 0


def iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    """Intersection over union of two (x, y, w, h) boxes: how a located field is judged against the
    true one (a field counts as found at IoU >= 0.5)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    ih = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = iw * ih
    union = aw * ah + bw * bh - inter
    return inter / union if union > 0 else 0.0


def contrast_map(grey: np.ndarray) -> np.ndarray:
    """Darkness against the local paper (a closing estimates the paper), uint8, ink high."""
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9)))
    return 255 - cv2.divide(grey, np.maximum(paper, 1), scale=255)


def at_least(image: np.ndarray, floor: int) -> np.ndarray:
    """255 where the uint8 ``image`` is >= ``floor``, else 0 (uint8).

    Why: ``cv2.compare`` does in one pass what ``((image >= floor) * 255).astype(np.uint8)`` does in
    three (compare, multiply in int64, cast back), some 0.2 ms per whole-check map.
    """
    return cv2.compare(image, floor, cv2.CMP_GE)


def ink_mask(contrast: np.ndarray, floor: int = 40) -> np.ndarray:
    """Strong relative darkness is ink: Otsu on the contrast, never below ``floor``."""
    _, mask = cv2.threshold(contrast, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return cv2.bitwise_and(mask, at_least(contrast, floor))


def line_maps(contrast: np.ndarray, floor: int, askew: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Long horizontal and vertical strokes.

    Printed rules can be much fainter than ink (light tint on tinted paper), so the caller retries with
    a lower contrast ``floor`` when no box shows at the ink floor; the length requirement keeps most
    texture out. Short gaps (a rule crossed by a pen stroke
    that changed its grey level, dotted guide lines) are closed before and after the opening; after
    it only gaps up to 8 px (1% of the working width): the payee line often stops about 12 px short
    of the amount's guide line on the same row, and joined to it made one line too long for a guide.
    ``askew``: the opening runs on the mask grown by two rows up and down (see ``thickened``).
    """
    height, width = contrast.shape
    mask = at_least(contrast, floor)
    h_kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (max(15, width // 18), 1))
    v_kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(9, height // 40)))
    healed_h = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    healed_v = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    opened = thickened(healed_h) if askew else healed_h
    horizontal = cv2.bitwise_and(cv2.morphologyEx(opened, cv2.MORPH_OPEN, h_kernel), healed_h)
    horizontal = cv2.morphologyEx(
        horizontal, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 1))
    )
    return horizontal, cv2.morphologyEx(healed_v, cv2.MORPH_OPEN, v_kernel)


def thickened(mask: np.ndarray) -> np.ndarray:
    """The mask grown by two rows up and down, so that a thin rule on a check scanned a few degrees
    askew still has row runs as long as the opening kernel.

    At 3 degrees a rule 1-2 px thick (a 200-dpi check at the working width) climbs a row every 19 px and
    its row runs are shorter than the kernel: the opening erased the box's rules and the field was
    lost. Grown by 5 rows the same rule holds runs of about 80 px; the caller keeps only pixels of the
    original mask. Only a fallback: on level checks the grown band also takes in ink touching the rules
    (box sides, strokes), which moved the found box by a few pixels and cost readings.
    """
    return cv2.dilate(mask, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))


def segments_of(horizontal: np.ndarray, min_width: int) -> list[tuple[int, int, int, int]]:
    """Horizontal line segments (x, y, w, h) at least ``min_width`` long."""
    return [tuple(int(v) for v in box) for box in component_boxes(horizontal) if box[2] >= min_width]


def separators(vertical: np.ndarray, top: int, bottom: int, left: int, right: int) -> list[int]:
    """Columns inside [left, right) where a vertical rule spans at least 80% of the band's height."""
    band = vertical[top:bottom, left:right]
    if band.size == 0:
        return []
    covered = np.flatnonzero((band > 0).mean(axis=0) >= 0.8)
    if covered.size == 0:
        return []
    runs = np.split(covered, np.flatnonzero(np.diff(covered) > 2) + 1)
    return [left + int(run.mean()) for run in runs]


def has_side(vertical: np.ndarray, top: int, bottom: int, x: int) -> bool:
    """Whether a vertical stroke covers at least half of the band's height within 3 columns of ``x``."""
    window = vertical[top:bottom, max(0, x - 3) : x + 4]
    return window.size > 0 and float((window > 0).mean(axis=0).max()) >= 0.5


def box_candidates(horizontal: np.ndarray, vertical: np.ndarray) -> list[Candidate]:
    """Boxes from pairs of horizontal rules, one above the other, cut into cells by vertical rules.

    Pairs of rules are more robust than closed contours: the short vertical sides of an amount box are
    often faint, broken or fused with a barcode strip, while its top and bottom rules survive. Where
    the rules run on (a guide line that becomes the box's top), vertical rules spanning the band split
    it into cells; every run of up to four adjacent cells is a candidate (a "Rs." cell plus the amount
    cell is one box).
    """
    height, width = horizontal.shape
    rules = segments_of(horizontal, round(0.1 * width))
    found = []
    for top in rules:
        for bottom in rules:
            gap = bottom[1] - top[1]
            if not 0.035 * height <= gap <= 0.25 * height:
                continue
            left = max(top[0], bottom[0])
            right = min(top[0] + top[2], bottom[0] + bottom[2])
            if right - left < 0.12 * width:
                continue
            band_bottom = bottom[1] + bottom[3]
            # A box side is a vertical rule, or the place where both rules end together; where only
            # one rule ends (a date line above a guide line) there is no box edge.
            # A date line above a guide line ends up to 3% of the width away from it (that pair once
            # made a box whose side cut off the first digit); a printed box's rules end together.
            aligned = 0.02 * width
            cuts = separators(vertical, top[1], band_bottom, left, right)
            if abs(top[0] - bottom[0]) <= aligned or has_side(vertical, top[1], band_bottom, left):
                cuts.append(left)
            right_aligned = abs(top[0] + top[2] - bottom[0] - bottom[2]) <= aligned
            if right_aligned or has_side(vertical, top[1], band_bottom, right - 1):
                cuts.append(right)
            cuts = sorted(set(cuts))
            for i in range(len(cuts) - 1):
                for j in range(i + 1, min(len(cuts), i + 5)):
                    w = cuts[j] - cuts[i]
                    if w < 0.12 * width or not 1.8 <= w / gap <= 14:
                        continue
                    inner = [c for c in cuts[i + 1 : j]]
                    found.append(
                        Candidate(
                            cuts[i],
                            top[1],
                            w,
                            band_bottom - top[1],
                            "box",
                            0.0,
                            tuple(inner),
                            top[3],
                            bottom[3],
                        )
                    )
    return found


def line_candidates(horizontal: np.ndarray) -> list[Candidate]:
    """Guide lines in the right half; the field is the band above each, as tall as a line of writing
    but never reaching past the next rule above (a date line with its date written on it)."""
    height, width = horizontal.shape
    rules = [tuple(int(v) for v in box) for box in component_boxes(horizontal)]
    found = []
    band = max(12, height // 5)
    for x, y, w, h in rules:
        if h > 8 or not 0.1 * width <= w <= 0.55 * width or x + w < 0.5 * width:
            continue
        top = max(0, y - band)
        for ox, oy, ow, oh in rules:
            overlaps = min(x + w, ox + ow) - max(x, ox) > 0.3 * w
            # A rule much shorter than the guide line is a pen stroke (the line under raised cents),
            # not the date line above.
            printed = ow >= 0.6 * w
            if overlaps and printed and top <= oy + oh < y - 4:
                top = oy + oh + 1
        found.append(Candidate(x, top, w, y + h - top, "line", bottom_rule=h))
    return found


def position_prior(c: Candidate, width: int, height: int) -> float:
    """Right part, upper middle: the courtesy amount of US, Indian and Latin-American checks."""
    cx, cy = (c.x + c.w / 2) / width, (c.y + c.h / 2) / height
    horizontal = float(np.clip((cx - 0.45) / 0.3, 0.0, 1.0))
    vertical = float(np.exp(-(((cy - 0.42) / 0.2) ** 2)))
    return horizontal * vertical


def handwriting_density(c: Candidate, mask: np.ndarray, lines: np.ndarray) -> float:
    """Share of the candidate's inner area covered by non-line ink, as a 0..1 score (a few % is typical)."""
    inset_x, inset_y = max(2, c.w // 30), max(2, c.h // 8)
    inner = mask[c.y + inset_y : c.y + c.h - inset_y, c.x + inset_x : c.x + c.w - inset_x]
    inner_lines = lines[c.y + inset_y : c.y + c.h - inset_y, c.x + inset_x : c.x + c.w - inset_x]
    if inner.size == 0:
        return 0.0
    ink = float(((inner > 0) & (inner_lines == 0)).mean())
    return float(np.clip(ink / 0.04, 0.0, 1.0))


def score(c: Candidate, mask: np.ndarray, lines: np.ndarray) -> float:
    height, width = mask.shape
    aspect = c.w / max(c.h, 1)
    shape = float(np.exp(-(((np.log(aspect) - np.log(4.0)) / 0.6) ** 2)))
    kind = 1.0 if c.kind == "box" else 0.8
    density = handwriting_density(c, mask, lines)
    return kind * (0.35 * shape + 0.65 * position_prior(c, width, height)) * (0.3 + 0.7 * density)


def to_original(c: Candidate, scale: float, shape: tuple[int, int]) -> tuple[int, int, int, int]:
    height, width = shape
    x, y = round(c.x / scale), round(c.y / scale)
    right, bottom = min(width, round((c.x + c.w) / scale)), min(height, round((c.y + c.h) / scale))
    return (x, y, max(1, right - x), max(1, bottom - y))


def locate_field(grey: np.ndarray) -> FieldLocation:
    """The courtesy-amount field of a whole check, or the whole image (low confidence) if none is found."""
    height, width = grey.shape
    whole = FieldLocation((0, 0, width, height), "whole_image", WHOLE_IMAGE_CONFIDENCE)
    if width < 2 * height or width < 200:
        return whole  # a field-shaped or tiny image: not a whole check
    scale = WORK_WIDTH / width
    small = cv2.resize(grey, (WORK_WIDTH, max(8, round(height * scale))), interpolation=cv2.INTER_AREA)
    contrast = contrast_map(small)
    mask = ink_mask(contrast)
    best, horizontal, boxes_seen = best_candidate(contrast, mask, askew=False)
    if best is None or best.score < DOUBTFUL_SCORE or (best.kind == "line" and boxes_seen):
        # Thin rules on a check scanned a few degrees askew break into row runs shorter than the
        # opening kernel, and what is left is a poor guide line or stray boxes: look again with the
        # rules grown (``thickened``) and keep the better find. A good guide line with no box in
        # sight stays: grown, the waves of a guilloche pair into boxes that score well.
        askew, askew_horizontal, _ = best_candidate(contrast, mask, askew=True)
        if askew is not None and (best is None or askew.score > best.score):
            best, horizontal = askew, askew_horizontal
    if best is None or best.score < MIN_SCORE:
        return whole
    confidence = DETECTED_CONFIDENCE if best.kind == "box" else LINE_ONLY_CONFIDENCE
    return FieldLocation(
        to_original(best, scale, grey.shape),
        "detected",
        confidence,
        read_bbox=to_original(reading_area(best, small.shape[0]), scale, grey.shape),
        boxed=best.kind == "box",
        tilt=rule_tilt(best, horizontal),
    )


def best_candidate(
    contrast: np.ndarray, mask: np.ndarray, askew: bool
) -> tuple[Candidate | None, np.ndarray, bool]:
    """The best-scoring box (at the first contrast floor that shows one) or else guide line, with the
    horizontal-rule map it was found on (None when there is no candidate at all) and whether any box
    was seen.

    Guide lines are scored too when no box is plausible: at the faint floor, texture (guilloche, tint
    edges) can pair into boxes that all score low while the amount's guide line is plain.
    """
    for floor in LINE_FLOORS:
        horizontal, vertical = line_maps(contrast, floor, askew)
        candidates = box_candidates(horizontal, vertical)
        if candidates:
            break
    lines = horizontal  # vertical strokes of handwriting also pass the short vertical kernel
    scored = [dataclasses.replace(c, score=score(c, mask, lines)) for c in candidates]
    if not scored or max(c.score for c in scored) < MIN_SCORE:
        scored += [dataclasses.replace(c, score=score(c, mask, lines)) for c in line_candidates(horizontal)]
    return max(scored, key=lambda c: c.score, default=None), horizontal, bool(candidates)


def rule_tilt(c: Candidate, horizontal: np.ndarray) -> float:
    """Tilt of the candidate's rules in degrees (positive: the right end lower), from a straight-line
    fit of the rule pixels' rows across its width; 0 when there is too little rule to fit."""
    rows = []
    if c.top_rule:
        rows.append((c.y, c.y + c.top_rule))
    if c.bottom_rule:
        rows.append((c.y + c.h - c.bottom_rule, c.y + c.h))
    slopes = []
    for top, bottom in rows:
        band = horizontal[top:bottom, c.x : c.x + c.w] > 0
        cols = np.flatnonzero(band.any(axis=0))
        if cols.size < 0.5 * c.w or cols.size < 10:
            continue
        centres = (band[:, cols] * np.arange(band.shape[0])[:, None]).sum(axis=0) / band[:, cols].sum(axis=0)
        slopes.append(np.polyfit(cols.astype(np.float64), centres, 1)[0])
    return float(np.degrees(np.arctan(np.mean(slopes)))) if slopes else 0.0


def reading_area(c: Candidate, height: int) -> Candidate:
    """The candidate grown downwards and upwards a little: handwriting pokes through box rules and
    hangs below guide lines; cleaning removes the rules themselves."""
    below = round(0.2 * c.h)
    above = round(0.08 * c.h) if c.kind == "box" else 0
    top = max(0, c.y - above)
    bottom = min(height, c.y + c.h + below)
    return dataclasses.replace(c, y=top, h=bottom - top)
