"""One batch run, start to finish: find the sources, open the output, score, write, summarise.

The driver process does only I/O here: the engines hand back finished records chunk by chunk and
each is written as one line the moment it arrives, so whatever was written survives a kill.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from checkocr.batch.output import OutputFormat, OutputWriter, infer_format
from checkocr.batch.scoring import Item, Record, Region
from checkocr.batch.sources import InputError, discover
from checkocr.batch.summary import Tally
from checkocr.config import Settings
from checkocr.model_card import load_card

Engine = Literal["local", "ray"]


@dataclass(frozen=True)
class BatchOptions:
    input: Path
    out: Path
    settings: Settings
    region: Region = "auto"
    workers: int | None = None  # None: Settings.effective_workers() (or the Ray cluster's CPUs)
    engine: Engine = "local"
    ray_address: str | None = None
    resume: bool = False
    overwrite: bool = False
    fmt: OutputFormat | None = None
    chunk_size: int = 16
    progress: bool | None = None  # None: only when stderr is a terminal


@dataclass(frozen=True)
class BatchResult:
    tally: Tally
    out: Path
    fmt: OutputFormat
    workers: int | None  # None: as many Ray actors as the cluster has CPUs
    repaired_bytes: int


def run_batch(options: BatchOptions) -> BatchResult:
    """Runs the batch; raises InputError/OutputError for usage problems, engine errors otherwise."""
    found = discover(options.input)
    load_card(options.settings.model_path)  # a missing or mismatched model fails here, before any work
    fmt = infer_format(options.out, options.fmt)
    if found.cash_letters:
        check_cash_letter_options(options, fmt)
    mode = "resume" if options.resume else "overwrite" if options.overwrite else "new"
    tally = Tally(files=len(found.sources) + len(found.cash_letters))
    with OutputWriter(options.out, fmt, mode) as writer:
        done = writer.existing.done
        todo: list[Item] = [(str(s.path), s.key) for s in found.sources if s.key not in done]
        tally.skipped = len(found.sources) - len(todo)
        workers = options.workers
        if workers is None and not (options.engine == "ray" and options.ray_address):
            workers = options.settings.effective_workers()
        batches = engine_batches(options, todo, workers)
        with progress_bar(len(todo), options.progress) as bar:
            for records in batches:
                for record in records:
                    writer.write(record)
                    tally.add(record)
                bar.update(len(records))
        if found.cash_letters:
            from checkocr.x937.batch import read_cash_letters

            read_cash_letters(found.cash_letters, options, writer, tally, workers)
        tally.finish()
    return BatchResult(tally, options.out, fmt, workers, writer.repaired_bytes)


def check_cash_letter_options(options: BatchOptions, fmt: OutputFormat) -> None:
    """X9.37 files are read by the local engine into JSONL: a CSV row has no room for the keyed amount."""
    if options.engine != "local":
        raise InputError("X9.37 cash letters are read with the local engine only; drop --engine ray")
    if fmt != "jsonl":
        raise InputError("X9.37 cash letters need JSONL output (the item and the amount match are objects)")


def engine_batches(options: BatchOptions, todo: list[Item], workers: int | None) -> Iterator[list[Record]]:
    if options.engine == "ray":
        from checkocr.batch.ray_engine import iter_ray

        return iter_ray(
            todo, options.settings, options.region, workers, options.chunk_size, options.ray_address
        )
    from checkocr.batch.local import iter_local

    return iter_local(todo, options.settings, options.region, workers or 1, options.chunk_size)


def progress_bar(total: int, enabled: bool | None):
    """tqdm on stderr with count, rate and ETA; off when stderr is not a terminal (logs, CI)."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="check",
        file=sys.stderr,
        disable=None if enabled is None else not enabled,
        dynamic_ncols=True,
        smoothing=0.1,
    )
