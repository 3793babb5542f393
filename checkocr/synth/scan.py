"""What a check scanner does to the paper: skew, uneven lighting, blur, sensor noise, JPEG artefacts,
and (for image-exchange files) bitonal thresholding.

Skew is the one geometric step, so it is an explicit affine matrix: the image is warped with it and
every ground-truth box is mapped through the same matrix (bounding box of the four transformed corners),
which keeps the labels exact after rotation.
"""

from __future__ import annotations

from statistics import NormalDist

import cv2
import numpy as np

Bbox = tuple[int, int, int, int]


def skew_matrix(shape: tuple[int, int], angle_deg: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Rotation about the centre with the canvas grown so no corner of the check is cut off."""
    h, w = shape
    matrix = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w = int(np.ceil(h * sin + w * cos))
    new_h = int(np.ceil(h * cos + w * sin))
    matrix[0, 2] += (new_w - w) / 2.0
    matrix[1, 2] += (new_h - h) / 2.0
    return matrix, (new_h, new_w)


def warp(image: np.ndarray, matrix: np.ndarray, size: tuple[int, int], border: float) -> np.ndarray:
    h, w = size
    return cv2.warpAffine(
        image, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=border
    )


def transform_bbox(bbox: Bbox, matrix: np.ndarray, shape: tuple[int, int]) -> Bbox:
    """Maps an [x, y, w, h] pixel box through ``matrix``; the result covers every pixel it can reach.

    Pixel (c, r) covers [c - 0.5, c + 0.5]; the corners of that area are transformed, and the result is
    every pixel whose centre lies within one pixel of them (bilinear warping spreads ink by up to one).
    """
    x, y, w, h = bbox
    corners = np.array(
        [[x - 0.5, y - 0.5], [x + w - 0.5, y - 0.5], [x - 0.5, y + h - 0.5], [x + w - 0.5, y + h - 0.5]]
    )
    moved = corners @ matrix[:, :2].T + matrix[:, 2]
    x0, y0 = np.floor(moved.min(axis=0)).astype(int)
    x1, y1 = np.ceil(moved.max(axis=0)).astype(int)
    x0, y0 = max(int(x0), 0), max(int(y0), 0)
    x1, y1 = min(int(x1), shape[1] - 1), min(int(y1), shape[0] - 1)
    return (x0, y0, max(0, x1 - x0 + 1), max(0, y1 - y0 + 1))


def sample_skew(rng: np.random.Generator, max_deg: float) -> float:
    """Most scans are nearly straight; some are up to ``max_deg`` off."""
    if max_deg <= 0:
        return 0.0
    spread = 0.5 if rng.random() < 0.4 else max_deg
    return round(float(rng.uniform(-spread, spread)), 3)


def uneven_lighting(image: np.ndarray, rng: np.random.Generator, strength: float) -> None:
    """Multiplies by a smooth random illumination field (lamp fall-off, curled paper)."""
    h, w = image.shape
    coarse = 1.0 - rng.uniform(0.0, strength, size=(3, 4)).astype(np.float32)
    smooth = cv2.resize(coarse, (32, 24), interpolation=cv2.INTER_CUBIC)  # cubic on a small grid, then
    field = cv2.resize(smooth, (w, h), interpolation=cv2.INTER_LINEAR)  # linear up: smooth and cheap
    image *= field


def blur(image: np.ndarray, rng: np.random.Generator, max_sigma: float) -> np.ndarray:
    sigma = float(rng.uniform(0.0, max_sigma))
    if sigma < 0.3:
        return image
    return cv2.GaussianBlur(image, (0, 0), sigma)


# Standard-normal quantiles of 256 equally likely bytes: Gaussian noise from random bytes through a
# lookup table is several times faster than numpy's float normals and statistically the same for pixels.
_NORMAL_LUT = np.array([NormalDist().inv_cdf((k + 0.5) / 256) for k in range(256)], dtype=np.float32)


def sensor_noise(image: np.ndarray, rng: np.random.Generator, max_sigma: float) -> None:
    sigma = float(rng.uniform(0.5, max_sigma))
    raw = np.frombuffer(rng.bytes(image.size), dtype=np.uint8).reshape(image.shape)
    image += cv2.LUT(raw, _NORMAL_LUT * sigma)


def jpeg_roundtrip(grey: np.ndarray, quality: int) -> np.ndarray:
    """Encodes and decodes as JPEG: block and ringing artefacts like a compressed capture."""
    ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise RuntimeError("JPEG encoding failed")
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def to_uint8(image: np.ndarray) -> np.ndarray:
    """Rounds and saturates to 0..255 (values here are never meaningfully below zero)."""
    return cv2.convertScaleAbs(image)


def bitonal(grey: np.ndarray) -> np.ndarray:
    """Black/white as image-exchange scanners make it: Otsu threshold, no dithering (True = paper)."""
    _, binary = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary > 0
