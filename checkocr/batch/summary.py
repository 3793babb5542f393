"""Counting what a run did, for the closing summary an operator reads (and tests check)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Tally:
    """Every record of this run falls in exactly one of read / needs_review / errors.

    ``read`` is a reading accepted without review; ``needs_review`` includes readings with no amount
    (``unreadable`` counts those separately); ``errors`` are files that could not be decoded at all.
    """

    files: int = 0  # sources in INPUT
    skipped: int = 0  # already in the output (--resume)
    read: int = 0
    needs_review: int = 0
    unreadable: int = 0
    errors: int = 0
    error_types: dict[str, int] = field(default_factory=dict)
    # X9.37 cash letters: every item line is also one of read / needs_review / errors above
    items: int = 0
    matches: int = 0  # expected_amount_match.matches: the amount read is the keyed amount
    mismatches: int = 0  # an amount was read and it is not the keyed amount
    unreadable_items: int = 0  # an error line, or no amount read
    problems: int = 0  # lines about a cash letter file rather than one item (totals, order, truncation)
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def add(self, record: dict[str, Any]) -> None:
        if "problem" in record:
            self.problems += 1
            return
        if "item" in record:
            self.add_item(record)
        error = record.get("error")
        if error is not None:
            self.errors += 1
            self.error_types[error["type"]] = self.error_types.get(error["type"], 0) + 1
        elif record.get("needs_review"):
            self.needs_review += 1
            if record.get("amount") is None:
                self.unreadable += 1
        else:
            self.read += 1

    def add_item(self, record: dict[str, Any]) -> None:
        self.items += 1
        match = record.get("expected_amount_match")
        if record.get("error") is not None or record.get("amount") is None or match is None:
            self.unreadable_items += 1
        elif match["matches"]:
            self.matches += 1
        else:
            self.mismatches += 1

    @property
    def processed(self) -> int:
        return self.read + self.needs_review + self.errors

    @property
    def elapsed_s(self) -> float:
        return (self.finished or time.monotonic()) - self.started

    @property
    def rate(self) -> float:
        """Checks per second over the whole run, model loading and pool start-up included."""
        return self.processed / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def finish(self) -> None:
        self.finished = time.monotonic()

    def render(self, out: Path, engine: str, workers: int | None) -> str:
        if workers is None:
            who = "one worker per cluster CPU"
        else:
            who = f"{workers} worker{'s' if workers != 1 else ''}"
        lines = [
            f"files: {self.files}"
            + (f" ({self.skipped} already in the output, skipped)" if self.skipped else ""),
            f"processed: {self.processed} in {self.elapsed_s:.1f} s = {self.rate:.1f} checks/s "
            f"({engine} engine, {who})",
            f"read: {self.read}   needs_review: {self.needs_review}"
            + (f" ({self.unreadable} with no amount)" if self.unreadable else "")
            + f"   errors: {self.errors}",
        ]
        if self.items or self.problems:
            lines.append(
                f"cash-letter items: {self.items}   matches: {self.matches}   mismatches: {self.mismatches}"
                f"   unreadable: {self.unreadable_items}   file problems: {self.problems}"
            )
        if self.error_types:
            kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(self.error_types.items()))
            lines.append(f"error types: {kinds}")
        lines.append(f"output: {out}")
        return "\n".join(lines)
