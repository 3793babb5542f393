"""The stroke under raised cents ("1234" + underlined small "56"): found, removed from the mask, and the
digits standing on it marked as cents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

import cv2
import numpy as np

from segmentation.blobs import Blob, is_tall
from segmentation.clean import line_mask
from segmentation.components import components, ink_where
from segmentation.ratios import UNDERLINE_MIN
from segmentation.segments import Segment


@dataclass(frozen=True)
class Underline:
    """The stroke under raised cents ("1234" + underlined small "56"), removed from the mask: ``span`` is
    its column range and ``top`` its first row; the digits standing on it are the cents."""

    span: tuple[int, int]
    top: int


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
    return [b for b in blobs if is_tall(b, ref_h) and b.right <= x]


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
