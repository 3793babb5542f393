"""Real and synthetic fields for fine-tuning the field recogniser: loading, folds, augmentation, batches.

Every training input goes through ``FieldModel.prepare``, the serving preprocessing, so what the model
sees in training is what it sees in service. Augmentation acts on the grey crop before that.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from checkocr.imageio import read_file_grey
from checkocr.labels import FIXES, read_labels

MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class RealField:
    name: str  # "orand/<file>" or "idrbt/<file>"
    grey: np.ndarray  # uint8, dark ink on light paper
    digits: str  # the label, digits only
    group: str  # "orand" | "idrbt"


def digits_only(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def image_path(folder: Path, name: str) -> Path:
    nested = folder / "images" / name
    return nested if nested.is_file() else folder / name


def orand_fields(data_dir: Path) -> list[RealField]:
    folder = data_dir / "orand-car-a-dev"
    fields = []
    for name, label in read_labels(folder):  # with the project's corrections (checkocr.labels)
        grey = read_file_grey(image_path(folder, name), MAX_PIXELS)
        fields.append(RealField(f"orand/{name}", grey, digits_only(label), "orand"))
    return fields


def idrbt_amount_fields(data_dir: Path) -> list[RealField]:
    """The ``Amt`` box of each labelled IDRBT dev cheque (as bench/fields.py cuts it)."""
    folder = data_dir / "idrbt-cheques-dev"
    labels = {}
    for line in (folder / "labels.tsv").read_text(encoding="utf-8").splitlines():
        if line.strip():
            name, label = (c.strip() for c in line.split("\t")[:2])
            labels[name] = digits_only(label)
    boxes = {}
    for line in (folder / "fields.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        cells = line.split("\t")
        if len(cells) >= 6 and cells[1] == "Amt":
            boxes[cells[0]] = [float(c) for c in cells[2:6]]
    fields = []
    for name in sorted(labels):
        if name not in boxes:
            continue
        grey = read_file_grey(image_path(folder, name), MAX_PIXELS)
        x1, y1, x2, y2 = boxes[name]
        h, w = grey.shape
        crop = grey[max(int(y1), 0) : min(int(np.ceil(y2)), h), max(int(x1), 0) : min(int(np.ceil(x2)), w)]
        fields.append(RealField(f"idrbt/{name}", np.ascontiguousarray(crop), labels[name], "idrbt"))
    return fields


def data_files(data_dir: Path) -> list[Path]:
    """The label files the real fields come from (their sha256 goes on the card)."""
    return [
        data_dir / "orand-car-a-dev" / "labels.tsv",
        data_dir / "idrbt-cheques-dev" / "labels.tsv",
        data_dir / "idrbt-cheques-dev" / "fields.tsv",
        FIXES,
    ]


def folds(fields: list[RealField], k: int, seed: int) -> list[int]:
    """A fold number per field: shuffled with ``seed``, each source split evenly over the k folds."""
    fold = [0] * len(fields)
    rng = np.random.default_rng(seed)
    for group in sorted({f.group for f in fields}):
        members = [i for i, f in enumerate(fields) if f.group == group]
        for rank, i in enumerate(rng.permutation(members)):
            fold[int(i)] = rank % k
    return fold


# --- augmentation --------------------------------------------------------------------------------


def augment(grey: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Small geometric and photometric changes a scan or a writer could make."""
    h, w = grey.shape
    out = grey
    if rng.random() < 0.7:  # rotation, shear, horizontal scale about the centre
        angle = np.radians(rng.uniform(-3, 3))
        shear = rng.uniform(-0.15, 0.15)
        sx = rng.uniform(0.85, 1.15)
        c, s = np.cos(angle), np.sin(angle)
        a = np.array([[c, -s], [s, c]]) @ np.array([[sx, shear], [0.0, 1.0]])
        new_w = int(min(4 * w, max(8, round(w * sx + abs(shear) * h))))
        centre_in, centre_out = np.array([w / 2, h / 2]), np.array([new_w / 2, h / 2])
        matrix = np.hstack([a, (centre_out - a @ centre_in)[:, None]])
        out = cv2.warpAffine(out, matrix, (new_w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.3:  # crop edges tighter or looser
        t, b = (int(rng.integers(0, max(1, h // 10))) for _ in range(2))
        left, right = (int(rng.integers(0, max(1, out.shape[1] // 20))) for _ in range(2))
        out = out[t : out.shape[0] - b, left : out.shape[1] - right]
    if rng.random() < 0.25:  # stroke thickness: a dark-ink min filter thickens, a max filter thins
        kernel = np.ones((2, 2), np.uint8)
        out = cv2.erode(out, kernel) if rng.random() < 0.6 else cv2.dilate(out, kernel)
    image = out.astype(np.float32)
    if rng.random() < 0.5:  # contrast and brightness
        mean = float(image.mean())
        image = (image - mean) * rng.uniform(0.6, 1.3) + mean + rng.uniform(-25, 25)
    if rng.random() < 0.25:
        image = cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.4, 1.1)))
    if rng.random() < 0.3:
        image += rng.normal(0, rng.uniform(2, 10), image.shape).astype(np.float32)
    out = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        _, data = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(30, 90))])
        out = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
    return out if out.shape[0] >= 8 and out.shape[1] >= 4 else grey


# --- batches -------------------------------------------------------------------------------------


def width_bucket(width: int, min_width: int) -> int:
    """Prepared widths grouped so a batch holds similar widths: the model's minimum width (most real
    fields), then bands half that wide."""
    band = max(1, min_width // 2)
    return 0 if width <= min_width else 1 + (width - min_width - 1) // band


def bucket_width(width: int, min_width: int) -> int:
    """The batch width of a bucket: its upper edge (few distinct shapes keep oneDNN's kernels warm)."""
    return min_width + max(1, min_width // 2) * width_bucket(width, min_width)


def collate(inputs: list[np.ndarray], pad_value: float, min_width: int) -> np.ndarray:
    """[1, 3, H, W_i] inputs -> one [N, 3, H, W] batch, right-padded as serving pads (pad_value) to
    the upper edge of the widest one's bucket: the model sees the same padding it sees in service,
    only more of it for some fields."""
    width = bucket_width(max(x.shape[3] for x in inputs), min_width)
    batch = np.full((len(inputs), 3, inputs[0].shape[2], width), pad_value, dtype=np.float32)
    for i, x in enumerate(inputs):
        batch[i, :, :, : x.shape[3]] = x[0]
    return batch
