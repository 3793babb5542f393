from __future__ import annotations

import cv2
import numpy as np

from segmentation.components import component_boxes, components, ink_where, paint


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


def test_ink_where_and_paint_equal_their_np_where_forms() -> None:
    rng = np.random.default_rng(8)
    mask = np.where(rng.random((40, 70)) < 0.4, 255, 0).astype(np.uint8)
    _count, labels, stats, _ = components(mask)
    chosen = stats[:, cv2.CC_STAT_AREA] >= 3
    painted = paint(labels, chosen)
    assert painted.dtype == np.uint8 and np.array_equal(painted, np.where(chosen[labels], 255, 0))
    condition = rng.random((9, 13)) < 0.5
    inked = ink_where(condition)
    assert inked.dtype == np.uint8 and np.array_equal(inked, np.where(condition, 255, 0))


def test_component_boxes_are_the_components_boxes_in_label_order() -> None:
    """Speckle, blobs with holes and components inside holes, touching the image's edges or not."""
    rng = np.random.default_rng(4)
    for i in range(600):
        height, width = (int(v) for v in rng.integers(1, 70, 2))
        mask = np.where(rng.random((height, width)) < rng.uniform(0.02, 0.98), 255, 0).astype(np.uint8)
        if i % 3 == 1:
            mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 7), np.uint8))
        elif i % 3 == 2:
            mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((1, 5), np.uint8))
        _count, _labels, stats, _ = components(mask)
        assert np.array_equal(component_boxes(mask), stats[1:, :4])
    assert component_boxes(np.zeros((5, 9), np.uint8)).shape == (0, 4)


def test_labels_are_16_bit_only_where_they_cannot_overflow() -> None:
    assert components(np.zeros((120, 300), np.uint8))[1].dtype == np.uint16
    assert components(np.zeros((371, 800), np.uint8))[1].dtype == np.int32
    dots = np.zeros((371, 800), np.uint8)
    dots[::2, ::2] = 255  # 74,400 components: more than 16 bits hold
    count, labels, _stats, _ = components(dots)
    assert count == 186 * 400 + 1 and labels.max() == count - 1
