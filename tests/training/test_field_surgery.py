"""The field model's surgery: rebuilt from the pinned wheel it is byte for byte the shipped model, it is
smaller and lighter than the upstream one, and its frame argmax equals the masked upstream model's."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("onnx", reason="the field model surgery needs the train extra (onnx)")
pytest.importorskip("rapidocr", reason="the upstream recogniser comes from the rapidocr wheel (train extra)")

from checkocr.config import DEFAULT_FIELD_MODEL_PATH
from training import field_model as surgery


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    out = tmp_path_factory.mktemp("field")
    path, facts = surgery.build(out)
    surgery.write_card(path, facts, {})
    return path, facts


def drawn(text: str) -> np.ndarray:
    grey = np.full((70, 40 + 34 * len(text)), 235, np.uint8)
    cv2.putText(grey, text, (15, 52), cv2.FONT_HERSHEY_SIMPLEX, 1.5, 20, 3)
    return grey


def test_the_shipped_base_model_is_what_the_surgery_builds(built: tuple[Path, dict[str, object]]) -> None:
    path, _ = built
    base = DEFAULT_FIELD_MODEL_PATH.with_name("field-base.onnx")
    if not base.is_file():
        pytest.skip(f"{base} not built yet")
    shipped = json.loads(base.with_suffix(".json").read_text())
    assert hashlib.sha256(path.read_bytes()).hexdigest() == shipped["sha256"]
    assert (path.parent / surgery.NOTICE).read_text().startswith("# RapidOCR Model License")


def test_the_head_keeps_only_the_amount_alphabet(built: tuple[Path, dict[str, object]]) -> None:
    path, facts = built
    assert facts["parameters_removed"] == 120 * (18710 - 19) + (18710 - 19)
    assert path.stat().st_size < surgery.upstream_model().stat().st_size * 0.6
    assert facts["same_upper_pads_rewritten"] == 3  # two 2x2 convolutions and a max pooling


@pytest.mark.parametrize("text", ["1,234.56", "25.441.-", "$75=", "88/-"])
def test_frame_argmax_equals_the_masked_upstream_model(
    built: tuple[Path, dict[str, object]], text: str
) -> None:
    path, facts = built
    result = surgery.parity(path, [drawn(text)], facts["kept_class_indices"])  # type: ignore[arg-type]
    assert result["argmax_agreement"] == 1.0
    assert result["max_abs_diff"] < 1e-4
