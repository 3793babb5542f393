from __future__ import annotations

import cv2
import numpy as np

from segmentation.components import components


def test_components_match_opencv_default_labelling_on_random_masks() -> None:
    """Same count, labels, stats and centroids as the default algorithm, speckle and blobs alike."""
    rng = np.random.default_rng(3)
    for i in range(300):
        height, width = (int(v) for v in rng.integers(1, 60, 2))
        mask = np.where(rng.random((height, width)) < rng.uniform(0.05, 0.95), 255, 0).astype(np.uint8)
        if i % 2:
            mask = cv2.dilate(mask, np.ones((3, 3), np.uint8))
        count, labels, stats, centroids = components(mask)
        reference = cv2.connectedComponentsWithStats(mask, connectivity=8)
        ref_count, ref_labels, ref_stats, ref_centroids = reference
        assert count == ref_count
        assert np.array_equal(labels, ref_labels)
        assert np.array_equal(stats, ref_stats)
        assert np.allclose(centroids, ref_centroids, equal_nan=True)


def test_components_of_two_strokes() -> None:
    mask = np.zeros((20, 30), np.uint8)
    mask[2:10, 3:6] = 255
    mask[12:18, 20:28] = 255
    count, _labels, stats, _ = components(mask)
    assert count == 3
    assert stats[1].tolist() == [3, 2, 3, 8, 24] and stats[2].tolist() == [20, 12, 8, 6, 48]
