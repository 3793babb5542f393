"""The fine tune's real digits: labelled fields and synthetic checks cut by the serving reader.

``Reader.digit_inputs`` cuts, cleans and normalises each example exactly as serving does; an example
read with a digit too many or too few is left out (its pairing of images and labels is unknown).
No TensorFlow here: the harvest runs on the serving install's code.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from checkocr.imageio import read_file_grey
from checkocr.options import Region
from checkocr.reader import DEFAULT_MAX_PIXELS, Reader
from checkocr.synth import MnistTestPool, generate_check
from training.data import VALIDATION_SIZE, stratified_split

log = logging.getLogger("checkocr.finetune")


@dataclass
class Harvest:
    """Labelled model inputs: uint8 [N, 28, 28] (ink 255), labels, and the field each came from."""

    images: np.ndarray
    labels: np.ndarray
    groups: np.ndarray
    fields_used: int
    fields_seen: int

    def subset(self, keep: np.ndarray) -> Harvest:
        """The digits where ``keep`` holds (field counts are the whole harvest's)."""
        return Harvest(
            self.images[keep], self.labels[keep], self.groups[keep], self.fields_used, self.fields_seen
        )

    def __len__(self) -> int:
        return len(self.labels)


def read_field_labels(folder: Path) -> list[tuple[str, str]]:
    """(image name, digit string) per line of ``folder/labels.tsv``; a malformed line stops the run."""
    path = folder / "labels.tsv"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no labels file (expected 'image<TAB>digits' lines)")
    rows = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        name, _, digits = line.partition("\t")
        if not digits.isdigit():
            raise ValueError(f"{path}:{number}: expected 'image<TAB>digits', got {line!r}")
        rows.append((name, digits))
    return rows


def harvest(reader: Reader, examples: Iterable[tuple[np.ndarray, Region, list[int]]]) -> Harvest:
    """Labelled model inputs from (image, region, label digits) examples, paired in order.

    An example read with a digit too many or too few is left out: its pairing of images and labels is
    unknown. The group of a digit is its example's position, so folds never split a field.
    """
    batches, labels, groups, seen = [], [], [], 0
    for index, (grey, region, digits) in enumerate(examples):
        seen += 1
        inputs = reader.digit_inputs(grey, region)
        if len(inputs) != len(digits):
            continue
        batches.append(inputs)
        labels.extend(digits)
        groups.extend([index] * len(digits))
    if not batches:
        return Harvest(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64), 0, seen)
    images = (np.concatenate(batches)[..., 0] * 255.0).round().astype(np.uint8)
    return Harvest(images, np.array(labels, np.int64), np.array(groups, np.int64), len(batches), seen)


def harvest_fields(reader: Reader, folder: Path) -> Harvest:
    """Digits of the labelled fields in ``folder`` (``labels.tsv`` + ``images/``), read as given fields."""
    examples = (
        (read_file_grey(folder / "images" / name, DEFAULT_MAX_PIXELS), "field", [int(d) for d in digits])
        for name, digits in read_field_labels(folder)
    )
    result = harvest(reader, examples)
    log.info(
        "%s: %d of %d fields give %d digits", folder.name, result.fields_used, result.fields_seen, len(result)
    )
    return result


def harvest_synthetic(reader: Reader, pool: MnistTestPool, count: int, seed: int) -> Harvest:
    """Digits of whole synthetic checks drawn from ``pool`` (MNIST training digits), located as at serving."""
    rng = np.random.default_rng(seed)

    def examples() -> Iterator[tuple[np.ndarray, Region, list[int]]]:
        for _ in range(count):
            grey, truth = generate_check(rng, pool)
            glyphs = sorted(truth["glyphs"], key=lambda g: g["bbox"][0])
            yield grey, "auto", [int(g["char"]) for g in glyphs if g["kind"] == "digit"]

    result = harvest(reader, examples())
    log.info("synthetic: %d of %d checks give %d digits", result.fields_used, count, len(result))
    return result


def training_pool(splits_seed: int, mnist) -> MnistTestPool:
    """MNIST training digits outside the validation split, so validation stays unseen."""
    train_idx, _ = stratified_split(mnist.train_labels, VALIDATION_SIZE, splits_seed)
    return MnistTestPool(mnist.train_images[train_idx], mnist.train_labels[train_idx], source="mnist-train")


def concat(parts: list[Harvest]) -> Harvest:
    """The digits of several harvests as one training set (field counts summed)."""
    return Harvest(
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.groups for p in parts]),
        sum(p.fields_used for p in parts),
        sum(p.fields_seen for p in parts),
    )
