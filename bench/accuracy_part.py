"""Part 4: accuracy as banks measure it, through the reader helper's bench/read_accuracy.py.

That module reads each set (synthetic checks, ORAND CAR-A dev fields, IDRBT dev cheques) and judges
each reading; this part turns the per-item (confidence, right or wrong) pairs into what a bank asks:
the exact-amount rate, and the read rate at a fixed error as the accept threshold moves
(checkocr/operating_point.py, the project's one definition), with a plot of the whole curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.harness import Context, PartReport, Table, pct
from bench.read_accuracy import DEFAULT_SEED, SetResult, judge_idrbt, judge_orand, judge_synth
from checkocr.operating_point import OperatingPoint, operating_points, read_rate_at

ERROR_BUDGETS = (0.005, 0.01, 0.02)
PLOT_NAME = "benchmarks-read-rate.png"


def at_one_percent(scored: SetResult) -> OperatingPoint:
    return read_rate_at(scored.confidences, scored.correct, 0.01, among="accepted")


def threshold_text(point: OperatingPoint) -> str:
    if point.accepted == 0:
        return "accept none"
    return f"{point.threshold:.3f}"


def curve_table(sets: Sequence[SetResult]) -> Table:
    rows = []
    for scored in sets:
        row = [scored.name, str(len(scored.correct)), pct(scored.exact, 1)]
        for budget in ERROR_BUDGETS:
            point = read_rate_at(scored.confidences, scored.correct, budget, among="accepted")
            row.append(f"{pct(point.read_rate, 1)} (t {threshold_text(point)})")
        rows.append(row)
    return Table(
        "Exact amount and read rate at a fixed error",
        ["set", "items", "exact", *[f"read @ <= {100 * b:g}% wrong" for b in ERROR_BUDGETS]],
        rows,
        note="Read rate: items accepted (confidence >= threshold t), over all items. Wrong: accepted items "
        "whose amount is wrong, over the accepted (checkocr/operating_point.py). Unreadable items are "
        "never accepted. 'accept none' means no threshold keeps the wrong share within that budget.",
    )


def plot_curves(sets: Sequence[SetResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for scored in sets:
        curve = operating_points(scored.confidences, scored.correct)
        ax.plot(
            [100 * p.wrong_among_accepted for p in curve],
            [100 * p.read_rate for p in curve],
            label=f"{scored.name} (n={len(scored.correct)})",
        )
    for budget in ERROR_BUDGETS:
        ax.axvline(100 * budget, color="grey", linewidth=0.6, linestyle=":")
    ax.set_xlabel("wrong among accepted, %")
    ax.set_ylabel("read rate: accepted, % of all items")
    ax.set_title("checkocr read rate vs error rate as the accept threshold moves")
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def scored_sets(ctx: Context) -> list[SetResult]:
    """Per-item results of the reader on each set, read by bench/read_accuracy.py's judges."""
    reader = ctx.reader(threads=1)
    results = [
        judge_synth(reader, ctx.data_dir, 100 if ctx.quick else 1000, ctx.seed or DEFAULT_SEED),
        judge_orand(reader, ctx.data_dir),
        judge_idrbt(reader, ctx.data_dir),
    ]
    return [r for r in results if r is not None]


def note(scored: SetResult) -> str:
    return (
        f"field found {scored.found_rate:.1%}." if not all(scored.found) or "ORAND" not in scored.name else ""
    )


def run(ctx: Context) -> PartReport:
    report = PartReport("accuracy", "Accuracy as banks measure it")
    if ctx.data_dir is None:
        report.skipped = "no data folder (CHECKOCR_DATA_DIR): every accuracy set lives there"
        return report
    sets = scored_sets(ctx)
    if not sets:
        report.skipped = "no data set to read under the data folder"
        return report
    report.tables.append(curve_table(sets))
    plot_curves(sets, ctx.docs_dir / PLOT_NAME)
    report.images.append(PLOT_NAME)
    report.findings.append(
        "**Headline:** read rate at <= 1% wrong among accepted: "
        + ", ".join(f"{s.name} {pct(at_one_percent(s).read_rate, 1)}" for s in sets)
        + "; exact: "
        + ", ".join(f"{s.name} {pct(s.exact, 1)}" for s in sets)
        + "."
    )
    for scored in sets:
        one = at_one_percent(scored)
        report.findings.append(
            f"{scored.name}: {pct(scored.exact, 1)} exact; at <= 1% wrong among accepted the bank can post "
            f"{pct(one.read_rate, 1)} without a person (threshold {threshold_text(one)})."
            + (f" {note(scored)}" if note(scored) else "")
        )
    return report
