"""How well checkocr reads amounts: ORAND CAR-A fields, IDRBT cheques, synthetic checks, and speed.

``python -m bench.read_accuracy [--data-dir D] [--synth-count N] [--seed S] [--model M] [--reader R,...]``

``--reader digits,field`` runs every set once per reader (``fused`` too once it exists), side by side.

- ORAND CAR-A dev (real Uruguayan courtesy-amount fields, region="field"): the exact digit-string
  rate (labels are digits only, so the reading's digit characters are compared, separators and
  terminators left out), and the read rate at <= 1% misreads: sweep the accept threshold over the
  confidence; among accepted readings at most 1% wrong; what share of all fields is accepted.
- IDRBT dev (whole Indian cheques): field found (IoU >= 0.5 with the labelled ``Amt`` box) and the
  exact amount (integer rupees equal to the label, no paise).
- Synthetic checks (``checkocr.synth``, a seed not used in development): field found (IoU >= 0.5 with
  the true field box) and the exact amount (the amount string, cents included).
- Speed: whole 200-dpi synthetic checks read from PNG bytes on one thread; p50/p95 by stage.

An unreadable field counts with confidence 0 and as wrong. ``bench/accuracy_part.py`` (``python -m bench
accuracy``) turns the judges' per-item results into the benchmark's read-rate curves.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from bench.stats import percentile
from checkocr.config import (
    DEFAULT_FIELD_MODEL_PATH,
    DEFAULT_FUSION_CARD_PATH,
    DEFAULT_MODEL_PATH,
    PROJECT_ROOT,
    Settings,
)
from checkocr.labels import read_labels
from checkocr.operating_point import read_rate_at
from segmentation.locate import iou

DEV_MODEL = PROJECT_ROOT / "runs" / "dev" / "digits.onnx"
DEFAULT_SEED = 90210  # never used while developing the reader
THRESHOLDS = (0.0, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)
READERS = ("digits", "field", "fused")


@dataclass
class SetResult:
    """Per-item (confidence, right?) of one data set, plus how often the field was found."""

    name: str
    confidences: list[float] = field(default_factory=list)
    correct: list[bool] = field(default_factory=list)
    found: list[bool] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def add(self, confidence: float, right: bool, found: bool = True, detail: str = "") -> None:
        self.confidences.append(confidence)
        self.correct.append(right)
        self.found.append(found)
        if not right and detail:
            self.failures.append(detail)

    @property
    def exact(self) -> float:
        return float(np.mean(self.correct)) if self.correct else float("nan")

    @property
    def found_rate(self) -> float:
        return float(np.mean(self.found)) if self.found else float("nan")


def digit_string(reading) -> str:
    return "".join(c.char for c in reading.characters if c.kind == "digit")


def sweep_table(result: SetResult) -> list[str]:
    conf = np.asarray(result.confidences)
    ok = np.asarray(result.correct, dtype=bool)
    lines = [f"  {'threshold':>9} {'accepted':>9} {'wrong among accepted':>21} {'read rate':>10}"]
    for threshold in THRESHOLDS:
        accepted = conf >= threshold if threshold > 0 else np.ones_like(ok)
        n = int(accepted.sum())
        wrong = 1.0 - ok[accepted].mean() if n else 0.0
        lines.append(
            f"  {threshold:>9.2f} {n / len(ok):>9.1%} {wrong:>21.1%} {(ok & accepted).sum() / len(ok):>10.1%}"
        )
    return lines


def fine_tuned_on(reader, folder: Path) -> bool:
    """Whether a model the reader reads with was fine-tuned on ``folder``'s fields (by its card)."""
    which = getattr(reader, "default_reader", "digits")
    finetune = reader.classifier.card.training.get("finetune") or {}
    digits = any(Path(item["folder"]).name == folder.name for item in finetune.get("fields", []))
    field_model = getattr(reader, "field_model", None)
    training = (field_model.card.model_extra or {}).get("training", {}) if field_model else {}
    field = folder.name in json.dumps(training)
    calibrator = getattr(reader, "calibrator", None)
    items = calibrator.card.training.get("items", {}) if calibrator is not None else {}
    fusion = which == "fused" and folder.name.split("-")[0] in items
    return (digits and which != "field") or (field and which != "digits") or fusion


def held_out_exact(reader) -> tuple[str, float] | None:
    """(what, exact rate) on ORAND dev out of fold for the reader's default reader, from its cards:
    the fusion card's cross-validated fused reading, the field model's or the digit model's folds."""
    which = getattr(reader, "default_reader", "digits")
    calibrator = getattr(reader, "calibrator", None)
    if which == "fused" and calibrator is not None:
        orand = (calibrator.card.metrics.get("cross_validated") or {}).get("orand") or {}
        if "exact_fused" in orand:
            return "the fused reader, cross-validated (onnx_models/fusion.json)", float(orand["exact_fused"])
    field_model = getattr(reader, "field_model", None)
    if which == "field" and field_model is not None:
        metrics = (field_model.card.model_extra or {}).get("metrics") or {}
        totals = ((metrics.get("cross_validation") or {}).get("totals") or {}).get("orand") or {}
        if totals.get("held_out"):
            return "the field model's folds", totals["exact_finetuned"] / totals["held_out"]
    folds = (reader.classifier.card.training.get("finetune") or {}).get("cross_validation") or []
    total = sum(row["held_out"] for row in folds)
    if which != "digits" or not total:
        return None
    return "the digit model's folds", sum(row["exact_finetuned"] for row in folds) / total


def judge_orand(reader, data_dir: Path) -> SetResult | None:
    folder = data_dir / "orand-car-a-dev"
    if not (folder / "labels.tsv").is_file():
        return None
    name = "ORAND CAR-A dev (fields)"
    if fine_tuned_on(reader, folder):
        name += " IN-SAMPLE: a model or the fusion calibrator was fitted on these fields; see their cards"
    result = SetResult(name)
    for name, label in read_labels(folder):  # corrected labels (training/orand_label_fixes.tsv)
        reading = reader.read_path(folder / "images" / name, region="field")
        got = digit_string(reading)
        confidence = reading.confidence if reading.amount is not None else 0.0
        result.add(confidence, got == label, detail=f"{name}: {label} read {got or '-'}")
    return result


def judge_idrbt(reader, data_dir: Path) -> SetResult | None:
    folder = data_dir / "idrbt-cheques-dev"
    if not (folder / "labels.tsv").is_file():
        return None
    boxes = {}
    for line in (folder / "fields.tsv").read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) == 6 and parts[1] == "Amt":
            x1, y1, x2, y2 = (float(v) for v in parts[2:])
            boxes[parts[0]] = (x1, y1, x2 - x1, y2 - y1)
    result = SetResult("IDRBT dev (whole cheques)" + (" IN-SAMPLE" if fine_tuned_on(reader, folder) else ""))
    for line in (folder / "labels.tsv").read_text().splitlines():
        if not line.strip():
            continue
        name, label = line.split("\t")
        reading = reader.read_path(folder / "images" / name)
        found = reading.field is not None and iou(reading.field.bbox, boxes[name]) >= 0.5
        right = reading.amount_cents is not None and reading.amount_cents == int(label) * 100
        confidence = reading.confidence if reading.amount is not None else 0.0
        result.add(confidence, right, found, detail=f"{name}: {label} read {reading.amount}")
    return result


def synth_dataset(data_dir: Path, out: Path, count: int, seed: int) -> list[dict]:
    from checkocr.synth import MnistTestPool, write_dataset

    pool = MnistTestPool.from_data_dir(data_dir)
    return write_dataset(out, count, seed, pool, "check", "mixed", progress=False)


def judge_synth(reader, data_dir: Path, count: int, seed: int) -> SetResult | None:
    if count <= 0 or not (data_dir / "mnist").is_dir():
        return None
    result = SetResult(f"synthetic checks (seed {seed}, {count})")
    with tempfile.TemporaryDirectory(prefix="checkocr-synth-") as tmp:
        truths = synth_dataset(data_dir, Path(tmp), count, seed)
        for truth in truths:
            reading = reader.read_path(Path(tmp) / truth["image"])
            found = reading.field is not None and iou(reading.field.bbox, truth["field_bbox"]) >= 0.5
            confidence = reading.confidence if reading.amount is not None else 0.0
            detail = f"{truth['image']} {truth['format']} {truth['written']!r}: read {reading.amount}"
            result.add(confidence, reading.amount == truth["amount"], found, detail)
    return result


def stage_speed(reader, data_dir: Path, count: int, seed: int) -> dict[str, tuple[float, float]]:
    """p50/p95 ms per stage reading whole 200-dpi checks from PNG bytes, one thread."""
    from checkocr.synth import MnistTestPool, SynthOptions, generate_check

    cv2.setNumThreads(1)
    pool = MnistTestPool.from_data_dir(data_dir)
    rng = np.random.default_rng(seed + 1)
    blobs = []
    for _ in range(count):
        grey, _truth = generate_check(rng, pool, SynthOptions(dpi=200))
        blobs.append(cv2.imencode(".png", grey)[1].tobytes())
    for data in blobs[:3]:
        reader.read_bytes(data)  # warm caches and the ONNX session
    samples: dict[str, list[float]] = {}
    for data in blobs:
        for stage, ms in reader.read_bytes(data).timings_ms.items():
            samples.setdefault(stage, []).append(ms)
    return {stage: (percentile(v, 50), percentile(v, 95)) for stage, v in samples.items()}


def make_reader(model: Path, which: str = "digits", field_model: Path = DEFAULT_FIELD_MODEL_PATH):
    from checkocr.calibration import Calibrator
    from checkocr.classifier import DigitClassifier
    from checkocr.field_model import FieldModel
    from checkocr.reader import Reader

    fields = FieldModel(field_model, threads=1) if which != "digits" else None
    calibrator = Calibrator.load(DEFAULT_FUSION_CARD_PATH) if which == "fused" else None
    classifier = DigitClassifier(model, threads=1)
    return Reader(classifier, 0.9, field_model=fields, default_reader=which, calibrator=calibrator)


def report(result: SetResult, show_failures: int) -> None:
    point = read_rate_at(result.confidences, result.correct, 0.01, among="accepted")
    print(f"\n== {result.name}: {len(result.correct)} items")
    if (result.found and not all(result.found)) or "synthetic" in result.name or "IDRBT" in result.name:
        print(f"  field found (IoU >= 0.5): {result.found_rate:.1%}")
    print(f"  exact: {result.exact:.1%}")
    print(
        f"  read rate at <= 1% wrong among accepted: {point.read_rate:.1%} (threshold {point.threshold:.4f})"
    )
    print("\n".join(sweep_table(result)))
    for line in result.failures[:show_failures]:
        print(f"    wrong: {line}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Settings().data_dir)
    parser.add_argument(
        "--model", type=Path, default=None, help="default: onnx_models/digits.onnx, else runs/dev"
    )
    parser.add_argument("--synth-count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--speed-count", type=int, default=100, help="whole checks timed (0: skip)")
    parser.add_argument("--sets", default="orand,idrbt,synth", help="comma-separated subset")
    parser.add_argument("--show-failures", type=int, default=0)
    parser.add_argument("--reader", default="digits", help="comma-separated subset of digits,field,fused")
    args = parser.parse_args(argv)
    model = args.model or (DEFAULT_MODEL_PATH if DEFAULT_MODEL_PATH.is_file() else DEV_MODEL)
    if args.data_dir is None or not args.data_dir.is_dir():
        print("no data folder: pass --data-dir or set CHECKOCR_DATA_DIR", file=sys.stderr)
        return 2
    readers = [r for r in args.reader.split(",") if r]
    if not readers or set(readers) - set(READERS):
        print(f"--reader takes a comma-separated subset of {','.join(READERS)}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    for which in readers:
        run_reader(make_reader(model, which), which, args)
    print(f"\n(wall time {time.perf_counter() - started:.0f} s)")
    return 0


def run_reader(reader, which: str, args: argparse.Namespace) -> None:
    """Every chosen set and the speed, read by one reader."""
    models = ", ".join(f"{m.name} {m.version}" for m in reader_models(reader, which))
    print(f"\n######## reader={which} ({models})")
    chosen = set(args.sets.split(","))
    results = []
    if "orand" in chosen:
        results.append(judge_orand(reader, args.data_dir))
    if "idrbt" in chosen:
        results.append(judge_idrbt(reader, args.data_dir))
    if "synth" in chosen:
        results.append(judge_synth(reader, args.data_dir, args.synth_count, args.seed))
    for result in results:
        if result is not None:
            report(result, args.show_failures)
    if args.speed_count > 0 and (args.data_dir / "mnist").is_dir():
        speed = stage_speed(reader, args.data_dir, args.speed_count, args.seed)
        print(f"\n== speed: {args.speed_count} whole 200-dpi checks from PNG bytes, one thread (ms)")
        for stage, (p50, p95) in speed.items():
            print(f"  {stage:>9}: p50 {p50:7.2f}  p95 {p95:7.2f}")


def reader_models(reader, which: str) -> list:
    models = [reader.classifier.info] if which != "field" else []
    return models + ([reader.field_model.info] if reader.field_model is not None else [])


if __name__ == "__main__":
    raise SystemExit(main())
