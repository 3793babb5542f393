"""One synthetic check (or courtesy-amount field) with exact ground truth.

The order matters and mirrors reality: paper and security print, printed check face, handwriting over
it, then what the scanner does (lighting, skew, blur, noise, compression). Ground-truth boxes are taken
from the handwriting's own ink before any degradation and carried through the skew's affine matrix.
All randomness comes from the one ``numpy.random.Generator`` passed in, so a seed reproduces a check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from checkocr.synth import scan
from checkocr.synth.amounts import FORMATS, amount_string, compose, legal_amount, sample_cents
from checkocr.synth.background import make_background
from checkocr.synth.handwriting import PlacedGlyph, ink_grey, write_amount
from checkocr.synth.layout import SIZES_IN, canvas_size, draw_check
from checkocr.synth.pool import MnistTestPool

DPIS = (200, 300)


@dataclass(frozen=True)
class SynthOptions:
    """What to vary. ``None`` for layout or dpi means: pick at random per check."""

    layout: str | None = None  # personal | business
    dpi: int | None = None  # 200 | 300
    formats: tuple[str, ...] = FORMATS
    max_skew_deg: float = 3.0
    scan_effects: bool = True  # lighting, blur, noise, JPEG artefacts
    jpeg_artefact_prob: float = 0.25

    def __post_init__(self) -> None:
        if self.layout is not None and self.layout not in SIZES_IN:
            raise ValueError(f"layout must be one of {', '.join(SIZES_IN)}, got {self.layout!r}")
        if self.dpi is not None and self.dpi not in DPIS:
            raise ValueError(f"dpi must be one of {DPIS}, got {self.dpi!r}")
        unknown = set(self.formats) - set(FORMATS)
        if unknown or not self.formats:
            raise ValueError(f"unknown amount formats {sorted(unknown)}; choose from {', '.join(FORMATS)}")


@dataclass
class RenderedCheck:
    grey: np.ndarray  # uint8, 0 ink .. 255 paper
    truth: dict[str, Any]
    ink_mask: np.ndarray | None = field(default=None, repr=False)  # handwriting coverage, final pixels


def _choice(rng: np.random.Generator, options: tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def composite(
    image: np.ndarray, layer: np.ndarray, ink: float, glyphs: list[PlacedGlyph], margin: int
) -> None:
    """Lays pen ink (coverage ``layer``) over the paper, only around the glyphs for speed."""
    if not glyphs:
        return
    x0 = max(min(g.bbox[0] for g in glyphs) - margin, 0)
    y0 = max(min(g.bbox[1] for g in glyphs) - margin, 0)
    x1 = min(max(g.bbox[0] + g.bbox[2] for g in glyphs) + margin, image.shape[1])
    y1 = min(max(g.bbox[1] + g.bbox[3] for g in glyphs) + margin, image.shape[0])
    alpha = layer[y0:y1, x0:x1]
    region = image[y0:y1, x0:x1]
    region *= 1.0 - alpha
    region += ink * alpha


def render_check(
    rng: np.random.Generator,
    pool: MnistTestPool,
    options: SynthOptions | None = None,
    with_ink_mask: bool = False,
) -> RenderedCheck:
    """Draws a whole check; ``with_ink_mask`` also returns the handwriting's coverage after skew."""
    options = options or SynthOptions()
    layout = options.layout or _choice(rng, tuple(SIZES_IN))
    dpi = options.dpi or _choice(rng, DPIS)
    fmt = _choice(rng, options.formats)
    written, tokens, cents = compose(sample_cents(rng), fmt, rng)

    shape = canvas_size(layout, dpi)
    paper, background = make_background(rng, shape, dpi)
    canvas = scan.to_uint8(paper)
    geometry = draw_check(canvas, rng, layout, dpi, legal_amount(cents))
    image = canvas.astype(np.float32)
    layer = np.zeros(shape, dtype=np.float32)
    glyphs = write_amount(tokens, pool, rng, geometry.box, dpi, layer, start_x=geometry.write_from)
    ink = ink_grey(rng)
    composite(image, layer, ink, glyphs, margin=max(8, dpi // 10))

    if options.scan_effects:
        scan.uneven_lighting(image, rng, 0.15)
    skew = scan.sample_skew(rng, options.max_skew_deg)
    matrix, final_shape = scan.skew_matrix(shape, skew)
    bed = float(rng.uniform(225, 255)) if rng.random() < 0.85 else float(rng.uniform(15, 60))
    image = scan.warp(image, matrix, final_shape, bed)
    if options.scan_effects:
        image = scan.blur(image, rng, 0.9 * dpi / 200)
        scan.sensor_noise(image, rng, 6.0)
    grey = scan.to_uint8(image)
    if options.scan_effects and rng.random() < options.jpeg_artefact_prob:
        grey = scan.jpeg_roundtrip(grey, int(rng.integers(35, 80)))

    box = geometry.box
    field_bbox = scan.transform_bbox((box.x, box.y, box.w, box.h), matrix, final_shape)
    truth: dict[str, Any] = {
        "image": None,
        "kind": "check",
        "width": int(final_shape[1]),
        "height": int(final_shape[0]),
        "dpi": dpi,
        "layout": layout,
        "format": fmt,
        "written": written,
        "amount": amount_string(cents),
        "amount_cents": cents,
        "field_bbox": list(field_bbox),
        "box_style": geometry.style,
        "glyphs": [
            {
                "char": g.char,
                "kind": g.kind,
                "bbox": list(scan.transform_bbox(g.bbox, matrix, final_shape)),
                "raised": g.raised,
            }
            for g in glyphs
        ],
        "mnist_test_indices": [g.mnist_index for g in glyphs if g.mnist_index is not None],
        "digit_source": pool.source,
        "skew_deg": skew,
        "background": background,
        "ink_grey": round(ink, 1),
        "seed": None,
    }
    mask = scan.warp(layer, matrix, final_shape, 0.0) if with_ink_mask else None
    return RenderedCheck(grey, truth, mask)


def crop_field(rendered: RenderedCheck, rng: np.random.Generator) -> RenderedCheck:
    """The courtesy-amount box with a random margin of its surroundings, boxes shifted to the crop."""
    truth = rendered.truth
    dpi = truth["dpi"]
    fx, fy, fw, fh = truth["field_bbox"]
    margins = rng.uniform(0.05, 0.3, size=4) * dpi
    h, w = rendered.grey.shape
    x0, y0 = max(int(fx - margins[0]), 0), max(int(fy - margins[1]), 0)
    x1, y1 = min(int(fx + fw + margins[2]), w), min(int(fy + fh + margins[3]), h)

    def shift(bbox: list[int]) -> list[int]:
        bx, by, bw, bh = bbox
        cx0, cy0 = max(bx - x0, 0), max(by - y0, 0)
        cx1, cy1 = min(bx + bw - x0, x1 - x0), min(by + bh - y0, y1 - y0)
        return [cx0, cy0, max(cx1 - cx0, 0), max(cy1 - cy0, 0)]

    cropped = dict(truth)
    cropped.update(
        kind="field",
        width=x1 - x0,
        height=y1 - y0,
        field_bbox=shift(truth["field_bbox"]),
        glyphs=[{**g, "bbox": shift(g["bbox"])} for g in truth["glyphs"]],
        crop_in_check=[x0, y0, x1 - x0, y1 - y0],
    )
    mask = rendered.ink_mask[y0:y1, x0:x1] if rendered.ink_mask is not None else None
    return RenderedCheck(np.ascontiguousarray(rendered.grey[y0:y1, x0:x1]), cropped, mask)


def generate_check(
    rng: np.random.Generator, digits: MnistTestPool, options: SynthOptions | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """A whole synthetic check: (grey uint8 image, ground-truth dict)."""
    rendered = render_check(rng, digits, options)
    return rendered.grey, rendered.truth


def generate_field(
    rng: np.random.Generator, digits: MnistTestPool, options: SynthOptions | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """Just the courtesy-amount field (box, margin, background) cut from a synthetic check."""
    rendered = crop_field(render_check(rng, digits, options), rng)
    return rendered.grey, rendered.truth
