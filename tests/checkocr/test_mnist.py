"""The IDX loader: good files parse, damaged ones fail with a message that names the file."""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest

from checkocr import mnist
from checkocr.mnist import MnistError, load_split, parse_idx, verify_file


def write_idx(path: Path, array: np.ndarray, magic: int) -> Path:
    header = struct.pack(">II", magic, array.shape[0])
    if array.ndim == 3:
        header += struct.pack(">II", *array.shape[1:])
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())
    return path


def test_parses_images_and_labels(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    image_file = write_idx(tmp_path / "images.gz", images, mnist.IMAGE_MAGIC)
    label_file = write_idx(tmp_path / "labels.gz", np.array([7, 0, 9]), mnist.LABEL_MAGIC)
    np.testing.assert_array_equal(parse_idx(image_file, images=True), images)
    np.testing.assert_array_equal(parse_idx(label_file, images=False), [7, 0, 9])


def test_truncated_payload_names_the_file(tmp_path):
    path = tmp_path / "short.gz"
    with gzip.open(path, "wb") as handle:
        handle.write(struct.pack(">IIII", mnist.IMAGE_MAGIC, 5, 28, 28) + bytes(28 * 28 * 2))
    with pytest.raises(MnistError, match=r"short\.gz: payload has 1568 bytes, header promises 3920"):
        parse_idx(path, images=True)


def test_truncated_gzip_stream_is_reported(tmp_path):
    good = write_idx(tmp_path / "good.gz", np.zeros((50, 28, 28)), mnist.IMAGE_MAGIC)
    cut = tmp_path / "cut.gz"
    cut.write_bytes(good.read_bytes()[:40])
    with pytest.raises(MnistError, match=r"cut\.gz: not a complete gzip file"):
        parse_idx(cut, images=True)


def test_wrong_magic_and_wrong_dimensions(tmp_path):
    labels_as_images = write_idx(tmp_path / "labels.gz", np.zeros(4), mnist.LABEL_MAGIC)
    with pytest.raises(MnistError, match="magic number 2049, expected 2051"):
        parse_idx(labels_as_images, images=True)
    big = write_idx(tmp_path / "big.gz", np.zeros((1, 32, 32)), mnist.IMAGE_MAGIC)
    with pytest.raises(MnistError, match="32x32, expected 28x28"):
        parse_idx(big, images=True)


def test_checksum_mismatch_names_the_file(tmp_path):
    forged = write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(10_000), mnist.LABEL_MAGIC)
    with pytest.raises(MnistError, match=r"t10k-labels-idx1-ubyte\.gz: sha256 .* does not match the pinned"):
        verify_file(forged)


def test_missing_file_says_how_to_get_it(tmp_path):
    with pytest.raises(MnistError, match=r"missing .*--download"):
        load_split(tmp_path, "t10k")


def test_real_files_verify_and_load(mnist_data_dir):
    images, labels = load_split(mnist_data_dir / "mnist", "t10k")
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).min() > 800
