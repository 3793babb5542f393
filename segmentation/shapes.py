"""Mark recognisers: what a blob is by its shape alone (digit candidate, dash, "=", comma, dot, slash,
"$"), and the loop tests the option prior uses."""

from __future__ import annotations

import cv2
import numpy as np

from segmentation.blobs import Blob
from segmentation.components import components
from segmentation.ratios import LOOP_AREA_MIN, RING_SPAN, SMALL


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
