"""Writes a synthetic data set: images, one ground-truth JSON per image, and ``index.jsonl``.

Image ``i`` of a data set is drawn from ``numpy.random.default_rng([seed, i])``, so the same seed gives
byte-identical files, and any single image can be regenerated on its own from ``seed`` and ``index``
(both recorded in its ground truth).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image

from checkocr.synth import scan
from checkocr.synth.check import SynthOptions, crop_field, render_check
from checkocr.synth.pool import MnistTestPool

FILE_FORMATS = ("png", "jpeg", "tiff")
EXTENSIONS = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif"}
KINDS = ("check", "field")


def save_image(grey: np.ndarray, path: Path, file_format: str, dpi: int, rng: np.random.Generator) -> None:
    """Greyscale PNG, greyscale JPEG (quality 70-95), or bitonal CCITT Group 4 TIFF."""
    if file_format == "png":
        ok, data = cv2.imencode(".png", grey)
    elif file_format == "jpeg":
        ok, data = cv2.imencode(".jpg", grey, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(70, 96))])
    elif file_format == "tiff":
        path.write_bytes(tiff_g4(grey, dpi))
        return
    else:
        raise ValueError(f"unknown image format {file_format!r}; choose from {', '.join(FILE_FORMATS)}")
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 greyscale image
        raise OSError(f"could not encode {path.name}")
    path.write_bytes(data.tobytes())


def tiff_g4(grey: np.ndarray, dpi: int) -> bytes:
    """A bitonal CCITT Group 4 TIFF, as image-exchange scanners (and X9.37 files) carry checks."""
    buffer = io.BytesIO()
    Image.fromarray(scan.bitonal(grey)).convert("1").save(
        buffer, format="TIFF", compression="group4", dpi=(dpi, dpi)
    )
    return buffer.getvalue()


def validate(count: int, seed: int, kind: str, file_format: str) -> None:
    """Raises ValueError with a message fit for a user; called before anything is written."""
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if file_format not in (*FILE_FORMATS, "mixed"):
        raise ValueError(f"format must be one of {', '.join(FILE_FORMATS)} or mixed, got {file_format!r}")


def make_item(
    index: int, seed: int, pool: MnistTestPool, kind: str, file_format: str, options: SynthOptions
) -> tuple[np.ndarray, dict[str, Any], str]:
    """Image ``index`` of the data set with seed ``seed``: (grey, truth, file format)."""
    rng = np.random.default_rng([seed, index])
    rendered = render_check(rng, pool, options)
    if kind == "field":
        rendered = crop_field(rendered, rng)
    chosen = FILE_FORMATS[int(rng.integers(len(FILE_FORMATS)))] if file_format == "mixed" else file_format
    truth = dict(rendered.truth)
    truth.update(seed=seed, index=index, file_format=chosen)
    return rendered.grey, truth, chosen


def write_dataset(
    out: Path,
    count: int,
    seed: int,
    pool: MnistTestPool,
    kind: str = "check",
    file_format: str = "png",
    options: SynthOptions | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Writes ``count`` images with their ``.json`` ground truth and ``index.jsonl``; returns the truths."""
    from tqdm import tqdm

    validate(count, seed, kind, file_format)
    options = options or SynthOptions()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    truths = []
    with (out / "index.jsonl").open("w", encoding="utf-8") as index_file:
        for i in tqdm(range(count), desc=f"synth {kind}s", unit=kind, disable=not progress):
            grey, truth, chosen = make_item(i, seed, pool, kind, file_format, options)
            stem = f"{kind}_{i:06d}"
            truth["image"] = stem + EXTENSIONS[chosen]
            save_image(grey, out / truth["image"], chosen, truth["dpi"], np.random.default_rng([seed, i, 1]))
            (out / f"{stem}.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
            index_file.write(json.dumps(truth, separators=(",", ":")) + "\n")
            truths.append(truth)
    return truths
