"""Cut generation: the ways to read a wide digit-candidate blob as one, two or three touching digits.

Geometry cannot tell a broad "0" from "00"; every plausible cut becomes an *option* of the segment and
the classifier chooses among them (``segmentation.options.choose_options``)."""

from __future__ import annotations

from itertools import pairwise

import cv2
import numpy as np

from segmentation.blobs import Blob
from segmentation.ratios import MAX_SPLIT_OPTIONS, THREE_WIDE, WIDE_ASPECT
from segmentation.segments import Piece
from segmentation.shapes import is_one_ring


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
    if blob.w > THREE_WIDE * ref_h:
        for cuts in n_way_cuts(image, 3):
            bounds = zip([0, *cuts], [*cuts, blob.w], strict=True)
            pieces = [piece_from(image, blob.x, blob.y, a, b) for a, b in bounds]
            if all(p is not None for p in pieces):
                options.append([p for p in pieces if p is not None])
    return options
