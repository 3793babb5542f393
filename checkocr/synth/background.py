"""Check paper: plain stock, security tints and guilloche patterns.

Real checks carry fine, low-contrast security printing precisely so that it drops out of a scan but
makes copying hard; for a reader it is clutter that touches the handwriting. Guilloche is modelled as
families of parametric sinusoidal curves (bands of phase-shifted waves and a rosette), tints as a fine
repeating micro-pattern. Everything stays lighter than pen ink, as on real stock.
"""

from __future__ import annotations

import cv2
import numpy as np

KINDS = ("plain", "tint", "guilloche", "guilloche+tint")


def paper(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
    """Paper grey with a faint low-frequency mottle (fibres, uneven stock)."""
    h, w = shape
    level = rng.uniform(228, 250)
    mottle = rng.normal(0.0, rng.uniform(1.0, 3.0), size=(max(h // 40, 2), max(w // 40, 2))).astype(
        np.float32
    )
    return level + cv2.resize(mottle, (w, h), interpolation=cv2.INTER_LINEAR)


def tint_tile(rng: np.random.Generator, dpi: int) -> np.ndarray:
    """One tile of a security tint: diagonal hatching or a dot screen, darkness 0..1."""
    size = int(dpi * rng.uniform(0.08, 0.16))
    tile = np.zeros((size, size), dtype=np.uint8)
    if rng.random() < 0.5:
        step = max(3, size // int(rng.integers(3, 6)))
        for offset in range(-size, 2 * size, step):
            cv2.line(tile, (offset, 0), (offset + size, size), 255, 1, cv2.LINE_AA)
    else:
        step = max(3, size // int(rng.integers(3, 7)))
        radius = max(1, step // 4)
        for y in range(step // 2, size, step):
            for x in range(step // 2, size, step):
                cv2.circle(tile, (x, y), radius, 255, -1, cv2.LINE_AA)
    return tile.astype(np.float32) / 255.0


def add_tint(image: np.ndarray, rng: np.random.Generator, dpi: int) -> None:
    """Tiles a micro-pattern over the paper, fading across the check like a printed gradient tint."""
    h, w = image.shape
    tile = tint_tile(rng, dpi)
    fade = np.linspace(rng.uniform(0.3, 1.0), rng.uniform(0.3, 1.0), w, dtype=np.float32)[None, :]
    strip = np.tile(tile, (1, w // tile.shape[1] + 1))[:, :w] * (fade * rng.uniform(12, 40))
    image -= np.tile(strip, (h // tile.shape[0] + 1, 1))[:h]


def guilloche_curves(rng: np.random.Generator, shape: tuple[int, int], dpi: int) -> list[np.ndarray]:
    """Bands of phase-shifted sums of sines across the check, plus one epitrochoid rosette."""
    h, w = shape
    xs = np.arange(0, w + 4, 3, dtype=np.float64)
    curves = []
    for _ in range(int(rng.integers(1, 3))):
        centre = rng.uniform(0.2, 0.8) * h
        amp1, amp2 = rng.uniform(0.03, 0.15) * h, rng.uniform(0.01, 0.05) * h
        wave1, wave2 = rng.uniform(0.8, 3.0) * dpi, rng.uniform(0.15, 0.5) * dpi
        count = int(rng.integers(12, 30))
        step = rng.uniform(0.08, 0.25)
        for k in range(count):
            phase = k * step
            ys = (
                centre
                + amp1 * np.sin(2 * np.pi * xs / wave1 + phase)
                + amp2 * np.sin(2 * np.pi * xs / wave2 - 2 * phase)
            )
            curves.append(np.stack([xs, ys], axis=1))
    if rng.random() < 0.7:
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.2, 0.8) * h
        big = rng.uniform(0.3, 0.6) * h
        small = big / int(rng.integers(5, 13))
        reach = rng.uniform(0.5, 1.5) * small
        t = np.linspace(0, 2 * np.pi, 1500)
        for k in range(int(rng.integers(3, 8))):
            scale = 1.0 - 0.08 * k
            x = (big + small) * np.cos(t) - reach * np.cos((big + small) / small * t)
            y = (big + small) * np.sin(t) - reach * np.sin((big + small) / small * t)
            curves.append(np.stack([cx + scale * x * 0.5, cy + scale * y * 0.5], axis=1))
    return curves


def add_guilloche(image: np.ndarray, rng: np.random.Generator, dpi: int) -> None:
    h, w = image.shape
    mask = np.zeros((h, w), dtype=np.uint8)
    shift_bits = 2
    lines = [np.round(c * (1 << shift_bits)).astype(np.int32) for c in guilloche_curves(rng, (h, w), dpi)]
    cv2.polylines(mask, lines, False, 255, 1, cv2.LINE_AA, shift_bits)
    image -= mask.astype(np.float32) * (rng.uniform(15, 45) / 255.0)


def make_background(rng: np.random.Generator, shape: tuple[int, int], dpi: int) -> tuple[np.ndarray, str]:
    """A float32 paper image (0 black .. 255 white) and the name of its kind."""
    kind = KINDS[int(rng.choice(len(KINDS), p=[0.3, 0.2, 0.3, 0.2]))]
    image = paper(rng, shape)
    if "tint" in kind:
        add_tint(image, rng, dpi)
    if "guilloche" in kind:
        add_guilloche(image, rng, dpi)
    np.clip(image, 160, 255, out=image)
    return image, kind
