"""Courtesy-amount field crops with digit-string labels: the common ground for comparing readers.

Three sets: the ORAND CAR-A dev fields (real, Uruguayan), the ``Amt`` boxes of the IDRBT dev cheques
(real, Indian, cut with fields.tsv) and synthetic fields from ``checkocr.synth``. Every engine gets the
same grey crop, and is judged on the digit string only (separators, terminators and currency signs
dropped), because that is how the real sets are labelled and because the peers have no notion of an
amount's grammar. Synthetic fields leave out the "56/100" fraction format: its denominator is ink a
digits-only transcription would include, so no digit string is fair to both kinds of reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from checkocr.imageio import read_file_grey
from checkocr.labels import read_labels as corrected_labels

NON_DIGITS = re.compile(r"[^0-9]")
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class Field:
    source: str  # dataset / file name, for reports
    grey: np.ndarray  # uint8, 0 ink, 255 paper
    digits: str  # the label, digits only


def digits_only(text: str) -> str:
    return NON_DIGITS.sub("", text)


def read_labels(path: Path) -> list[tuple[str, str]]:
    """``filename<TAB>digits`` lines (no header) as pairs, with the project's label corrections."""
    return [(name, digits_only(label)) for name, label in corrected_labels(path.parent)]


def image_path(folder: Path, name: str) -> Path:
    """Datasets keep images either beside labels.tsv or under images/."""
    nested = folder / "images" / name
    return nested if nested.is_file() else folder / name


def orand_fields(data_dir: Path, limit: int | None = None) -> list[Field]:
    folder = data_dir / "orand-car-a-dev"
    pairs = read_labels(folder / "labels.tsv")[:limit]
    return [Field(f"orand/{n}", read_file_grey(image_path(folder, n), MAX_PIXELS), d) for n, d in pairs]


def idrbt_amount_fields(data_dir: Path, limit: int | None = None) -> list[Field]:
    """The ``Amt`` box of each labelled cheque (printed rupee sign included, as fields.tsv draws it)."""
    folder = data_dir / "idrbt-cheques-dev"
    labels = dict(read_labels(folder / "labels.tsv"))
    boxes: dict[str, tuple[float, float, float, float]] = {}
    for line in (folder / "fields.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 6 and cells[1] == "Amt":
            boxes[cells[0]] = tuple(float(c) for c in cells[2:6])  # type: ignore[assignment]
    fields = []
    for name in sorted(labels)[:limit]:
        if name not in boxes:
            continue
        grey = read_file_grey(image_path(folder, name), MAX_PIXELS)
        x1, y1, x2, y2 = boxes[name]
        h, w = grey.shape
        crop = grey[max(int(y1), 0) : min(int(np.ceil(y2)), h), max(int(x1), 0) : min(int(np.ceil(x2)), w)]
        fields.append(Field(f"idrbt/{name}", np.ascontiguousarray(crop), labels[name]))
    return fields


def synthetic_fields(data_dir: Path, count: int, seed: int) -> list[Field]:
    from checkocr.synth import FORMATS, MnistTestPool, SynthOptions, generate_field

    pool = MnistTestPool.from_data_dir(data_dir)
    options = SynthOptions(formats=tuple(f for f in FORMATS if f != "fraction"))
    fields = []
    for i in range(count):
        grey, truth = generate_field(np.random.default_rng([seed, i]), pool, options)
        fields.append(Field(f"synth/{i}", grey, digits_only(truth["written"])))
    return fields
