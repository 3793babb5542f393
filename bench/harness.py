"""Runs the benchmark parts, prints their tables and writes docs/benchmarks.md.

Every part is a module with ``run(ctx) -> PartReport``; the harness owns what they share: the command
line, the model and data locations, the machine description, rendering (rich on the terminal, Markdown
in the doc) and merging a single-part run into the existing doc so ``python -m bench peers`` refreshes
one section without erasing the others.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import shlex
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from rich.console import Console
from rich.table import Table as RichTable

from checkocr.config import DEFAULT_MODEL_PATH, PROJECT_ROOT, Settings, usable_cpus

DOC_PATH = PROJECT_ROOT / "docs" / "benchmarks.md"
# Section order in the doc and the default run order (cheap and most-asked first).
PARTS: dict[str, tuple[str, str]] = {
    "classifier": ("bench.classifier_limit", "Digit classifier vs the physical limit"),
    "stages": ("bench.stages", "Whole-check latency by stage"),
    "service": ("bench.service_part", "Service under load"),
    "accuracy": ("bench.accuracy_part", "Accuracy as banks measure it"),
    "peers": ("bench.peers", "Peers side by side: Tesseract and GOCR"),
}
VERSIONED = (
    "numpy", "onnxruntime", "onnx", "opencv-python-headless", "pillow", "fastapi",
    "uvicorn", "httpx", "matplotlib",
)  # fmt: skip
SECTION_START = "<!-- bench:{key}:start -->"
SECTION_END = "<!-- bench:{key}:end -->"


@dataclass
class Context:
    """What every part needs: the run mode, the model, the data, and where to put files."""

    quick: bool
    model_path: Path
    data_dir: Path | None
    docs_dir: Path
    work_dir: Path
    console: Console
    seed: int = 0

    def reader(self, threads: int = 1):
        """The reader the service runs (``Reader.from_settings``: its default reader and accept
        threshold, fused unless configured otherwise) on the benchmark's digit model, ``threads``
        onnxruntime threads per model. Imported lazily."""
        from checkocr.config import Settings
        from checkocr.reader import Reader

        return Reader.from_settings(Settings(model_path=self.model_path, threads=threads))


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class PartReport:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)  # Markdown paragraphs: what the figures mean
    images: list[str] = field(default_factory=list)  # paths relative to docs/
    skipped: str | None = None  # why the part did not run, when it did not
    seconds: float = 0.0
    measured_at: str = ""
    command: str = ""


def fmt(value: float, digits: int = 3) -> str:
    """Numbers for tables: significant digits, thousands separators for big ones, '-' for NaN."""
    if value != value:  # NaN
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def pct(value: float, decimals: int = 2) -> str:
    return "-" if value != value else f"{100 * value:.{decimals}f}%"


# ---------------------------------------------------------------- machine and versions


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return float("nan")


def machine_description() -> dict[str, str]:
    flags = cpu_flags()
    vector = [
        f for f in ("avx2", "fma", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8", "amx_bf16") if f in flags
    ]
    return {
        "CPU": cpu_model(),
        "Usable cores": f"{usable_cpus()} (of {os.cpu_count()} online)",
        "Vector units": ", ".join(vector) or "unknown",
        "Memory": f"{memory_gib():.1f} GiB",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "Virtualised": "yes" if "hypervisor" in flags else "no",
    }


def library_versions() -> dict[str, str]:
    versions = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def competing_load() -> list[str]:
    """Other processes using CPU right now (e.g. a training job): figures taken beside them are noisy."""
    busy = []
    for stat in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            cmd = stat.read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:
            continue
        if "checkocr train" in cmd and str(os.getpid()) != stat.parent.name:
            busy.append(cmd)
    return busy


# ---------------------------------------------------------------- rendering


def print_report(report: PartReport, console: Console) -> None:
    console.rule(f"[bold]{report.title}")
    if report.skipped:
        console.print(f"[yellow]skipped:[/] {report.skipped}")
        return
    for table in report.tables:
        rich_table = RichTable(title=table.title, title_justify="left")
        for column in table.columns:
            rich_table.add_column(column, justify="left" if column == table.columns[0] else "right")
        for row in table.rows:
            rich_table.add_row(*row)
        console.print(rich_table)
        if table.note:
            console.print(f"[dim]{table.note}[/]")
    for finding in report.findings:
        console.print(f"- {finding}")
    console.print(f"[dim]{report.key}: {report.seconds:.1f} s[/]")


def markdown_table(table: Table) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [f"**{table.title}**", "", "| " + " | ".join(cell(c) for c in table.columns) + " |"]
    lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(table.columns))) + "|")
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
    if table.note:
        lines += ["", table.note]
    return "\n".join(lines)


def markdown_section(report: PartReport) -> str:
    lines = [SECTION_START.format(key=report.key), f"## {report.title}", ""]
    lines.append(f"Measured {report.measured_at} with `{report.command}` ({report.seconds:.0f} s).")
    lines.append("")
    if report.skipped:
        lines += [f"**Skipped:** {report.skipped}", ""]
    for finding in report.findings:
        lines += [finding, ""]
    for table in report.tables:
        lines += [markdown_table(table), ""]
    for image in report.images:
        lines += [f"![{report.title}]({image})", ""]
    lines.append(SECTION_END.format(key=report.key))
    return "\n".join(lines)


def doc_header(ctx: Context, argv: list[str], load: list[str], load_average: float) -> str:
    machine = machine_description()
    versions = library_versions()
    lines = [
        "# Benchmarks",
        "",
        "Written by `python -m bench` (`make bench`; `make bench-quick` for the short run). Every figure "
        "below was measured by that command on the machine described here; rerun it to refresh them. "
        "Each section states when and with which command it was measured.",
        "",
        f"- Last written: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- Model: `{display_path(ctx.model_path)}` ({model_summary(ctx.model_path)})",
        f"- Mode: {'quick (--quick: small samples, wider error bars)' if ctx.quick else 'full'}",
        f"- Last command: `{shlex.join(['python', '-m', 'bench', *argv])}`",
        "- Competing CPU load at the start of the last run: "
        + ("no training process" if not load else f"{len(load)} training process(es): figures are noisy")
        + f"; 1-minute load average {load_average:.2f} on {usable_cpus()} cores",
        "",
        "| Machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine.items()],
        "",
        "| Library | Version |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in versions.items()],
        "",
        "Commands: `make bench` runs every part (`.venv/bin/python -m bench`); `make bench-quick` adds "
        "`--quick`; one part alone: `.venv/bin/python -m bench classifier|stages|service|accuracy|peers`. "
        "Set `CHECKOCR_MODEL_PATH` to benchmark another model and `CHECKOCR_DATA_DIR` for the datasets.",
        "",
    ]
    return "\n".join(lines)


def display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def model_summary(model_path: Path) -> str:
    card_path = model_path.with_suffix(".json")
    try:
        card = json.loads(card_path.read_text())
    except (OSError, ValueError):
        return "no card"
    metrics = card.get("metrics", {})
    accuracy = metrics.get("test_accuracy")
    parts = [f"{card.get('name', '?')} {card.get('version', '')}".strip(), card.get("architecture", "")]
    if accuracy is not None:
        parts.append(f"MNIST test accuracy {100 * accuracy:.2f}% per its card")
    parts.append(f"sha256 {str(card.get('sha256', ''))[:12]}")
    return ", ".join(p for p in parts if p)


def merge_doc(existing: str, header: str, sections: dict[str, str]) -> str:
    """New header, new sections for the parts that ran, the old text for those that did not, and a
    summary of every section's headline on top (so it never disagrees with the sections below)."""
    kept: dict[str, str] = {}
    for key in PARTS:
        pattern = re.escape(SECTION_START.format(key=key)) + r".*?" + re.escape(SECTION_END.format(key=key))
        match = re.search(pattern, existing, flags=re.DOTALL)
        if key in sections:
            kept[key] = sections[key]
        elif match:
            kept[key] = match.group(0)
    ordered = [kept[k] for k in PARTS if k in kept]
    headlines = [
        f"- {PARTS[k][1]}: " + line.removeprefix("**Headline:** ").removeprefix("**Headline")
        for k in PARTS
        if k in kept
        for line in kept[k].splitlines()
        if line.startswith("**Headline")
    ]
    summary = ["## Summary", "", *headlines, ""] if headlines else []
    return header + "\n" + "\n".join(summary) + "\n" + "\n\n".join(ordered) + "\n"


# ---------------------------------------------------------------- running


def run_part(key: str, ctx: Context, command: str) -> PartReport:
    """Runs one part; a part that fails reports why instead of taking the other parts down with it."""
    module_name, title = PARTS[key]
    started = time.perf_counter()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    try:
        module = importlib.import_module(module_name)
        runner: Callable[[Context], PartReport] = module.run
        report = runner(ctx)
    except Exception as exc:  # one broken part must not lose the figures of the others
        ctx.console.print(f"[red]{key} failed:[/] {exc!r}")
        ctx.console.print(traceback.format_exc(), markup=False, highlight=False)
        report = PartReport(key, title, skipped=f"the part failed: {type(exc).__name__}: {exc}")
    report.seconds = time.perf_counter() - started
    report.measured_at = stamp
    report.command = command
    return report


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "parts", nargs="*", metavar="PART", help=f"parts to run: {', '.join(PARTS)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="small samples: everything in under 2 minutes")
    parser.add_argument("--model", type=Path, default=None, help="ONNX model (default CHECKOCR_MODEL_PATH)")
    parser.add_argument("--data-dir", type=Path, default=None, help="datasets (default CHECKOCR_DATA_DIR)")
    parser.add_argument("--doc", type=Path, default=DOC_PATH, help="Markdown file to write")
    parser.add_argument("--no-doc", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args(argv)
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    return args


def resolve_model(explicit: Path | None, settings: Settings) -> Path:
    """--model, else CHECKOCR_MODEL_PATH / the shipped model, else the development model under runs/."""
    if explicit is not None:
        return explicit
    if settings.model_path.is_file():
        return settings.model_path
    dev = PROJECT_ROOT / "runs" / "dev" / "digits.onnx"
    if settings.model_path == DEFAULT_MODEL_PATH and dev.is_file():
        return dev
    return settings.model_path


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 150)
    settings = Settings()
    model_path = resolve_model(args.model, settings)
    if not model_path.is_file():
        console.print(
            f"[red]python -m bench: no model at {model_path}[/] (train one or set CHECKOCR_MODEL_PATH)"
        )
        return 2
    keys = args.parts or list(PARTS)
    load = competing_load()
    load_average = os.getloadavg()[0]
    if load:
        console.print(
            f"[yellow]warning:[/] {len(load)} training process(es) share the CPU: timings will be noisy"
        )
    command = shlex.join(["python", "-m", "bench", *argv])
    docs_dir = args.doc.parent
    with tempfile.TemporaryDirectory(prefix="checkocr-bench-") as work:
        ctx = Context(
            args.quick, model_path, args.data_dir or settings.data_dir, docs_dir, Path(work), console
        )
        console.print(
            f"model {display_path(model_path)}; parts: {', '.join(keys)}; {'quick' if args.quick else 'full'}"
        )
        reports = {}
        for key in keys:
            report = run_part(key, ctx, command)
            print_report(report, console)
            reports[key] = report
        if not args.no_doc:
            docs_dir.mkdir(parents=True, exist_ok=True)
            existing = args.doc.read_text() if args.doc.is_file() else ""
            sections = {k: markdown_section(r) for k, r in reports.items()}
            args.doc.write_text(merge_doc(existing, doc_header(ctx, argv, load, load_average), sections))
            console.print(f"wrote {display_path(args.doc)}")
    return 1 if any(r.skipped and r.skipped.startswith("the part failed") for r in reports.values()) else 0
