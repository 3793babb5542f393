"""Synthetic courtesy-amount fields for the field recogniser, in three writing conventions.

Each field is one written amount and its label: the string over the field alphabet, exactly the
characters drawn (a raised-cents amount "1234" + raised "56" is labelled "123456": the string has no
mark for "raised", the reader finds that from geometry). Conventions:

- ``us``: ``1,234.56``, ``1234.56``, raised cents, ``1,234 56/100``, ``**1,234.56``, ``$1,234.56``,
  ``$25``;
- ``latam`` (as on ORAND's Uruguayan cheques): a dot groups thousands, no cents, endings ``.-``,
  ``-``, ``=`` or none;
- ``indian``: lakh grouping (``1,25,000``), endings ``/-`` or ``.00`` or none, after the printed
  rupee sign of the cheque's amount box.

One hand per field: either MNIST *training* digits with pen-stroke marks (the project's
``checkocr.synth.handwriting`` pieces; MNIST test digits stay for evaluation) or one handwriting font
from the Debian packages installed (``installed_fonts``) for every character. Then touching
neighbours, slant, pen width, a background (paper, tint, guilloche), box borders cut into the crop,
underlines, blur, noise and JPEG.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from checkocr.synth.amounts import Token
from checkocr.synth.background import make_background
from checkocr.synth.handwriting import (
    HandStyle,
    Patch,
    ink_box,
    ink_grey,
    paste_max,
    render_digit,
    render_lines,
    sample_style,
)
from checkocr.synth.pool import MnistTestPool
from checkocr.synth.scan import jpeg_roundtrip, sensor_noise
from checkocr.synth.strokes import pen_lines

CONVENTIONS = ("us", "latam", "indian")
# Debian packages whose fonts the generator looks for (.ci/run installs them); any subset works.
FONT_PACKAGES = (
    "fonts-dkg-handwriting",
    "fonts-breip",
    "fonts-femkeklaver",
    "fonts-humor-sans",
    "fonts-kristi",
    "fonts-klee",
    "fonts-rufscript",
    "fonts-dancingscript",
    "fonts-comic-neue",
    "fonts-bwht",
    "fonts-ecolier-court",
)
FONT_DIRS = tuple(
    Path("/usr/share/fonts") / kind / name
    for kind in ("truetype", "opentype")
    for name in (
        "fifthhorseman",
        "breip",
        "femkeklaver",
        "humor-sans",
        "kristi",
        "klee",
        "rufscript",
        "dancingscript",
        "comic-neue",
        "bwht",
        "ecolier-court",
    )
)
RUPEE_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)
DPI = 200
FIELD_CHARS = "0123456789.,-/=*$"


def mnist_train_pool(data_dir: Path) -> MnistTestPool:
    """MNIST *training* digits (the test split stays for evaluation), sha256-verified."""
    from checkocr.mnist import load_split, mnist_dir

    images, labels = load_split(mnist_dir(Path(data_dir)), "train")
    return MnistTestPool(images, labels, source="mnist-train")


@cache
def installed_fonts() -> tuple[Path, ...]:
    """Handwriting fonts found on this machine that draw every character of an amount."""
    fonts = []
    for folder in FONT_DIRS:
        for path in sorted(folder.glob("*.[ot]tf")) if folder.is_dir() else []:
            try:
                font = ImageFont.truetype(str(path), 40)
            except OSError:
                continue
            if all(font.getbbox(ch)[2] > font.getbbox(ch)[0] for ch in FIELD_CHARS):
                fonts.append(path)
    return tuple(fonts)


@cache
def rupee_font() -> Path | None:
    return next((p for p in RUPEE_FONTS if p.is_file()), None)


# --- amounts -------------------------------------------------------------------------------------


def sample_value(rng: np.random.Generator) -> int:
    """Whole units, log-uniform from 1 to about 10 million, most between 50 and 50,000."""
    band = rng.random()
    low, high = (1, 50) if band < 0.1 else (50, 50_000) if band < 0.85 else (50_000, 9_999_999)
    return int(np.exp(rng.uniform(np.log(low), np.log(high))))


def group(value: int, sep: str, indian: bool = False) -> str:
    text = str(value)
    if not indian or len(text) <= 3:
        return f"{value:,}".replace(",", sep)
    head, tail = text[:-3], text[-3:]
    pairs = []
    while len(head) > 2:
        pairs.insert(0, head[-2:])
        head = head[:-2]
    return sep.join([head, *pairs, tail])


def compose(convention: str, rng: np.random.Generator) -> tuple[str, list[Token], str]:
    """(label, tokens to draw, format name) of one amount in ``convention``."""
    value = sample_value(rng)
    cents = f"{int(rng.integers(100)):02d}"
    if convention == "us":
        value = value if value < 100_000 else value // 1000  # US checks here top out at 99,999
        fmt = str(
            rng.choice(["comma_dot", "dot", "raised", "fraction", "asterisk", "dollar", "dollar_whole"])
        )
        if fmt == "comma_dot":
            text = f"{group(value, ',')}.{cents}"
        elif fmt == "dot":
            text = f"{value}.{cents}"
        elif fmt == "raised":
            body = group(value, ",") if rng.random() < 0.5 else str(value)
            tokens = digits(body) + digits(cents, "raised")
            return body + cents, tokens, fmt
        elif fmt == "fraction":
            body = group(value, ",")
            tokens = [*digits(body), Token(" ", "space"), *digits(cents, "small"), Token("/", "fraction")]
            tokens += digits("100", "small")
            return f"{body}{cents}/100", tokens, fmt
        elif fmt == "asterisk":
            text = "*" * int(rng.integers(1, 4)) + f"{group(value, ',')}.{cents}"
        elif fmt == "dollar":
            text = f"${group(value, ',')}.{cents}"
        else:
            text = f"${value}"
        return text, digits(text), fmt
    if convention == "latam":
        body = group(value, ".") if rng.random() < 0.8 else str(value)
        if rng.random() < 0.08:
            body = group(value, ",")  # some writers group with a comma
        ending = str(rng.choice(["", ".-", "-", "=", ".-"]))
        return body + ending, digits(body + ending), "latam" + (ending or "_bare")
    if convention == "indian":
        body = group(value, ",", indian=True) if rng.random() < 0.85 else str(value)
        ending = str(rng.choice(["/-", "/-", "", ".00", "/-", "-"]))
        text = "₹" + body + ending
        return text, [Token("₹", "printed"), *digits(body + ending)], "indian" + (ending or "_bare")
    raise ValueError(f"unknown convention {convention!r}; choose from {CONVENTIONS}")


def digits(text: str, style: str = "normal") -> list[Token]:
    return [Token(ch, "digit" if ch.isdigit() else "mark", style) for ch in text]


# --- drawing -------------------------------------------------------------------------------------


def font_patch(font_path: Path, char: str, height: float, slant: float, stroke: int) -> Patch:
    """One character of a font as ink coverage, ``height`` px for a digit, sheared by ``slant``."""
    size = max(8, round(height * 1.35))
    font = _font(str(font_path), size)
    x0, _, x1, _ = font.getbbox(char)
    pad = size // 2
    image = Image.new("L", (x1 - x0 + 2 * pad, size * 2 + 2 * pad), 0)
    ImageDraw.Draw(image).text((pad - x0, pad), char, fill=255, font=font)
    alpha = np.asarray(image, dtype=np.float32) / 255.0
    if stroke:
        kernel = np.ones((2 * abs(stroke) + 1,) * 2, np.uint8)
        alpha = cv2.dilate(alpha, kernel) if stroke > 0 else cv2.erode(alpha, kernel)
    h, w = alpha.shape
    baseline = pad + font.getmetrics()[0]
    shift = abs(slant) * h
    matrix = np.array([[1.0, -slant, slant * baseline + shift], [0.0, 1.0, 0.0]])
    alpha = cv2.warpAffine(alpha, matrix, (int(w + 2 * shift), h), flags=cv2.INTER_LINEAR)
    return Patch(alpha, ink_box(alpha), (0.0, float(baseline)))


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@dataclass(frozen=True)
class Hand:
    style: HandStyle
    font: Path | None  # None: MNIST digits and pen strokes


def glyph(token: Token, hand: Hand, height: float, pool: MnistTestPool, rng: np.random.Generator) -> Patch:
    """The patch of one token, its origin at the glyph's baseline (y) and left edge (x)."""
    small = token.style in ("raised", "small")
    size = height * (0.6 if small else 1.0)
    slant = hand.style.slant + float(rng.normal(0.0, 0.03))
    if token.kind == "printed":
        path = rupee_font()
        return (
            font_patch(path, "₹", size * 0.8, 0.0, 0)
            if path
            else Patch(np.zeros((2, 2)), (0, 0, 0, 0), (0, 0))
        )
    if hand.font is not None:
        return font_patch(
            hand.font, token.char, size, slant, max(0, hand.style.stroke_delta)
        )  # eroding erases thin fonts
    if token.kind == "digit":
        patch = render_digit(
            pool.sample(rng, int(token.char)).image, size, slant, float(rng.uniform(0.85, 1.15)), hand.style
        )
        return Patch(patch.alpha, patch.ink, (patch.origin[0], float(patch.ink[1] + patch.ink[3])))
    patch = render_lines(pen_lines(token.char, rng, slant), size, hand.style)
    return Patch(patch.alpha, patch.ink, (patch.origin[0], patch.origin[1] + size))


def write(tokens: list[Token], hand: Hand, pool: MnistTestPool, rng: np.random.Generator) -> np.ndarray:
    """The amount as an ink-coverage layer (0..1) on a canvas with room around it."""
    height = hand.style.height_px
    patches = [glyph(t, hand, height, pool, rng) if t.kind != "space" else None for t in tokens]
    width = int(sum(p.alpha.shape[1] for p in patches if p) + 2 * height * (len(tokens) + 2))
    layer = np.zeros((int(height * 3), width), np.float32)
    baseline, cursor = 2.0 * height, 0.5 * height
    for token, patch in zip(tokens, patches, strict=True):
        if patch is None:
            cursor += height * rng.uniform(0.3, 0.6)
            continue
        ix, _, iw, _ = patch.ink
        gap = hand.style.gap * rng.uniform(0.6, 1.4)
        if token.kind == "digit" and rng.random() < hand.style.touch_prob:
            gap = rng.uniform(-0.12, 0.0)  # touching or overlapping the left neighbour
        if token.kind == "mark":
            gap = rng.uniform(0.02, 0.15)
        lift = rng.uniform(-0.05, 0.05) * height
        if token.style == "raised":
            lift -= height * rng.uniform(0.35, 0.55)
        elif token.style == "small":
            lift -= height * rng.uniform(0.1, 0.25)
        x = round(cursor + gap * height - ix)
        y = round(baseline + lift - patch.origin[1])
        paste_max(layer, patch.alpha, x, y)
        cursor = x + ix + iw
    if any(t.style == "raised" for t in tokens) and rng.random() < 0.7:
        raised = [i for i, t in enumerate(tokens) if t.style == "raised"]
        right = cursor
        left = right - (len(raised) * 0.7 + 0.2) * height
        y = baseline - 0.3 * height
        cv2.line(
            layer,
            (int(left), int(y)),
            (int(right), int(y + rng.uniform(-2, 2))),
            1.0,
            max(1, round(0.08 * height)),
        )
    return layer


def render(
    tokens: list[Token], pool: MnistTestPool, rng: np.random.Generator, fonts: tuple[Path, ...]
) -> np.ndarray:
    """The field crop (uint8 grey, dark ink on light paper) of ``tokens`` written by a random hand."""
    style = sample_style(rng, DPI)
    use_font = bool(fonts) and rng.random() < 0.45
    hand = Hand(style, fonts[int(rng.integers(len(fonts)))] if use_font else None)
    layer = write(tokens, hand, pool, rng)
    x, y, w, h = ink_box(layer)
    if w == 0:
        raise ValueError("nothing drawn")
    # Crop around the ink with margins, as a field locator would (or a box cut tight or loose).
    pad_x = [int(rng.uniform(0.05, 0.8) * style.height_px) for _ in range(2)]
    pad_y = [int(rng.uniform(0.05, 0.5) * style.height_px) for _ in range(2)]
    y0, y1 = max(0, y - pad_y[0]), min(layer.shape[0], y + h + pad_y[1])
    x0, x1 = max(0, x - pad_x[0]), min(layer.shape[1], x + w + pad_x[1])
    ink = layer[y0:y1, x0:x1]
    page, _ = make_background(rng, ink.shape, DPI)
    lines_layer = np.zeros_like(ink)
    rows, cols = ink.shape
    thick = int(rng.integers(1, 4))
    if rng.random() < 0.35:  # box borders cut into the crop (top/bottom/left/right)
        for side in range(4):
            if rng.random() < 0.5:
                continue
            offset = int(rng.integers(0, 4))
            if side == 0:
                lines_layer[offset : offset + thick] = 1
            elif side == 1:
                lines_layer[rows - offset - thick : rows - offset] = 1
            elif side == 2:
                lines_layer[:, offset : offset + thick] = 1
            else:
                lines_layer[:, cols - offset - thick : cols - offset] = 1
    if rng.random() < 0.3:  # an underline or the box's writing line under or through the digits
        yy = int(rows * rng.uniform(0.7, 0.97))
        cv2.line(lines_layer, (0, yy), (cols, yy + int(rng.integers(-2, 3))), 1.0, thick)
    printed = float(rng.uniform(60, 170))
    image = page * (1 - lines_layer * 0.8) + printed * lines_layer * 0.8
    pen = ink_grey(rng)
    image = image * (1 - ink) + pen * ink
    if rng.random() < 0.5:
        image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.6:
        sensor_noise(image, rng, 6.0)
    grey = np.clip(image, 0, 255).astype(np.uint8)
    # Fields arrive at 20-60 px of digit height: scale down like a lower-resolution scan.
    target = rng.uniform(22, 60) / style.height_px
    if target < 1:
        grey = cv2.resize(grey, None, fx=target, fy=target, interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        grey = jpeg_roundtrip(grey, int(rng.integers(35, 95)))
    return grey


def synthetic_field(
    convention: str, pool: MnistTestPool, rng: np.random.Generator, fonts: tuple[Path, ...] | None = None
) -> tuple[np.ndarray, str, str]:
    """(grey crop, label over the field alphabet, format) of one synthetic amount."""
    label, tokens, fmt = compose(convention, rng)
    grey = render(tokens, pool, rng, installed_fonts() if fonts is None else fonts)
    return grey, label, fmt


def synthetic_set(
    pool: MnistTestPool, count: int, seed: int, conventions: tuple[str, ...] = CONVENTIONS
) -> list[tuple[np.ndarray, str, str]]:
    """``count`` fields, conventions in turn, each from its own generator ``[seed, i]``."""
    return [
        synthetic_field(conventions[i % len(conventions)], pool, np.random.default_rng([seed, i]))
        for i in range(count)
    ]
