"""``checkocr batch`` over X9.37 cash letters: one output line per check item, streamed.

The driver scans each file with ``iter_items(keep_images=False)``: records are parsed and every image
is skipped with a seek, so the driver holds no image at all. Items go to the same worker pool as
image files (``checkocr.batch.local.iter_chunks``) in chunks, as (path, source, item) tuples; a
worker reads the item's front image straight from the file at its offset, reads the amount, and
matches it with the keyed amount. Only a bounded window of chunks is in flight, so a file of any
number of items is read with flat memory, and lines come out in file order.

Lines (JSONL): ``source`` is ``FILE#SEQUENCE`` (``FILE#@OFFSET`` when the sequence number is blank or
repeats), with ``item`` {sequence_number, amount_cents, payor_routing, on_us, offset} and either the
Reading plus ``expected_amount_match``, or ``error`` {type, detail, offset, record_type}. A problem
with the file rather than an item (control totals, order, truncation) is a line of its own with
``source`` ``FILE#@OFFSET`` and ``problem`` {type, offset, record_type, detail}. ``--resume`` skips
every source already in the output, item by item.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from checkocr.batch.scoring import Record
from checkocr.batch.sources import Source
from checkocr.x937.items import CheckItem, iter_items
from checkocr.x937.reader import Problem
from checkocr.x937.verify import item_error, item_line, verify_item

if TYPE_CHECKING:
    from checkocr.batch.output import OutputWriter
    from checkocr.batch.runner import BatchOptions
    from checkocr.batch.summary import Tally

WorkItem = tuple[str, str, "CheckItem | Problem"]  # (file to read, output source, what to do)


def work_items(source: Source, done: frozenset[str]) -> Iterator[WorkItem]:
    """The items and file problems of one cash letter, in file order, minus those already done."""
    path = str(source.path)
    seen: set[str] = set()

    def unique(key: str) -> str:
        base, number = key, 1
        while key in seen:
            number += 1
            key = f"{base}.{number}"
        seen.add(key)
        return key

    try:
        stream = source.path.open("rb")
    except OSError as exc:
        if source.key not in done:
            yield path, source.key, Problem("unreadable_file", 0, None, f"cannot open: {exc.strerror or exc}")
        return
    with stream:
        for event in iter_items(stream, keep_images=False):
            if isinstance(event, Problem):
                key = unique(f"{source.key}#@{event.offset}")
            elif event.sequence_number and f"{source.key}#{event.sequence_number}" not in seen:
                key = unique(f"{source.key}#{event.sequence_number}")
            else:
                key = unique(f"{source.key}#@{event.offset}")
            if key not in done:
                yield path, key, event


def chunked(items: Iterator[WorkItem], size: int) -> Iterator[list[WorkItem]]:
    chunk: list[WorkItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def read_items(items: list[WorkItem], region: str, max_pixels: int) -> list[Record]:
    """Worker task: one chunk of work items to lines (the worker's Reader is loaded by init_worker)."""
    from checkocr.batch import local

    records = []
    handles: dict[str, Any] = {}
    try:
        for path, key, event in items:
            line = score_item(local._reader, handles, path, event, region, max_pixels)
            records.append({"source": key, **line})
    finally:
        for handle in handles.values():
            handle.close()
    return records


def score_item(
    reader: Any, handles: dict[str, Any], path: str, event: CheckItem | Problem, region: str, max_pixels: int
) -> dict[str, Any]:
    if isinstance(event, Problem):
        return {"problem": event.as_json()}
    error = item_error(event)
    if error is not None:
        return item_line(event, None, None, error)
    try:
        if path not in handles:
            handles[path] = open(path, "rb")  # noqa: SIM115 - closed by read_items
        handle = handles[path]
        handle.seek(event.image_offset or 0)
        image = handle.read(event.image_length or 0)
    except OSError as exc:
        reason = f"the file could not be read again: {exc.strerror or exc}"
        return item_line(event, None, None, {"type": "unreadable_file", "detail": reason})
    reading, match, error = verify_item(reader, event, image, region, max_pixels)
    return item_line(event, reading, match, error)


def read_cash_letters(
    letters: list[Source], options: BatchOptions, writer: OutputWriter, tally: Tally, workers: int | None
) -> None:
    """Reads every item of ``letters`` with the local engine and writes its line (see the docstring)."""
    from checkocr.batch.local import iter_chunks
    from checkocr.batch.runner import progress_bar

    done = writer.existing.done
    pending: dict[str, dict[str, Any]] = {}  # items in flight, to put back into worker_crashed lines

    def chunks() -> Iterator[list[WorkItem]]:
        for letter in letters:
            for chunk in chunked(work_items(letter, done), options.chunk_size):
                for _, key, event in chunk:
                    if isinstance(event, CheckItem):
                        pending[key] = event.as_json()
                yield chunk

    batches = iter_chunks(
        chunks(),
        options.settings,
        options.region,
        workers or 1,
        task=read_items,  # type: ignore[arg-type]
    )
    with progress_bar(None, options.progress) as bar:  # type: ignore[arg-type]
        for records in batches:
            for record in records:
                item = pending.pop(record["source"], None)
                if item is not None and "item" not in record:
                    record = {"source": record["source"], "item": item, **record}
                writer.write(record)
                tally.add(record)
            bar.update(len(records))
