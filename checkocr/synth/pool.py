"""Handwritten digits to draw from: MNIST *test* digits only.

The classifier is trained on MNIST's training images, so synthetic checks built from the test split are
a fair test of reading: no digit on a synthetic check was ever seen in training. The pool can also be
built from any labelled digit array (tests use a few cv2-drawn digits and need no dataset at all).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from checkocr.mnist import MnistError, load_split, mnist_dir


@dataclass(frozen=True)
class DigitSample:
    index: int  # position in the source array (MNIST test index for the real pool)
    label: int
    image: np.ndarray  # uint8 [28, 28], white ink on black


@dataclass
class MnistTestPool:
    """Labelled digit images (white on black, any square size) grouped by label for sampling."""

    images: np.ndarray
    labels: np.ndarray
    source: str = "custom"
    _by_label: dict[int, np.ndarray] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.images.ndim != 3 or len(self.images) != len(self.labels):
            raise ValueError("images must be [N, h, w] with one label each")
        self.labels = np.asarray(self.labels).astype(np.int64)
        self._by_label = {d: np.flatnonzero(self.labels == d) for d in range(10)}
        missing = [d for d, idx in self._by_label.items() if idx.size == 0]
        if missing:
            raise ValueError(f"the digit pool has no examples of {missing}")

    @classmethod
    def from_data_dir(cls, data_dir: Path) -> MnistTestPool:
        """Loads only MNIST's t10k (test) files, verified against their pinned sha256 digests."""
        folder = mnist_dir(Path(data_dir))
        if not folder.is_dir():
            raise MnistError(f"{folder}: no MNIST folder (set CHECKOCR_DATA_DIR or pass --data-dir)")
        images, labels = load_split(folder, "t10k")
        return cls(images, labels, source="mnist-test")

    def sample(self, rng: np.random.Generator, digit: int) -> DigitSample:
        candidates = self._by_label[digit]
        index = int(candidates[rng.integers(candidates.size)])
        return DigitSample(index, digit, self.images[index])
