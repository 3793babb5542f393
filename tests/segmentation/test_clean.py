"""Cleaning: tints flattened, rules removed, strokes that cross a rule kept."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from segmentation.clean import SweptKernel, clean_field, line_kernel, open_if_any, swept_line


def field_with_underline() -> np.ndarray:
    """A grey field: a tint gradient, a "7" and a "1" whose stems cross a long underline."""
    height, width = 100, 360
    gradient = np.linspace(150, 230, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    grey = gradient.astype(np.uint8)
    cv2.putText(grey, "71", (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 30, 5, cv2.LINE_AA)
    cv2.line(grey, (5, 62), (width - 5, 62), 40, 3)
    return grey


def test_underline_removed_but_digits_kept() -> None:
    cleaned = clean_field(field_with_underline())
    mask = cleaned.mask > 0
    # Far from the digits the underline is gone.
    assert not mask[55:70, 200:350].any()
    # The digits survive as ink, including the pixels where their stems cross the line.
    assert mask[20:65, 40:140].sum() > 300
    _count, _labels, stats, _ = cv2.connectedComponentsWithStats(cleaned.mask, connectivity=8)
    big = [s for s in stats[1:] if s[cv2.CC_STAT_AREA] > 50]
    assert len(big) == 2  # "7" and "1", not fused by the line and not cut in two


def test_flat_tint_is_not_ink() -> None:
    grey = np.full((60, 200), 180, np.uint8)
    grey += (np.random.default_rng(0).integers(0, 8, grey.shape)).astype(np.uint8)  # paper grain
    assert clean_field(grey).mask.sum() == 0


def test_ink_map_is_high_on_strokes_only() -> None:
    cleaned = clean_field(field_with_underline())
    assert cleaned.ink.dtype == np.float32
    assert cleaned.ink[cleaned.mask == 0].max() == 0.0
    assert cleaned.ink[cleaned.mask > 0].mean() > 0.5


def test_tilted_line_kernels_have_the_requested_length() -> None:
    for degrees in (-4.0, 0.0, 4.0):
        kernel = line_kernel(50, degrees, horizontal=True)
        assert kernel.shape[1] == 50 and kernel.sum() >= 50
        assert line_kernel(50, degrees, horizontal=False).shape[0] == 50


def test_upright_hair_line_goes_but_a_pen_stroke_one_stays() -> None:
    """A scanner's hair-line left of a box side would read as a "1"; a hand-written "1" is a full stroke."""
    grey = np.full((100, 360), 220, np.uint8)
    cv2.putText(grey, "71", (40, 80), cv2.FONT_HERSHEY_SIMPLEX, 2.2, 30, 5, cv2.LINE_AA)
    grey[25:85, 300] = 60
    cleaned = clean_field(grey)
    assert not cleaned.mask[:, 296:305].any()
    ones_stem = cleaned.mask[25:75, 100:150] > 0
    assert ones_stem.sum() > 150


def test_open_if_any_equals_opencv_opening_on_random_masks() -> None:
    """The shortcut must give OpenCV's opening pixel for pixel, rules or none, at the image borders too."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        height, width = (int(v) for v in rng.integers(4, 50, 2))
        mask = np.where(rng.random((height, width)) < rng.uniform(0.3, 0.99), 255, 0).astype(np.uint8)
        length = int(rng.integers(3, 40))
        for degrees in (-2.0, 2.0, 6.0):
            for horizontal in (True, False):
                kernel = line_kernel(length, degrees, horizontal)
                if degrees == 6.0:  # the upright rectangle line_mask uses at 0 degrees
                    shape = (length, 1) if horizontal else (1, length)
                    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, shape)
                expected = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
                assert np.array_equal(open_if_any(mask, SweptKernel.of(kernel, horizontal)), expected)


def test_swept_kernels_erode_and_dilate_like_opencv() -> None:
    """Every length and tilt, both directions, ink touching every border; lengths down to one pixel."""
    rng = np.random.default_rng(9)
    for _ in range(60):
        height, width = (int(v) for v in rng.integers(1, 60, 2))
        mask = np.where(rng.random((height, width)) < rng.uniform(0.3, 0.99), 255, 0).astype(np.uint8)
        for length in (1, 2, 5, 22, int(rng.integers(3, 90)), 150):
            for degrees in (-2.0, 0.0, 2.0):
                for horizontal in (True, False):
                    kernel = swept_line(length, degrees, horizontal)
                    assert np.array_equal(kernel.full, line_kernel(length, degrees, horizontal))
                    assert not (kernel.full.flags.writeable or kernel.starts.flags.writeable)
                    assert np.array_equal(kernel.erode(mask), cv2.erode(mask, kernel.full))
                    assert np.array_equal(kernel.dilate(mask), cv2.dilate(mask, kernel.full))


def test_open_if_any_is_empty_without_a_long_run() -> None:
    mask = np.zeros((30, 80), np.uint8)
    mask[10:13, 5:25] = 255  # a stroke, far shorter than the kernel
    assert not open_if_any(mask, swept_line(60, 2.0, True)).any()
    mask[20:25, 5:75] = 255  # a rule longer than the kernel, thicker than its rise
    opened = open_if_any(mask, swept_line(60, 2.0, True))
    assert opened[20:25].any() and not opened[10:13].any()


def test_swept_kernel_takes_only_rows_of_single_runs() -> None:
    with pytest.raises(ValueError, match="one run"):
        SweptKernel.of(np.array([[1, 0, 1]], np.uint8), horizontal=True)
    with pytest.raises(ValueError, match="one run"):
        SweptKernel.of(np.zeros((2, 5), np.uint8), horizontal=True)


def test_removed_holds_the_rule_and_not_the_digits() -> None:
    """``removed`` is what the field model must not see: the underline, never the digits' strokes."""
    cleaned = clean_field(field_with_underline())
    removed = cleaned.removed > 0
    assert removed[60:65, 200:350].mean() > 0.5  # the underline far from the digits
    assert not (removed & (cleaned.mask > 0)).any()  # kept ink and removed ink never overlap
    assert removed[20:50, 40:140].sum() == 0  # the digits above the line are all kept
