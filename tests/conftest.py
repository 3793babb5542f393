"""Shared fixtures: where the data and the shipped model are, and skips that say why."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from checkocr.config import DEFAULT_FIELD_MODEL_PATH, DEFAULT_MODEL_PATH, Settings


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The dataset folder (CHECKOCR_DATA_DIR or ../shared/data); skips when it is absent."""
    folder = Settings().data_dir
    if folder is None or not folder.is_dir():
        pytest.skip("no dataset folder: set CHECKOCR_DATA_DIR or provide ../shared/data")
    return folder


@pytest.fixture(scope="session")
def mnist_data_dir(data_dir: Path) -> Path:
    if not (data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        pytest.skip(f"MNIST not found under {data_dir}/mnist")
    return data_dir


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The shipped digit model; skips when it has not been built (a fresh training checkout)."""
    if not DEFAULT_MODEL_PATH.is_file():
        pytest.skip(f"shipped model {DEFAULT_MODEL_PATH} not built yet (run 'checkocr train')")
    return DEFAULT_MODEL_PATH


@pytest.fixture(scope="session")
def field_model_path() -> Path:
    """The shipped field model (committed under onnx_models/, built by training.field_model)."""
    if not DEFAULT_FIELD_MODEL_PATH.is_file():
        pytest.skip(f"shipped field model {DEFAULT_FIELD_MODEL_PATH} not built yet")
    return DEFAULT_FIELD_MODEL_PATH


@pytest.fixture(scope="session", autouse=True)
def digit_reader_by_default() -> Iterator[None]:
    """Most tests serve and read with the tiny digit model (tests/service/service_testkit.py). The
    fusion card was fitted for the shipped models, so the fused reader is refused with the tiny one;
    those tests read with the digit path. Tests of the fused default (the real server in
    tests/service/test_serve.py, the golden readings, the reader tests) choose their reader."""
    previous = os.environ.get("CHECKOCR_READER")
    os.environ["CHECKOCR_READER"] = "digits"
    yield
    if previous is None:
        os.environ.pop("CHECKOCR_READER", None)
    else:
        os.environ["CHECKOCR_READER"] = previous
