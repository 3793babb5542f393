"""Property-based tests: arbitrary bytes, arrays and glyph lists never raise an undocumented error.

The documented failure of each stage (what callers catch) is:
- ``decode_grey``: ``ImageDecodeError`` only, and a returned image is 2-D uint8 within the pixel limit.
- ``clean_field`` / ``segment_field``: nothing, for any 2-D uint8 image (an empty field is a normal
  result, an exception would be a 500 in the service and an error line in batch).
- ``assemble``: ``AssemblyError`` only for malformed input; any list of well-formed glyphs gives an
  ``Assembly`` whose amount and cents agree.
Examples are bounded (a few hundred in all) so this runs in seconds.
"""

from __future__ import annotations

import io
import zlib

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from checkocr.assemble import DIGITS, Assembly, AssemblyError, Glyph, assemble
from checkocr.confidence import review_reasons
from checkocr.imageio import ImageDecodeError, decode_grey
from segmentation.clean import clean_field
from segmentation.split import segment_field

BOUNDED = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_PIXELS = 200_000


def png_bytes(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


SEED_IMAGES = [
    png_bytes(np.full((20, 30), 200, np.uint8)),
    png_bytes(np.zeros((12, 12, 3), np.uint8)),
]


@st.composite
def mutated_images(draw: st.DrawFn) -> bytes:
    """Real PNG/JPEG/TIFF files with bytes flipped, cut or spliced: they reach deep into the decoders."""
    fmt = draw(st.sampled_from(["PNG", "JPEG", "TIFF"]))
    side = draw(st.integers(8, 40))
    buffer = io.BytesIO()
    Image.fromarray(np.full((side, side + 3), 128, np.uint8)).save(buffer, fmt)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 6))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    cut = draw(st.integers(1, len(data)))
    return bytes(data[:cut]) + draw(st.binary(max_size=16))


@BOUNDED
@given(st.one_of(st.binary(max_size=2048), mutated_images(), st.sampled_from(SEED_IMAGES)))
def test_decode_grey_raises_only_image_decode_error(data: bytes) -> None:
    try:
        grey = decode_grey(data, MAX_PIXELS)
    except ImageDecodeError as exc:
        assert exc.reason and exc.detail
        return
    assert grey.ndim == 2 and grey.dtype == np.uint8
    assert grey.size <= MAX_PIXELS


@BOUNDED
@given(st.integers(1, 200_000), st.integers(1, 200_000), st.integers(0, 4))
def test_declared_size_over_the_limit_is_refused_before_decoding(width: int, height: int, mode: int) -> None:
    """A PNG header may declare any size; only what fits the limit is ever decoded."""
    import struct

    color = (0, 2, 3, 4, 6)[mode]
    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    data = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
    try:
        grey = decode_grey(data, MAX_PIXELS)
    except ImageDecodeError as exc:
        if width * height > MAX_PIXELS:
            assert exc.reason == "too_many_pixels"
        return
    # 64 zero bytes can be a whole (tiny) image, e.g. 8 rows of 7 grey pixels: then it decodes.
    assert width * height <= MAX_PIXELS and grey.shape == (height, width)


grey_images = st.integers(1, 120).flatmap(
    lambda h: st.integers(1, 240).flatmap(
        lambda w: st.one_of(
            arrays(np.uint8, (h, w)),
            arrays(np.uint8, (h, w), elements=st.sampled_from([0, 255])),
            st.sampled_from([0, 17, 128, 255]).map(lambda v: np.full((h, w), v, np.uint8)),
        )
    )
)


@BOUNDED
@given(grey_images)
def test_clean_and_segment_never_raise_on_any_uint8_image(grey: np.ndarray) -> None:
    cleaned = clean_field(grey)
    assert cleaned.mask.shape == grey.shape and cleaned.mask.dtype == np.uint8
    assert np.isfinite(cleaned.stroke_width) and cleaned.stroke_width > 0
    segments = segment_field(cleaned.mask, cleaned.stroke_width)
    height, width = grey.shape
    for segment in segments:
        x, y, w, h = segment.bbox
        assert x >= 0 and y >= 0 and x + w <= width and y + h <= height
        for option in segment.options:
            assert option, "a digit option with no pieces"


@BOUNDED
@given(arrays(np.uint8, st.tuples(st.integers(1, 80), st.integers(1, 160))), st.booleans())
def test_segment_field_accepts_any_mask(mask: np.ndarray, leading_sign: bool) -> None:
    segments = segment_field(mask, 2.0, leading_sign=leading_sign)
    assert all(s.kind for s in segments)


KINDS = ["digit", "separator", "currency", "asterisk", "terminator", "fraction", "unknown"]
CHARS = [".", ",", "'", " ", "$", "*", "-", "/", "=", "¤", "?", "1", "0"]
probabilities = st.lists(st.floats(0.0, 1.0), min_size=10, max_size=10).map(
    lambda p: tuple(np.asarray(p) / (sum(p) or 1.0))
)
bboxes = st.tuples(st.integers(0, 2000), st.integers(0, 500), st.integers(0, 200), st.integers(0, 200))


@st.composite
def glyphs(draw: st.DrawFn) -> Glyph:
    kind = draw(st.sampled_from(KINDS))
    if kind == "digit":
        return Glyph.digit(draw(probabilities), draw(bboxes), draw(st.booleans()), draw(st.booleans()))
    return Glyph(kind, draw(st.sampled_from(CHARS)), draw(st.floats(0.0, 1.0)), draw(bboxes))


@BOUNDED
@given(st.lists(glyphs(), max_size=24), st.sampled_from(["auto", ".", ","]), st.floats(0.0, 1.0))
def test_assemble_any_glyph_list_gives_a_consistent_assembly(
    glyph_list: list[Glyph], decimal: str, threshold: float
) -> None:
    result = assemble(glyph_list, decimal=decimal)  # type: ignore[arg-type]
    reasons = review_reasons(result.amount, result.confidence, threshold)
    assert isinstance(result, Assembly)
    assert 0.0 <= result.confidence <= 1.0
    assert len(result.characters) == len(glyph_list)
    if result.amount is None:
        assert result.amount_cents is None and result.reason and reasons == ["no_amount"]
    else:
        integer, cents = result.amount.split(".")
        assert len(cents) == 2 and integer.isdigit() and cents.isdigit()
        assert result.amount_cents == int(integer) * 100 + int(cents)
        assert bool(reasons) == (result.confidence < threshold)


@BOUNDED
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=12), bboxes)
def test_malformed_digit_probabilities_raise_assembly_error(values: list[float], bbox) -> None:
    if len(values) == 10 and all(np.isfinite(values)):
        assert Glyph.digit(values, bbox).char in DIGITS
        return
    try:
        Glyph.digit(values, bbox)
    except AssemblyError:
        return
    raise AssertionError("malformed probabilities were accepted")


@BOUNDED
@given(st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), min_size=1, max_size=4))
def test_non_glyphs_raise_assembly_error(items: list[object]) -> None:
    try:
        assemble(items)  # type: ignore[arg-type]
    except AssemblyError:
        return
    raise AssertionError("assemble accepted non-Glyph items")
