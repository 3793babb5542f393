"""The digit-image contract against MNIST's own procedure."""

from __future__ import annotations

import numpy as np
import pytest

from checkocr.mnist import load_split
from segmentation.normalize import EmptyGlyphError, centre_of_mass, to_mnist


def ink_box(height: int, width: int) -> np.ndarray:
    glyph = np.zeros((height + 10, width + 10), dtype=np.uint8)
    glyph[5 : 5 + height, 5 : 5 + width] = 255
    return glyph


@pytest.mark.parametrize(("height", "width"), [(80, 20), (20, 80), (57, 57), (7, 3), (200, 130)])
def test_longer_side_is_20_and_centre_of_mass_is_14(height, width):
    out = to_mnist(ink_box(height, width))
    rows = np.flatnonzero(out.any(axis=1) > 0)
    cols = np.flatnonzero(out.any(axis=0) > 0)
    assert max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1) == 20
    com_row, com_col = centre_of_mass(out)
    assert abs(com_row - 14.0) <= 0.5 and abs(com_col - 14.0) <= 0.5
    assert out.dtype == np.float32 and out.shape == (28, 28)
    assert out.min() >= 0.0 and out.max() == pytest.approx(1.0)


def test_aspect_ratio_is_kept():
    out = to_mnist(ink_box(100, 25))
    cols = np.flatnonzero((out > 0.5).any(axis=0))
    assert cols[-1] - cols[0] + 1 == 5


def test_lopsided_glyph_is_centred_by_mass_not_box():
    glyph = np.zeros((60, 30), dtype=np.uint8)
    glyph[:, :4] = 255  # left bar
    glyph[:4, :] = 255  # thin top bar: an upside-down L
    out = to_mnist(glyph)
    _, com_col = centre_of_mass(out)
    assert abs(com_col - 14.0) <= 0.5
    box_cols = np.flatnonzero(out.any(axis=0))
    assert (box_cols[0] + box_cols[-1]) / 2 > 15  # the box sits right of centre to balance the mass


def test_mnist_digits_are_fixed_points(mnist_data_dir):
    images, _ = load_split(mnist_data_dir / "mnist", "t10k")
    diffs = [np.abs(to_mnist(image) - image / 255.0).mean() for image in images[:300]]
    assert float(np.mean(diffs)) < 0.002


def test_accepts_bool_float_and_uint8_glyphs_alike():
    glyph = ink_box(40, 20)
    from_uint8 = to_mnist(glyph)
    np.testing.assert_allclose(to_mnist(glyph > 0), from_uint8, atol=1e-6)
    np.testing.assert_allclose(to_mnist(glyph / 255.0), from_uint8, atol=1e-6)


def test_empty_glyph_and_wrong_rank_are_refused():
    with pytest.raises(EmptyGlyphError):
        to_mnist(np.zeros((30, 30), dtype=np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        to_mnist(np.zeros((3, 30, 30), dtype=np.uint8))
