"""Streaming X9.37 reader: records one at a time from a seekable binary file, never the file whole.

Both framings are read. *Prefixed* files put a 4-byte big-endian length before every record (the
usual exchange format); *fixed* files have none, so every record is 80 bytes except the check detail
addendum B (27) and the image view data (52), whose lengths come from their own length fields. The
framing and the text encoding (EBCDIC code page 037 or ASCII) are told apart by the first record,
which must be a file header (type 01).

Memory stays flat for a file of any size: a record is read, handed over and forgotten, and image
data is read only when the consumer asks for it (``keep_next_image``, set after a front view's 50
record); every other image is skipped with a seek. A declared length is checked against what the
record's type allows, and against the file size, *before* anything is read, so a length prefix of
2 GB costs nothing.

Problems are values, not exceptions: the generator yields ``Problem`` objects in stream order, each
naming the byte offset of the record and its type. Where the framing still tells where the next
record starts (a prefix that agrees with the record's own fields, or points at a plausible next
record), reading goes on; otherwise a final problem with ``fatal=True`` ends the stream.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import BinaryIO, Literal

from checkocr.x937.records import (
    ADDENDUM_B_FIXED,
    ADDENDUM_B_TAIL,
    IMAGE_FIXED,
    IMAGE_LENGTH_DIGITS,
    KEY_LENGTH_DIGITS,
    LAYOUTS,
    MAX_IMAGE_RECORD,
    RECORD_LENGTH,
    SIGNATURE_LENGTH_DIGITS,
    TEXT_CODECS,
    Layout,
    is_known,
    number,
    record_name,
)

Framing = Literal["prefixed", "fixed"]
Encoding = Literal["ebcdic", "ascii"]
PREFIX = 4
FILE_HEADER_CODES = {b"01": "ascii", b"\xf0\xf1": "ebcdic"}


@dataclass(frozen=True)
class Problem:
    """Something wrong in the file, where it is, and whether reading can go on after it."""

    kind: str  # not_x937, truncated, bad_length, unknown_record, bad_text, bad_field, out_of_order, ...
    offset: int  # byte offset of the record's first byte (its length prefix, when prefixed)
    code: str | None  # the record type, when known
    detail: str
    fatal: bool = False

    def message(self) -> str:
        where = f"byte {self.offset}" + (f", record {record_name(self.code)}" if self.code else "")
        return f"{where}: {self.detail}"

    def as_json(self) -> dict[str, object]:
        return {"type": self.kind, "offset": self.offset, "record_type": self.code, "detail": self.message()}


@dataclass
class Record:
    code: str
    offset: int  # first byte, length prefix included
    length: int  # bytes of the record itself (prefix excluded)
    fields: dict[str, str]
    image: bytes | None = None  # 52: the image data, when it was asked for
    image_offset: int | None = None  # 52: where the image data starts in the file
    image_length: int | None = None
    problems: list[Problem] = field(default_factory=list)  # non-fatal, about this record only


class RecordReader:
    """``for event in RecordReader(stream)``: Record or Problem objects, in file order."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.keep_next_image = False
        self.framing: Framing | None = None
        self.encoding: Encoding | None = None
        self.codec = "ascii"
        start = stream.tell()
        self.size = stream.seek(0, 2)
        stream.seek(start)
        self.pos = start
        self.stopped = False

    # ------------------------------------------------------------ low-level access

    def read(self, count: int) -> bytes:
        self.stream.seek(self.pos)
        data = self.stream.read(count)
        self.pos += len(data)
        return data

    def peek(self, at: int, count: int) -> bytes:
        self.stream.seek(at)
        data = self.stream.read(count)
        self.stream.seek(self.pos)
        return data

    def code_of(self, raw: bytes) -> str:
        text = raw.decode(self.codec, errors="replace")
        return text if text.isascii() and text.isprintable() and len(text) == 2 else "0x" + raw.hex()

    def plausible_at(self, at: int) -> bool:
        """Does a record (or the file's end) start at byte ``at``? Used to choose between lengths."""
        if at == self.size:
            return True
        if self.framing == "prefixed":
            head = self.peek(at, PREFIX + 2)
            if len(head) < PREFIX + 2:
                return False
            declared = int.from_bytes(head[:PREFIX], "big")
            return 2 <= declared <= MAX_IMAGE_RECORD and is_known(self.code_of(head[PREFIX:]))
        head = self.peek(at, 2)
        return len(head) == 2 and is_known(self.code_of(head))

    def fits(self, body_start: int, length: int) -> bool:
        """Is ``length`` a possible record length after which a record (or the end) follows?"""
        return 2 <= length <= MAX_IMAGE_RECORD and self.plausible_at(body_start + length)

    # ------------------------------------------------------------ the stream

    def __iter__(self) -> Iterator[Record | Problem]:
        head = self.peek(self.pos, PREFIX + 2)
        if head[:2] in FILE_HEADER_CODES:
            self.framing, self.encoding = "fixed", FILE_HEADER_CODES[head[:2]]  # type: ignore[assignment]
        elif head[PREFIX : PREFIX + 2] in FILE_HEADER_CODES:
            self.framing = "prefixed"
            self.encoding = FILE_HEADER_CODES[head[PREFIX : PREFIX + 2]]  # type: ignore[assignment]
        else:
            shown = head.hex(" ") if head else "nothing"
            yield Problem(
                "not_x937",
                self.pos,
                None,
                "not an X9.37 file: it must start with a file header record (type 01), with or without "
                f"a 4-byte length before it, but starts with {shown}",
                fatal=True,
            )
            return
        self.codec = TEXT_CODECS[self.encoding]
        while self.pos < self.size:
            yield from self.next_record()
            if self.stopped:
                return

    def stop(self, problem: Problem) -> Problem:
        self.stopped = True
        return replace(problem, fatal=True)

    def next_record(self) -> Iterator[Record | Problem]:
        start = self.pos
        declared: int | None = None
        if self.framing == "prefixed":
            if self.size - start < PREFIX + 2:
                yield self.stop(
                    Problem("truncated", start, None, f"file ends {self.size - start} bytes into a record")
                )
                return
            declared = int.from_bytes(self.read(PREFIX), "big")
        raw_code = self.read(2)
        code = self.code_of(raw_code)
        if len(raw_code) < 2:
            yield self.stop(Problem("truncated", start, None, "the file ends inside a record type"))
            return
        body_start = self.pos - 2
        if code == "52":
            yield from self.image_record(start, body_start, declared)
        elif code == "27":
            yield from self.addendum_b(start, body_start, declared)
        elif is_known(code):
            yield from self.fixed_record(start, body_start, code, declared)
        else:
            yield from self.unknown_record(start, body_start, code, declared)

    def expect_length(
        self, start: int, body_start: int, code: str, declared: int | None, computed: int
    ) -> tuple[bool, list[Problem]]:
        """Checks a prefix against the record's own length. Returns (use the computed length, problems).

        (False, []) with ``self.stopped`` set means the framing is lost; (False, [problem]) means
        the record is skipped to where its prefix points.
        """
        if declared is None or declared == computed:
            return True, []
        detail = f"the length prefix says {declared} bytes but a type {code} record here is {computed} bytes"
        if self.plausible_at(body_start + computed):
            return True, [Problem("bad_length", start, code, detail + "; read as " + str(computed))]
        if self.fits(body_start, declared):
            self.pos = body_start + declared
            return False, [Problem("bad_length", start, code, detail + "; record skipped")]
        self.stopped = True
        return False, [
            Problem("bad_length", start, code, detail + "; no record follows either length", fatal=True)
        ]

    def fixed_record(
        self, start: int, body_start: int, code: str, declared: int | None
    ) -> Iterator[Record | Problem]:
        layout = LAYOUTS.get(code)
        if layout is None and declared is not None and self.plausible_at(body_start + declared):
            self.pos = body_start + declared  # a skipped type (54, 68, 85) of any length
            yield Record(code, start, declared, {})
            return
        use, problems = self.expect_length(start, body_start, code, declared, RECORD_LENGTH)
        if not use:
            yield from problems
            return
        if self.size - body_start < RECORD_LENGTH:
            yield self.stop(self.truncation(start, code, RECORD_LENGTH, body_start))
            return
        self.pos = body_start
        raw = self.read(RECORD_LENGTH)
        if layout is None:
            yield Record(code, start, RECORD_LENGTH, {}, problems=problems)
            return
        fields, text_problems = self.decode(raw, layout, start)
        yield Record(code, start, RECORD_LENGTH, fields, problems=problems + text_problems)

    def addendum_b(self, start: int, body_start: int, declared: int | None) -> Iterator[Record | Problem]:
        layout = LAYOUTS["27"]
        if self.size - body_start < ADDENDUM_B_FIXED:
            yield self.stop(self.truncation(start, "27", ADDENDUM_B_FIXED, body_start))
            return
        self.pos = body_start
        head = self.read(ADDENDUM_B_FIXED)
        key_length = number(head[18:22].decode(self.codec, errors="replace"))
        if key_length is None:
            yield from self.lost_length(start, body_start, "27", declared, "positions 19-22 (key length)")
            return
        total = ADDENDUM_B_FIXED + key_length + ADDENDUM_B_TAIL
        use, problems = self.expect_length(start, body_start, "27", declared, total)
        if not use:
            yield from problems
            return
        if self.size - body_start < total:
            yield self.stop(self.truncation(start, "27", total, body_start))
            return
        self.pos = body_start
        fields, text_problems = self.decode(self.read(total), layout, start)
        yield Record("27", start, total, fields, problems=problems + text_problems)

    def image_record(self, start: int, body_start: int, declared: int | None) -> Iterator[Record | Problem]:
        """52: fixed part, key (X), signature length and signature (Y), image length and image (Z)."""
        layout = LAYOUTS["52"]
        lengths = []
        at = body_start + IMAGE_FIXED - KEY_LENGTH_DIGITS
        for what, digits in (
            ("image reference key length", KEY_LENGTH_DIGITS),
            ("digital signature length", SIGNATURE_LENGTH_DIGITS),
            ("image data length", IMAGE_LENGTH_DIGITS),
        ):
            if self.size < at + digits:
                yield self.stop(self.truncation(start, "52", at + digits - body_start, body_start))
                return
            value = number(self.peek(at, digits).decode(self.codec, errors="replace"))
            if value is None:
                where = f"bytes {at - body_start + 1}-{at - body_start + digits} ({what})"
                yield from self.lost_length(start, body_start, "52", declared, where)
                return
            lengths.append(value)
            at += digits + value  # past the length field and what it measures
        key, _signature, image = lengths
        total = at - body_start
        image_start = total - image
        use, problems = self.expect_length(start, body_start, "52", declared, total)
        if not use:
            yield from problems
            return
        if self.size - body_start < total:
            yield self.stop(self.truncation(start, "52", total, body_start))
            return
        self.pos = body_start
        fields, text_problems = self.decode(self.read(IMAGE_FIXED + key), layout, start)
        self.pos = body_start + image_start
        data = None
        if self.keep_next_image:
            data = self.read(image)
        self.pos = body_start + total
        self.keep_next_image = False
        yield Record(
            "52",
            start,
            total,
            fields,
            image=data,
            image_offset=body_start + image_start,
            image_length=image,
            problems=problems + text_problems,
        )

    def unknown_record(
        self, start: int, body_start: int, code: str, declared: int | None
    ) -> Iterator[Problem]:
        length = declared if declared is not None else RECORD_LENGTH
        detail = f"unknown record type {code}"
        if self.fits(body_start, length):
            self.pos = body_start + length
            yield Problem("unknown_record", start, None, detail + f"; its {length} bytes are skipped")
            return
        yield self.stop(Problem("unknown_record", start, None, detail + "; no record follows it", fatal=True))

    def lost_length(
        self, start: int, body_start: int, code: str, declared: int | None, where: str
    ) -> Iterator[Problem]:
        detail = f"{where} is not a number"
        if declared is not None and self.fits(body_start, declared):
            self.pos = body_start + declared
            yield Problem("bad_field", start, code, detail + "; record skipped by its length prefix")
            return
        yield self.stop(
            Problem("bad_field", start, code, detail + "; the next record cannot be found", fatal=True)
        )

    def truncation(self, start: int, code: str, needed: int, body_start: int) -> Problem:
        have = self.size - body_start
        detail = f"the record needs {needed} bytes but the file ends after {have}"
        return Problem("truncated", start, code, detail, fatal=True)

    def decode(self, raw: bytes, layout: Layout, start: int) -> tuple[dict[str, str], list[Problem]]:
        """The record's text fields; a byte that is no text character in the file's encoding is a problem."""
        text = raw.decode(self.codec, errors="replace")
        problems = []
        bad = next((i for i, char in enumerate(text) if not char.isprintable() or char == "\ufffd"), None)
        if bad is not None:
            position = bad + 1
            name = next((f.name for f in layout.fields if f.start <= position <= f.end), "record text")
            problems.append(
                Problem(
                    "bad_text",
                    start,
                    layout.code,
                    f"position {position} ({name}) holds byte 0x{raw[bad]:02x}, "
                    f"which is not {self.encoding.upper() if self.encoding else ''} text",
                )
            )
        return layout.parse(text), problems
