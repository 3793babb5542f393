"""``kill -9`` at random points of a batch run, then ``--resume``, ten times: each source exactly once.

The driver writes each record as one line the moment it arrives, and ``--resume`` repairs a torn last
line and skips the sources already written, so no kill point may lose or duplicate a source.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from corpus import png, synthetic_check

from checkocr.config import PROJECT_ROOT

IMAGES = 30
CYCLES = 10


def make_checks(folder: Path) -> list[str]:
    folder.mkdir()
    keys = []
    for index in range(IMAGES):
        grey, _ = synthetic_check(seed=100 + index)
        key = f"c{index:02d}.png"
        (folder / key).write_bytes(png(grey))
        keys.append(key)
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")  # errors are lines too
    return sorted([*keys, "broken.png"])


def lines_in(out: Path) -> int:
    return out.read_bytes().count(b"\n") if out.exists() else 0


def test_random_kill_9_then_resume_ten_times_keeps_every_source_once(
    tiny_model: Path, tmp_path: Path
) -> None:
    keys = make_checks(tmp_path / "checks")
    out = tmp_path / "results.jsonl"
    command = [sys.executable, "-m", "checkocr", "batch", str(tmp_path / "checks"), "--out", str(out)]
    command += ["--model-path", str(tiny_model), "--workers", "1", "--chunk-size", "1"]
    rng = random.Random(20261121)
    trials = []
    for cycle in range(CYCLES):
        before = lines_in(out)
        process = subprocess.Popen(
            [*command, *(["--resume"] if cycle else [])],
            cwd=PROJECT_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        # A kill point somewhere from the start-up to a few lines into the work.
        target = before + rng.randint(0, 6)
        deadline = time.monotonic() + rng.uniform(0.2, 8.0)
        while process.poll() is None and time.monotonic() < deadline and lines_in(out) < target:
            time.sleep(0.005)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # driver and workers, as a container kill would
        process.wait(timeout=10)
        trials.append((before, lines_in(out), process.returncode))

    final = subprocess.run(
        [*command, "--resume"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    assert final.returncode == 0, final.stderr
    sources = [json.loads(line)["source"] for line in out.read_text().splitlines()]
    print(f"\n(lines before, lines after kill, exit) per cycle: {trials}")
    assert sorted(sources) == keys  # every source exactly once: nothing lost, nothing duplicated
    mid_run = sum(1 for before, after, code in trials if code == -signal.SIGKILL and after < len(keys))
    assert mid_run >= CYCLES // 2, f"too few kills landed mid-run to test anything: {trials}"
