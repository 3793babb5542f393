"""From a clean field mask to ordered glyphs: digits, separators, terminators, "$", "*", raised cents.

Handwritten amounts break every simple rule: digits touch, a "5" loses its flag, dots sit on the
baseline or drift, and the writer ends with ".-", "=" or "/-". This module only uses geometry; where
geometry cannot decide (is this wide blob one "0" or "00"?) it emits several *options* for a segment
and lets the classifier choose (``choose_options``), so that all candidates of a field go to the model
in one batch.

Geometry is measured against the field's own digit height (``reference_height``), so it works at
any resolution.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise

import cv2
import numpy as np

from segmentation.clean import line_mask
from segmentation.components import components, ink_where

# Shapes relative to the reference digit height.
SMALL = 0.42  # blobs lower than this (and narrow) are punctuation, not digits
DASH_MAX_HEIGHT = 0.36
DASH_MIN_ASPECT = 1.6
RING_SPAN = 0.5  # a single hole at least this share of the blob's width makes it one broad "0"
WIDE_ASPECT = 0.95  # a digit candidate wider than this times its height may be two touching digits
RAISED_MAX_HEIGHT = 0.8
MAX_SPLIT_OPTIONS = 3
DOLLAR_GAP = 0.35
DOLLAR_POKE = 1.15  # a "$" whose bar pokes out above and below is this much taller than the digits
STAGGER = 0.25  # two tall pieces this far apart at top and bottom (digit heights) are one glyph
FLOURISH_HEIGHT = 0.6  # a last mark lower than this (x the other digits) may be a closing flourish
FLOURISH_CLEARANCE = 0.1  # ... when it stays this far (x their height) from their top and baseline
MERGE_GAP = 0.35  # largest vertical gap, in digit heights, between pieces merged into one glyph
COUNT_SIGMA = 0.55  # spread, in digits, of how many digits a blob's width suggests
# A cut must earn its place: the classifier reads the pieces of a wide single digit (a looped "2", a
# broad "0") as two confident digits about as often as it reads touching digits. Tuned on the dev
# synthetic set (seed 4242) and ORAND dev together: 1.0 -> 0.7 took them from 180 to 188 of 300 and from
# 195 to 198 of 400; 0.5 gained more synthetic (191) but lost ORAND (194).
SPLIT_COST = 0.7
# How far the width prior may overrule the classifier: option scores are (classifier) x prior**weight.
# At full weight a touching pair read as two sure digits ("77" at 0.94 and 1.00) lost to one doubtful
# digit ("7" at 0.76) because the blob was only 1.5 digits wide. Tuned on ORAND dev and the dev synthetic
# set together: 1.0 -> 0.6 took ORAND from 209 to 212 of 400 and dev from 236 to 238/239 of 300 (a
# plateau from 0.5 to 0.67; the separate knobs COUNT_SIGMA and SPLIT_COST alone did not gain).
PRIOR_WEIGHT = 0.6
LOOP_AREA_MIN = 0.02  # of the digit height squared: a loop, not a pinhole in a thick stroke
SHARED_TOP = 0.1  # digit heights: two pieces whose tops are this close are written side by side
CURRENCY = "¤"  # a printed currency sign whose exact symbol is not read
UNDERLINE_MIN = 0.55  # shortest underline under raised cents, in digit heights (two small cents + margin)


@dataclass(frozen=True)
class Underline:
    """The stroke under raised cents ("1234" + underlined small "56"), removed from the mask: ``span`` is
    its column range and ``top`` its first row; the digits standing on it are the cents."""

    span: tuple[int, int]
    top: int


@dataclass
class Piece:
    """One digit candidate image: ``image`` uint8 ink mask (ink 255) cropped to ``bbox`` (x, y, w, h)."""

    bbox: tuple[int, int, int, int]
    image: np.ndarray


@dataclass
class Segment:
    """A left-to-right unit of the field.

    ``kind`` is digit/separator/terminator/currency/asterisk; for digits ``options`` lists the ways
    to read it (``options[0]`` is the segment as one glyph; later options split it into two or three).
    """

    kind: str
    bbox: tuple[int, int, int, int]
    char: str | None = None
    raised: bool = False
    options: list[list[Piece]] = field(default_factory=list)
    slash_like: bool = False
    sign_like: bool = False  # shaped like a "$" but not set apart by a space: the classifier decides


@dataclass(frozen=True)
class Blob:
    x: int
    y: int
    w: int
    h: int
    labels: tuple[int, ...]
    area: int
    parts: int = 1

    @property
    def right(self) -> int:
        return self.x + self.w

    @property
    def bottom(self) -> int:
        return self.y + self.h

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return (self.x, self.y, self.w, self.h)


def find_blobs(mask: np.ndarray) -> tuple[list[Blob], np.ndarray]:
    """Connected components (8-connected) as blobs, left to right, with the label image."""
    _count, labels, stats, _ = components((mask > 0).astype(np.uint8))
    blobs = [
        Blob(int(s[0]), int(s[1]), int(s[2]), int(s[3]), (i,), int(s[4]))
        for i, s in enumerate(stats)
        if i > 0
    ]
    return sorted(blobs, key=lambda b: b.x), labels


def union(a: Blob, b: Blob) -> Blob:
    x, y = min(a.x, b.x), min(a.y, b.y)
    right, bottom = max(a.right, b.right), max(a.bottom, b.bottom)
    return Blob(x, y, right - x, bottom - y, a.labels + b.labels, a.area + b.area, a.parts + b.parts)


def x_overlap(a: Blob, b: Blob) -> int:
    return min(a.right, b.right) - max(a.x, b.x)


def reference_height(blobs: Sequence[Blob]) -> float:
    """Typical digit height: median height of the blobs at least 40% as tall as the tallest."""
    if not blobs:
        return 1.0
    tallest = max(b.h for b in blobs)
    heights = [b.h for b in blobs if b.h >= 0.4 * tallest]
    return float(np.median(heights))


def is_dot(blob: Blob, ref_h: float, baseline: float) -> bool:
    """A compact speck sitting on the baseline: a decimal or grouping mark."""
    return blob.h < 0.35 * ref_h and blob.w < 0.35 * ref_h and abs(blob.bottom - baseline) < 0.3 * ref_h


def staggered(a: Blob, b: Blob, ref_h: float, baseline: float) -> bool:
    """One blob sits higher than the other at both ends, by a quarter digit height or more: the
    lead-in flag of a continental "1" drawn apart from its stem, or a "4" broken where the pen
    lifted. Slanted neighbours that overlap in x stand on the same line and share their tops. The
    lower piece stands on the line: one that hangs far below it is a long comma ("1,59,000")."""
    top, bottom = b.y - a.y, b.bottom - a.bottom
    lower = b if bottom > 0 else a
    hangs = lower.bottom > baseline + 0.35 * ref_h
    return top * bottom > 0 and min(abs(top), abs(bottom)) >= STAGGER * ref_h and not hangs


def is_top_flag(flag: Blob, digit: Blob, ref_h: float) -> bool:
    """A flat stroke along the top line that starts where a full-height digit ends: a "5"'s flag drawn
    apart from its body, long enough to reach past it. A terminator dash sits at mid-height or lower,
    and a "7"'s bar overlaps its stem (merged anyway)."""
    flat = flag.w >= 1.5 * flag.h and flag.h < 0.5 * ref_h
    on_top = digit.y - 0.2 * ref_h <= flag.y and flag.bottom <= digit.y + 0.45 * digit.h
    abuts = digit.x < flag.x and flag.x - digit.right <= 0.15 * ref_h
    return flat and on_top and abuts and digit.h > 0.6 * ref_h


def flag_between_digits(flag: Blob, digit: Blob, tall: Sequence[Blob]) -> bool:
    """A "5"'s flag is followed by more digits and lies over no digit but its own: a stroke after the
    last digit is a closing flourish, and one over the next digit is that digit's own top."""
    others = [b for b in tall if b is not digit]
    followed = any(b.x > flag.x + flag.w / 2 for b in others)
    clear = all(x_overlap(flag, b) <= 0.3 * flag.w for b in others)
    return followed and clear


def merge_overlapping(blobs: list[Blob], ref_h: float, baseline: float) -> list[Blob]:
    """Joins pieces of one glyph: blobs whose column ranges overlap by half the narrower one.

    This re-attaches a "5"'s flag, the two bars of "=", a "7"'s cross bar, and strokes broken by a
    faint pen. A small dot under a digit's overhang overlaps too little to be merged. Two tall blobs are
    only merged when ``staggered`` (slanted neighbours overlap without being one glyph), and a dot on
    the baseline never is. A "5"'s flag drawn apart and reaching past its body overlaps it too little,
    so it is joined by ``is_top_flag`` when more digits follow.
    """
    merged: list[Blob] = []
    tall = [b for b in blobs if b.h > 0.6 * ref_h]
    for blob in sorted(blobs, key=lambda b: b.x):
        joined = False
        if is_dot(blob, ref_h, baseline):
            merged.append(blob)
            continue
        for i in range(len(merged) - 1, max(-1, len(merged) - 4), -1):
            other = merged[i]
            overlap = x_overlap(blob, other)
            narrower = max(1, min(blob.w, other.w))
            both_tall = min(blob.h, other.h) > 0.6 * ref_h
            v_gap = max(blob.y, other.y) - min(blob.bottom, other.bottom)
            near = v_gap <= MERGE_GAP * ref_h  # pieces of one glyph are close; text above is not
            one_glyph = not both_tall or staggered(blob, other, ref_h, baseline)
            attached = overlap >= 0.5 * narrower and near and one_glyph
            flag = is_top_flag(blob, other, ref_h) and flag_between_digits(blob, other, tall)
            if (attached or flag) and not is_dot(other, ref_h, baseline):
                merged[i] = union(other, blob)
                joined = True
                break
        if not joined:
            merged.append(blob)
    return sorted(merged, key=lambda b: b.x)


def blob_image(labels: np.ndarray, blob: Blob) -> np.ndarray:
    """The blob's own pixels (not its neighbours') in its bounding box, ink 255."""
    window = labels[blob.y : blob.bottom, blob.x : blob.right]
    # Most blobs are one component: a comparison is ~20 us cheaper than np.isin on a small window.
    own = window == blob.labels[0] if len(blob.labels) == 1 else np.isin(window, blob.labels)
    return ink_where(own)


def principal_angle(image: np.ndarray) -> float:
    """Angle of the ink's main axis from vertical in degrees (positive leans right, like "/")."""
    moments = cv2.moments(image, binaryImage=True)
    if moments["m00"] == 0:
        return 0.0
    mu20, mu02, mu11 = moments["mu20"], moments["mu02"], moments["mu11"]
    theta = 0.5 * np.degrees(np.arctan2(2 * mu11, mu20 - mu02))  # from the x axis, y down
    return float(90.0 + theta) if theta < 0 else float(theta - 90.0)


def is_slash_like(image: np.ndarray, ref_h: float) -> bool:
    """A thin straight stroke leaning right: the "/" of "56/100" or of the "/-" terminator. A stroke
    closing a loop is a narrow slanted "8" or "0", never a slash (raised "^00" after it then read as
    the fraction's "100")."""
    height = image.shape[0]
    if height < 0.5 * ref_h:
        return False
    moments = cv2.moments(image, binaryImage=True)
    if moments["mu02"] <= 0:
        return False
    slope = moments["mu11"] / moments["mu02"]  # dx/dy; "/" runs left as y grows: negative
    if slope > -0.2:  # not steep enough for either rule below: spare the rectangle fit (most digits)
        return False
    length, thickness, _tilt = stroke_shape(image)
    # A slash drawn taller than the digits, as a fine line, may stand steeper than a leaning digit would.
    tall_and_fine = height >= 1.25 * ref_h and thickness <= 0.15 * length
    steep_enough = slope <= -0.3 or (tall_and_fine and slope <= -0.2)
    return steep_enough and thickness <= 0.3 * length and not has_hole(image)


def is_dollar(image: np.ndarray, others_h: float) -> bool:
    """A hand-written "$": at least as tall as the digits after it, an S with a thin bar poking out at
    the top and the bottom. The bar's two ends may sit off-centre in opposite directions (a slanted
    pen), but its middle is centred and ink follows the line between them; round digits have wide or
    flat extremities or a hollow middle ("0"), and a slanted "1" or "7", whose ends are narrow too, is
    wide in one half at most (its flag or bar)."""
    height, width = image.shape
    if height < 0.95 * others_h or width < 0.3 * height:
        return False
    band = max(1, height // 12)
    centres = []
    for rows in (image[:band], image[-band:]):
        cols = np.flatnonzero(rows.any(axis=0))
        if cols.size == 0 or cols[-1] - cols[0] > 0.3 * width:
            return False
        centres.append((cols[0] + cols[-1]) / 2)
    top, bottom = centres
    if abs((top + bottom) / 2 - width / 2) > 0.15 * width or abs(top - bottom) > 0.45 * height:
        return False
    for rows in (image[height // 5 : height // 2], image[height // 2 : height - height // 5]):
        extents = [np.ptp(np.flatnonzero(row)) for row in rows if row.any()]
        if not extents or max(extents) < 0.6 * width:
            return False  # the S's upper and lower arcs both span the glyph; a flag or bar only one half
    # The bar runs from end to end: ink on (or next to) the line joining its ends in most rows; a "0"
    # or "8" has narrow ends too but is hollow or pinched between them.
    reach = max(2, round(0.12 * width))
    on_bar = 0
    for row in range(height):
        centre = round(top + (bottom - top) * row / max(1, height - 1))
        on_bar += bool(image[row, max(0, centre - reach) : centre + reach + 1].any())
    return on_bar >= 0.8 * height


def bar_pokes_out(segment: Segment, others_h: float) -> bool:
    """A hand-written "$" is an S as tall as the digits with a bar running past it at both ends, so
    the whole sign stands taller than the digits after it."""
    return segment.bbox[3] >= DOLLAR_POKE * others_h


def is_asterisk(segment: Segment, ref_h: float, baseline: float) -> bool:
    """A small compact mark floating above the baseline, before the amount ("**25.00")."""
    _x, y, w, h = segment.bbox
    floating = y + h < baseline - 0.12 * ref_h
    return 0.15 * ref_h <= h <= 0.75 * ref_h and 0.5 <= w / max(h, 1) <= 2.0 and floating


def cut_columns(image: np.ndarray) -> list[int]:
    """Candidate columns for cutting a wide blob in two: the deepest valleys of the vertical ink
    projection in its middle part, at least an eighth of the width apart, best first (at most
    MAX_SPLIT_OPTIONS). The classifier decides among them."""
    _height, width = image.shape
    ink = (image > 0).astype(np.float32)
    projection = cv2.GaussianBlur(ink.sum(axis=0).reshape(1, -1), (0, 0), sigmaX=1.0).ravel()
    lo, hi = max(2, round(width * 0.22)), min(width - 2, round(width * 0.78))
    if hi <= lo:
        return []
    window = projection[lo:hi]
    order = np.argsort(window, kind="stable")
    picks: list[int] = []
    min_gap = max(2, width // 8)
    for idx in order:
        column = int(idx + lo)
        if all(abs(column - p) >= min_gap for p in picks):
            picks.append(column)
        if len(picks) >= MAX_SPLIT_OPTIONS:
            break
    centre = width / 2
    return sorted(picks, key=lambda c: (projection[c], abs(c - centre)))


def ink_projection(image: np.ndarray) -> np.ndarray:
    """Ink per column, lightly smoothed."""
    ink = (image > 0).astype(np.float32).sum(axis=0).reshape(1, -1)
    return cv2.GaussianBlur(ink, (0, 0), 1.0).ravel()


def ink_span(image: np.ndarray) -> np.ndarray:
    """Height from the top to the bottom ink pixel of each column, lightly smoothed. Round digits
    ("000") touch where their curves meet, so the span dips between them even where the ink count
    (two strokes through an oval's middle) does not."""
    filled = image > 0
    height = image.shape[0]
    has_ink = filled.any(axis=0)
    top = np.where(has_ink, filled.argmax(axis=0), height)
    bottom = np.where(has_ink, height - filled[::-1].argmax(axis=0), height)
    span = (bottom - top).astype(np.float32).reshape(1, -1)
    return cv2.GaussianBlur(span, (0, 0), 1.0).ravel()


def valley_cuts(profile: np.ndarray, count: int) -> list[int] | None:
    """The lowest point of ``profile`` near each of the ``count - 1`` even divisions, or None when two
    of them come too close."""
    width = profile.size
    spread = max(2, width // (2 * count + 2))
    picks = []
    for centre in (k * width // count for k in range(1, count)):
        lo, hi = max(1, centre - spread), min(width - 1, centre + spread)
        picks.append(lo + int(np.argmin(profile[lo:hi])) if hi > lo else centre)
    apart = all(b - a > width // (2 * count) for a, b in pairwise(picks))
    return picks if apart else None


def n_way_cuts(image: np.ndarray, count: int) -> list[list[int]]:
    """Cut positions for ``count`` touching digits: the deepest valley of the ink projection near
    each even division, the same for the ink span when round digits touch, and the even divisions
    themselves as a fallback."""
    even = [k * image.shape[1] // count for k in range(1, count)]
    pairs = [even]
    for profile in (ink_projection(image), ink_span(image)):
        picks = valley_cuts(profile, count)
        if picks is not None and picks not in pairs:
            pairs.insert(len(pairs) - 1, picks)
    return pairs


def off_line(blob: Blob, ref_h: float, baseline: float) -> bool:
    """Small marks wholly below the writing line or wholly above it: micro-print of a rule, a dotted
    guide line, printed words. Punctuation touches the line; these do not."""
    small = blob.h < 0.45 * ref_h
    below = blob.y > baseline + 0.1 * ref_h
    above = blob.bottom < baseline - 1.15 * ref_h
    return small and (below or above)


def attach_flags(blobs: list[Blob], ref_h: float, baseline: float) -> list[Blob]:
    """Joins a short flat stroke high up in the field (a "5"'s flag, a "7"'s bar written apart) to the
    tall blob below it that it overlaps or nearly touches in x; a terminator dash sits lower."""
    tall = [b for b in blobs if b.h >= 0.6 * ref_h]
    out: list[Blob] = []
    absorbed: dict[int, Blob] = {}
    for blob in blobs:
        flat_high = blob.h < 0.35 * ref_h and blob.w >= 1.5 * blob.h and blob.bottom < baseline - 0.6 * ref_h
        if not flat_high or not tall:
            out.append(blob)
            continue
        near = [t for t in tall if x_overlap(blob, t) > 0 and t.y - blob.bottom <= 0.25 * ref_h]
        if not near:
            out.append(blob)
            continue
        target = max(near, key=lambda t: x_overlap(blob, t))
        absorbed[id(target)] = union(absorbed.get(id(target), target), blob)
    merged = [absorbed.get(id(b), b) for b in out]
    return sorted(merged, key=lambda b: b.x)


def two_way_cuts(image: np.ndarray) -> list[int]:
    """Columns for cutting a wide blob in two: the projection valleys, and the narrowest ink span
    near the middle where two round digits ("00") touch."""
    columns = cut_columns(image)
    span_cut = valley_cuts(ink_span(image), 2)
    if span_cut is not None and all(abs(span_cut[0] - c) >= 2 for c in columns):
        columns.append(span_cut[0])
    return columns


def piece_from(image: np.ndarray, x0: int, y0: int, left: int, right: int) -> Piece | None:
    part = image[:, left:right]
    rows = np.flatnonzero(part.any(axis=1))
    cols = np.flatnonzero(part.any(axis=0))
    if rows.size == 0 or cols.size == 0:
        return None
    crop = part[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    return Piece((x0 + left + int(cols[0]), y0 + int(rows[0]), crop.shape[1], crop.shape[0]), crop)


def digit_options(image: np.ndarray, blob: Blob, ref_h: float) -> list[list[Piece]]:
    """Ways to read a digit-candidate blob: whole, and for wide blobs a few two- and three-way cuts."""
    whole = Piece(blob.bbox, image)
    options = [[whole]]
    if blob.w < WIDE_ASPECT * min(blob.h, ref_h * 1.1) or blob.w < 6 or is_one_ring(image):
        return options
    for column in two_way_cuts(image):
        left = piece_from(image, blob.x, blob.y, 0, column)
        right = piece_from(image, blob.x, blob.y, column, blob.w)
        if left is not None and right is not None:
            options.append([left, right])
    if blob.w > 1.7 * ref_h:
        for cuts in n_way_cuts(image, 3):
            bounds = zip([0, *cuts], [*cuts, blob.w], strict=True)
            pieces = [piece_from(image, blob.x, blob.y, a, b) for a, b in bounds]
            if all(p is not None for p in pieces):
                options.append([p for p in pieces if p is not None])
    return options


def stroke_shape(image: np.ndarray) -> tuple[float, float, float]:
    """Length, thickness and angle from horizontal (degrees, 0..90) of the ink's minimum-area rectangle."""
    points = cv2.findNonZero(image)
    if points is None:
        return (0.0, 0.0, 0.0)
    (_cx, _cy), (w, h), angle = cv2.minAreaRect(points)
    length, thickness = max(w, h) + 1.0, min(w, h) + 1.0
    # OpenCV's angle belongs to the side called "width"; turn it into the long side's tilt.
    tilt = abs(angle) if w >= h else abs(90.0 - abs(angle))
    return length, thickness, min(tilt, 180.0 - tilt) if tilt > 90 else tilt


def is_dash(image: np.ndarray, ref_h: float, stroke_width: float) -> bool:
    """A short straight stroke lying within 40 degrees of horizontal ("-", or a slanted flourish)."""
    length, thickness, tilt = stroke_shape(image)
    return (
        length >= 0.3 * ref_h
        and thickness <= max(0.3 * ref_h, 1.8 * stroke_width)
        and length >= 2.5 * thickness
        and tilt <= 40.0
    )


def is_equals(blob: Blob, image: np.ndarray, ref_h: float) -> bool:
    """Two or more stacked dashes, merged because they overlap in x."""
    if blob.parts < 2 or blob.h > 0.75 * ref_h or blob.w < 1.1 * blob.h:
        return False
    count, _labels, stats, _ = components(image)
    return all(stats[i, 2] >= 1.8 * stats[i, 3] for i in range(1, count) if stats[i, 4] > 3)


def has_loop(image: np.ndarray, min_hole: int) -> bool:
    """Whether the ink closes around a hole whose outline encloses at least ``min_hole`` pixels (a "0",
    "6", "8", "9"). Measured on the contour, as the hanging-comma rule was tuned; ``has_hole`` counts
    any enclosed paper and ``is_one_ring`` needs each hole's width, from ``enclosed_paper``."""
    contours, hierarchy = cv2.findContours(image, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if hierarchy is None:
        return False
    return any(
        parent >= 0 and cv2.contourArea(contour) >= min_hole
        for contour, (_next, _prev, _child, parent) in zip(contours, hierarchy[0], strict=True)
    )


def classify_shape(
    blob: Blob, image: np.ndarray, ref_h: float, baseline: float, stroke_width: float
) -> tuple[str, str | None]:
    """Geometry-only kind of a blob: punctuation and dashes are told apart from digit candidates."""
    if blob.h < 0.75 * ref_h and is_equals(blob, image, ref_h):
        return ("terminator", "=")
    if blob.h < 0.7 * ref_h and is_dash(image, ref_h, stroke_width):
        return ("terminator", "-")
    low_top = blob.y > baseline - 0.45 * ref_h and blob.bottom > baseline + 0.1 * ref_h
    if low_top and blob.h < 0.75 * ref_h and blob.w < 0.45 * ref_h:
        return ("separator", ",")  # a big comma: starts at mid-height, hangs below the line
    # A long comma (Indian grouping "1,59,000", written as a stroke) starts in the lower part of the
    # writing and hangs far below the line; digits stand on the line.
    # A digit that drifted below the line still has its loops ("6", "0").
    hanging = blob.y > baseline - 0.4 * ref_h and blob.bottom > baseline + 0.35 * ref_h
    if hanging and blob.w < 1.5 * ref_h and not has_loop(image, max(4, round(stroke_width**2))):
        return ("separator", ",")
    if blob.h < SMALL * ref_h and blob.w < 0.5 * ref_h:
        if blob.bottom < baseline - 0.55 * ref_h:
            return ("separator", "'")
        below = blob.bottom - baseline
        return ("separator", "," if blob.h > 1.4 * blob.w and below > 0.1 * ref_h else ".")
    return ("digit", None)


def is_one_ring(image: np.ndarray) -> bool:
    """Whether the ink is one broad loop around a single hole spanning most of its width: a wide "0".

    Cut in two, a broad "0" gives two arcs that the classifier reads as confident digits ("6" and "7",
    "6" and "2"), and its width alone makes two digits the likelier count. Two touching digits never
    close one hole across both: "00" has two holes, "10" or "06" a hole in one part only.
    """
    holes = enclosed_paper(image)
    big = holes[holes[:, cv2.CC_STAT_AREA] >= 4]
    return len(big) == 1 and big[0, cv2.CC_STAT_WIDTH] >= RING_SPAN * image.shape[1]


def has_hole(image: np.ndarray) -> bool:
    """Whether the ink encloses some paper (a loop: "0", "6", "8", "9")."""
    return len(enclosed_paper(image)) > 0


def enclosed_paper(image: np.ndarray) -> np.ndarray:
    """Statistics rows (``cv2.CC_STAT_*``) of the paper regions the ink closes in: 4-connected paper
    components that do not reach the image's edge (the glyph is padded with a paper border first)."""
    paper = (image == 0).astype(np.uint8)
    padded = cv2.copyMakeBorder(paper, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=1)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(padded, connectivity=4)
    outside = labels[0, 0]
    return stats[[i for i in range(1, count) if i != outside]].reshape(-1, stats.shape[1])


def mark_trailing_flourish(segments: list[Segment]) -> None:
    """The last mark, when small, without a loop and floating at mid-height (clear of both the
    digits' baseline and their top line), closes the amount: an "=" whose bars ran together, the
    tail of a "./" or a closing squiggle. Raised cents reach the digits' top line, a last digit stands
    on the baseline, and a small last "0" encloses paper."""
    digits = [s for s in segments if s.kind == "digit"]
    if len(digits) < 3 or segments[-1] is not digits[-1]:
        return
    last, main = digits[-1], digits[:-1]
    main_h = float(np.median([s.bbox[3] for s in main]))
    top = float(np.median([s.bbox[1] for s in main]))
    base = float(np.median([s.bbox[1] + s.bbox[3] for s in main]))
    _x, y, _w, h = last.bbox
    floating = y >= top + FLOURISH_CLEARANCE * main_h and y + h <= base - FLOURISH_CLEARANCE * main_h
    if h < FLOURISH_HEIGHT * main_h and floating and not has_hole(last.options[0][0].image):
        segments[-1] = Segment("terminator", last.bbox, char="=")


def mark_raised(segments: list[Segment]) -> None:
    """Flags the trailing digits written small and above the line (cents written raised, "25^00").

    Measured against the main digits (all but the last two), not the field's reference height: with
    few digits the small cents pull the median down and would not look small against it.
    """
    digits = [s for s in segments if s.kind == "digit"]
    if len(digits) < 2:
        return
    for count in (2, 1):
        main, tail = digits[:-count], digits[-count:]
        if not main:
            continue
        main_h = float(np.median([s.bbox[3] for s in main]))
        base = float(np.median([s.bbox[1] + s.bbox[3] for s in main]))
        if all(
            s.bbox[3] <= RAISED_MAX_HEIGHT * main_h and s.bbox[1] + s.bbox[3] <= base - 0.3 * main_h
            for s in tail
        ):
            for segment in tail:
                segment.raised = True
            return


def is_underline(
    mask: np.ndarray, box: tuple[int, int, int, int], blobs: Sequence[Blob], ref_h: float, stroke_width: float
) -> bool:
    """A long flat run under raised cents, told apart from the strokes of full-height digits.

    The cents stand on it (ink close above it and reaching well up in both halves: the base of a "2"
    has ink close above its left end only); nothing hangs below it (the stem of a "4" or "7" crosses
    its bar), except at its left end, where it may touch the last full-height digit; it lies above the
    bottom of the full-height digits before it, if only a little (a rule or a flourish under the whole
    amount does not); and nothing digit-sized follows it: the cents end the amount. Whether what stands
    on it are two small digits is decided once it is removed (``cents_on_line``).
    """
    x, y, w, h = box
    if h > max(0.25 * ref_h, 2.5 * stroke_width):
        return False
    if any(b.h >= 0.4 * ref_h and b.x + b.w / 2 > x + w for b in blobs):
        return False
    reach, near = round(0.35 * ref_h), round(0.3 * ref_h)
    window_top = max(0, y - round(1.1 * ref_h))
    for lo, hi in ((x, x + w // 2), (x + w // 2, x + w)):
        rows = np.flatnonzero(mask[window_top:y, lo:hi].any(axis=1))
        if rows.size == 0 or window_top + rows[0] > y - reach or window_top + rows[-1] < y - near:
            return False
    below = mask[y + h + 2 : y + h + 2 + round(0.4 * ref_h), x + w // 4 : x + w]
    if np.count_nonzero(below) > stroke_width**2:
        return False
    # The baseline from the digits wholly before it, not the field's tallest marks: a "$" hangs below
    # the line and would make the base of a last "2" or "3" look raised.
    main = digits_before(blobs, x + w // 4, ref_h)
    return bool(main) and y + h <= float(np.median([b.bottom for b in main])) - 0.05 * ref_h


def digits_before(blobs: Sequence[Blob], x: int, ref_h: float) -> list[Blob]:
    """The digit-sized blobs wholly left of column ``x``: the full-height digits before raised cents."""
    return [b for b in blobs if b.h >= 0.6 * ref_h and b.right <= x]


def strip_underline(
    mask: np.ndarray, blobs: Sequence[Blob], ref_h: float, stroke_width: float
) -> tuple[np.ndarray, Underline | None]:
    """Removes the stroke drawn under raised cents ("1234" + underlined "56").

    Left in, it fuses with the cents: a "0" standing on it reads as "2", and the cents merged with it
    are neither small nor raised. Only the rightmost flat run that passes ``is_underline`` is removed,
    with the specks left at its rounded ends; where a stroke continues across it (the last full-height
    digit touching its left end) the stroke is kept.
    """
    length = max(8, round(UNDERLINE_MIN * ref_h))
    if not blobs or length >= mask.shape[1]:
        return mask, None
    lines = line_mask(mask, length, horizontal=True)
    count, labels, stats, _ = components(lines)
    candidates = sorted(range(1, count), key=lambda i: -(stats[i, 0] + stats[i, 2]))
    for i in candidates:
        x, y, w, h = (int(v) for v in stats[i, :4])
        if not is_underline(mask, (x, y, w, h), blobs, ref_h, stroke_width):
            continue
        line = ink_where(labels == i)
        zone = cv2.dilate(line, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 3))) & mask
        without = mask & ~zone
        bridge = cv2.getStructuringElement(cv2.MORPH_RECT, (1, h + 5 + (h + 5 + 1) % 2))
        out = drop_line_ends(
            without | (cv2.morphologyEx(without, cv2.MORPH_CLOSE, bridge) & zone), (x, y, w, h), ref_h
        )
        main_h = float(np.median([b.h for b in digits_before(blobs, x + w // 4, ref_h)]))
        marks = marks_standing_on(out, (x, y, w, h), ref_h)
        if cents_on_line(marks, stroke_alone(mask, line, h), main_h):
            return out, Underline((x, x + w), y)
    return mask, None


def stroke_alone(mask: np.ndarray, line: np.ndarray, thickness: int) -> bool:
    """Whether the run is a connected component of its own, no taller than the run: a pen stroke apart."""
    _count, labels, stats, _ = components(mask)
    owners = np.unique(labels[line > 0])
    owners = owners[owners > 0]
    return owners.size == 1 and int(stats[owners[0], cv2.CC_STAT_HEIGHT]) <= thickness + 4


def marks_standing_on(
    mask: np.ndarray, box: tuple[int, int, int, int], ref_h: float
) -> list[tuple[int, int, int]]:
    """(x, width, height) of the digit-sized marks standing on a removed run, left to right; the top bar
    of a "=" is too low to count."""
    x, y, w, _h = box
    count, _labels, stats, _ = components(mask)
    marks = []
    for i in range(1, count):
        bx, by, bw, bh = (int(v) for v in stats[i, :4])
        if x <= bx + bw / 2 <= x + w and bh >= 0.3 * ref_h and by + bh <= y + 3:
            marks.append((bx, bw, bh))
    return sorted(marks)


def cents_on_line(marks: list[tuple[int, int, int]], alone: bool, main_h: float) -> bool:
    """Whether the marks standing on a run are raised cents: small against the full-height digits.

    A run that was a stroke of its own only needs small digits on it (the cents may touch each other).
    A run cut out of a larger blob needs two marks side by side: what is left of a "2" or "3" whose
    base was taken is one mark, and a flat-bottomed "0" falls apart into two that overlap in x and are
    as tall as the full-height digits.
    """
    if not marks or any(bh > 0.85 * main_h for _bx, _bw, bh in marks):
        return False
    if alone:
        return True
    apart = all(right[0] >= left[0] + left[1] for left, right in pairwise(marks))
    return len(marks) == 2 and apart


def drop_line_ends(mask: np.ndarray, box: tuple[int, int, int, int], ref_h: float) -> np.ndarray:
    """Clears what is left of a removed underline: flat specks within its band and near its ends."""
    x, y, w, h = box
    margin = round(0.2 * ref_h)
    count, labels, stats, _ = components(mask)
    out = mask.copy()
    for i in range(1, count):
        bx, by, bw, bh = (int(v) for v in stats[i, :4])
        inside = by >= y - 3 and by + bh <= y + h + 3 and bx >= x - margin and bx + bw <= x + w + margin
        if inside:
            out[labels == i] = 0
    return out


def mark_underlined(segments: list[Segment], underline: Underline) -> None:
    """The digits standing on a removed underline are raised cents, however low the writer put them."""
    left, right = underline.span
    digits = [s for s in segments if s.kind == "digit"]
    over = [
        s
        for s in digits
        if left <= s.bbox[0] + s.bbox[2] / 2 <= right and s.bbox[1] + s.bbox[3] <= underline.top + 3
    ]
    if over and len(over) < len(digits):
        for segment in over:
            segment.raised = True


def segment_field(mask: np.ndarray, stroke_width: float = 2.0, leading_sign: bool = False) -> list[Segment]:
    """Ordered segments of a clean field mask (uint8, ink > 0)."""
    blobs, labels = find_blobs(mask)
    if not blobs:
        return []
    ref_h = reference_height(blobs)
    mask, underline = strip_underline(mask, blobs, ref_h, stroke_width)
    if underline is not None:
        blobs, labels = find_blobs(mask)
        if not blobs:
            return []
        ref_h = reference_height(blobs)
    tall = [b for b in blobs if b.h >= 0.6 * ref_h]
    baseline = float(np.median([b.bottom for b in tall])) if tall else float(mask.shape[0])
    blobs = merge_overlapping(blobs, ref_h, baseline)
    blobs = attach_flags(blobs, ref_h, baseline)
    ref_h = reference_height(blobs)
    tall = [b for b in blobs if b.h >= 0.6 * ref_h]
    baseline = float(np.median([b.bottom for b in tall])) if tall else float(mask.shape[0])
    blobs = [b for b in blobs if not off_line(b, ref_h, baseline)]
    segments: list[Segment] = []
    images: list[np.ndarray] = []
    for blob in blobs:
        image = blob_image(labels, blob)
        images.append(image)
        kind, char = classify_shape(blob, image, ref_h, baseline, stroke_width)
        if kind == "digit":
            segment = Segment("digit", blob.bbox, options=digit_options(image, blob, ref_h))
            segment.slash_like = is_slash_like(image, ref_h)
        else:
            segment = Segment(kind, blob.bbox, char=char)
        segments.append(segment)
    mark_leading(segments, images, ref_h, baseline, leading_sign, mask.shape[1])
    mark_fraction(segments, ref_h)
    mark_trailing_flourish(segments)
    mark_raised(segments)
    if underline is not None:
        mark_underlined(segments, underline)
    return segments


def mark_leading(
    segments: list[Segment],
    images: list[np.ndarray],
    ref_h: float,
    baseline: float,
    leading_sign: bool,
    field_width: int,
) -> None:
    """Currency signs and asterisks in front of the amount are decoration, never digits.

    Walks from the left until the first mark that stays a digit. A sign found does not end the walk:
    a box-side remnant or the printed sign often comes before the hand-written "$". A "$" written
    against the amount ("$25") is only flagged ``sign_like``: a "4" with an open top can pass the
    shape test, so geometry alone does not decide it without the space.
    """
    for i, (segment, image) in enumerate(zip(segments, images, strict=True)):
        if segment.kind not in ("digit", "separator"):
            continue
        if is_asterisk(segment, ref_h, baseline):
            segments[i] = Segment("asterisk", segment.bbox, char="*")
            continue
        if segment.kind != "digit":
            continue
        x, _y, w, _h = segment.bbox
        following = next((s for s in segments[i + 1 :] if s.kind == "digit"), None)
        gap = following.bbox[0] - (x + w) if following else 0
        first = all(s.kind not in ("digit", "currency") for s in segments[:i])
        later = [s.bbox[3] for s in segments[i + 1 :] if s.kind == "digit"]
        others_h = float(np.median(later)) if later else ref_h
        # Small cents ("51/100", raised "^56") would pull a plain median below the full-height digits;
        # a fraction's slash is taller than them.
        upright = [s.bbox[3] for s in segments[i + 1 :] if s.kind == "digit" and not s.slash_like]
        full_h = float(np.median([h for h in upright if h >= 0.8 * max(upright)])) if upright else ref_h
        # A sign printed in the box is type, smaller than the hand-written digits (and a box side left
        # over is a hair-line or taller than them); a first digit written close to the box's side is a
        # pen stroke as tall as the others.
        printed_sign = (
            leading_sign
            and first
            and x + w <= 0.14 * field_width
            and gap >= 0.2 * ref_h
            and (
                w < 0.06 * segment.bbox[3]
                or not 0.9 * full_h <= segment.bbox[3] <= 1.1 * full_h
                or before_asterisk(segments, i, ref_h, baseline)
            )
        )
        spaced = gap >= DOLLAR_GAP * ref_h  # "$ 25": the writer leaves a space after the sign
        dollar = following is not None and is_dollar(image, others_h)
        if printed_sign or (dollar and spaced):
            segments[i] = Segment("currency", segment.bbox, char="$" if not printed_sign else CURRENCY)
            continue  # a box-side remnant or printed sign may come before a hand-written "$"
        segment.sign_like = dollar and bar_pokes_out(segment, others_h)
        break


def before_asterisk(segments: list[Segment], i: int, ref_h: float, baseline: float) -> bool:
    """Asterisks only ever open the amount ("$*25.00"), so a mark at the box's left right before an
    asterisk is the printed sign even when it is as tall as the digits. The asterisk must be a digit
    candidate, not a separator: a floating apostrophe after the first digit groups thousands ("1'265")."""
    later = [s for s in segments[i + 1 :] if s.kind in ("digit", "separator")]
    return (
        len(later) >= 2
        and later[0].kind == "digit"
        and is_asterisk(later[0], ref_h, baseline)
        and later[1].kind == "digit"
    )


def mark_fraction(segments: list[Segment], ref_h: float) -> None:
    """A slash after two or more digits, followed only by small digits, is "56/100": cents as a fraction."""
    digits_seen = 0
    for i, segment in enumerate(segments):
        if segment.kind == "digit" and segment.slash_like and digits_seen >= 2:
            tail = [s for s in segments[i + 1 :] if s.kind != "terminator"]
            # The denominator is small against the slash; small numerator digits ("6 21/100") pull the
            # field's reference height down, so the slash is the better ruler.
            small = 0.7 * max(ref_h, segment.bbox[3])
            if 0 < len(tail) <= 3 and all(s.kind == "digit" and s.bbox[3] < small for s in tail):
                x = min(s.bbox[0] for s in tail)
                y = min(s.bbox[1] for s in tail)
                right = max(s.bbox[0] + s.bbox[2] for s in tail)
                bottom = max(s.bbox[1] + s.bbox[3] for s in tail)
                segments[i] = Segment("fraction", segment.bbox, char="/")
                segments[i + 1 :] = [Segment("fraction", (x, y, right - x, bottom - y), char="100")]
                return
        if segment.kind == "digit":
            digits_seen += 1


def digit_unit(segments: Sequence[Segment], ref_h: float) -> float:
    """The field's typical single-digit width: median width of the unsplit, ordinary-looking digits."""
    widths = [s.bbox[2] for s in segments if s.kind == "digit" and s.bbox[2] >= 0.4 * s.bbox[3]]
    unit = float(np.median(widths)) if len(widths) >= 2 else 0.7 * ref_h
    return float(np.clip(unit, 0.5 * ref_h, 0.9 * ref_h))


def option_prior(option: Sequence[Piece], segment_width: int, unit: float, ref_h: float) -> float:
    """How plausible it is that a blob this wide holds ``len(option)`` digits, whatever the classifier says.

    A Gaussian on the number of digits the blob's width suggests (width / typical digit width), a flat
    cost for any cut (``SPLIT_COST``), and a penalty for a cut that leaves a scrap much lower than a digit.
    """
    expected = segment_width / max(unit, 1.0)
    prior = float(np.exp(-((expected - len(option)) ** 2) / (2 * COUNT_SIGMA**2)))
    if len(option) > 1:
        prior *= SPLIT_COST
        for piece in option:
            if (
                piece.bbox[3] < 0.45 * ref_h
                or piece.bbox[2] < 0.15 * unit
                or sunken_scrap(piece, option, ref_h)
            ):
                prior *= 0.1
    for piece in option:
        if loops_side_by_side(piece.image, ref_h):
            prior *= 0.1
    return prior


def loops_side_by_side(image: np.ndarray, ref_h: float) -> bool:
    """Whether the ink closes two loops next to each other on one line: "00" written touching, which
    reads as one confident wide "0". No single digit has that: an "8"'s loops stand one above the other.
    Pinholes in thick strokes are ignored (loops smaller than LOOP_AREA_MIN of the digit height squared)."""
    if image.shape[1] < image.shape[0]:
        return False  # two loops on one line make a blob at least as wide as it is tall
    holes = enclosed_paper(image)
    holes = holes[holes[:, cv2.CC_STAT_AREA] >= max(6.0, LOOP_AREA_MIN * ref_h * ref_h)]
    for i, a in enumerate(holes):
        for b in holes[i + 1 :]:
            left, right = (a, b) if a[cv2.CC_STAT_LEFT] <= b[cv2.CC_STAT_LEFT] else (b, a)
            apart = left[cv2.CC_STAT_LEFT] + left[cv2.CC_STAT_WIDTH] <= right[cv2.CC_STAT_LEFT] + 1
            top = max(a[cv2.CC_STAT_TOP], b[cv2.CC_STAT_TOP])
            bottom = min(
                a[cv2.CC_STAT_TOP] + a[cv2.CC_STAT_HEIGHT], b[cv2.CC_STAT_TOP] + b[cv2.CC_STAT_HEIGHT]
            )
            if apart and bottom - top >= 0.5 * min(a[cv2.CC_STAT_HEIGHT], b[cv2.CC_STAT_HEIGHT]):
                return True
    return False


def sunken_scrap(piece: Piece, option: Sequence[Piece], ref_h: float) -> bool:
    """A piece that starts well below the blob's top and is short is the tail of a wide glyph's base (a
    "2" with a long foot cut into "26"), not a digit: digits written side by side share their top line.
    A foot is alone at its height, though; trailing zeros written small on the baseline ("15700") share
    their top line with each other, so a sunken piece with a neighbour at its height is a digit."""
    top = min(other.bbox[1] for other in option)
    if piece.bbox[1] - top <= 0.25 * ref_h or piece.bbox[3] >= 0.6 * ref_h:
        return False
    return not any(
        other is not piece and abs(other.bbox[1] - piece.bbox[1]) <= SHARED_TOP * ref_h for other in option
    )


def choose_options(segments: list[Segment], probabilities: Sequence[Sequence[np.ndarray]]) -> list[int]:
    """For each digit segment, the option with the best product of top probabilities times its prior.

    ``probabilities[i][j]`` is the [k, 10] array of class probabilities of option j of digit segment i.
    The prior is softened (``PRIOR_WEIGHT``) so that it breaks near ties rather than overruling a
    clearly surer reading.
    """
    digit_segments = [s for s in segments if s.kind == "digit"]
    # Raised cents are written smaller: measured with the full-height digits, their narrow widths would
    # make every full-height digit look like two; they are measured against their own height.
    main = [s for s in digit_segments if not s.raised] or digit_segments
    heights = [s.bbox[3] for s in main] or [1]
    ref_h = float(np.median(heights))
    unit = digit_unit(main, ref_h)
    raised = [s.bbox[3] for s in digit_segments if s.raised]
    small = min(1.0, float(np.median(raised)) / ref_h) if raised and len(main) < len(digit_segments) else 1.0
    chosen = []
    for segment, option_probs in zip(digit_segments, probabilities, strict=True):
        scale = small if segment.raised else 1.0
        scores = [
            float(np.prod(probs.max(axis=1)))
            * option_prior(option, segment.bbox[2], scale * unit, scale * ref_h) ** PRIOR_WEIGHT
            for option, probs in zip(segment.options, option_probs, strict=True)
        ]
        chosen.append(int(np.argmax(scores)))
    return chosen
