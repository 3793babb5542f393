"""MNIST in its original IDX gzip files, parsed here and verified against pinned sha256 digests.

The loader is TensorFlow-free so that synthetic checks (which draw MNIST *test* digits) work from the
serving install too. Every file is checked before it is parsed: a wrong digest, a truncated archive or
a header that does not match what MNIST must be fails with an error naming the file.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
EXPECTED_COUNT = {"train": 60_000, "t10k": 10_000}
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
IMAGE_MAGIC = 2051
LABEL_MAGIC = 2049


class MnistError(RuntimeError):
    """A MNIST file is missing, corrupt, truncated or not what it claims to be."""


@dataclass(frozen=True)
class Mnist:
    train_images: np.ndarray  # uint8 [60000, 28, 28]
    train_labels: np.ndarray  # uint8 [60000]
    test_images: np.ndarray  # uint8 [10000, 28, 28]
    test_labels: np.ndarray  # uint8 [10000]


def mnist_dir(data_dir: Path) -> Path:
    """Accepts either the data root (holding ``mnist/``) or the MNIST folder itself."""
    return data_dir / "mnist" if (data_dir / "mnist").is_dir() else data_dir


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: Path) -> None:
    if not path.is_file():
        raise MnistError(f"{path}: missing (run 'checkocr train --download' or set CHECKOCR_DATA_DIR)")
    actual = sha256_of(path)
    expected = FILES[path.name]
    if actual != expected:
        raise MnistError(f"{path}: sha256 {actual} does not match the pinned {expected} (corrupt or altered)")


def _read_gz(path: Path) -> bytes:
    try:
        with gzip.open(path, "rb") as handle:
            return handle.read()
    except (EOFError, OSError, gzip.BadGzipFile) as exc:
        raise MnistError(f"{path}: not a complete gzip file ({exc})") from exc


def parse_idx(path: Path, *, images: bool) -> np.ndarray:
    """Parses one IDX file, checking magic number, dimensions and payload length."""
    raw = _read_gz(path)
    header_len = 16 if images else 8
    if len(raw) < 8:
        raise MnistError(f"{path}: truncated header ({len(raw)} bytes)")
    magic, count = struct.unpack(">II", raw[:8])
    expected_magic = IMAGE_MAGIC if images else LABEL_MAGIC
    if magic != expected_magic:
        raise MnistError(f"{path}: magic number {magic}, expected {expected_magic}")
    if len(raw) < header_len:
        raise MnistError(f"{path}: truncated header ({len(raw)} bytes)")
    shape: tuple[int, ...] = (count,)
    if images:
        rows, cols = struct.unpack(">II", raw[8:16])
        if (rows, cols) != (28, 28):
            raise MnistError(f"{path}: images are {rows}x{cols}, expected 28x28")
        shape = (count, rows, cols)
    payload = raw[header_len:]
    if len(payload) != int(np.prod(shape)):
        raise MnistError(f"{path}: payload has {len(payload)} bytes, header promises {int(np.prod(shape))}")
    return np.frombuffer(payload, dtype=np.uint8).reshape(shape)


def load_split(folder: Path, split: str, *, verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Loads ``train`` or ``t10k`` images and labels, verified."""
    image_path = folder / f"{split}-images-idx3-ubyte.gz"
    label_path = folder / f"{split}-labels-idx1-ubyte.gz"
    if verify:
        verify_file(image_path)
        verify_file(label_path)
    images = parse_idx(image_path, images=True)
    labels = parse_idx(label_path, images=False)
    if len(images) != len(labels) or len(images) != EXPECTED_COUNT[split]:
        raise MnistError(f"{folder}: {len(images)} images and {len(labels)} labels for '{split}'")
    if labels.max() > 9:
        raise MnistError(f"{label_path}: label {labels.max()} outside 0..9")
    return images, labels


def load_mnist(data_dir: Path) -> Mnist:
    folder = mnist_dir(data_dir)
    train_images, train_labels = load_split(folder, "train")
    test_images, test_labels = load_split(folder, "t10k")
    return Mnist(train_images, train_labels, test_images, test_labels)


def download(data_dir: Path, timeout_s: float = 60.0) -> Path:
    """Fetches the four files from the public mirrors (only when a user asks), verifying each digest."""
    folder = data_dir / "mnist"
    folder.mkdir(parents=True, exist_ok=True)
    for name, expected in FILES.items():
        target = folder / name
        if target.is_file() and sha256_of(target) == expected:
            continue
        errors = []
        for mirror in MIRRORS:
            partial = target.with_suffix(".part")
            try:
                with urllib.request.urlopen(mirror + name, timeout=timeout_s) as response:  # noqa: S310
                    partial.write_bytes(response.read())
            except OSError as exc:
                errors.append(f"{mirror}: {exc}")
                continue
            if sha256_of(partial) != expected:
                partial.unlink()
                errors.append(f"{mirror}: sha256 mismatch")
                continue
            partial.replace(target)
            break
        else:
            raise MnistError(f"could not download {name}: " + "; ".join(errors))
    return folder
