"""Per-field speed of the two readers, side by side in one run on the same ORAND-sized fields.

``python -m bench.field_speed [--data-dir D] [--count N] [--rounds R]``

Rows, all on one onnxruntime/OpenCV thread, on the same grey crops (ORAND dev fields, given as the
field, so no locating):

- ``digits``: the digit path (clean, split, classify, assemble): ``Reader.read_array(reader="digits")``
- ``field``: the field reader (recognise, decode, assemble): ``Reader.read_array(reader="field")``
- ``field model, sliced``: the shipped field model's onnxruntime call alone, on its prepared input
- ``field model, full``: the upstream PP-OCRv6 recogniser (18,710 classes) on the same inputs, when
  the train extra's ``rapidocr`` wheel is installed

The rows are interleaved field by field (one field through every row before the next), so a change
in machine load hits every row alike. Medians and ratios are reported: these machines are noisy.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import onnxruntime as ort

from bench.fields import orand_fields
from bench.read_accuracy import make_reader
from bench.stats import percentile, ratio
from checkocr.config import DEFAULT_MODEL_PATH, Settings


def upstream_session() -> ort.InferenceSession | None:
    """The upstream recogniser from the pinned wheel (train extra), or None when it is not installed."""
    try:
        from training.field_model import upstream_model
    except ImportError:
        return None
    try:
        path = upstream_model()
    except SystemExit:
        return None
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000.0


def measure(data_dir: Path, count: int, rounds: int) -> dict[str, list[float]]:
    cv2.setNumThreads(1)
    fields = orand_fields(data_dir, limit=count)
    reader = make_reader(DEFAULT_MODEL_PATH, "field")
    model = reader.field_model
    assert model is not None
    full = upstream_session()
    inputs = [model.prepare(f.grey)[0] for f in fields]
    rows: dict[str, Callable[[int], object]] = {
        "digits": lambda i: reader.read_array(fields[i].grey, region="field", reader="digits"),
        "field": lambda i: reader.read_array(fields[i].grey, region="field", reader="field"),
        "field model, sliced": lambda i: model.session.run(None, {"image": inputs[i]}),
    }
    if full is not None:
        rows["field model, full"] = lambda i: full.run(None, {"x": inputs[i]})
    for run in rows.values():  # warm every session and cache on a few fields first
        for i in range(min(3, len(fields))):
            run(i)
    samples: dict[str, list[float]] = {name: [] for name in rows}
    for _ in range(rounds):
        for i in range(len(fields)):
            for name, run in rows.items():
                samples[name].append(timed(lambda run=run, i=i: run(i)))
    return samples


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Settings().data_dir)
    parser.add_argument("--count", type=int, default=200, help="ORAND dev fields timed")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args(argv)
    if args.data_dir is None or not (args.data_dir / "orand-car-a-dev").is_dir():
        print("no ORAND dev fields: pass --data-dir or set CHECKOCR_DATA_DIR", file=sys.stderr)
        return 2
    samples = measure(args.data_dir, args.count, args.rounds)
    base = percentile(samples["digits"], 50)
    print(f"per field, one thread, {len(samples['digits'])} readings per row (ms)")
    print(f"  {'row':<22} {'p50':>7} {'p95':>7} {'p50 / digits':>13}")
    for name, values in samples.items():
        p50, p95 = percentile(values, 50), percentile(values, 95)
        print(f"  {name:<22} {p50:>7.2f} {p95:>7.2f} {ratio(p50, base):>13.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
