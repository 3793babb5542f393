"""The short soak (``bench/soak.py`` for 15 s): mixed good and hostile reads at concurrency 16.

``make soak`` runs the same script for two minutes at concurrency 32 with the shipped model; this
variant uses the tiny test model so it runs anywhere, and holds it to the same bar: no 5xx, no
transport error, resident memory growth under 10% after the warm-up, a clean SIGTERM exit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from checkocr.config import PROJECT_ROOT


def test_short_soak_has_no_5xx_and_flat_memory(tiny_model: Path, tmp_path: Path) -> None:
    figures_path = tmp_path / "soak.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.soak",
            "--duration",
            "15",
            "--concurrency",
            "16",
            "--model-path",
            str(tiny_model),
            "--json",
            str(figures_path),
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(figures_path.read_text())
    assert figures["server_errors_5xx"] == 0 and figures["transport_errors"] == 0
    assert figures["rss_growth"] < 0.10
    assert figures["server_exit_code"] == 0
    statuses = figures["statuses"]
    assert statuses.get("good:200", 0) > 50  # it really served reads
    assert {key.split(":")[1] for key in statuses if key.startswith("bad:")} <= {"400", "415", "422"}
