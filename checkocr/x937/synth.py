"""Synthetic checks packed into an X9.37 file, with a chosen share keyed wrong: ``checkocr synth --x937``.

Check ``i`` is exactly image ``i`` of ``checkocr synth --format tiff`` with the same seed (the same
generator, rendered from ``default_rng([seed, i])``, encoded as the same bitonal CCITT G4 TIFF), so a
cash letter and a folder of image files can hold the very same checks. The keyed amount is the
written amount, except for ``round(count x wrong_share)`` items, chosen at random with the seed,
whose amount gets one keying error of the kinds operators make: a digit replaced, two neighbouring
digits swapped, a digit dropped or doubled, or the decimal point shifted. Ground truth goes to
``FILE.truth.jsonl`` beside the file: one line per item with its sequence number, written and keyed
amounts and the error made.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from checkocr.synth.check import SynthOptions
from checkocr.synth.pool import MnistTestPool
from checkocr.synth.writer import make_item, tiff_g4
from checkocr.x937.writer import (
    MAX_AMOUNT_CENTS,
    Encoding,
    Framing,
    WriterItem,
    WriteSummary,
    routing,
    write_cash_letter,
)

KEYING_ERRORS = ("digit", "transpose", "drop", "double", "shift")


def truth_path(path: Path) -> Path:
    return path.with_name(path.name + ".truth.jsonl")


def keying_error(cents: int, rng: np.random.Generator) -> tuple[int, str]:
    """A wrongly keyed version of ``cents`` (never equal to it, never zero): (amount, kind of error)."""
    digits = str(cents).zfill(3)
    for _ in range(50):
        kind = KEYING_ERRORS[int(rng.integers(len(KEYING_ERRORS)))]
        position = int(rng.integers(len(digits)))
        if kind == "digit":
            replacement = str((int(digits[position]) + int(rng.integers(1, 10))) % 10)
            keyed = digits[:position] + replacement + digits[position + 1 :]
        elif kind == "transpose":
            position = min(position, len(digits) - 2)
            keyed = digits[:position] + digits[position + 1] + digits[position] + digits[position + 2 :]
        elif kind == "drop":
            keyed = digits[:position] + digits[position + 1 :]
        elif kind == "double":
            keyed = digits[: position + 1] + digits[position:]
        else:
            keyed = digits + "0" if rng.random() < 0.5 else digits[:-1]
        amount = int(keyed or "0")
        if amount != cents and 0 < amount <= MAX_AMOUNT_CENTS:
            return amount, kind
    return cents + 1, "digit"  # pragma: no cover - 50 draws always find one for any amount > 0


def back_image(width: int, height: int, dpi: int) -> bytes:
    """The back of a check: blank paper with an endorsement stamp."""
    back = np.full((height, width), 255, np.uint8)
    scale = dpi / 200
    origin = (int(40 * scale), int(80 * scale))
    cv2.putText(back, "FOR DEPOSIT ONLY", origin, cv2.FONT_HERSHEY_SIMPLEX, scale, 0, max(1, int(2 * scale)))
    return tiff_g4(back, dpi)


@dataclass(frozen=True)
class SynthItem:
    item: WriterItem
    truth: dict[str, Any]


def synth_items(
    count: int,
    seed: int,
    pool: MnistTestPool,
    wrong_share: float = 0.0,
    options: SynthOptions | None = None,
) -> Iterator[SynthItem]:
    """Item ``i`` of the synthetic cash letter with this seed, one at a time (flat memory)."""
    if not 0.0 <= wrong_share <= 1.0:
        raise ValueError(f"wrong share must be between 0 and 1, got {wrong_share}")
    options = options or SynthOptions()
    chooser = np.random.default_rng([seed, 937])
    wrong = set(chooser.choice(count, size=round(count * wrong_share), replace=False).tolist())
    for index in range(count):
        grey, truth, _ = make_item(index, seed, pool, "check", "tiff", options)
        rng = np.random.default_rng([seed, index, 937])
        written = int(truth["amount_cents"])
        keyed, error = keying_error(written, rng) if index in wrong else (written, None)
        sequence = f"{index + 1:015d}"
        payor = routing(f"{int(rng.integers(1, 13)):02d}{int(rng.integers(0, 10**6)):06d}")
        on_us = f"{int(rng.integers(10**7, 10**9))}/{int(rng.integers(100, 10000)):04d}"
        height, width = grey.shape
        item = WriterItem(
            sequence_number=sequence,
            amount_cents=keyed,
            payor_routing=payor,
            on_us=on_us,
            front=tiff_g4(grey, truth["dpi"]),
            back=back_image(width, height, truth["dpi"]),
        )
        record = {
            "sequence_number": sequence,
            "index": index,
            "seed": seed,
            "written_amount_cents": written,
            "keyed_amount_cents": keyed,
            "wrongly_keyed": error is not None,
            "keying_error": error,
            "written": truth["written"],
            "format": truth["format"],
            "dpi": truth["dpi"],
        }
        yield SynthItem(item, record)


def write_synthetic(
    path: Path,
    count: int,
    seed: int,
    pool: MnistTestPool,
    wrong_share: float = 0.0,
    encoding: Encoding = "ebcdic",
    framing: Framing = "prefixed",
    progress: bool = False,
) -> WriteSummary:
    """Writes the cash letter to ``path`` and its ground truth to ``FILE.truth.jsonl``."""
    from tqdm import tqdm

    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    items = synth_items(count, seed, pool, wrong_share)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream, truth_path(path).open("w", encoding="utf-8") as truths:

        def written() -> Iterator[WriterItem]:
            bar = tqdm(items, total=count, desc="synth cash letter", unit="item", disable=not progress)
            for synth in bar:
                truths.write(json.dumps(synth.truth, separators=(",", ":")) + "\n")
                yield synth.item

        return write_cash_letter(stream, written(), encoding=encoding, framing=framing)
