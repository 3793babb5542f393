"""A model is only served with the card that describes its exact bytes."""

from __future__ import annotations

import json
import shutil

import pytest

from checkocr.model_card import ModelError, load_card


@pytest.fixture
def model_copy(tmp_path, model_path):
    shutil.copyfile(model_path, tmp_path / "digits.onnx")
    shutil.copyfile(model_path.with_suffix(".json"), tmp_path / "digits.json")
    return tmp_path / "digits.onnx"


def test_sha256_mismatch_is_refused(model_copy):
    with model_copy.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelError, match=r"sha256 .* but its card digits\.json says"):
        load_card(model_copy)


def test_missing_model_and_missing_card(tmp_path, model_copy):
    with pytest.raises(ModelError, match="does not exist"):
        load_card(tmp_path / "absent.onnx")
    model_copy.with_suffix(".json").unlink()
    with pytest.raises(ModelError, match=r"model card .*digits\.json does not exist"):
        load_card(model_copy)


def test_card_missing_fields_is_refused(model_copy):
    card_path = model_copy.with_suffix(".json")
    card = json.loads(card_path.read_text())
    del card["input"]
    card_path.write_text(json.dumps(card))
    with pytest.raises(ModelError, match="not a valid card"):
        load_card(model_copy)
