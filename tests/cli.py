"""``checkocr`` run as a user runs it: a real process from the project root, output captured."""

from __future__ import annotations

import subprocess
import sys

from checkocr.config import PROJECT_ROOT


def run_checkocr(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m checkocr ARGS``; the caller asserts the exit code (no ``check``)."""
    return subprocess.run(
        [sys.executable, "-m", "checkocr", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
