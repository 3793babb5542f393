"""Batch throughput: checks per second of ``checkocr batch`` by engine and worker count.

Runs the real command (a subprocess, as an operator would) over a folder of synthetic checks, for
each configuration, and reports:

- wall time and end-to-end checks/s (start-up, model loading and pool/actor start included);
- fixed start-up cost, measured by the same command on a tiny input (one file per worker);
- steady-state checks/s = (N - n_tiny) / (wall - wall_tiny), what a long run converges to;
- CPU milliseconds per check (all processes of the local run, start-up subtracted): the figure for
  sizing, since it hardly depends on what else the machine is doing (not for Ray, whose worker
  processes are not descendants this process can account for);
- the Ray engine's overhead against the local engine at the same worker count;
- load average before and after, because a shared machine's other work shows up in every figure.

The input is generated with ``checkocr synth`` (needs the MNIST data) into --input if it is missing.

    .venv/bin/python bench/batch_throughput.py --input /tmp/synth2k --count 2000 --workers 1,2 --ray
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHECKOCR = [sys.executable, "-m", "checkocr"]


def ensure_input(folder: Path, count: int, seed: int) -> list[Path]:
    """The benchmark's checks: ``count`` synthetic checks (mixed PNG/JPEG/G4 TIFF, 200/300 dpi)."""
    images = sorted(p for p in folder.glob("check_*") if p.suffix in (".png", ".jpg", ".tif"))
    if len(images) < count:
        print(f"generating {count} synthetic checks in {folder} ...", file=sys.stderr)
        command = [*CHECKOCR, "synth", "--out", str(folder), "--count", str(count), "--seed", str(seed)]
        subprocess.run([*command, "--format", "mixed", "--no-progress"], check=True)
        images = sorted(p for p in folder.glob("check_*") if p.suffix in (".png", ".jpg", ".tif"))
    return images[:count]


def write_list(images: list[Path], path: Path) -> Path:
    path.write_text("".join(f"{image}\n" for image in images))
    return path


def children_cpu_s() -> float:
    """User+system CPU seconds of every finished descendant (the batch command, its pool workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_batch(
    list_file: Path, out: Path, engine: str, workers: int, model: str | None
) -> tuple[float, float]:
    """Wall and CPU seconds of one ``checkocr batch`` run; fails loudly if a line is missing.

    CPU seconds are what sizing needs on a shared machine: wall time shrinks or grows with whatever
    else runs, CPU time per check does much less.
    """
    command = [*CHECKOCR, "batch", str(list_file), "--out", str(out), "--overwrite", "--no-progress"]
    command += ["--engine", engine, "--workers", str(workers)]
    if model:
        command += ["--model-path", model]
    cpu_before = children_cpu_s()
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    cpu = children_cpu_s() - cpu_before
    if done.returncode != 0:
        raise SystemExit(f"batch failed ({done.returncode}): {done.stderr[-2000:]}")
    expected = sum(1 for line in list_file.read_text().splitlines() if line.strip())
    written = sum(1 for _ in out.open())
    if written != expected:
        raise SystemExit(f"{out} has {written} lines for {expected} sources")
    return wall, cpu


def comparable(path: Path) -> list[dict]:
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record.pop("timings_ms", None)
    return sorted(records, key=lambda record: record["source"])


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a and b else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--input", type=Path, default=Path(tempfile.gettempdir()) / "checkocr-bench-synth")
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--ray", action="store_true", help="also run the Ray engine at the largest count")
    parser.add_argument("--repeats", type=int, default=1, help="runs per configuration (median reported)")
    parser.add_argument("--model-path", default=os.environ.get("CHECKOCR_MODEL_PATH"))
    parser.add_argument("--json-out", type=Path, help="also write the results here")
    args = parser.parse_args()

    images = ensure_input(args.input, args.count, args.seed)
    work = Path(tempfile.mkdtemp(prefix="checkocr-bench-"))
    worker_counts = [int(w) for w in args.workers.split(",")]
    configs = [("local", w) for w in worker_counts]
    if args.ray:
        configs.append(("ray", max(worker_counts)))
    full_list = write_list(images, work / "all.txt")
    results = []
    load_before = os.getloadavg()
    for engine, workers in configs:
        tiny_list = write_list(images[:workers], work / f"tiny-{workers}.txt")
        out = work / f"{engine}-{workers}.jsonl"
        tiny_runs = [run_batch(tiny_list, work / "tiny.jsonl", engine, workers, args.model_path)]
        full_runs = [run_batch(full_list, out, engine, workers, args.model_path) for _ in range(args.repeats)]
        tiny, tiny_cpu = tiny_runs[0]
        wall = statistics.median(run[0] for run in full_runs)
        cpu = statistics.median(run[1] for run in full_runs)
        row = {
            "engine": engine,
            "workers": workers,
            "checks": len(images),
            "wall_s": round(wall, 2),
            "checks_per_s": round(len(images) / wall, 2),
            "startup_s": round(tiny, 2),
            "steady_checks_per_s": round((len(images) - workers) / (wall - tiny), 2) if wall > tiny else None,
            "cpu_ms_per_check": round((cpu - tiny_cpu) / (len(images) - workers) * 1000, 1),
            "checks_per_cpu_s": round((len(images) - workers) / max(cpu - tiny_cpu, 1e-9), 2),
            "load_avg_1m_after": round(os.getloadavg()[0], 2),
        }
        if engine == "ray":  # Ray's workers are children of its raylet, not reaped by this process tree
            row["cpu_ms_per_check"] = row["checks_per_cpu_s"] = None
        results.append(row)
        print(json.dumps(row), flush=True)
    summary = {
        "results": results,
        "load_avg_before": [round(x, 2) for x in load_before],
        "cpus": os.cpu_count(),
    }
    by_config = {(r["engine"], r["workers"]): r for r in results}
    if len(worker_counts) > 1:
        one, most = by_config[("local", min(worker_counts))], by_config[("local", max(worker_counts))]
        summary["scaling_wall"] = ratio(one["wall_s"], most["wall_s"])
    if args.ray:
        w = max(worker_counts)
        local, ray = by_config[("local", w)], by_config[("ray", w)]
        summary["ray_wall_over_local"] = ratio(ray["wall_s"], local["wall_s"])
        summary["ray_startup_extra_s"] = round(ray["startup_s"] - local["startup_s"], 2)
        summary["ray_steady_rate_over_local"] = ratio(
            ray["steady_checks_per_s"], local["steady_checks_per_s"]
        )
        same = comparable(work / f"ray-{w}.jsonl") == comparable(work / f"local-{w}.jsonl")
        summary["ray_same_output"] = same
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
