"""Cash letters for the X9.37 tests: small G4 TIFF images, files written in memory, record offsets."""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from checkocr.x937.items import CheckItem, iter_items
from checkocr.x937.reader import Problem, Record, RecordReader
from checkocr.x937.writer import WriterItem, routing, write_cash_letter

AMOUNTS = ("12.50", "304.00", "7.25", "1250.75", "99.99", "45.10", "860.04", "3.17")


def g4(grey: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(grey).convert("1").save(buffer, format="TIFF", compression="group4", dpi=(200, 200))
    return buffer.getvalue()


def field_image(amount: str) -> bytes:
    """An amount field printed in dark ink on white paper, as a bitonal G4 TIFF."""
    image = np.full((90, 420), 255, np.uint8)
    cv2.putText(image, amount, (15, 65), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 4, cv2.LINE_AA)
    return g4(image)


TINY = g4(np.full((8, 16), 255, np.uint8))


def cents(amount: str) -> int:
    whole, _, fraction = amount.partition(".")
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def items(count: int, front=lambda i: TINY, keyed=lambda i: 1000 + i, back: bytes | None = TINY):
    for i in range(count):
        yield WriterItem(f"{i + 1:015d}", keyed(i), routing("12345678"), f"{1000 + i}/77", front(i), back)


def cash_letter(count: int = 5, encoding: str = "ebcdic", framing: str = "prefixed", **options) -> bytes:
    buffer = io.BytesIO()
    bundle_size = options.pop("bundle_size", 3)
    write_cash_letter(
        buffer, items(count, **options), encoding=encoding, framing=framing, bundle_size=bundle_size
    )
    return buffer.getvalue()


def records(data: bytes) -> list[Record | Problem]:
    return list(RecordReader(io.BytesIO(data)))


def first(data: bytes, code: str, nth: int = 0) -> Record:
    """The nth record of type ``code``."""
    found = [r for r in records(data) if isinstance(r, Record) and r.code == code]
    return found[nth]


@dataclass
class Read:
    items: list[CheckItem]
    problems: list[Problem]


def read(data: bytes, keep_images: bool = True) -> Read:
    events = list(iter_items(io.BytesIO(data), keep_images))
    return Read(
        [e for e in events if isinstance(e, CheckItem)],
        [e for e in events if isinstance(e, Problem)],
    )


def patch(data: bytes, at: int, new: bytes) -> bytes:
    return data[:at] + new + data[at + len(new) :]


def text_at(data: bytes, record: Record, position: int, value: str, encoding: str = "ebcdic") -> bytes:
    """Overwrites the record's text from 1-based ``position`` (prefix skipped when framed)."""
    prefix = 4 if data[:2] not in (b"01", b"\xf0\xf1") else 0
    codec = "cp037" if encoding == "ebcdic" else "ascii"
    return patch(data, record.offset + prefix + position - 1, value.encode(codec))
