"""The batch output file: one line per source, written so a run killed at any moment can resume.

Why it is built this way:

- Each line is encoded completely in memory and handed to the kernel in one ``write`` on an
  ``O_APPEND`` descriptor (no userspace buffer), so a line is either in the file whole or, if the
  process dies inside that call, is the file's *last* bytes, torn. Nothing is ever half-written in
  the middle.
- ``fsync`` runs every ``fsync_every`` lines or ``fsync_interval_s`` seconds, and at close, so a
  machine crash loses at most that window; resume then re-reads exactly those sources.
- On ``--resume`` the file is scanned, a torn last line (no trailing newline, or not a complete
  record) is truncated away, and the set of sources already present is returned so they are skipped.
- An exclusive ``flock`` is held while the run writes, so a second run on the same output is refused
  instead of interleaving with the first (the kernel drops the lock when a killed process dies).
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

OutputFormat = Literal["jsonl", "csv"]
OpenMode = Literal["new", "resume", "overwrite"]

CSV_COLUMNS = ("source", "amount", "amount_cents", "confidence", "needs_review", "error")
CSV_HEADER = (",".join(CSV_COLUMNS) + "\n").encode()

Record = dict[str, Any]


class OutputError(ValueError):
    """The output cannot be used as asked (exists, wrong format, locked, corrupt): a usage error."""


def infer_format(out: Path, explicit: OutputFormat | None) -> OutputFormat:
    """``--format`` when given, else from the suffix: ``.csv`` is CSV, anything else JSONL."""
    if explicit is not None:
        return explicit
    return "csv" if out.suffix.lower() == ".csv" else "jsonl"


# ---------------------------------------------------------------- encoding one record as one line


def jsonl_line(record: Record) -> bytes:
    """The record as one JSON line; ``json.dumps`` escapes newlines, so the line cannot split."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode()


def csv_row(record: Record) -> list[str]:
    """The CSV projection of a record; derived from the same dict as the JSONL line, so both agree.

    Numbers keep Python's shortest round-trip repr (as ``json.dumps`` writes them); the error column
    is ``type: detail`` and empty for readings; reading columns are empty for errors.
    """
    error = record.get("error")
    if error is not None:
        return [record["source"], "", "", "", "", f"{error['type']}: {error['detail']}"]
    return [
        record["source"],
        "" if record.get("amount") is None else str(record["amount"]),
        "" if record.get("amount_cents") is None else str(record["amount_cents"]),
        repr(float(record["confidence"])),
        "true" if record["needs_review"] else "false",
        "",
    ]


def csv_line(record: Record) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(csv_row(record))
    return buffer.getvalue().encode()


def encode(record: Record, fmt: OutputFormat) -> bytes:
    return jsonl_line(record) if fmt == "jsonl" else csv_line(record)


# ---------------------------------------------------------------- reading back what a run left


@dataclass(frozen=True)
class ExistingOutput:
    """What an earlier run left: the sources it finished and how many bytes of the file are good."""

    done: frozenset[str]
    lines: int
    good_bytes: int
    torn_bytes: int  # bytes after the last complete record (a line torn by a kill), to truncate


def scan(data: bytes, fmt: OutputFormat, name: str = "output") -> ExistingOutput:
    """Complete records of an output file's bytes; raises OutputError for damage a kill cannot cause."""
    return scan_jsonl(data, name) if fmt == "jsonl" else scan_csv(data, name)


def scan_jsonl(data: bytes, name: str) -> ExistingOutput:
    """Every newline-terminated line must be a JSON object with a ``source``; only the last may not be.

    A final line that is unterminated or does not parse is what a kill (or a crash before fsync, which
    can leave NUL bytes) produces, so it is torn; a bad line *before* the last means someone else
    wrote to the file, and resuming would guess, so that is refused.
    """
    done: set[str] = set()
    offset = good = lines = 0
    complete = data[: data.rfind(b"\n") + 1]
    raw_lines = complete.splitlines(keepends=True)
    for number, raw in enumerate(raw_lines, start=1):
        offset += len(raw)
        if not raw.strip():
            good = offset
            continue
        source = jsonl_source(raw)
        if source is None:
            if number == len(raw_lines):
                break
            raise OutputError(
                f"{name} line {number} is not a checkocr batch JSONL record; refusing to resume into it "
                "(is it CSV? pass the matching --format)"
            )
        done.add(source)
        lines += 1
        good = offset
    return ExistingOutput(frozenset(done), lines, good, len(data) - good)


def jsonl_source(raw: bytes) -> str | None:
    try:
        record = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(record, dict) and isinstance(record.get("source"), str):
        return record["source"]
    return None


def scan_csv(data: bytes, name: str) -> ExistingOutput:
    """The header, then rows parsed by the csv module (strictly), tracking each row's end offset.

    A row may span lines (a quoted field with a newline), so the file is fed line by line to
    ``csv.reader`` and the offset after each *row* is recorded; anything after the last complete,
    newline-terminated row of the right width is torn.
    """
    if not data:
        return ExistingOutput(frozenset(), 0, 0, 0)
    if not data.startswith(CSV_HEADER):
        if CSV_HEADER.startswith(data):  # killed while writing the header itself
            return ExistingOutput(frozenset(), 0, 0, len(data))
        raise OutputError(
            f"{name} does not start with the checkocr CSV header ({','.join(CSV_COLUMNS)}); "
            "not a checkocr batch CSV (is it JSONL? pass the matching --format)"
        )
    body = data[len(CSV_HEADER) : data.rfind(b"\n") + 1]
    consumed = [len(CSV_HEADER)]

    def lines():
        for raw in body.splitlines(keepends=True):
            consumed[0] += len(raw)
            yield raw.decode("utf-8", errors="replace")

    done: set[str] = set()
    good = len(CSV_HEADER)
    rows = 0
    reader = csv.reader(lines(), strict=True)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error:
            break  # an unterminated quoted field at the end: torn
        if len(row) != len(CSV_COLUMNS):
            if consumed[0] == len(CSV_HEADER) + len(body):
                break  # the last row is short: torn
            raise OutputError(f"{name} row {rows + 1} has {len(row)} columns, not {len(CSV_COLUMNS)}")
        done.add(row[0])
        rows += 1
        good = consumed[0]
    return ExistingOutput(frozenset(done), rows, good, len(data) - good)


# ---------------------------------------------------------------- the writer


class OutputWriter:
    """Appends records to the output, one ``write`` per line, flushed as they come, fsync'd periodically.

    Open it with ``mode``: ``new`` refuses a non-empty existing file, ``overwrite`` empties it,
    ``resume`` repairs a torn tail and exposes ``existing.done``.
    """

    def __init__(
        self,
        path: Path,
        fmt: OutputFormat,
        mode: OpenMode,
        *,
        fsync_every: int = 256,
        fsync_interval_s: float = 2.0,
    ) -> None:
        self.path = path
        self.fmt = fmt
        self.fsync_every = fsync_every
        self.fsync_interval_s = fsync_interval_s
        self.written = 0
        self.repaired_bytes = 0
        self._unsynced = 0
        self._last_sync = time.monotonic()
        self.fd = open_locked(path)
        try:
            self.existing = self._prepare(mode)
        except BaseException:
            os.close(self.fd)
            raise

    def _prepare(self, mode: OpenMode) -> ExistingOutput:
        size = os.fstat(self.fd).st_size
        empty = ExistingOutput(frozenset(), 0, 0, 0)
        if mode == "new" and size > 0:
            raise OutputError(
                f"{self.path} already exists and is not empty; pass --resume to continue that run "
                "or --overwrite to replace it"
            )
        if mode == "overwrite":
            os.ftruncate(self.fd, 0)
            size = 0
        existing = empty
        if mode == "resume" and size > 0:
            existing = scan(os.pread(self.fd, size, 0), self.fmt, str(self.path))
            if existing.torn_bytes:
                os.ftruncate(self.fd, existing.good_bytes)
                os.fsync(self.fd)
                self.repaired_bytes = existing.torn_bytes
        if self.fmt == "csv" and existing.good_bytes == 0:
            os.ftruncate(self.fd, 0)
            write_all(self.fd, CSV_HEADER)
        return existing

    def write(self, record: Record) -> None:
        write_all(self.fd, encode(record, self.fmt))
        self.written += 1
        self._unsynced += 1
        if self._unsynced >= self.fsync_every or time.monotonic() - self._last_sync >= self.fsync_interval_s:
            self.sync()

    def sync(self) -> None:
        if self._unsynced:
            os.fsync(self.fd)
        self._unsynced = 0
        self._last_sync = time.monotonic()

    def close(self) -> None:
        if self.fd < 0:
            return
        try:
            self.sync()
        finally:
            os.close(self.fd)  # also releases the flock
            self.fd = -1

    def __enter__(self) -> OutputWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_locked(path: Path) -> int:
    """Opens (creating) the output for appending and takes an exclusive, non-blocking flock."""
    created = not path.exists()
    try:
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except IsADirectoryError as exc:
        raise OutputError(f"--out {path} is a folder; give a file name") from exc
    except OSError as exc:
        raise OutputError(f"cannot open --out {path}: {exc.strerror or exc}") from exc
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise OutputError(f"{path} is being written by another checkocr batch run") from exc
    if created:
        sync_folder(path.parent)
    return fd


def sync_folder(folder: Path) -> None:
    """fsync the folder so a newly created output file survives a machine crash, not only its bytes."""
    with contextlib.suppress(OSError):
        fd = os.open(folder if str(folder) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_all(fd: int, data: bytes) -> None:
    """One ``write`` call per line; loops only if the kernel accepts part of it (disk nearly full)."""
    view = memoryview(data)
    while view:
        count = os.write(fd, view)
        view = view[count:]
