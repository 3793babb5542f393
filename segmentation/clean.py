"""From a grey field image to a clean ink map: paper, tints, guilloche and box/guide lines removed.

Check backgrounds are printed in light, textured tints and the courtesy amount sits on an underline or
inside a box. The classifier only knows white strokes on black, so everything that is not handwriting
has to go, without cutting the digits that cross the lines. Steps, each a small function:

1. ``flatten_background``: divide by a local paper estimate (a grey-level closing wider than any pen
   stroke), which turns uneven lighting and tints into a flat white and ink into contrast 0..1.
2. ``ink_threshold``: Otsu on the contrast, floored so that faint guilloche never counts as ink and
   capped so that a faint pen still does.
3. ``remove_lines``: long thin horizontal/vertical runs (opening with a long line kernel) are removed,
   then the pixels where a stroke crosses the line are restored by a short closing across the line.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from segmentation.components import components, ink_where, paint

MIN_CONTRAST = 0.18  # below this the "ink" is background texture on every check we have seen
MAX_THRESHOLD = 0.45  # a faint ballpoint still clears this
MIN_COMPONENT_AREA = 4
LINE_ANGLES = (-2.0, 0.0, 2.0)  # rule tilts handled, in degrees
SHORT_LINE = 1.5  # second pass: horizontal runs longer than this many digit heights are rules


@dataclass(frozen=True)
class CleanField:
    """The cleaned field: ``ink`` float32 contrast map (ink high, lines zeroed) and its binary mask."""

    ink: np.ndarray
    mask: np.ndarray  # uint8 0/255
    stroke_width: float
    # uint8 0/255: the rules, box sides and slivers the cleaning took away, for the field model to
    # paint out; not the specks, which may be a small pen point that only the field model can read.
    removed: np.ndarray


def odd(value: float) -> int:
    value = max(3, round(value))
    return value if value % 2 else value + 1


def estimate_stroke_width(mask: np.ndarray) -> float:
    """Typical pen width: twice the median distance-to-background on the stroke skeleton ridge."""
    if not mask.any() or mask.all():  # no ink, or no paper: no stroke edge to measure (all-black scan)
        return 2.0
    dist = cv2.distanceTransform((mask > 0).astype(np.uint8), cv2.DIST_L2, 3)
    ridge = dist[(dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (dist > 0)]
    if ridge.size == 0:
        return 2.0
    return float(max(1.0, 2.0 * np.median(ridge)))


def flatten_background(grey: np.ndarray, stroke_hint: float | None = None) -> np.ndarray:
    """Contrast of ink against the local paper, float32 in [0, 1] (ink high).

    The paper level is a grey closing (max filter then min filter) with a kernel wider than a pen stroke,
    so strokes vanish from it while slow tints and lighting gradients stay.
    """
    grey = grey.astype(np.uint8)
    height, width = grey.shape
    size = stroke_hint * 4 if stroke_hint else max(height, width) / 12
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (odd(min(max(size, 9), 41)),) * 2)  # separable: fast
    paper = cv2.morphologyEx(grey, cv2.MORPH_CLOSE, kernel)
    paper = cv2.GaussianBlur(paper, (0, 0), 2.0)
    paper_f = np.maximum(paper.astype(np.float32), 1.0)
    contrast = 1.0 - grey.astype(np.float32) / paper_f
    # Scale by the paper brightness: the same ink on dark tint shows less relative contrast.
    return np.clip(contrast, 0.0, 1.0)


def ink_threshold(contrast: np.ndarray) -> float:
    """Otsu over the contrast histogram, clamped to [MIN_CONTRAST, MAX_THRESHOLD]."""
    scaled = np.clip(contrast * 255.0, 0, 255).astype(np.uint8)
    otsu, _ = cv2.threshold(scaled, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(min(max(otsu / 255.0, MIN_CONTRAST), MAX_THRESHOLD))


def line_kernel(length: int, degrees: float, horizontal: bool) -> np.ndarray:
    """A one-pixel digital line ``length`` long, tilted by ``degrees`` from the axis."""
    rise = round(abs(np.tan(np.radians(degrees))) * (length - 1))
    kernel = np.zeros((rise + 1, length), dtype=np.uint8)
    start, end = (0, rise) if degrees >= 0 else (rise, 0)
    cv2.line(kernel, (0, start), (length - 1, end), 1, 1)
    return kernel if horizontal else np.ascontiguousarray(kernel.T)


def line_mask(mask: np.ndarray, min_length: int, horizontal: bool) -> np.ndarray:
    """Pixels of runs at least ``min_length`` long near one direction (box lines, underlines, guides).

    A scanned check is rarely square to the scanner, so the opening is repeated with line kernels
    tilted by a few degrees and the results are united.
    """
    lines = np.zeros_like(mask)
    for degrees in LINE_ANGLES:
        lines |= open_if_any(mask, swept_line(min_length, degrees, horizontal))
    return lines


@dataclass(frozen=True)
class SweptKernel:
    """A line structuring element as a short straight ``run`` swept over the points of ``starts``.

    Why: OpenCV's erosion and dilation cost one pass over the image per kernel pixel, straight or
    tilted (~50 us for a 150-pixel rule kernel on a field); the min (max) over the whole line is the
    min (max) over a few runs of ~sqrt(length) pixels that cover it, the run's result taken at each
    run's start: ~12 + ~13 passes instead of 150, for the same pixels. ``full`` is the kernel meant.
    """

    full: np.ndarray
    run: np.ndarray  # 1 x k (horizontal) or k x 1, anchored at its first pixel
    starts: np.ndarray  # same shape and anchor as ``full``: where each covering run starts
    horizontal: bool

    @classmethod
    def of(cls, kernel: np.ndarray, horizontal: bool) -> SweptKernel:
        """Splits a kernel whose rows (columns when upright) each hold one run of ones, like
        ``line_kernel``'s; ValueError for any other kernel."""
        flat = kernel if horizontal else kernel.T
        filled = np.flatnonzero(flat.any(axis=1))
        first = flat[filled].argmax(axis=1)
        last = flat.shape[1] - 1 - flat[filled, ::-1].argmax(axis=1)
        if filled.size == 0 or not np.array_equal(np.count_nonzero(flat[filled], axis=1), last - first + 1):
            raise ValueError("each row of the kernel must hold one run of ones")
        k = max(1, min(int((last - first).min()) + 1, math.isqrt(flat.shape[1])))
        starts = np.zeros_like(flat)
        for r, a, b in zip(filled.tolist(), first.tolist(), last.tolist(), strict=True):
            starts[r, a : b - k + 2 : k] = 1
            starts[r, b - k + 1] = 1  # the last run ends on the row's last pixel
        run = np.ones((1, k) if horizontal else (k, 1), np.uint8)
        parts = (kernel.copy(), run, starts if horizontal else np.ascontiguousarray(starts.T))
        for part in parts:  # shared through swept_line's cache, by every thread
            part.flags.writeable = False
        return cls(*parts, horizontal)

    def erode(self, mask: np.ndarray) -> np.ndarray:
        """``cv2.erode(mask, self.full)``, pixel for pixel."""
        return self.sweep(cv2.erode, mask, 255)

    def dilate(self, mask: np.ndarray) -> np.ndarray:
        """``cv2.dilate(mask, self.full)``, pixel for pixel."""
        return self.sweep(cv2.dilate, mask, 0)

    def sweep(self, operation: Callable[..., np.ndarray], mask: np.ndarray, border: int) -> np.ndarray:
        # OpenCV's border for erosion (dilation) is white (black): runs that start outside the image,
        # before its first column (row), still reach into it, so they are computed on a padded copy.
        pad = max(self.run.shape) - 1
        if pad == 0:
            return operation(mask, self.starts)
        widths = (0, 0, pad, 0) if self.horizontal else (pad, 0, 0, 0)
        padded = cv2.copyMakeBorder(mask, *widths, cv2.BORDER_CONSTANT, value=border)
        swept = operation(operation(padded, self.run, anchor=(0, 0)), self.starts)
        return swept[:, pad:] if self.horizontal else swept[pad:, :]


@functools.lru_cache(maxsize=256)
def swept_line(length: int, degrees: float, horizontal: bool) -> SweptKernel:
    """``line_kernel`` split for ``SweptKernel``'s morphology; fields of one layout share their lengths."""
    return SweptKernel.of(line_kernel(length, degrees, horizontal), horizontal)


def open_if_any(mask: np.ndarray, kernel: SweptKernel) -> np.ndarray:
    """``cv2.morphologyEx(mask, MORPH_OPEN, kernel.full)``, skipping the dilation when the erosion is empty.

    Why: most fields hold no rule at a given tilt (nor any underline, for the short-line pass); an
    opening is an erosion then a dilation with the same kernel, anchor and borders, so an empty erosion
    means an empty opening and half the work is saved.
    """
    eroded = kernel.erode(mask)
    if not eroded.any():
        return np.zeros_like(mask)
    return kernel.dilate(eroded)


def reference_height(mask: np.ndarray) -> float | None:
    """Typical handwriting height: the median height of components at least 40% as tall as the tallest."""
    count, _labels, stats, _ = components(mask)
    heights = stats[1:, cv2.CC_STAT_HEIGHT][stats[1:, cv2.CC_STAT_AREA] >= MIN_COMPONENT_AREA * 3]
    if count <= 1 or heights.size == 0:
        return None
    return float(np.median(heights[heights >= 0.4 * heights.max()]))


def zone_thickness(zone: np.ndarray, horizontal: bool) -> int:
    """Typical thickness of the line zone across its direction (the 90th percentile of run lengths)."""
    counts = (zone > 0).sum(axis=0 if horizontal else 1)
    counts = counts[counts > 0]
    return int(np.percentile(counts, 90)) if counts.size else 1


def remove_lines(mask: np.ndarray, h_length: int, v_length: int, stroke_width: float) -> np.ndarray:
    """Deletes long horizontal and vertical lines but keeps the strokes that cross them.

    After the line pixels are cleared, a closing across the line direction (as tall as the line is
    thick, plus a margin) bridges each gap where a stroke continues on both sides; where nothing
    continues (bare line) nothing is bridged. The result is limited to the original ink. Vertical lines
    are only looked for near the left and right edges (box sides): inside a field a tall "1" is a
    vertical run too.
    """
    out = mask.copy()
    fringe = 3  # one pixel each side: the ragged edge, not a stroke's worth
    for horizontal in (True, False):
        length = h_length if horizontal else v_length
        if length >= (mask.shape[1] if horizontal else mask.shape[0]):
            continue
        if horizontal:
            lines = line_mask(out, length, horizontal)
        else:  # box sides only: look at the edge strips alone
            edge = max(2, mask.shape[1] // 12)
            lines = np.zeros_like(out)
            lines[:, :edge] = line_mask(np.ascontiguousarray(out[:, :edge]), length, horizontal)
            lines[:, -edge:] = line_mask(np.ascontiguousarray(out[:, -edge:]), length, horizontal)
        if not lines.any():
            continue
        # The opening misses the ragged fringe of a scanned line; take it with the line.
        grow = cv2.getStructuringElement(cv2.MORPH_RECT, (1, fringe) if horizontal else (fringe, 1))
        zone = cv2.dilate(lines, grow) & out
        without = out & ~zone
        bridge = odd(zone_thickness(zone, horizontal) + fringe + 2)  # the zone plus its grown edges
        across = cv2.getStructuringElement(cv2.MORPH_RECT, (1, bridge) if horizontal else (bridge, 1))
        restored = cv2.morphologyEx(without, cv2.MORPH_CLOSE, across) & zone
        out = without | restored
    return out


def drop_slivers(mask: np.ndarray, stroke_width: float) -> np.ndarray:
    """Removes hair-lines thinner than half a pen stroke: the ragged edge a removed rule leaves, flat
    along a box's top or bottom, upright along its sides (where it would read as a "1")."""
    _count, labels, stats, _ = components(mask)
    heights, widths = stats[:, cv2.CC_STAT_HEIGHT], stats[:, cv2.CC_STAT_WIDTH]
    thin = max(2.0, 0.5 * stroke_width)
    sliver = ((heights <= thin) & (widths >= 3 * heights)) | ((widths <= thin) & (heights >= 3 * widths))
    sliver[0] = False
    if not sliver.any():
        return mask
    return mask & paint(labels, ~sliver)


def drop_specks(mask: np.ndarray, min_area: int) -> np.ndarray:
    count, labels, stats, _ = components(mask)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = stats[1:, cv2.CC_STAT_AREA] >= min_area
    return paint(labels, keep)


def clean_field(grey: np.ndarray, line_length: int | None = None, side_fraction: float = 0.9) -> CleanField:
    """The whole cleaning chain on one field image (uint8 grey, 0 ink).

    ``side_fraction``: how much of the image height a vertical stroke near the left or right edge must
    span to count as a box side. A tight field crop starts with a tall "1", so it must be high there;
    a field cut with margins around a detected box can use a lower value.
    """
    contrast = flatten_background(grey)
    threshold = ink_threshold(contrast)
    mask = ink_where(contrast >= threshold)
    found = mask
    stroke = estimate_stroke_width(mask)
    height, width = grey.shape
    h_length = line_length or max(15, round(min(1.3 * height, 0.6 * width)))
    # The digits' height is taken before the rules go: cutting a rule can cut digits in two, and
    # halves would make every horizontal stroke look long.
    ref_h = reference_height(mask)
    mask = remove_lines(mask, h_length, max(8, round(side_fraction * height)), stroke)
    # Short underlines (under the cents only) survive the first pass; measured against the digits'
    # own height they are still long.
    if ref_h is not None and SHORT_LINE * ref_h < h_length:
        mask = remove_lines(mask, max(12, round(SHORT_LINE * ref_h)), 10**6, stroke)
    mask = drop_slivers(mask, stroke)
    removed = found & ~mask
    mask = drop_specks(mask, max(MIN_COMPONENT_AREA, round(0.5 * stroke * stroke)))
    ink = np.clip(contrast / max(threshold * 2.0, 1e-3), 0.0, 1.0) * (mask > 0)  # float32, 0 off the mask
    return CleanField(ink=ink, mask=mask, stroke_width=stroke, removed=removed)
