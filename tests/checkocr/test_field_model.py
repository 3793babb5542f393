"""The field model at serving time: its card-driven input contract, and where its frames lie."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from checkocr.field_model import FieldModel
from checkocr.model_card import ModelError


@pytest.fixture(scope="module")
def field_model(field_model_path: Path) -> FieldModel:
    return FieldModel(field_model_path)


def test_input_is_48_high_normalised_and_padded_to_the_cards_minimum_width(field_model: FieldModel) -> None:
    spec = field_model.card.input
    grey = np.full((40, 100), 255, np.uint8)
    grey[10:30, 40:60] = 0
    batch, scale, margin = field_model.prepare(grey)
    assert batch.dtype == np.float32 and batch.shape[:3] == (1, 3, spec.height)
    assert batch.shape[3] == spec.min_width and batch.shape[3] % spec.width_multiple == 0
    assert margin == round(spec.margin_fraction * 40)
    content = round((100 + 2 * margin) * scale)
    assert content == round(spec.height * (100 + 2 * margin) / 40)  # aspect kept
    assert batch[0, :, :, :content].min() == pytest.approx(-1.0)  # ink -> -1
    assert batch[0, :, :, :content].max() == pytest.approx(1.0)  # paper -> 1
    assert np.all(batch[0, :, :, content:] == spec.pad_value)
    assert np.array_equal(batch[0, 0], batch[0, 2])  # grey in all three channels


def test_a_very_wide_field_is_squeezed_to_the_maximum_width(field_model: FieldModel) -> None:
    batch, _, _ = field_model.prepare(np.full((20, 2000), 255, np.uint8))
    assert batch.shape[3] == field_model.card.input.max_width


def test_frames_cover_the_crop_from_margin_to_margin(field_model: FieldModel) -> None:
    frames = field_model.frames(np.full((60, 300), 255, np.uint8))
    assert frames.probs.shape[1] == 1 + len(frames.alphabet)
    assert np.allclose(frames.probs.sum(axis=1), 1.0, atol=1e-4)
    assert frames.columns(0, 0)[0] == 0
    assert frames.columns(0, len(frames.probs) - 1)[1] == 300


@pytest.mark.parametrize("shape", [(1, 500), (5, 40), (60, 1)])
def test_a_crop_too_small_for_handwriting_is_refused_with_a_reason(
    field_model: FieldModel, shape: tuple[int, int]
) -> None:
    with pytest.raises(ValueError, match="too small"):
        field_model.frames(np.full(shape, 255, np.uint8))


def test_a_model_that_does_not_match_its_card_is_refused(field_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "field.onnx"
    shutil.copyfile(field_model_path, copy)
    card = json.loads(field_model_path.with_suffix(".json").read_text())
    card["sha256"] = "0" * 64
    copy.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="sha256"):
        FieldModel(copy)


def test_a_card_without_the_blank_class_first_is_refused(field_model_path: Path, tmp_path: Path) -> None:
    copy = tmp_path / "field.onnx"
    shutil.copyfile(field_model_path, copy)
    card = json.loads(field_model_path.with_suffix(".json").read_text())
    card["output"]["classes"] = card["output"]["classes"][1:]
    copy.with_suffix(".json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="blank"):
        FieldModel(copy)
