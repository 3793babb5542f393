"""The hostile-input corpus, generated here (nothing downloaded, nothing checked in).

Each ``Case`` is one request to ``POST /v1/checks/read`` and the answer the service documents for it
(docs/security.md, "Documented answers to bad input"): a status, and for refusals the problem
``reason``/type, for 200 whether the amount must be null. ``image_files()`` gives the file-shaped cases
to ``checkocr read`` and ``checkocr batch`` as well, with the batch error type each must become.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image

from checkocr.synth import MnistTestPool, SynthOptions, generate_check

OVERSIZED_BYTES = 5 * 1024 * 1024  # over the 4 MiB limit the reliability servers run with


@dataclass(frozen=True)
class Case:
    """One request and its documented answer.

    ``status``: the HTTP status. ``reason``: the problem's ``reason`` member (422s) or None.
    ``slug``: the end of the problem ``type`` URI. ``amount_null``: for 200, True when the reading
    must be empty (with a ``reason``), None when either is acceptable (noise may look like digits).
    """

    name: str
    body: bytes
    content_type: str | None = "image/png"
    multipart: bool = False
    part_type: str = "image/png"
    query: str = ""
    form: dict[str, str] = field(default_factory=dict)
    status: int = 200
    reason: str | None = None
    slug: str | None = None
    amount_null: bool | None = None


def png(image: np.ndarray | Image.Image, **options: object) -> bytes:
    return encode(image, "PNG", **options)


def encode(image: np.ndarray | Image.Image, fmt: str, **options: object) -> bytes:
    picture = image if isinstance(image, Image.Image) else Image.fromarray(image)
    buffer = io.BytesIO()
    picture.save(buffer, fmt, **options)
    return buffer.getvalue()


def amount_field(text: str = "305.00", height: int = 90) -> np.ndarray:
    """A printed amount on white paper: legible to the reader (even with the tiny test model)."""
    image = np.full((height, 40 + 36 * len(text)), 250, np.uint8)
    cv2.putText(image, text, (15, height - 25), cv2.FONT_HERSHEY_SIMPLEX, 1.6, 20, 4, cv2.LINE_AA)
    return image


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_bomb(side: int = 50_000) -> bytes:
    """A valid PNG header declaring side x side grey pixels, with one compressed row of data.

    Decoding it for real would take side*side bytes (2.5 GB at 50,000); the decoder must refuse it
    from the header.
    """
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    row = zlib.compress(b"\x00" * (side + 1), 9)
    return (
        b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", row) + png_chunk(b"IEND", b"")
    )


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("check.png", png(amount_field()))
    return buffer.getvalue()


def gif_bytes() -> bytes:
    return encode(amount_field(), "GIF")


def sixteen_bit() -> bytes:
    image = (amount_field().astype(np.uint16) * 257).astype(np.uint16)
    return png(Image.fromarray(image))  # mode I;16


def palette() -> bytes:
    return png(Image.fromarray(amount_field()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16))


def rgba() -> bytes:
    grey = amount_field()
    alpha = np.where(grey < 128, 255, 0).astype(np.uint8)  # ink opaque, paper transparent
    return png(np.dstack([grey, grey, grey, alpha]))


def cmyk_jpeg() -> bytes:
    return encode(Image.fromarray(amount_field()).convert("CMYK"), "JPEG", quality=90)


def multipage_tiff() -> bytes:
    pages = [Image.fromarray(amount_field("12.50")), Image.fromarray(amount_field("99.99"))]
    buffer = io.BytesIO()
    pages[0].save(buffer, "TIFF", save_all=True, append_images=pages[1:])
    return buffer.getvalue()


def noise(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (300, 700), dtype=np.uint8)


def scene(seed: int = 2) -> np.ndarray:
    """A 'photo' that is not a check: sky gradient, a sun, hills, trees, film grain."""
    rng = np.random.default_rng(seed)
    height, width = 480, 720
    sky = np.linspace(90, 220, height, dtype=np.float32)[:, None].repeat(width, axis=1)
    image = np.dstack([sky * 0.7, sky * 0.85, sky]).astype(np.uint8)
    cv2.circle(image, (560, 110), 55, (120, 230, 255), -1, cv2.LINE_AA)
    xs = np.arange(width)
    for base, amplitude, colour in ((330, 40, (40, 120, 60)), (380, 30, (30, 90, 40))):
        ridge = (base + amplitude * np.sin(xs / 70.0 + base)).astype(np.int32)
        points = np.array([[0, height], *zip(xs, ridge, strict=True), [width - 1, height]], np.int32)
        cv2.fillPoly(image, [points], colour, cv2.LINE_AA)
    for _ in range(12):
        x, y = int(rng.integers(20, width - 20)), int(rng.integers(300, 440))
        cv2.line(image, (x, y), (x, y + 40), (30, 50, 70), 5)
        cv2.circle(image, (x, y), int(rng.integers(12, 24)), (20, int(rng.integers(70, 140)), 30), -1)
    grain = rng.normal(0, 6, image.shape)
    return np.clip(image + grain, 0, 255).astype(np.uint8)


def drawn_pool() -> MnistTestPool:
    """Digits 0-9 drawn with OpenCV, white on black like MNIST: synthetic checks without a dataset."""
    images, labels = [], []
    for digit in range(10):
        image = np.zeros((28, 28), dtype=np.uint8)
        cv2.putText(image, str(digit), (6, 23), cv2.FONT_HERSHEY_SIMPLEX, 0.8, 255, 2, cv2.LINE_AA)
        images.append(image)
        labels.append(digit)
    return MnistTestPool(np.stack(images), np.array(labels), source="drawn")


def synthetic_check(seed: int = 5) -> tuple[np.ndarray, dict]:
    return generate_check(np.random.default_rng(seed), drawn_pool(), SynthOptions(dpi=200))


def upside_down_check(seed: int = 5) -> bytes:
    grey, _ = synthetic_check(seed)
    return png(np.ascontiguousarray(grey[::-1, ::-1]))


def multipart_body(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str) -> bytes:
    """(name, filename, content type, value) parts; used where clients would refuse to build the body."""
    chunks = []
    for name, filename, content_type, value in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        head = f"--{boundary}\r\nContent-Disposition: {disposition}\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks.append(head.encode() + b"\r\n" + value + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def image_cases() -> list[Case]:
    """Bodies that are (or pretend to be) image files, sent raw with an image content type."""
    good = png(amount_field())
    jpeg = encode(amount_field(), "JPEG", quality=90)
    tiff = encode(amount_field(), "TIFF", compression="tiff_lzw")
    return [
        Case("empty-body", b"", status=422, reason="empty"),
        Case("text-as-png", b"Dear bank, please pay the bearer.\n" * 20, status=422, reason="undecodable"),
        Case(
            "html-as-jpeg",
            b"<!doctype html><html><body><img src=x onerror=alert(1)></body></html>",
            content_type="image/jpeg",
            status=422,
            reason="undecodable",
        ),
        Case("zip-as-png", zip_bytes(), status=422, reason="undecodable"),
        Case("gif-as-png", gif_bytes(), status=422, reason="unsupported_format"),
        Case("truncated-png", good[: len(good) // 2], status=422, reason="undecodable"),
        Case(
            "truncated-jpeg",
            jpeg[: len(jpeg) // 2],
            content_type="image/jpeg",
            status=422,
            reason="undecodable",
        ),
        Case(
            "truncated-tiff",
            tiff[: len(tiff) // 3],
            content_type="image/tiff",
            status=422,
            reason="undecodable",
        ),
        Case("png-bomb-50000x50000", png_bomb(), status=422, reason="too_many_pixels"),
        Case("png-1x1", png(np.zeros((1, 1), np.uint8)), status=422, reason="too_small"),
        Case("png-16-bit", sixteen_bit()),
        Case("png-palette", palette()),
        Case("png-rgba", rgba()),
        Case("jpeg-cmyk", cmyk_jpeg(), content_type="image/jpeg"),
        Case("tiff-multipage", multipage_tiff(), content_type="image/tiff"),
        Case("png-20000x10", png(np.full((10, 20000), 255, np.uint8)), amount_null=True),
        Case("all-white", png(np.full((300, 700), 255, np.uint8)), amount_null=True),
        Case("all-black", png(np.zeros((300, 700), np.uint8)), amount_null=True),
        Case("pure-noise", png(noise())),
        Case("scene-not-a-check", encode(scene(), "JPEG", quality=85), content_type="image/jpeg"),
        Case("check-upside-down", upside_down_check()),
    ]


def request_cases() -> list[Case]:
    """Malformed requests around a valid image: types, multipart, sizes, options, parameters."""
    good = png(amount_field())
    boundary = "hostile-boundary-7d3f"
    return [
        Case("wrong-content-type-text", good, content_type="text/plain", status=415),
        Case("wrong-content-type-json", good, content_type="application/json", status=415),
        Case("wrong-content-type-gif", good, content_type="image/gif", status=415),
        Case("missing-content-type", good, content_type=None, status=415),
        Case("empty-body-no-type", b"", content_type=None, status=415),
        Case("multipart-zero-byte-file", b"", multipart=True, status=422, reason="empty"),
        Case("multipart-text-part", b"hello", multipart=True, part_type="text/plain", status=415),
        Case("multipart-octet-stream-part", good, multipart=True, part_type="application/octet-stream"),
        Case(
            "multipart-oversized",
            b"\x00" * OVERSIZED_BYTES,
            multipart=True,
            status=413,
        ),
        Case(
            "multipart-no-boundary",
            b"--x\r\n\r\n",
            content_type="multipart/form-data",
            status=400,
        ),
        Case(
            "multipart-garbage",
            b"this is not multipart at all",
            content_type=f"multipart/form-data; boundary={boundary}",
            status=400,
        ),
        Case(
            "multipart-no-image-field",
            multipart_body([("picture", "a.png", "image/png", good)], boundary),
            content_type=f"multipart/form-data; boundary={boundary}",
            status=400,
        ),
        Case(
            "multipart-two-images",
            multipart_body(
                [("image", "a.png", "image/png", good), ("image", "b.png", "image/png", good)], boundary
            ),
            content_type=f"multipart/form-data; boundary={boundary}",
            status=400,
        ),
        Case("expected-amount-letters", good, query="expected_amount=12%2C3x", status=400),
        Case("expected-amount-negative", good, query="expected_amount=-5.00", status=400),
        Case("expected-amount-exponent", good, query="expected_amount=1e5", status=400),
        Case("expected-amount-nan", good, query="expected_amount=NaN", status=400),
        Case("expected-amount-5000-digits", good, query="expected_amount=" + "9" * 5000, status=400),
        Case(
            "expected-amount-arabic-indic-digits",
            good,
            query="expected_amount=%D9%A1%D9%A2%D9%A3",
            status=400,
        ),
        Case(
            "expected-amount-form-field", good, multipart=True, form={"expected_amount": "1,2,3"}, status=400
        ),
        Case("region-unknown", good, query="region=everything", status=400),
        Case("decimal-unknown", good, query="decimal=%3B", status=400),
        Case("form-region-unknown", good, multipart=True, form={"region": "x"}, status=400),
        Case("unknown-query-parameters", good, query="colour=blue&debug=1&region=field"),
    ]


def corpus() -> list[Case]:
    return image_cases() + request_cases()


@dataclass(frozen=True)
class FileCase:
    """A corpus case as a file for ``checkocr read``/``batch``: the name and the expected error type."""

    filename: str
    data: bytes
    error: str | None  # the batch ``error.type``; None when it must be a reading


SUFFIX = {"image/png": ".png", "image/jpeg": ".jpg", "image/tiff": ".tif"}


def image_files() -> list[FileCase]:
    return [
        FileCase(case.name + SUFFIX[case.content_type or "image/png"], case.body, case.reason)
        for case in image_cases()
    ]
