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
