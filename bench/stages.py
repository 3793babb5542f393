"""Part 2: whole-check latency by stage, on one thread, for the three file types banks send.

The same synthetic 200 dpi checks (checkocr.synth, one seed) are written as greyscale PNG, bitonal
CCITT G4 TIFF and JPEG, then read with ``Reader.read_bytes`` from memory so disk speed plays no part.
Stage times come from ``Reading.timings_ms`` (decode, locate, segment = clean + split + normalise,
classify); "assemble" is what the total holds beyond those four (assembly and the result object).
One onnxruntime thread and one request at a time: the latency one request sees on an idle core.
"""

from __future__ import annotations

from pathlib import Path

from bench.harness import Context, PartReport, Table, fmt, pct
from bench.stats import percentile

FORMATS = ("png", "tiff", "jpeg")
FORMAT_LABELS = {"png": "PNG (grey)", "tiff": "TIFF G4 (bitonal)", "jpeg": "JPEG (grey)"}
STAGES = ("decode", "locate", "segment", "classify", "recognise", "fuse", "assemble", "total")
DPI = 200


def make_checks(folder: Path, data_dir: Path, count: int, seed: int) -> dict[str, list[dict]]:
    """``count`` synthetic checks at 200 dpi in each file format (same checks, same seed)."""
    from checkocr.synth import MnistTestPool, SynthOptions, write_dataset

    pool = MnistTestPool.from_data_dir(data_dir)
    options = SynthOptions(dpi=DPI)
    truths = {}
    for file_format in FORMATS:
        out = folder / file_format
        truths[file_format] = write_dataset(
            out, count, seed, pool, kind="check", file_format=file_format, options=options, progress=False
        )
        for truth in truths[file_format]:
            truth["path"] = str(out / truth["image"])
    return truths


def stage_times(timings: dict[str, float]) -> dict[str, float]:
    """The named stages and the total; 'assemble' is the total's remainder (never negative). A reader
    without a stage (the digit path has no recognise or fuse) shows 0 for it."""
    named = {k: float(timings.get(k, 0.0)) for k in STAGES if k not in ("assemble", "total")}
    total = float(timings.get("total", sum(named.values())))
    named["assemble"] = max(total - sum(named.values()), 0.0)
    named["total"] = total
    return named


def run(ctx: Context) -> PartReport:
    report = PartReport("stages", "Whole-check latency by stage")
    if ctx.data_dir is None:
        report.skipped = (
            "no data folder (CHECKOCR_DATA_DIR): synthetic checks are drawn from MNIST test digits"
        )
        return report
    count = 8 if ctx.quick else 40
    truths = make_checks(ctx.work_dir / "stages", ctx.data_dir, count, seed=ctx.seed + 200)
    reader = ctx.reader(threads=1)
    reader.classifier.warm_up()
    first = truths["png"][0]["path"]
    for _ in range(2):  # first reads pay for lazy imports and caches; not a property of a check
        reader.read_bytes(Path(first).read_bytes())

    rows = []
    totals: dict[str, list[float]] = {}
    for file_format in FORMATS:
        samples: dict[str, list[float]] = {stage: [] for stage in STAGES}
        correct = 0
        sizes = []
        for truth in truths[file_format]:
            data = Path(truth["path"]).read_bytes()
            sizes.append(len(data))
            reading = reader.read_bytes(data)
            for stage, value in stage_times(reading.timings_ms).items():
                samples[stage].append(value)
            correct += reading.amount_cents == truth["amount_cents"]
        totals[file_format] = samples["total"]
        extra = [f"{sum(sizes) / len(sizes) / 1024:.0f}", pct(correct / len(sizes), 0)]
        for stat, q in (("p50", 50.0), ("p95", 95.0)):
            rows.append(
                [FORMAT_LABELS[file_format] if stat == "p50" else "", stat]
                + [fmt(percentile(samples[stage], q)) for stage in STAGES]
                + (extra if stat == "p50" else ["", ""])
            )
    report.tables.append(
        Table(
            f"Latency per stage in ms, one thread, {count} synthetic {DPI} dpi checks per format",
            ["format", "", *STAGES, "file KiB", "exact"],
            rows,
            note="segment = clean + split + normalise to 28x28 (the digit path); recognise = the field "
            "model; fuse = candidates, scores and the choice; assemble = total minus the named stages; "
            "exact = share of checks whose amount_cents equals the ground truth (a side figure here; "
            "the accuracy part measures it properly).",
        )
    )
    slowest = max(FORMATS, key=lambda f: percentile(totals[f], 50))
    report.findings.append(
        "**Headline:** median whole-check time on one thread: "
        + ", ".join(f"{FORMAT_LABELS[f]} {fmt(percentile(totals[f], 50))} ms" for f in FORMATS)
        + f"; {FORMAT_LABELS[slowest]} is the slowest. At one thread that is about "
        f"{fmt(1000 / percentile(totals['png'], 50))} PNG checks/s per core before HTTP overhead."
    )
    return report
