"""Part 5: checkocr beside open OCR engines on the same field crops, in the same run.

Tesseract 5 (Debian ``tesseract-ocr``) is the open reference: LSTM line recogniser, English model,
digits whitelist, and the single-line page-segmentation modes 7 (single line), 8 (single word) and 13
(raw line) all tried, the best one reported. GOCR (Debian ``gocr``), a classic feature-based reader,
runs too when installed. Every engine reads the same grey crop, one CPU thread each, and is judged on
the digit string (bench.fields). Tesseract and GOCR get it with a 10 px paper border, which Tesseract's
documentation asks for; checkocr gets the crop itself, its field contract (a trial with the border cost
checkocr about 15 points on ORAND, since the frame edge reads as a box line).

Timing: Tesseract is run once per set and psm over a list file, so its per-field time excludes the
process start and model load (measured separately and reported); checkocr's is ``Reader.read_array``
per field; GOCR starts one process per field (it loads no model, so that is its real cost).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from bench.fields import Field, digits_only, idrbt_amount_fields, orand_fields, synthetic_fields
from bench.harness import Context, PartReport, Table, fmt, pct
from bench.read_accuracy import fine_tuned_on, held_out_exact
from bench.stats import median, ratio

WHITELIST = "0123456789.,-"
PSMS = (7, 8, 13)
BORDER = 10
REAL_SETS = ("ORAND CAR-A dev", "IDRBT Amt")
ONE_THREAD = {"OMP_THREAD_LIMIT": "1", "OMP_NUM_THREADS": "1"}


@dataclass
class EngineRun:
    engine: str
    dataset: str
    predictions: list[str]  # digit strings, one per field
    seconds: list[float]  # per field (or the run's wall time spread evenly when read in one go)

    def exact(self, fields: list[Field]) -> float:
        return ratio(sum(p == f.digits for p, f in zip(self.predictions, fields, strict=True)), len(fields))

    @property
    def ms_per_field(self) -> float:
        return 1000 * median(self.seconds)


def with_border(grey: np.ndarray) -> np.ndarray:
    return cv2.copyMakeBorder(grey, BORDER, BORDER, BORDER, BORDER, cv2.BORDER_CONSTANT, value=255)


def tesseract_version() -> str | None:
    if shutil.which("tesseract") is None:
        return None
    out = subprocess.run(["tesseract", "--version"], capture_output=True, text=True, check=False, timeout=30)
    return (out.stdout or out.stderr).splitlines()[0].strip()


def tesseract_command(target: Path, psm: int) -> list[str]:
    return [
        "tesseract",
        str(target),
        "stdout",
        "--psm",
        str(psm),
        "-c",
        f"tessedit_char_whitelist={WHITELIST}",
    ]


def run_tesseract(paths: list[Path], psm: int, work: Path) -> tuple[list[str], float]:
    """Reads every image in one tesseract process (a list file); pages come back split by form feeds."""
    listing = work / f"list-{psm}.txt"
    listing.write_text("\n".join(str(p) for p in paths) + "\n")
    env = {**os.environ, **ONE_THREAD}
    start = time.perf_counter()
    out = subprocess.run(
        tesseract_command(listing, psm), capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - start
    pages = out.stdout.split("\f")
    if pages and not pages[-1].strip() and len(pages) == len(paths) + 1:
        pages = pages[:-1]
    if len(pages) != len(paths):  # a page that failed shifts the rest: fall back to one process each
        pages = []
        for path in paths:
            single = subprocess.run(
                tesseract_command(path, psm), capture_output=True, text=True, env=env, check=False
            )
            pages.append(single.stdout)
    return [digits_only(page) for page in pages], wall


def tesseract_start_ms(work: Path, psm: int) -> float:
    """Median wall time of tesseract on a blank 40x200 image: process start plus model load."""
    blank = work / "blank.png"
    cv2.imwrite(str(blank), np.full((40, 200), 255, np.uint8))
    env = {**os.environ, **ONE_THREAD}
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(tesseract_command(blank, psm), capture_output=True, env=env, check=False)
        times.append(time.perf_counter() - start)
    return 1000 * median(times)


def gocr_version() -> str | None:
    if shutil.which("gocr") is None:
        return None
    out = subprocess.run(["gocr", "-h"], capture_output=True, text=True, check=False, timeout=30)
    first = next((line for line in (out.stderr + out.stdout).splitlines() if "gocr" in line.lower()), "gocr")
    return first.strip()


def run_gocr(paths: list[Path]) -> tuple[list[str], list[float]]:
    predictions, seconds = [], []
    for path in paths:
        start = time.perf_counter()
        out = subprocess.run(
            ["gocr", "-C", WHITELIST, "-i", str(path)], capture_output=True, text=True, check=False
        )
        seconds.append(time.perf_counter() - start)
        predictions.append(digits_only(out.stdout))
    return predictions, seconds


def run_checkocr(reader, fields: list[Field]) -> tuple[list[str], list[float]]:
    """Digit characters of each reading, left to right (the same digit-string judgement as the peers);
    the crop as given, no border (see the module docstring)."""
    predictions, seconds = [], []
    for field in fields:
        start = time.perf_counter()
        reading = reader.read_array(field.grey, region="field")
        seconds.append(time.perf_counter() - start)
        predictions.append("".join(c.char for c in reading.characters if c.kind == "digit"))
    return predictions, seconds


def load_sets(ctx: Context) -> dict[str, list[Field]]:
    assert ctx.data_dir is not None
    limit = 60 if ctx.quick else None
    sets: dict[str, list[Field]] = {}
    if (ctx.data_dir / "orand-car-a-dev" / "labels.tsv").is_file():
        sets["ORAND CAR-A dev"] = orand_fields(ctx.data_dir, limit)
    if (ctx.data_dir / "idrbt-cheques-dev" / "fields.tsv").is_file():
        sets["IDRBT Amt"] = idrbt_amount_fields(ctx.data_dir, 8 if ctx.quick else None)
    if (ctx.data_dir / "mnist").is_dir():
        sets["synthetic"] = synthetic_fields(ctx.data_dir, 15 if ctx.quick else 100, seed=ctx.seed + 500)
    return sets


def write_crops(sets: dict[str, list[Field]], work: Path) -> dict[str, tuple[list[Path], list[Path]]]:
    """PNG (Tesseract) and PGM (GOCR reads only netpbm) copies of every bordered crop."""
    written = {}
    for name, fields in sets.items():
        folder = work / "peers" / name.replace(" ", "_")
        folder.mkdir(parents=True, exist_ok=True)
        pngs, pgms = [], []
        for i, field in enumerate(fields):
            image = with_border(field.grey)
            pngs.append(folder / f"{i:04d}.png")
            pgms.append(folder / f"{i:04d}.pgm")
            cv2.imwrite(str(pngs[-1]), image)
            cv2.imwrite(str(pgms[-1]), image)
        written[name] = (pngs, pgms)
    return written


def run(ctx: Context) -> PartReport:
    report = PartReport("peers", "Peers side by side: Tesseract and GOCR")
    tesseract = tesseract_version()
    if tesseract is None:
        report.skipped = (
            "`tesseract` is not installed (Debian: `apt-get install tesseract-ocr`); the comparison needs it"
        )
        return report
    if ctx.data_dir is None:
        report.skipped = "no data folder (CHECKOCR_DATA_DIR): the field crops come from the dev datasets"
        return report
    sets = load_sets(ctx)
    files = write_crops(sets, ctx.work_dir)
    reader = ctx.reader(threads=1)
    reader.classifier.warm_up()

    runs: dict[tuple[str, str], EngineRun] = {}
    psm_rows = []
    psm_score: dict[int, float] = {}
    for psm in PSMS:
        row = [f"--psm {psm}"]
        real_right = real_total = 0
        for name, fields in sets.items():
            predictions, wall = run_tesseract(files[name][0], psm, ctx.work_dir)
            run_ = EngineRun(f"Tesseract psm {psm}", name, predictions, [wall / len(fields)] * len(fields))
            runs[(run_.engine, name)] = run_
            row.append(pct(run_.exact(fields), 1))
            if name in REAL_SETS:
                real_right += round(run_.exact(fields) * len(fields))
                real_total += len(fields)
        psm_score[psm] = ratio(real_right, real_total)
        psm_rows.append([*row, pct(psm_score[psm], 1)])
    best_psm = max(PSMS, key=lambda p: (psm_score[p], -p))

    for name, fields in sets.items():
        predictions, seconds = run_checkocr(reader, fields)
        runs[("checkocr", name)] = EngineRun("checkocr", name, predictions, seconds)
    gocr = gocr_version()
    if gocr is not None:
        for name in sets:
            predictions, seconds = run_gocr(files[name][1])
            runs[("GOCR", name)] = EngineRun("GOCR", name, predictions, seconds)

    engines = ["checkocr", f"Tesseract psm {best_psm}"] + (["GOCR"] if gocr else [])
    rows = []
    for name, fields in sets.items():
        for engine in engines:
            r = runs[(engine, name)]
            label = name if engine == "checkocr" else ""
            rows.append([label, engine, str(len(fields)), pct(r.exact(fields), 1), f"{r.ms_per_field:.1f}"])
    start_ms = tesseract_start_ms(ctx.work_dir, best_psm)
    report.tables.append(
        Table(
            "Exact digit string on the same field crops, one thread each",
            ["field set", "engine", "fields", "exact", "ms/field"],
            rows,
            note=f"{tesseract}, English LSTM model, whitelist `{WHITELIST}`, psm {best_psm} (best of "
            f"{PSMS} on the real sets). Tesseract ms/field excludes its process start and model load "
            f"({start_ms:.0f} ms per process, paid once per list of images); checkocr ms/field is "
            "Reader.read_array(region='field') on the crop; Tesseract and GOCR read it with a 10 px paper "
            "border; GOCR starts one process per field."
            + (f" GOCR: {gocr}." if gocr else " GOCR: not installed (Debian `gocr`)."),
        )
    )
    report.tables.append(
        Table(
            "Tesseract page-segmentation modes (exact digit string)",
            ["mode", *sets, "real sets together"],
            psm_rows,
        )
    )
    held_out = None
    if ctx.data_dir is not None and fine_tuned_on(reader, ctx.data_dir / "orand-car-a-dev"):
        held_out = held_out_exact(reader)
    report.findings = findings(runs, sets, best_psm, held_out)
    report.findings.append(OTHER_READERS)
    return report


def findings(
    runs: dict[tuple[str, str], EngineRun],
    sets: dict[str, list[Field]],
    psm: int,
    held_out: tuple[str, float] | None = None,
) -> list[str]:
    real = [n for n in sets if n in REAL_SETS]
    if not real:
        return []

    def pooled(engine: str) -> tuple[float, float]:
        right = sum(round(runs[(engine, n)].exact(sets[n]) * len(sets[n])) for n in real)
        total = sum(len(sets[n]) for n in real)
        ms = median([s * 1000 for n in real for s in runs[(engine, n)].seconds])
        return ratio(right, total), ms

    ours, ours_ms = pooled("checkocr")
    theirs, theirs_ms = pooled(f"Tesseract psm {psm}")
    total = sum(len(sets[n]) for n in real)
    return [
        f"**Headline:** on the real dev field crops ({total}) checkocr reads {pct(ours, 1)} of digit strings "
        f"exactly in a median {ours_ms:.1f} ms per field; Tesseract (psm {psm}) {pct(theirs, 1)} in "
        f"{theirs_ms:.1f} ms. Exact-rate ratio checkocr/Tesseract: {fmt(ratio(ours, theirs))}; "
        f"time ratio Tesseract/checkocr: {fmt(ratio(theirs_ms, ours_ms))} (above 1 means checkocr is faster)."
        + (
            " checkocr's models were fitted on the ORAND dev fields, so its ORAND figure is in-sample;"
            f" out of fold ({held_out[0]}) it reads {pct(held_out[1], 1)} there."
            if held_out
            else ""
        )
    ]


OTHER_READERS = (
    "Other open readers: EasyOCR and PaddleOCR download their detection and recognition weights from "
    "their own hosts on first use, which this offline machine (PyPI and Debian only) cannot reach, and "
    "both pull in a deep-learning framework (PyTorch / PaddlePaddle) of several hundred MB; a third-party "
    "'offline models' EasyOCR package on PyPI exists but is unvetted, so neither was added. GOCR is the "
    "offline Debian engine that installs with no model files; it is run above when `gocr` is installed "
    "(`apt-get install gocr`)."
)
