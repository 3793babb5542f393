"""X9.37 cash letters: throughput against image files, memory by file size, and keying errors flagged.

    .venv/bin/python -m bench.x937 --count 500 --big 5000 --workers 2 --repeats 3

1. **Input.** ``count`` synthetic checks (``checkocr synth`` with ``--seed``; needs MNIST) are packed
   into an EBCDIC, length-prefixed cash letter with 5% of the amounts keyed wrong (``--wrong-share``)
   and, byte for byte the same front images, written as ``.tif`` files into a folder. A ``big`` file
   repeats those items (new sequence numbers) to ``big`` items: reading cost per item is the same,
   only the count grows, which is what a memory comparison needs.
2. **Throughput.** ``checkocr batch FILE.x937`` and ``checkocr batch FOLDER`` (subprocesses, the same
   ``--workers``) alternate ``repeats`` times; items per second = items / wall time, start-up
   included; medians are reported side by side.
3. **Memory.** ``checkocr batch`` on the count-item and the big file, each in a subprocess whose
   process tree (driver + workers) is sampled every 50 ms from /proc: peak RSS of the tree and of the
   driver alone.
4. **Keying errors flagged.** From the count-item file's own output and its truth: an item is
   *flagged* (sent to a person as a possible keying error) unless the amount read equals the keyed
   amount *and* ``expected_amount_match.probability`` is at least the accept threshold (0.9 by
   default): errors and unreadable items are flagged too. Reported: the share of wrongly keyed items
   flagged and the share of rightly keyed items flagged, plus the same on a larger sample made
   offline from the image folder's readings: every check against its true amount, and against
   ``--variants`` wrong keyings each (``match_expected`` is a pure function of the reading and the
   keyed amount, so this is exactly what a file keyed that way would give), with a threshold sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

CHECKOCR = [sys.executable, "-m", "checkocr"]


def build_inputs(work: Path, count: int, big: int, seed: int, wrong_share: float) -> dict[str, Path]:
    from checkocr.config import Settings
    from checkocr.synth import MnistTestPool
    from checkocr.x937.synth import synth_items, truth_path
    from checkocr.x937.writer import WriterItem, write_cash_letter

    small, large, images = work / f"letter{count}.x937", work / f"letter{big}.x937", work / "images"
    paths = {"small": small, "large": large, "images": images, "truth": truth_path(small)}
    if small.is_file() and large.is_file() and truth_path(small).is_file():
        return paths
    data_dir = Settings().data_dir
    if data_dir is None:
        raise SystemExit("no data folder with MNIST: set CHECKOCR_DATA_DIR")
    pool = MnistTestPool.from_data_dir(data_dir)
    images.mkdir(parents=True, exist_ok=True)
    made: list[WriterItem] = []
    print(f"rendering {count} synthetic checks (seed {seed}) ...", file=sys.stderr)
    with truth_path(small).open("w") as truths:
        for synth in synth_items(count, seed, pool, wrong_share):
            (images / f"check_{synth.truth['index']:06d}.tif").write_bytes(synth.item.front)
            truths.write(json.dumps(synth.truth) + "\n")
            made.append(synth.item)
    with small.open("wb") as stream:
        write_cash_letter(stream, made)

    def repeated():
        for n in range(big):
            item = made[n % count]
            yield WriterItem(
                f"{n + 1:015d}", item.amount_cents, item.payor_routing, item.on_us, item.front, item.back
            )

    with large.open("wb") as stream:
        write_cash_letter(stream, repeated())
    return paths


def tree_rss_kb(pid: int) -> tuple[int, int]:
    """(RSS of ``pid`` and all its descendants, RSS of ``pid`` alone), in KiB, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total, rss.get(pid, 0)


def run_batch(source: Path, out: Path, workers: int, sample: bool = False) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    command = [*CHECKOCR, "batch", str(source), "--out", str(out), "--workers", str(workers), "--no-progress"]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peaks = [0, 0]
    done = threading.Event()

    def sampler() -> None:
        while not done.is_set():
            tree, driver = tree_rss_kb(process.pid)
            peaks[0], peaks[1] = max(peaks[0], tree), max(peaks[1], driver)
            time.sleep(0.05)

    thread = threading.Thread(target=sampler, daemon=True)
    if sample:
        thread.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - start
    done.set()
    if sample:
        thread.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    lines = out.read_text().count("\n")
    return {"wall_s": wall, "lines": lines, "per_s": lines / wall, "tree_kb": peaks[0], "driver_kb": peaks[1]}


def flagged(record: dict[str, Any], threshold: float) -> bool:
    match = record.get("expected_amount_match")
    if record.get("error") or record.get("amount") is None or not match:
        return True
    return not (match["matches"] and match["probability"] >= threshold)


def file_flags(out: Path, truth: Path, threshold: float) -> dict[str, Any]:
    truths = {t["sequence_number"]: t for t in map(json.loads, truth.read_text().splitlines())}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    rows = [r for r in rows if "item" in r]
    wrong = [r for r in rows if truths[r["item"]["sequence_number"]]["wrongly_keyed"]]
    right = [r for r in rows if not truths[r["item"]["sequence_number"]]["wrongly_keyed"]]
    return {
        "items": len(rows),
        "wrong": len(wrong),
        "wrong_flagged": sum(flagged(r, threshold) for r in wrong),
        "right": len(right),
        "right_flagged": sum(flagged(r, threshold) for r in right),
        "right_not_matching": sum(not (r.get("expected_amount_match") or {}).get("matches") for r in right),
    }


def offline_flags(out: Path, truth: Path, variants: int, seed: int, thresholds: list[float]) -> list[dict]:
    """Every image's reading against its true amount and ``variants`` wrong keyings, per threshold."""
    from checkocr.matching import match_expected
    from checkocr.schemas import Reading
    from checkocr.x937.synth import keying_error
    from checkocr.x937.verify import keyed_amount

    truths = [json.loads(line) for line in truth.read_text().splitlines()]
    readings = {}
    for line in out.read_text().splitlines():
        record = json.loads(line)
        if "error" not in record:
            readings[record["source"]] = Reading.model_validate(record)
    rng = np.random.default_rng([seed, 4])
    cases: list[tuple[bool, dict[str, Any]]] = []  # (wrongly keyed, record-like)
    for t in truths:
        reading = readings.get(f"check_{t['index']:06d}.tif")
        amounts = [(False, t["written_amount_cents"])]
        amounts += [(True, keying_error(t["written_amount_cents"], rng)[0]) for _ in range(variants)]
        for wrong, cents in amounts:
            if reading is None:
                cases.append((wrong, {"error": True}))
                continue
            match = match_expected(reading, keyed_amount(cents)).model_dump()
            cases.append((wrong, {"amount": reading.amount, "expected_amount_match": match}))
    rows = []
    for threshold in thresholds:
        wrong = [flagged(r, threshold) for w, r in cases if w]
        right = [flagged(r, threshold) for w, r in cases if not w]
        rows.append(
            {
                "threshold": threshold,
                "wrong": len(wrong),
                "wrong_flagged_share": sum(wrong) / len(wrong),
                "right": len(right),
                "right_flagged_share": sum(right) / len(right),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--big", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=937)
    parser.add_argument("--wrong-share", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--variants", type=int, default=20)
    parser.add_argument("--work", type=Path, default=Path("/tmp/checkocr-bench-x937"))
    args = parser.parse_args()
    from checkocr.config import Settings

    threshold = Settings().accept_threshold
    args.work.mkdir(parents=True, exist_ok=True)
    paths = build_inputs(args.work, args.count, args.big, args.seed, args.wrong_share)
    load_before = os.getloadavg()
    letter_runs, image_runs = [], []
    for repeat in range(args.repeats):
        print(f"throughput run {repeat + 1}/{args.repeats} ...", file=sys.stderr)
        letter_runs.append(run_batch(paths["small"], args.work / f"letter{repeat}.jsonl", args.workers))
        image_runs.append(run_batch(paths["images"], args.work / f"images{repeat}.jsonl", args.workers))
    print("memory runs ...", file=sys.stderr)
    small_mem = run_batch(paths["small"], args.work / "mem_small.jsonl", args.workers, sample=True)
    large_mem = run_batch(paths["large"], args.work / "mem_large.jsonl", args.workers, sample=True)
    load_after = os.getloadavg()
    result = {
        "count": args.count,
        "big": args.big,
        "workers": args.workers,
        "load_before": load_before,
        "load_after": load_after,
        "letter_items_per_s": [r["per_s"] for r in letter_runs],
        "image_files_per_s": [r["per_s"] for r in image_runs],
        "letter_median": statistics.median(r["per_s"] for r in letter_runs),
        "images_median": statistics.median(r["per_s"] for r in image_runs),
        "memory": {"small": small_mem, "large": large_mem},
        "tree_rss_ratio": large_mem["tree_kb"] / small_mem["tree_kb"],
        "driver_rss_ratio": large_mem["driver_kb"] / small_mem["driver_kb"],
        "threshold": threshold,
        "file_flags": file_flags(args.work / "letter0.jsonl", paths["truth"], threshold),
        "offline_flags": offline_flags(
            args.work / "images0.jsonl", paths["truth"], args.variants, args.seed, [threshold, 0.5, 0.1, 0.01]
        ),
    }
    result["letter_vs_images"] = result["letter_median"] / result["images_median"]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
