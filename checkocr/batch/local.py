"""The local engine: a pool of worker processes, each holding one Reader (one ONNX session).

Why this shape:

- ``spawn`` workers, not ``fork``: a forked child would inherit the driver's output descriptor (and
  its flock) and onnxruntime/OpenCV thread state; spawned ones start clean and load the model once,
  in the pool initializer.
- Files go to workers in chunks (16 by default) so the per-task cost (pickling, queue hops) is
  amortised over many checks; each chunk comes back as finished records (already serialisable
  dicts), so the driver only writes.
- A bounded window of chunks is in flight and results are taken in submission order: memory stays
  flat for a million files and the output order is the (sorted) input order, deterministic.
- Workers watch their parent and exit if it dies (``kill -9`` of the driver leaves no orphans).
- If a worker process dies (a decoder segfault, the OOM killer), the unfinished chunks are re-read
  one file at a time in a fresh single-worker pool; the file that kills it again is recorded as a
  ``worker_crashed`` error and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from checkocr.batch.scoring import Item, Record, Region, error_record, load_reader, score_chunk
from checkocr.config import Settings

DEFAULT_CHUNK_SIZE = 16
WINDOW_PER_WORKER = 4
MAX_CONSECUTIVE_CRASHES = 3

_reader: Any = None  # the worker process's Reader, loaded once by the initializer


class WorkerFailure(RuntimeError):
    """Workers keep dying even one file at a time: the environment, not an image, is broken."""


def init_worker(settings: Settings, parent_pid: int) -> None:
    """Pool initializer: load the model once per process and start the orphan watchdog."""
    global _reader
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle, once
    watch_parent(parent_pid)
    _reader = load_reader(settings)


def read_chunk(items: list[Item], region: Region, max_pixels: int) -> list[Record]:
    return score_chunk(_reader, items, region, max_pixels)


def watch_parent(parent_pid: int, interval_s: float = 1.0) -> None:
    """Exit this worker when the driver is gone (its parent pid changes to a reaper)."""

    def watch() -> None:
        while True:
            time.sleep(interval_s)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="checkocr-parent-watch", daemon=True).start()


def chunk_size_for(total: int, workers: int, requested: int) -> int:
    """``requested``, but smaller for small inputs so every worker gets something to do."""
    return max(1, min(requested, -(-total // max(1, workers))))


def iter_local(
    items: list[Item],
    settings: Settings,
    region: Region,
    workers: int,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    *,
    initializer: Callable[..., None] = init_worker,
    task: Callable[[list[Item], Region, int], list[Record]] = read_chunk,
) -> Iterator[list[Record]]:
    """Yields the records of ``items`` chunk by chunk, in input order."""
    if not items:
        return
    size = chunk_size_for(len(items), workers, chunk_size)
    chunks = (items[start : start + size] for start in range(0, len(items), size))
    yield from iter_chunks(chunks, settings, region, workers, initializer=initializer, task=task)


def iter_chunks(
    chunks: Iterator[list[Any]],
    settings: Settings,
    region: Region,
    workers: int,
    *,
    initializer: Callable[..., None] = init_worker,
    task: Callable[[list[Any], Region, int], list[Record]] = read_chunk,
) -> Iterator[list[Record]]:
    """Yields the records of each chunk, in order; ``chunks`` may be produced lazily as they are taken
    (cash letters are scanned while their items are read). A chunk item's [1] is its source key."""
    init_args = (settings, os.getpid())
    max_pixels = settings.max_image_pixels
    context = multiprocessing.get_context("spawn")
    window: deque[tuple[list[Item], Future[list[Record]]]] = deque()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=initializer, initargs=init_args)
    completed = False
    try:
        while True:
            while len(window) < workers * WINDOW_PER_WORKER:
                chunk = next(chunks, None)
                if chunk is None:
                    break
                window.append((chunk, pool.submit(task, chunk, region, max_pixels)))
            if not window:
                completed = True
                return
            chunk, future = window[0]
            try:
                records = future.result()
            except BrokenProcessPool:
                pool.shutdown(wait=False, cancel_futures=True)
                unfinished = [item for pending, _ in window for item in pending]
                window.clear()
                yield from isolate(unfinished, context, initializer, init_args, task, region, max_pixels)
                pool = ProcessPoolExecutor(
                    workers, mp_context=context, initializer=initializer, initargs=init_args
                )
                continue
            window.popleft()
            yield records
    finally:
        if completed:
            pool.shutdown(wait=True)
        else:
            stop_now(pool)


def stop_now(pool: ProcessPoolExecutor) -> None:
    """Ends the pool without waiting for queued chunks (Ctrl-C, a write error, the consumer gone).

    ``shutdown`` alone would let the workers finish every chunk already in the call queue, whose
    results nobody will write; ``--resume`` reads those files again anyway.
    """
    processes = list((getattr(pool, "_processes", None) or {}).values())  # shutdown() drops this dict
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)


def isolate(
    items: list[Item],
    context: Any,
    initializer: Callable[..., None],
    init_args: tuple[Any, ...],
    task: Callable[[list[Item], Region, int], list[Record]],
    region: Region,
    max_pixels: int,
) -> Iterator[list[Record]]:
    """Re-reads ``items`` one per task in a single worker, to find the file that kills workers."""
    crashes_in_a_row = 0
    pool = ProcessPoolExecutor(1, mp_context=context, initializer=initializer, initargs=init_args)
    try:
        for item in items:
            try:
                records = pool.submit(task, [item], region, max_pixels).result()
                crashes_in_a_row = 0
            except BrokenProcessPool as exc:
                crashes_in_a_row += 1
                if crashes_in_a_row >= MAX_CONSECUTIVE_CRASHES:
                    raise WorkerFailure(
                        f"worker processes died on {crashes_in_a_row} files in a row (last {item[1]}): {exc}"
                    ) from exc
                pool.shutdown(wait=False)
                pool = ProcessPoolExecutor(1, mp_context=context, initializer=initializer, initargs=init_args)
                records = [
                    error_record(item[1], "worker_crashed", "the worker process died reading this file")
                ]
            yield records
    finally:
        pool.shutdown(wait=True)
