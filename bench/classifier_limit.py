"""Part 1: the digit classifier against the machine's physical limit, and the levers that move it.

Measures onnxruntime throughput (digits/s) at batch 1, 8, 64, 256 with 1 and 2 threads, counts the
model's FLOPs per digit from the ONNX graph (bench.flops), measures the machine's float32 peak in the
same run (bench.peak), and reports achieved FLOP/s and achieved/peak. Then it tries the obvious levers:
graph optimisation level, thread spinning, the layout (does the tf2onnx graph carry Transposes, does
onnxruntime's NCHWc transformer kick in), and int8 dynamic and static quantisation, each with its
accuracy on the 10,000 MNIST test digits, so a faster variant is only recommended when it is not worse.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort

from bench.flops import count_flops, op_counts
from bench.harness import Context, PartReport, Table, fmt, pct
from bench.peak import PeakResult, blas_description, measure_onnxruntime_peak, measure_peak
from bench.stats import median, ratio

BATCHES = (1, 8, 64, 256)
THREADS = (1, 2)
LEVER_BATCHES = (8, 256)  # 8: about one check's digit candidates (the service); 256: batch jobs
MAX_ACCURACY_LOSS_PP = 0.05
LEVELS = {
    "disabled": ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
    "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
    "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
    "all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL,
}


@dataclass(frozen=True)
class Variant:
    """One way to run the model: which file, which optimisation level, which thread settings."""

    name: str
    path: Path
    level: str = "all"
    spinning: bool = True
    note: str = ""


@dataclass(frozen=True)
class Throughput:
    variant: str
    threads: int
    batch: int
    digits_per_s: float


def session_for(variant: Variant, threads: int, optimized_path: Path | None = None) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = LEVELS[variant.level]
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if variant.spinning else "0")
    if optimized_path is not None:
        options.optimized_model_filepath = str(optimized_path)
    return ort.InferenceSession(str(variant.path), options, providers=["CPUExecutionProvider"])


def as_model_input(images: np.ndarray) -> np.ndarray:
    """MNIST uint8 [N,28,28] -> the model contract [N,28,28,1] float32 in [0,1] (MNIST is already
    normalised the way segmentation.normalize.to_mnist normalises glyphs)."""
    return (images.astype(np.float32) / 255.0)[..., None]


def digits_per_second(session: ort.InferenceSession, digits: np.ndarray, batch: int, seconds: float) -> float:
    """Median over short rounds of repeated runs on a fixed batch of real digits."""
    name = session.get_inputs()[0].name
    feed = {name: np.ascontiguousarray(np.resize(digits, (batch, *digits.shape[1:])))}
    for _ in range(3):
        session.run(None, feed)
    # Size a round to ~0.1 s (less in quick runs) so the median is over several rounds even at batch 256.
    t = time.perf_counter()
    session.run(None, feed)
    per_run = max(time.perf_counter() - t, 1e-6)
    runs_per_round = max(1, int(min(0.1, seconds / 4) / per_run))
    rates = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        t = time.perf_counter()
        for _ in range(runs_per_round):
            session.run(None, feed)
        rates.append(batch * runs_per_round / (time.perf_counter() - t))
    return median(rates)


def accuracy(
    session: ort.InferenceSession, images: np.ndarray, labels: np.ndarray
) -> tuple[float, np.ndarray]:
    name = session.get_inputs()[0].name
    probs = np.concatenate(
        [session.run(None, {name: images[i : i + 1000]})[0] for i in range(0, len(images), 1000)]
    )
    return float(np.mean(np.argmax(probs, axis=1) == labels)), probs


class MnistCalibration:
    """Feeds MNIST *training* digits to the static quantiser (never the test digits it is judged on)."""

    def __init__(self, images: np.ndarray, input_name: str, batch: int = 64):
        self.batches = [images[i : i + batch] for i in range(0, len(images), batch)]
        self.input_name = input_name
        self.position = 0

    def get_next(self) -> dict[str, np.ndarray] | None:
        if self.position >= len(self.batches):
            return None
        self.position += 1
        return {self.input_name: self.batches[self.position - 1]}

    def rewind(self) -> None:
        self.position = 0


def quantised_variants(
    model_path: Path, work: Path, calibration: np.ndarray
) -> tuple[list[Variant], list[str]]:
    """int8 dynamic (weights int8, activations quantised per batch at run time) and static (QDQ,
    activation ranges from calibration), each built into the work folder; failures are reported."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quant_pre_process,
        quantize_dynamic,
        quantize_static,
    )

    variants: list[Variant] = []
    problems: list[str] = []
    prepared = work / "prepared.onnx"
    try:
        quant_pre_process(str(model_path), str(prepared), skip_symbolic_shape=True)
    except Exception as exc:  # pre-processing is an optimisation; quantise the original if it fails
        problems.append(f"quant_pre_process failed ({exc}); quantised the original graph")
        prepared = model_path
    input_name = onnx.load(str(model_path)).graph.input[0].name

    # Dynamic: u8 weights, the type onnxruntime's ConvInteger kernel is built for (s8 weights ran 3-10x
    # slower still in trial runs on this machine, so they are left out rather than costing a minute).
    label = "int8 dynamic"
    out = work / "dynamic.onnx"
    try:
        quantize_dynamic(str(prepared), str(out), weight_type=QuantType.QUInt8)
        variants.append(Variant(label, out, note="ConvInteger/MatMulInteger, activations quantised per run"))
    except Exception as exc:
        problems.append(f"{label}: quantize_dynamic failed: {exc}")

    for label, fmt_, per_channel in (
        ("int8 static QDQ per-channel", QuantFormat.QDQ, True),
        ("int8 static QOperator", QuantFormat.QOperator, False),
    ):
        out = work / f"static-{fmt_.name}-{per_channel}.onnx"
        try:
            quantize_static(
                str(prepared),
                str(out),
                MnistCalibration(calibration, input_name),
                quant_format=fmt_,
                per_channel=per_channel,
                activation_type=QuantType.QUInt8,
                weight_type=QuantType.QInt8,
                calibrate_method=CalibrationMethod.MinMax,
            )
            variants.append(
                Variant(label, out, note=f"{len(calibration)} MNIST train digits, MinMax calibration")
            )
        except Exception as exc:
            problems.append(f"{label}: quantize_static failed: {exc}")
    return variants, problems


def layout_report(model_path: Path, work: Path) -> tuple[Table, list[str]]:
    """Op counts of the exported graph and of what onnxruntime runs at each optimisation level."""
    original = op_counts(onnx.load(str(model_path)))
    columns = ["graph", "nodes", "Transpose", "Reshape", "Conv (plain / fused)", "NCHWc reorders"]
    rows = [
        [
            "exported (tf2onnx)",
            str(sum(original.values())),
            str(original.get("Transpose", 0)),
            str(original.get("Reshape", 0)),
            f"{original.get('Conv', 0)} / 0",
            "0",
        ]
    ]
    for level in ("basic", "extended", "all"):
        optimised = work / f"optimised-{level}.onnx"
        session_for(Variant(level, model_path, level=level), 1, optimised)
        counts = op_counts(onnx.load(str(optimised)))
        fused = counts.get("FusedConv", 0)
        reorders = counts.get("ReorderInput", 0) + counts.get("ReorderOutput", 0)
        conv = f"{counts.get('Conv', 0)} / {fused}"
        rows.append(
            [
                f"onnxruntime '{level}'",
                str(sum(counts.values())),
                str(counts.get("Transpose", 0)),
                str(counts.get("Reshape", 0)),
                conv,
                str(reorders),
            ]
        )
    findings = []
    if original.get("Transpose", 0) == 0:
        findings.append(
            "Layout: the exported graph has no Transpose. Its NHWC input has one channel, so tf2onnx turned "
            "the NHWC->NCHW change into a Reshape, which copies nothing; an NCHW-input variant would run the "
            "same kernels, so it is not a lever for this model."
        )
    else:
        findings.append(
            f"Layout: the exported graph has {original['Transpose']} Transpose node(s); onnxruntime's "
            "optimiser removes or keeps them as the table shows."
        )
    return Table("Graph layout: what onnxruntime actually runs", columns, rows), findings


def run(ctx: Context) -> PartReport:
    from checkocr.mnist import load_mnist

    report = PartReport("classifier", "Digit classifier vs the physical limit")
    if ctx.data_dir is None:
        report.skipped = "no data folder (CHECKOCR_DATA_DIR): MNIST is needed for real digits and accuracy"
        return report
    mnist = load_mnist(ctx.data_dir)
    test_x, test_y = as_model_input(mnist.test_images), mnist.test_labels.astype(np.int64)
    if ctx.quick:  # accuracy on a tenth of the test set; the full run uses all 10,000
        test_x, test_y = test_x[::10], test_y[::10]
    calibration = as_model_input(mnist.train_images[:: 60 if ctx.quick else 30][: 256 if ctx.quick else 2000])
    seconds = 0.12 if ctx.quick else 1.2
    lever_seconds = 0.1 if ctx.quick else 1.0

    flops = count_flops(onnx.load(str(ctx.model_path)), batch=1)
    per_digit = flops.per_item
    ctx.console.print(f"model: {fmt(per_digit / 1e6)} MFLOP per digit; measuring the float32 peak...")
    repeats = 2 if ctx.quick else 7
    numpy_peaks = {t: measure_peak(t, n=2048, repeats=repeats) for t in THREADS}
    ort_peaks = {t: measure_onnxruntime_peak(t, n=2048, repeats=repeats) for t in THREADS}
    peaks: dict[int, PeakResult] = {
        t: max(numpy_peaks[t], ort_peaks[t], key=lambda p: p.best_flops) for t in THREADS
    }
    # The cores are identical, so t threads can never beat t x the one-thread peak, and a t-thread matmul
    # that measures lower was slowed by other processes needing a core: take the larger as the limit.
    reference = {t: max(peaks[t].best_flops, t * peaks[1].best_flops) for t in THREADS}

    # Throughput matrix with the shipped settings (optimisation 'all', spinning on).
    baseline = Variant("fp32 (as shipped)", ctx.model_path)
    matrix: list[Throughput] = []
    for threads in THREADS:
        session = session_for(baseline, threads)
        for batch in BATCHES:
            matrix.append(
                Throughput(baseline.name, threads, batch, digits_per_second(session, test_x, batch, seconds))
            )

    rows = []
    for m in matrix:
        achieved = m.digits_per_s * per_digit
        peak = reference[m.threads]
        rows.append(
            [
                str(m.threads),
                str(m.batch),
                fmt(m.digits_per_s),
                fmt(1000000.0 / m.digits_per_s),
                f"{achieved / 1000000000.0:.1f}",
                f"{peak / 1000000000.0:.1f}",
                pct(ratio(achieved, peak), 1),
            ]
        )
    matrix_table = Table(
        "onnxruntime fp32 throughput against the measured float32 peak",
        ["threads", "batch", "digits/s", "us/digit", "achieved GFLOP/s", "peak GFLOP/s", "achieved/peak"],
        rows,
        note=f"Peak: the faster of numpy ({blas_description()}, one fresh process per thread count) and "
        f"onnxruntime MatMul on {peaks[1].n}x{peaks[1].n} float32; for 2 threads at least twice the "
        "1-thread peak. "
        f"Model work: {per_digit / 1e6:.2f} MFLOP per digit "
        f"({flops.macs_per_item / 1e6:.2f} M multiply-adds) counted from the ONNX graph.",
    )
    peak_rows = []
    for t in THREADS:
        for source, p in (
            ("numpy matmul (OpenBLAS)", numpy_peaks[t]),
            ("onnxruntime MatMul (MLAS)", ort_peaks[t]),
        ):
            used = "yes" if p is peaks[t] and reference[t] == p.best_flops else ""
            peak_rows.append(
                [str(t), source, f"{p.best_flops / 1e9:.1f}", f"{p.median_flops / 1e9:.1f}", used]
            )
        if t > 1:
            scaled = t * peaks[1].best_flops
            used = "yes" if reference[t] == scaled and scaled > peaks[t].best_flops else ""
            peak_rows.append([str(t), f"{t} x the 1-thread peak", f"{scaled / 1e9:.1f}", "", used])
    peak_table = Table(
        "Measured float32 peak: 2048x2048 @ 2048x2048, best and median of the runs",
        ["threads", "kernel", "best GFLOP/s", "median GFLOP/s", "used as peak"],
        peak_rows,
        note="The faster kernel's best run is the reference peak for that thread count. Interference only "
        "slows a run down, so the best run is the closest to what the silicon can do; and since the cores "
        "are identical, t threads are held to at least t x the one-thread peak, because a t-thread "
        "matmul shares the cores with every other process on the machine.",
    )
    flop_table = Table(
        "FLOPs per digit by op type (from the ONNX graph)",
        ["op", "FLOPs per digit", "share"],
        [[op, fmt(value), pct(ratio(value, flops.total), 2)] for op, value in flops.by_op().items() if value],
    )

    layout_table, layout_findings = layout_report(ctx.model_path, ctx.work_dir)

    # Levers: optimisation level, spinning, quantisation; each also judged on MNIST test accuracy.
    quantised, problems = quantised_variants(ctx.model_path, ctx.work_dir, calibration)
    levers = [
        Variant("fp32 opt 'disabled'", ctx.model_path, level="disabled"),
        Variant("fp32 opt 'basic'", ctx.model_path, level="basic"),
        Variant("fp32 opt 'extended'", ctx.model_path, level="extended"),
        Variant("fp32 opt 'all' (as shipped)", ctx.model_path, level="all"),
        Variant("fp32 opt 'all', no spinning", ctx.model_path, level="all", spinning=False),
        *quantised,
    ]
    base_accuracy, base_probs = accuracy(session_for(levers[3], 2), test_x, test_y)
    lever_rows = []
    lever_results: dict[str, dict[tuple[int, int], float]] = {}
    lever_accuracy: dict[str, float] = {}
    lever_drift: dict[str, float] = {}
    for variant in levers:
        try:
            acc, probs = accuracy(session_for(variant, 2), test_x, test_y)
        except Exception as exc:  # a quantised graph onnxruntime cannot run is a finding, not a crash
            problems.append(f"{variant.name}: onnxruntime cannot run it: {exc}")
            continue
        lever_accuracy[variant.name] = acc
        rates = {}
        for threads in THREADS:
            session = session_for(variant, threads)
            for batch in LEVER_BATCHES:
                rates[(threads, batch)] = digits_per_second(session, test_x, batch, lever_seconds)
        lever_results[variant.name] = rates
        drift = float(np.max(np.abs(probs - base_probs)))
        lever_drift[variant.name] = drift
        lever_rows.append(
            [variant.name]
            + [fmt(rates[(t, b)]) for t in THREADS for b in LEVER_BATCHES]
            + [f"{100 * acc:.2f}%", f"{100 * (acc - base_accuracy):+.2f}", f"{drift:.3f}"]
        )
    speed_columns = [f"{t}T b{b} digits/s" for t in THREADS for b in LEVER_BATCHES]
    lever_columns = ["variant", *speed_columns, "MNIST test acc", "Δ pp", "max |Δp|"]
    lever_table = Table(
        f"Levers: digits/s and accuracy on {len(test_y):,} MNIST test digits",
        lever_columns,
        lever_rows,
        note="Δ pp: accuracy change against fp32 as shipped; max |Δp|: largest change of any class "
        "probability (quantisation also moves the class probabilities the reading's confidence is "
        "built from).",
    )

    report.tables = [matrix_table, peak_table, flop_table, layout_table, lever_table]
    report.findings = headline(matrix, reference, per_digit) + layout_findings
    report.findings += recommend(lever_results, lever_accuracy, lever_drift, base_accuracy)
    report.findings.append(FLOP_CONVENTIONS)
    report.findings += [f"Quantisation note: {p}" for p in problems]
    return report


def headline(matrix: list[Throughput], peaks: dict[int, float], per_digit: float) -> list[str]:
    def share(m: Throughput) -> float:
        return m.digits_per_s * per_digit / peaks[m.threads]

    best = max(matrix, key=share)
    fastest = max(matrix, key=lambda m: m.digits_per_s)
    b1 = next(m for m in matrix if m.batch == 1 and m.threads == 1)
    ceiling = peaks[fastest.threads] / per_digit
    return [
        f"**Headline:** at best the model reaches {pct(share(best), 1)} of the measured float32 peak "
        f"({best.threads} thread(s), batch {best.batch}). The fastest setting ({fastest.threads} thread(s), "
        f"batch {fastest.batch}) classifies {fmt(fastest.digits_per_s)} digits/s; the peak would allow "
        f"{fmt(ceiling)} digits/s at this model's {per_digit / 1e6:.1f} MFLOP per digit. One digit alone "
        f"(batch 1, 1 thread) takes {1e6 / b1.digits_per_s:.0f} us, {pct(share(b1), 1)} of peak: "
        "small convolutions on 28x28 inputs pay per-op overhead and memory traffic, not only multiply-adds.",
    ]


FLOP_CONVENTIONS = (
    "FLOPs are counted from the ONNX graph after shape inference (bench/flops.py): Conv "
    "2·Cout·Hout·Wout·(Cin/group)·kh·kw plus one add per output for its bias, MatMul/Gemm 2·M·N·K, "
    "elementwise ops and activations 1 per output element, Softmax 3 per element, layout ops 0. "
    "Peak: float32 2048x2048 matrix products, numpy (OpenBLAS, thread count fixed by environment in a "
    "fresh process) and onnxruntime MatMul (MLAS, intra-op threads), the faster one's best run."
)


def recommend(
    results: dict[str, dict[tuple[int, int], float]],
    accuracies: dict[str, float],
    drifts: dict[str, float],
    base_accuracy: float,
) -> list[str]:
    """Recommends a variant only when it is faster at every measured setting and loses at most 0.05 pp."""
    shipped = results.get("fp32 opt 'all' (as shipped)")
    if shipped is None:
        return []
    lines = []
    for name, rates in results.items():
        if name == "fp32 opt 'all' (as shipped)":
            continue
        speedups = {key: ratio(rates[key], shipped[key]) for key in rates}
        loss_pp = 100 * (base_accuracy - accuracies[name])
        summary = ", ".join(f"{t}T b{b} x{s:.2f}" for (t, b), s in speedups.items())
        if all(s > 1.05 for s in speedups.values()) and loss_pp <= MAX_ACCURACY_LOSS_PP:
            lines.append(
                f"**Recommended: {name}** is faster at every measured setting ({summary}) and loses "
                f"{loss_pp:.2f} pp MNIST test accuracy (limit {MAX_ACCURACY_LOSS_PP} pp); its class "
                f"probabilities move by up to {drifts[name]:.3f}, so recheck calibration (ECE) when adopting "
                "it. Not applied: onnx_models/digits.onnx is left as trained; adopting it belongs in the "
                "export step, with its own card and sha256."
            )
        elif any(s > 1.05 for s in speedups.values()):
            why = (
                f"loses {loss_pp:.2f} pp accuracy"
                if loss_pp > MAX_ACCURACY_LOSS_PP
                else "is not faster everywhere"
            )
            lines.append(f"{name}: {summary}; not recommended, it {why}.")
        else:
            lines.append(f"{name}: no gain ({summary}).")
    return lines
