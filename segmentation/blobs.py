"""Connected ink blobs and their geometry: finding them, the reference digit height, and joining the
pieces of one glyph (a "5"'s flag, the bars of "=", strokes broken by a faint pen)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from segmentation.components import components, ink_where
from segmentation.ratios import DOT, DOT_OFF_BASELINE, MERGE_GAP, OFF_LINE_SMALL, STAGGER, TALL


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


def is_tall(blob: Blob, ref_h: float) -> bool:
    """Digit-sized: at least ``TALL`` of the reference height."""
    return blob.h >= TALL * ref_h


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


def blob_image(labels: np.ndarray, blob: Blob) -> np.ndarray:
    """The blob's own pixels (not its neighbours') in its bounding box, ink 255."""
    window = labels[blob.y : blob.bottom, blob.x : blob.right]
    # Most blobs are one component: a comparison is ~20 us cheaper than np.isin on a small window.
    own = window == blob.labels[0] if len(blob.labels) == 1 else np.isin(window, blob.labels)
    return ink_where(own)


def is_dot(blob: Blob, ref_h: float, baseline: float) -> bool:
    """A compact speck sitting on the baseline: a decimal or grouping mark."""
    small = blob.h < DOT * ref_h and blob.w < DOT * ref_h
    return small and abs(blob.bottom - baseline) < DOT_OFF_BASELINE * ref_h


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
    return flat and on_top and abuts and is_tall(digit, ref_h)


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
    tall = [b for b in blobs if is_tall(b, ref_h)]
    for blob in sorted(blobs, key=lambda b: b.x):
        joined = False
        if is_dot(blob, ref_h, baseline):
            merged.append(blob)
            continue
        for i in range(len(merged) - 1, max(-1, len(merged) - 4), -1):
            other = merged[i]
            overlap = x_overlap(blob, other)
            narrower = max(1, min(blob.w, other.w))
            both_tall = is_tall(blob, ref_h) and is_tall(other, ref_h)
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


def attach_flags(blobs: list[Blob], ref_h: float, baseline: float) -> list[Blob]:
    """Joins a short flat stroke high up in the field (a "5"'s flag, a "7"'s bar written apart) to the
    tall blob below it that it overlaps or nearly touches in x; a terminator dash sits lower."""
    tall = [b for b in blobs if is_tall(b, ref_h)]
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


def off_line(blob: Blob, ref_h: float, baseline: float) -> bool:
    """Small marks wholly below the writing line or wholly above it: micro-print of a rule, a dotted
    guide line, printed words. Punctuation touches the line; these do not."""
    small = blob.h < OFF_LINE_SMALL * ref_h
    below = blob.y > baseline + 0.1 * ref_h
    above = blob.bottom < baseline - 1.15 * ref_h
    return small and (below or above)


def writing_line(blobs: Sequence[Blob], ref_h: float, default: float) -> float:
    """The baseline: median bottom of the digit-sized blobs (``default`` when there are none)."""
    tall = [b for b in blobs if is_tall(b, ref_h)]
    return float(np.median([b.bottom for b in tall])) if tall else default
