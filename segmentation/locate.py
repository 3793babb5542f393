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
# A piece of a tilted rule continues it when it starts within this many columns of the rule's end
# and within this many rows above or below (see ``rules_of``).
STEP_COLUMNS = 3
STEP_ROWS = 2
CORNER_ROWS = 3  # a box side meets its rules within this many rows
CUT_WRITING_PENALTY = 0.5  # a box whose side runs through writing is seldom the field


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
    cuts_writing: bool = False  # a box side runs through writing (see ``cuts_writing``)
    rule_ends: tuple[int, ...] = ()  # the sides where both rules end (a printed box's corners)


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


def rules_of(horizontal: np.ndarray, join: bool = True) -> list[tuple[int, int, int, int]]:
    """The horizontal rules (x, y, w, h), with the pieces of a tilted rule joined into one.

    On a check scanned a few degrees askew a thin rule steps down a row every few dozen columns, and
    the opening leaves its steps as separate pieces with a gapless row between them. Unjoined, a
    piece of the guide line that happened to end under the date line's end made a "box" whose side
    cut off the first digits ("455.00" read 5.00). A piece continues a rule when it starts where the
    rule's last piece ends (``STEP_COLUMNS``) and at most ``STEP_ROWS`` rows above or below it; the
    payee line, which stops about 12 px short of the guide line, stays apart.
    ``join=False`` keeps every piece apart: rules grown for a tilted check (``thickened``) are whole
    already, and joined on they ran into the payee line.
    """
    pieces = sorted((tuple(int(v) for v in box) for box in component_boxes(horizontal)), key=lambda b: b[0])
    if not join:
        return pieces
    chains: list[list[tuple[int, int, int, int]]] = []
    for piece in pieces:
        x, y, w, h = piece
        for chain in chains:
            lx, ly, lw, lh = chain[-1]
            starts_at_end = -STEP_COLUMNS <= x - (lx + lw) <= STEP_COLUMNS
            row_gap = max(y - (ly + lh), ly - (y + h))
            if starts_at_end and row_gap <= STEP_ROWS and w > STEP_COLUMNS:
                chain.append(piece)
                break
        else:
            chains.append([piece])
    return [union(chain) for chain in chains]


def union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    """The box around the pieces of one rule (a tilted rule's box is as tall as its slant)."""
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] + b[2] for b in boxes), max(b[1] + b[3] for b in boxes)
    return (left, top, right - left, bottom - top)


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


def has_side(
    vertical: np.ndarray, top_rule: tuple[int, int, int, int], bottom_rule: tuple[int, int, int, int], x: int
) -> bool:
    """Whether a box side stands within 3 columns of ``x``: a vertical stroke covering at least half of
    the band between the rules that meets both of them.

    A faint printed side may be broken in the middle, but it meets the rules at the corners. A
    handwritten stroke can be half as tall as a narrow band (a date line above a guide line), and
    taken for a side it cut off the digits before it ("2343.75" read 343.75); it stands on the guide
    line but stops short of the rule above.
    """
    top, bottom = top_rule[1], bottom_rule[1] + bottom_rule[3]
    window = vertical[top:bottom, max(0, x - 3) : x + 4] > 0
    if window.size == 0:
        return False
    meets_top = window[: top_rule[3] + CORNER_ROWS].any()
    meets_bottom = window[bottom_rule[1] - top - CORNER_ROWS :].any()
    return float(window.mean(axis=0).max()) >= 0.5 and bool(meets_top and meets_bottom)


def ruled_between(
    rules: list[tuple[int, int, int, int]],
    top: tuple[int, int, int, int],
    bottom: tuple[int, int, int, int],
    left: int,
    right: int,
) -> bool:
    """Whether another rule runs across three quarters of the band between two rules: then the pair
    is two rows of the form (a date line and the bottom of the amount box below it), not a box. The
    pen stroke under raised cents crosses half a box or less."""
    inside_top, inside_bottom = top[1] + top[3], bottom[1]
    return any(
        inside_top < r[1]
        and r[1] + r[3] < inside_bottom
        and min(r[0] + r[2], right) - max(r[0], left) >= 0.75 * (right - left)
        for r in rules
    )


def box_candidates(rules: list[tuple[int, int, int, int]], vertical: np.ndarray) -> list[Candidate]:
    """Boxes from pairs of horizontal rules (``rules_of``), one above the other, cut into cells by the
    vertical rules of ``vertical`` (the working image's map).

    Pairs of rules are more robust than closed contours: the short vertical sides of an amount box are
    often faint, broken or fused with a barcode strip, while its top and bottom rules survive. Where
    the rules run on (a guide line that becomes the box's top), vertical rules spanning the band split
    it into cells; every run of up to four adjacent cells is a candidate (a "Rs." cell plus the amount
    cell is one box).
    """
    height, width = vertical.shape
    rules = [rule for rule in rules if rule[2] >= round(0.1 * width)]
    found = []
    for top in rules:
        for bottom in rules:
            gap = bottom[1] - top[1]
            if not 0.035 * height <= gap <= 0.25 * height:
                continue
            left = max(top[0], bottom[0])
            right = min(top[0] + top[2], bottom[0] + bottom[2])
            if right - left < 0.12 * width or ruled_between(rules, top, bottom, left, right):
                continue
            band_bottom = bottom[1] + bottom[3]
            # A box side is a vertical rule, or the place where both rules end together; where only
            # one rule ends (a date line above a guide line) there is no box edge.
            # A date line above a guide line ends up to 3% of the width away from it (that pair once
            # made a box whose side cut off the first digit); a printed box's rules end together.
            aligned = 0.02 * width
            # A printed cell side meets both rules; the strokes of a guilloche behind the writing,
            # which pass the faint floor's vertical kernel, do not reach the guide line below it.
            cuts = [
                x
                for x in separators(vertical, top[1], band_bottom, left, right)
                if has_side(vertical, top, bottom, x)
            ]
            ends = []
            if abs(top[0] - bottom[0]) <= aligned:
                ends.append(left)
            elif has_side(vertical, top, bottom, left):
                cuts.append(left)
            if abs(top[0] + top[2] - bottom[0] - bottom[2]) <= aligned:
                ends.append(right)
            elif has_side(vertical, top, bottom, right - 1):
                cuts.append(right)
            cuts += ends
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
                            rule_ends=tuple(ends),
                        )
                    )
    return found


def line_candidates(rules: list[tuple[int, int, int, int]], shape: tuple[int, int]) -> list[Candidate]:
    """Guide lines among the horizontal ``rules`` in the right half of a working image of ``shape``;
    the field is the band above each, as tall as a line of writing but never reaching past the next
    rule above (a date line with its date written on it)."""
    height, width = shape
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


def cuts_writing(c: Candidate, mask: np.ndarray, lines: np.ndarray) -> bool:
    """Whether a piece of writing runs across the candidate's left or right side.

    Writing stays inside a printed box, so a side through a glyph is no side: the stroke of a "4"
    taken for a box side, or the end of a date line above a tilted guide line, cut off the digits
    before it. Only pieces at least a third of the band tall and a fifth of it wide count: a tail
    poking through a real side does not, nor the side itself where a tilted box's side leans across
    the square cut. Sides where both rules end are a printed box's corners and are not questioned.
    """
    inset = max(2, c.h // 8)
    top, bottom = c.y + inset, c.y + c.h - inset
    reach = max(4, c.h // 3)
    for side in (c.x, c.x + c.w):
        if side in c.rule_ends:
            continue
        left, right = max(0, side - reach), min(mask.shape[1], side + reach)
        writing = ((mask[top:bottom, left:right] > 0) & (lines[top:bottom, left:right] == 0)).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(writing, connectivity=8)
        edge = side - left
        for i in range(1, count):
            x, _, w, h, _ = stats[i]
            if h >= (bottom - top) / 3 and w >= (bottom - top) / 5 and x <= edge - 2 and x + w >= edge + 2:
                return True
    return False


def score(c: Candidate, mask: np.ndarray, lines: np.ndarray) -> float:
    height, width = mask.shape
    aspect = c.w / max(c.h, 1)
    shape = float(np.exp(-(((np.log(aspect) - np.log(4.0)) / 0.6) ** 2)))
    kind = 1.0 if c.kind == "box" else 0.8
    density = handwriting_density(c, mask, lines)
    whole = CUT_WRITING_PENALTY if c.cuts_writing else 1.0
    return whole * kind * (0.35 * shape + 0.65 * position_prior(c, width, height)) * (0.3 + 0.7 * density)


def scored(c: Candidate, mask: np.ndarray, lines: np.ndarray) -> Candidate:
    """The candidate with its score and whether its sides cut through writing (boxes only)."""
    c = dataclasses.replace(c, cuts_writing=c.kind == "box" and cuts_writing(c, mask, lines))
    return dataclasses.replace(c, score=score(c, mask, lines))


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
    found = best_candidate(contrast, mask, askew=False)
    best, horizontal = found.best, found.horizontal
    if (
        best is None
        or best.score < DOUBTFUL_SCORE
        or (best.kind == "line" and found.boxes_seen)
        or found.cut_box_beats_best
    ):
        # Thin rules on a check scanned a few degrees askew break into row runs shorter than the
        # opening kernel, and what is left is a poor guide line, stray boxes, or the tilted box cut
        # square through the writing at its ends: look again with the rules grown (``thickened``)
        # and keep the better find. A good guide line with no box in sight stays: grown, the waves
        # of a guilloche pair into boxes that score well.
        askew = best_candidate(contrast, mask, askew=True)
        if askew.best is not None and (best is None or askew.best.score > best.score):
            best, horizontal = askew.best, askew.horizontal
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


@dataclass(frozen=True)
class Search:
    """One pass of the search: its best candidate (None when there is none), the horizontal-rule map
    it was found on, whether any box was seen, and whether a box that cuts through writing would have
    won without the penalty for it (on a level check that is rare; on a tilted one it is the box)."""

    best: Candidate | None
    horizontal: np.ndarray
    boxes_seen: bool
    cut_box_beats_best: bool


def best_candidate(contrast: np.ndarray, mask: np.ndarray, askew: bool) -> Search:
    """The best-scoring box (at the first contrast floor that shows one) or else guide line.

    Guide lines are scored too when no box is plausible: at the faint floor, texture (guilloche, tint
    edges) can pair into boxes that all score low while the amount's guide line is plain.
    """
    for floor in LINE_FLOORS:
        horizontal, vertical = line_maps(contrast, floor, askew)
        rules = rules_of(horizontal, join=not askew)  # one search for the rules serves boxes and lines
        candidates = box_candidates(rules, vertical)
        if candidates:
            break
    lines = horizontal  # vertical strokes of handwriting also pass the short vertical kernel
    found = [scored(c, mask, lines) for c in candidates]
    if not found or max(c.score for c in found) < MIN_SCORE:
        found += [scored(c, mask, lines) for c in line_candidates(rules, horizontal.shape)]
    best = max(found, key=lambda c: c.score, default=None)
    cut_beats = best is not None and any(
        c.cuts_writing and c.score / CUT_WRITING_PENALTY > best.score for c in found
    )
    return Search(best, horizontal, bool(candidates), cut_beats)


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
