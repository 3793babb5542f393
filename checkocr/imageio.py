"""Decoding untrusted image bytes into a greyscale array, safely.

Every check image enters here, from HTTP, ``checkocr read`` and batch alike. The pixel count is read
from the header and checked *before* decoding, so a decompression bomb is refused without allocating
it; everything Pillow cannot make sense of becomes an ImageDecodeError with a precise message.
"""

from __future__ import annotations

import io
import struct
import warnings

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

SUPPORTED_FORMATS = {"PNG", "JPEG", "TIFF"}
MIN_SIDE = 8
PNG_METADATA = {b"eXIf", b"tEXt", b"zTXt", b"iTXt"}  # chunks that may hold an EXIF or XMP orientation


class ImageDecodeError(ValueError):
    """The bytes are not a usable image; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def decode_grey(data: bytes, max_pixels: int) -> np.ndarray:
    """PNG, JPEG or TIFF (CCITT G4 bitonal included) bytes as a uint8 greyscale array (0 black, 255 white).

    Multi-page TIFFs are read from their first page; EXIF orientation is applied; alpha is composited
    on white (a transparent background is paper, not ink).
    """
    if not data:
        raise ImageDecodeError("empty", "the image is empty (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in SUPPORTED_FORMATS:
                raise ImageDecodeError(
                    "unsupported_format", f"{image.format} images are not supported; send PNG, JPEG or TIFF"
                )
            width, height = image.size
            if width * height > max_pixels:
                raise ImageDecodeError(
                    "too_many_pixels",
                    f"image is {width}x{height} = {width * height} pixels, over the limit of {max_pixels}",
                )
            if min(width, height) < MIN_SIDE:
                raise ImageDecodeError(
                    "too_small", f"image is {width}x{height}; each side must be >= {MIN_SIDE}"
                )
            if is_plain_grey_png(image, data):
                grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
                if grey is not None and grey.shape == (height, width) and grey.dtype == np.uint8:
                    return grey
            image.load()  # anything else, or a PNG that libpng refused: Pillow decodes it or says why not
            image = ImageOps.exif_transpose(image)
            return to_grey_array(image)
    except ImageDecodeError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError("too_many_pixels", f"image declares too many pixels: {exc}") from exc
    except UnidentifiedImageError as exc:
        # Pillow's message only names its in-memory buffer; say what the caller can act on.
        raise ImageDecodeError("undecodable", "not a readable PNG, JPEG or TIFF image") from exc
    except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
        raise ImageDecodeError("undecodable", f"the image is damaged or truncated: {exc}") from exc


def is_plain_grey_png(image: Image.Image, data: bytes) -> bool:
    """A whole 8-bit greyscale PNG without transparency or any chunk that could turn it (EXIF, XMP).

    Why: its pixels are exactly its stored bytes, which libpng (``cv2.imdecode``) writes straight into
    one array, while Pillow decodes into its own image and copies it out twice: ~0.4 ms of a 200-dpi
    check. Every other image, and every other PNG (truncated ones too), goes through Pillow as before.
    """
    if image.format != "PNG" or "transparency" in image.info:
        return False
    bit_depth, colour_type = data[24], data[25]  # IHDR, the first chunk, right after the signature
    if (bit_depth, colour_type) != (8, 0):
        return False
    chunks = png_chunk_types(data)  # walked only for grey PNGs
    return chunks is not None and not chunks & PNG_METADATA


def png_chunk_types(data: bytes) -> set[bytes] | None:
    """The types of a PNG's chunks, from the chunk headers alone (nothing is decompressed); None when
    the chunks do not run to an IEND chunk inside the data (a truncated file)."""
    types: set[bytes] = set()
    position = 8  # after the signature
    while position + 12 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        types.add(kind)
        position += length + 12  # length, type, data, CRC
        if kind == b"IEND":
            return types if position <= len(data) else None
    return None


def to_grey_array(image: Image.Image) -> np.ndarray:
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        return np.clip(array / peak * 255.0, 0, 255).astype(np.uint8)
    if image.mode == "F":
        array = np.asarray(image, dtype=np.float64)
        low, high = float(array.min()), float(array.max())
        return ((array - low) / ((high - low) or 1.0) * 255.0).astype(np.uint8)
    if image.mode == "L":  # most scans: skip convert()'s copy, it would change no pixel
        return np.asarray(image).copy()
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def read_file_grey(path, max_pixels: int) -> np.ndarray:
    """Reads and decodes a file; OS errors become ImageDecodeError too (batch keeps going)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_pixels * 4 + 1024)
    except OSError as exc:
        raise ImageDecodeError("unreadable_file", f"cannot read the file: {exc.strerror or exc}") from exc
    return decode_grey(data, max_pixels)
