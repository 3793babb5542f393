"""Stand-ins for the worker functions, importable by spawned worker processes (no model needed)."""

from __future__ import annotations

import os


def no_model(settings: object, parent_pid: int) -> None:
    """Pool initializer that loads nothing."""


def crash_on_poison(items: list[tuple[str, str]], region: str, max_pixels: int) -> list[dict]:
    """Kills its worker process on any file named *poison*, like a decoder segfault would."""
    if any("poison" in key for _, key in items):
        os._exit(3)
    return [{"source": key, "amount": "1.00", "confidence": 1.0, "needs_review": False} for _, key in items]
