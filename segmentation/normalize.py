"""The digit-image contract: one glyph in, one MNIST-style 28x28 float image out.

MNIST was made by scaling each NIST glyph (aspect kept, anti-aliased) so that its longer side is 20
pixels and then translating it so that its centre of mass lands on the centre of a 28x28 field. On the
MNIST test set the centre of mass sits at row/column 14.0 +- 0.29 in pixel-index coordinates, which is
what a whole-pixel shift to index 14 gives; this function reproduces that, because a classifier is only
as good as the match between what it was trained on and what it is shown.
"""

from __future__ import annotations

import cv2
import numpy as np

FRAME = 28
BOX = 20
CENTRE = 14.0  # pixel-index coordinate where MNIST puts the centre of mass
INK_THRESHOLD = 0.05


class EmptyGlyphError(ValueError):
    """The glyph image holds no ink at all."""


def as_ink_map(glyph: np.ndarray) -> np.ndarray:
    """Any 2-D glyph (uint8 0..255, bool or float 0..1, ink high) as float32 in [0, 1]."""
    if glyph.ndim != 2:
        raise ValueError(f"glyph must be a 2-D array, got shape {glyph.shape}")
    if glyph.dtype == np.bool_:
        return glyph.astype(np.float32)
    if np.issubdtype(glyph.dtype, np.integer):
        return np.clip(glyph.astype(np.float32) / 255.0, 0.0, 1.0)
    return np.clip(glyph.astype(np.float32), 0.0, 1.0)


def crop_to_ink(ink: np.ndarray) -> np.ndarray:
    inked = ink > INK_THRESHOLD
    rows = np.flatnonzero(inked.any(axis=1))
    cols = np.flatnonzero(inked.any(axis=0))
    if rows.size == 0:
        raise EmptyGlyphError("glyph has no ink")
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def fit_box(ink: np.ndarray, box: int = BOX) -> np.ndarray:
    """Scales so the longer side is ``box`` pixels, aspect kept, anti-aliased."""
    height, width = ink.shape
    scale = box / max(height, width)
    new_h = max(1, round(height * scale))
    new_w = max(1, round(width * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    return cv2.resize(ink, (new_w, new_h), interpolation=interpolation)


def centre_of_mass(ink: np.ndarray) -> tuple[float, float]:
    total = float(ink.sum())
    height, width = ink.shape
    # Broadcast row and column indices: the same products and sums as np.indices' full grids, unbuilt.
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    return float((ink * rows).sum() / total), float((ink * cols).sum() / total)


def place_by_centre_of_mass(scaled: np.ndarray, frame: int = FRAME) -> np.ndarray:
    """Puts the glyph in a ``frame``-sized field with its centre of mass on pixel index 14."""
    com_row, com_col = centre_of_mass(scaled)
    height, width = scaled.shape
    top = round(CENTRE - com_row)
    left = round(CENTRE - com_col)
    # Keep the whole glyph inside the frame even for very lopsided shapes.
    top = min(max(top, 0), frame - height)
    left = min(max(left, 0), frame - width)
    out = np.zeros((frame, frame), dtype=np.float32)
    out[top : top + height, left : left + width] = scaled
    return out


def to_mnist(glyph: np.ndarray) -> np.ndarray:
    """One glyph (ink high, any size) as a float32 28x28 image in [0, 1], MNIST-style.

    Raises EmptyGlyphError when there is no ink to normalise.
    """
    ink = crop_to_ink(as_ink_map(glyph))
    scaled = np.clip(fit_box(ink), 0.0, 1.0)
    peak = scaled.max()
    if peak <= 0:
        raise EmptyGlyphError("glyph vanished when scaled")
    # Stretch so the darkest stroke reaches full ink, as the 8-bit MNIST strokes do.
    scaled = scaled / peak
    return place_by_centre_of_mass(scaled)
