"""Untrusted bytes in, a greyscale array or a precise ImageDecodeError out."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import numpy as np
import pytest
from PIL import Image

from checkocr import imageio
from checkocr.imageio import ImageDecodeError, decode_grey, png_chunk_types

LIMIT = 40_000_000


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def page(mode: str = "L") -> Image.Image:
    array = np.full((60, 90), 255, dtype=np.uint8)
    array[20:40, 30:60] = 0
    return Image.fromarray(array).convert(mode)


@pytest.mark.parametrize(
    ("fmt", "mode", "params"),
    [
        ("PNG", "L", {}),
        ("PNG", "RGB", {}),
        ("PNG", "P", {}),
        ("JPEG", "L", {"quality": 95}),
        ("JPEG", "CMYK", {"quality": 95}),
        ("TIFF", "1", {"compression": "group4"}),
        ("TIFF", "L", {"compression": "tiff_lzw"}),
    ],
)
def test_formats_decode_to_grey_with_ink_dark(fmt, mode, params):
    grey = decode_grey(encode(page(mode), fmt, **params), LIMIT)
    assert grey.dtype == np.uint8 and grey.shape == (60, 90)
    assert grey[30, 45] < 60 and grey[5, 5] > 200


def test_transparent_background_becomes_paper():
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[5:15, 5:15] = (0, 0, 0, 255)
    grey = decode_grey(encode(Image.fromarray(rgba, "RGBA"), "PNG"), LIMIT)
    assert grey[0, 0] == 255 and grey[10, 10] == 0


def test_sixteen_bit_png_is_scaled():
    array = np.full((20, 20), 60000, dtype=np.uint16)
    array[5:10, 5:10] = 0
    grey = decode_grey(encode(Image.fromarray(array), "PNG"), LIMIT)
    assert grey[0, 0] == 255 and grey[6, 6] == 0


def bomb_png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"<html><body>not an image</body></html>", "undecodable"),
        (b"PK\x03\x04" + bytes(100), "undecodable"),
        (bomb_png(50_000, 50_000), "too_many_pixels"),
        (encode(page(), "PNG")[:80], "undecodable"),
        (encode(page(), "JPEG")[:300], "undecodable"),
        (encode(page(), "GIF"), "unsupported_format"),
        (encode(Image.new("L", (1, 1)), "PNG"), "too_small"),
    ],
)
def test_bad_bytes_give_a_precise_reason(data, reason):
    with pytest.raises(ImageDecodeError) as raised:
        decode_grey(data, LIMIT)
    assert raised.value.reason == reason
    assert raised.value.detail


def test_grey_png_decodes_to_its_exact_pixels_in_a_writable_array():
    """The greyscale shortcut (no convert) must keep every pixel and give an array the caller may edit."""
    array = np.random.default_rng(2).integers(0, 256, (33, 47)).astype(np.uint8)
    grey = decode_grey(encode(Image.fromarray(array), "PNG"), LIMIT)
    assert grey.dtype == np.uint8 and np.array_equal(grey, array)
    assert grey.flags.writeable and grey.flags.c_contiguous


def test_plain_grey_png_takes_libpng_and_gives_pillows_pixels(monkeypatch):
    """8-bit greyscale PNGs are decoded by cv2.imdecode: the same pixels as Pillow's, in a writable array."""
    array = np.random.default_rng(7).integers(0, 256, (41, 77)).astype(np.uint8)
    for data in (encode(Image.fromarray(array), "PNG"), cv2.imencode(".png", array)[1].tobytes()):
        assert png_chunk_types(data) == {b"IHDR", b"IDAT", b"IEND"}
        grey = decode_grey(data, LIMIT)
        assert np.array_equal(grey, array) and grey.flags.writeable
        monkeypatch.setattr(imageio, "is_plain_grey_png", lambda image, data: False)
        assert np.array_equal(decode_grey(data, LIMIT), grey)  # Pillow's own decoding
        monkeypatch.undo()


def test_grey_png_with_an_exif_orientation_is_still_turned():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90 degrees clockwise
    data = encode(page(), "PNG", exif=exif)
    assert b"eXIf" in png_chunk_types(data)
    assert decode_grey(data, LIMIT).shape == (90, 60)


def test_truncated_png_has_no_chunk_list():
    data = encode(page(), "PNG")
    assert png_chunk_types(data) is not None
    assert png_chunk_types(data[:-6]) is None and png_chunk_types(data[:40]) is None
