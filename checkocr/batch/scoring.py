"""Reading one chunk of files into output records: the work each engine's workers do.

Both engines (the local process pool and Ray actors) call the same two functions, so their output is
the same line for line. A record is the Reading JSON plus ``"source"``, or ``"source"`` plus
``"error"`` {type, detail}; one bad file never stops the chunk.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checkocr.config import Settings
from checkocr.imageio import ImageDecodeError
from checkocr.options import Region
from checkocr.schemas import BatchError

if TYPE_CHECKING:
    from checkocr.reader import Reader

Record = dict[str, Any]
Item = tuple[str, str]  # (path to open, source key written to the output)

log = logging.getLogger(__name__)

OBJECT_ADDRESS = re.compile(r" (?:object )?at 0x[0-9a-fA-F]+")


def load_reader(settings: Settings) -> Reader:
    """A Reader whose ONNX session uses one intra-op thread, and OpenCV single-threaded too.

    Batch parallelism comes from running one worker per core; letting each worker also spread one
    image over every core would oversubscribe the CPUs and make throughput worse, not better. So the
    session gets the usable CPUs divided among the workers (1 with the default one worker per CPU), or
    CHECKOCR_THREADS when set.
    """
    import cv2

    from checkocr.reader import Reader

    cv2.setNumThreads(1)
    threads = settings.intra_op_threads(settings.effective_workers())
    return Reader.from_settings(settings.model_copy(update={"threads": threads}))


def score_chunk(reader: Reader, items: list[Item], region: Region, max_pixels: int) -> list[Record]:
    """Reads every file of a chunk; decode failures and unexpected errors become error records."""
    return [score_one(reader, path, key, region, max_pixels) for path, key in items]


def score_one(reader: Reader, path: str, key: str, region: Region, max_pixels: int) -> Record:
    try:
        reading = reader.read_path(Path(path), region=region, max_pixels=max_pixels)
    except ImageDecodeError as exc:
        return error_record(key, exc.reason, exc.detail)
    except Exception as exc:  # a defect on one odd image must not abort a million-check run
        # One line, no traceback: the output line carries the error, and a systematic defect would
        # otherwise print thousands of tracebacks over the progress bar.
        log.warning("reading %s failed: %s: %s", key, type(exc).__name__, exc)
        return error_record(key, "internal_error", f"{type(exc).__name__}: {exc}")
    return {"source": key, **reading.model_dump(mode="json")}


def error_record(key: str, kind: str, detail: str) -> Record:
    error = BatchError(type=kind, detail=stable_detail(detail))
    return {"source": key, "error": error.model_dump(mode="json")}


def stable_detail(detail: str) -> str:
    """Drops memory addresses (``<_io.BytesIO object at 0x7f...>``) that decoders put in messages.

    Two runs over the same input must write the same lines, so outputs can be diffed and engines
    compared; an address differs in every process.
    """
    return OBJECT_ADDRESS.sub("", detail)
