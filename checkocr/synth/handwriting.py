"""The handwritten courtesy amount: MNIST test digits plus pen-stroke separators, placed in the box.

Digits come from the pool (white-on-black 28x28), cropped to their ink, scaled to the writer's digit
height, slanted and thickened or thinned, then sharpened so the soft upscaled MNIST edges look like a pen
line. Everything that is not a digit ("," "." "-" "/" "=" "*" "$" "100" and the underline of raised
cents) is drawn as jittered cv2 polylines in the same stroke width and slant, so the whole amount looks
written by one hand. The result is an ink-coverage layer (alpha, 0..1) and the exact ink box of every
glyph, which is what the ground truth reports.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from checkocr.synth.amounts import Token
from checkocr.synth.pool import MnistTestPool
from checkocr.synth.strokes import Polyline, chaikin, pen_lines

BBOX_INK = 0.2  # alpha above which a pixel counts as ink of its glyph


@dataclass(frozen=True)
class HandStyle:
    """One writer: the same height, slant, stroke and spacing habits across the whole amount."""

    height_px: float
    slant: float  # horizontal shift per unit of height (tan of the slant angle); positive leans right
    stroke_delta: int  # pixels to dilate (>0) or erode (<0) MNIST strokes
    edge_low: float  # sharpening threshold that turns soft MNIST edges into pen edges
    gap: float  # usual gap between glyphs, in units of height
    touch_prob: float  # chance that a glyph touches or overlaps its left neighbour
    pressure: float  # ink coverage at the core of a stroke


@dataclass(frozen=True)
class Patch:
    """A glyph rendered alone: its alpha, its ink box inside the patch, and where its unit origin lies."""

    alpha: np.ndarray
    ink: tuple[int, int, int, int]  # x, y, w, h of the ink inside the patch
    origin: tuple[float, float]  # pixel position of unit (0, 0) inside the patch


@dataclass(frozen=True)
class PlacedGlyph:
    char: str
    kind: str
    raised: bool
    bbox: tuple[int, int, int, int]  # x, y, w, h in canvas pixels (before skew)
    mnist_index: int | None


def sample_style(rng: np.random.Generator, dpi: int) -> HandStyle:
    """Digit height 0.15-0.25 in, slant -7..+19 degrees, and the other habits of one writer."""
    scale = dpi / 200.0
    delta = int((-1, 0, 0, 0, 1, 1, 2)[int(rng.integers(7))])
    return HandStyle(
        height_px=float(rng.uniform(0.15, 0.25) * dpi),
        slant=float(rng.uniform(-0.12, 0.35)),
        stroke_delta=delta if delta <= 0 else round(delta * scale),  # erode at most 1 px: strokes break
        edge_low=float(rng.uniform(0.12, 0.3)),
        gap=float(rng.uniform(0.06, 0.25)),
        touch_prob=float(rng.uniform(0.0, 0.2)),
        pressure=float(rng.uniform(0.85, 1.0)),
    )


def ink_grey(rng: np.random.Generator) -> float:
    """Pen ink as grey: black ballpoint, or blue ink converted with the usual luma weights."""
    if rng.random() < 0.5:
        return float(rng.uniform(15, 60))
    red, green, blue = rng.uniform(10, 60), rng.uniform(20, 80), rng.uniform(90, 200)
    return float(0.299 * red + 0.587 * green + 0.114 * blue)


def ink_box(alpha: np.ndarray) -> tuple[int, int, int, int]:
    rows = np.flatnonzero((alpha > BBOX_INK).any(axis=1))
    cols = np.flatnonzero((alpha > BBOX_INK).any(axis=0))
    if rows.size == 0:
        return (0, 0, 0, 0)
    return (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))


def change_stroke(alpha: np.ndarray, delta: int) -> np.ndarray:
    """Thicker (dilate) or thinner (erode) pen: MNIST strokes are all about the same width."""
    if delta == 0:
        return alpha
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * abs(delta) + 1, 2 * abs(delta) + 1))
    return cv2.dilate(alpha, kernel) if delta > 0 else cv2.erode(alpha, kernel)


def render_digit(image: np.ndarray, height: float, slant: float, aspect: float, style: HandStyle) -> Patch:
    """One MNIST digit as pen ink: crop to ink, scale to ``height``, shear by ``slant``, sharpen."""
    source = image.astype(np.float32) / 255.0
    rows = np.flatnonzero((source > 0.1).any(axis=1))
    cols = np.flatnonzero((source > 0.1).any(axis=0))
    y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sy = height / (y1 - y0)
    sx = sy * aspect
    pad = int(0.15 * height) + 2 + max(style.stroke_delta, 0)
    shift = max(0.0, -slant * height)
    width = int(np.ceil((x1 - x0) * sx + abs(slant) * height)) + 2 * pad
    tall = int(np.ceil(height)) + 2 * pad
    # u' = sx (x - x0) + slant (height - sy (y - y0)); v = sy (y - y0): shear about the baseline.
    matrix = np.array(
        [
            [sx, -slant * sy, -sx * x0 + slant * (height + sy * y0) + pad + shift],
            [0.0, sy, -sy * y0 + pad],
        ],
        dtype=np.float64,
    )
    warped = cv2.warpAffine(source, matrix, (width, tall), flags=cv2.INTER_LINEAR, borderValue=0.0)
    alpha = np.clip((warped - style.edge_low) / 0.3, 0.0, 1.0)
    alpha = change_stroke(alpha, style.stroke_delta) * style.pressure
    return Patch(alpha, ink_box(alpha), (pad + shift, pad))


def render_lines(lines: list[Polyline], height: float, style: HandStyle) -> Patch:
    """Draws unit-coordinate polylines at ``height`` pixels with an anti-aliased pen."""
    thickness = max(1, round(0.09 * height + style.stroke_delta))
    points = np.concatenate(lines)
    pad = thickness + 3
    low = points.min(axis=0)
    size = np.ceil((points.max(axis=0) - low) * height).astype(int) + 2 * pad + 1
    canvas = np.zeros((int(size[1]), int(size[0])), dtype=np.uint8)
    shift_bits = 3
    for line in lines:
        px = ((line - low) * height + pad) * (1 << shift_bits)
        pts = np.round(px).astype(np.int32)
        if len(pts) == 1:
            radius = max(1.0, 0.75 * thickness) * (1 << shift_bits)
            cv2.circle(canvas, tuple(int(v) for v in pts[0]), int(radius), 255, -1, cv2.LINE_AA, shift_bits)
        else:
            cv2.polylines(canvas, [pts], False, 255, thickness, cv2.LINE_AA, shift_bits)
    alpha = canvas.astype(np.float32) * (style.pressure / 255.0)
    origin = (float(-low[0] * height + pad), float(-low[1] * height + pad))
    return Patch(alpha, ink_box(alpha), origin)


@dataclass(frozen=True)
class _Plan:
    """Everything random about one glyph, drawn once so re-rendering at a smaller size is deterministic."""

    token: Token
    mnist_index: int | None
    mnist_image: np.ndarray | None
    lines: list[Polyline] | None
    aspect: float
    slant: float
    lift: float  # vertical jitter in units of height
    gap: float  # gap after the previous glyph in units of height


def plan_glyphs(
    tokens: list[Token], pool: MnistTestPool, rng: np.random.Generator, style: HandStyle
) -> list[_Plan]:
    plans = []
    for token in tokens:
        gap = style.gap * rng.uniform(0.6, 1.4)
        if rng.random() < style.touch_prob:
            gap = rng.uniform(-0.08, 0.0)  # touching or slightly overlapping the left neighbour
        if token.kind == "separator" or token.char in (".-", "_"):
            gap = rng.uniform(0.02, 0.12)
        if token.kind == "space":
            gap = rng.uniform(0.3, 0.6)
        sample = pool.sample(rng, int(token.char)) if token.kind == "digit" else None
        lines = None
        if token.kind not in ("digit", "space") and token.char != "_":
            lines = pen_lines(token.char, rng, style.slant)
        plans.append(
            _Plan(
                token=token,
                mnist_index=sample.index if sample else None,
                mnist_image=sample.image if sample else None,
                lines=lines,
                aspect=float(rng.uniform(0.85, 1.15)),
                slant=style.slant + float(rng.normal(0.0, 0.04)),
                lift=float(rng.uniform(-0.06, 0.06)),
                gap=float(gap),
            )
        )
    return plans


SMALL_SCALE = {"raised": 0.6, "small": 0.65}


def glyph_height(plan: _Plan, height: float) -> float:
    if plan.token.char == "100":
        return 0.5 * height
    return SMALL_SCALE.get(plan.token.style, 1.0) * height


def render_plan(plan: _Plan, height: float, style: HandStyle) -> Patch | None:
    if plan.token.kind == "space" or plan.token.char == "_":
        return None
    size = glyph_height(plan, height)
    if plan.mnist_image is not None:
        return render_digit(plan.mnist_image, size, plan.slant, plan.aspect, style)
    assert plan.lines is not None
    return render_lines(plan.lines, size, style)


def layout_width(plans: list[_Plan], patches: list[Patch | None], height: float) -> float:
    total = 0.0
    for i, (plan, patch) in enumerate(zip(plans, patches, strict=True)):
        total += (plan.gap * height if i else 0.0) + (patch.ink[2] if patch else 0.0)
    return total


@dataclass(frozen=True)
class Box:
    x: int
    y: int
    w: int
    h: int


def paste_max(layer: np.ndarray, alpha: np.ndarray, x: int, y: int) -> None:
    """Ink over ink does not get darker than full coverage: combine by maximum, clipped to the layer."""
    h, w = alpha.shape
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, layer.shape[1]), min(y + h, layer.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = layer[y0:y1, x0:x1]
    np.maximum(region, alpha[y0 - y : y1 - y, x0 - x : x1 - x], out=region)


def clip_box(x: int, y: int, w: int, h: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, shape[1]), min(y + h, shape[0])
    return (x0, y0, max(0, x1 - x0), max(0, y1 - y0))


def write_amount(
    tokens: list[Token],
    pool: MnistTestPool,
    rng: np.random.Generator,
    box: Box,
    dpi: int,
    layer: np.ndarray,
    start_x: int | None = None,
) -> list[PlacedGlyph]:
    """Writes ``tokens`` into ``box`` on the alpha ``layer`` and returns each glyph's exact ink box.

    The writer's height is shrunk until the amount fits the box width (people squeeze long amounts);
    sometimes a digit dips across the bottom line of the box, as in real courtesy boxes.
    """
    style = sample_style(rng, dpi)
    plans = plan_glyphs(tokens, pool, rng, style)
    left = box.x + int(rng.uniform(0.03, 0.1) * dpi) if start_x is None else start_x
    right = box.x + box.w - int(rng.uniform(0.03, 0.08) * dpi)
    available = max(right - left, 1)
    height = style.height_px
    patches = [render_plan(p, height, style) for p in plans]
    for _ in range(4):
        width = layout_width(plans, patches, height)
        if width <= available:
            break
        height *= 0.98 * available / width
        patches = [render_plan(p, height, style) for p in plans]
    width = layout_width(plans, patches, height)
    slack = max(available - width, 0.0)
    cursor = left + (slack / 2 if rng.random() < 0.3 else slack * rng.uniform(0.0, 0.4))
    bottom_pad = rng.uniform(0.04, 0.09) * dpi
    bottom_pad = min(bottom_pad, max(box.h - 1.15 * height, 2.0))
    baseline = box.y + box.h - bottom_pad
    crossing = -1
    digit_positions = [
        i for i, p in enumerate(plans) if p.token.kind == "digit" and p.token.style == "normal"
    ]
    if digit_positions and rng.random() < 0.1:
        crossing = digit_positions[int(rng.integers(len(digit_positions)))]
    crossing_depth = rng.uniform(0.03, 0.2) * height

    placed: list[PlacedGlyph] = []
    raised_span: list[int] = []
    raised_bottom = 0
    for i, (plan, patch) in enumerate(zip(plans, patches, strict=True)):
        cursor += plan.gap * height if i else 0.0
        token = plan.token
        if token.char == "_":
            placed.append(_underline(plan, raised_span, raised_bottom, height, style, layer))
            continue
        if patch is None:
            continue
        ix, iy, iw, ih = patch.ink
        lift = plan.lift * height
        if token.style == "raised":
            top = baseline - height + rng.uniform(-0.12, 0.02) * height
            py = top - iy
        elif token.style == "small" and token.kind == "digit":
            py = baseline - rng.uniform(0.1, 0.3) * height - (iy + ih)
        elif token.char == "100":
            py = baseline + rng.uniform(0.0, 0.08) * height - (iy + ih)
        elif token.kind == "digit":
            bottom = box.y + box.h + crossing_depth if i == crossing else baseline + lift
            py = bottom - (iy + ih)
        else:
            py = baseline - height - patch.origin[1] + lift
        x, y = round(cursor - ix), round(py)
        paste_max(layer, patch.alpha, x, y)
        bbox = clip_box(x + ix, y + iy, iw, ih, layer.shape)
        if token.style == "raised":
            raised_span = (
                [bbox[0], bbox[0] + bbox[2]] if not raised_span else [raised_span[0], bbox[0] + bbox[2]]
            )
            raised_bottom = max(raised_bottom, bbox[1] + bbox[3])
        placed.append(PlacedGlyph(token.char, token.kind, token.style == "raised", bbox, plan.mnist_index))
        cursor += iw
    return placed


def _underline(
    plan: _Plan, span: list[int], bottom: int, height: float, style: HandStyle, layer: np.ndarray
) -> PlacedGlyph:
    """The stroke under raised cents, as long as the cents it underlines."""
    length = (span[1] - span[0]) / height + 0.12
    line = chaikin(np.array([[0.0, 0.0], [length / 2, 0.01], [length, -0.02]]) + plan.lift * 0.3)
    patch = render_lines([line], height, style)
    x = round(span[0] - 0.05 * height - patch.origin[0])
    y = round(bottom + 0.1 * height - patch.origin[1])
    paste_max(layer, patch.alpha, x, y)
    ix, iy, iw, ih = patch.ink
    return PlacedGlyph("_", "fraction", True, clip_box(x + ix, y + iy, iw, ih, layer.shape), None)
