"""Connected components with their statistics, on OpenCV's fastest labelling for our masks."""

from __future__ import annotations

import cv2
import numpy as np


def components(mask: np.ndarray) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """``cv2.connectedComponentsWithStats(mask, connectivity=8)``, label for label and stat for stat.

    Why: with statistics, OpenCV's default algorithm (Spaghetti) spends most of its time on the stats
    pass; its block-based BBDT labels the same pixels with the same numbers in the same raster order and
    takes about half the time on whole-check line maps and field masks (a few ms per check in total).
    The tests compare both on random masks.
    """
    return cv2.connectedComponentsWithStatsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_BBDT)


def ink_where(condition: np.ndarray) -> np.ndarray:
    """255 where ``condition`` holds, else 0, as a uint8 mask.

    Why: ``np.where(condition, 255, 0).astype(np.uint8)`` goes through an int64 image; on a field
    that is some 0.1 ms against a few microseconds for the cast and multiply, with the same pixels.
    """
    return condition.astype(np.uint8) * 255


def paint(labels: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """255 where a pixel's label is ``chosen`` (one bool per label), else 0, as a uint8 mask.

    Why: one look-up of a 0/255 table at the labels instead of a boolean image, an int64 image and a
    cast (``np.where(chosen[labels], 255, 0)``): ~0.2 ms less on a field.
    """
    return np.take(ink_where(chosen), labels)
