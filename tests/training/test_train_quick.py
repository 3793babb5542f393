"""The whole training path on a few hundred images: three candidates, export, parity, card, report."""

from __future__ import annotations

import json

import numpy as np
import pytest

from checkocr.classifier import DigitClassifier
from checkocr.mnist import load_split, sha256_of
from checkocr.model_card import ModelCard, load_card
from segmentation.normalize import to_mnist
from tests.cli import run_checkocr

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory, mnist_data_dir):
    out = tmp_path_factory.mktemp("quick")
    result = run_checkocr(
        "train", "--quick", "--out", str(out), "--data-dir", str(mnist_data_dir), timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_quick_run_ships_a_model_whose_card_matches(quick_run):
    out, result = quick_run
    card = load_card(out / "digits.onnx")  # raises on schema or sha256 mismatch
    assert card.sha256 == sha256_of(out / "digits.onnx")
    assert [c.kind for c in card.candidates] == ["logistic", "cnn", "resnet50"]
    assert sum(c.chosen for c in card.candidates) == 1
    chosen = next(c for c in card.candidates if c.chosen)
    assert chosen.val_accuracy == max(c.val_accuracy for c in card.candidates)
    assert card.training["quick"] is True
    assert card.input.name == "digits" and card.input.shape == ["N", 28, 28, 1]
    assert "shipped" in result.stdout


def test_quick_run_checked_onnx_parity_on_1000_images(quick_run):
    out, _ = quick_run
    card = json.loads((out / "digits.json").read_text())
    for candidate in card["candidates"]:
        assert candidate["parity"]["images"] == 1000
        assert candidate["parity"]["max_abs_diff"] < 1e-4
        assert candidate["parity"]["argmax_agreement"] == 1.0
    resnet = next(c for c in card["candidates"] if c["kind"] == "resnet50")
    assert resnet["notes"]["pretrained"] in (True, False)


def test_quick_model_serves_through_onnxruntime_with_the_contract(quick_run, mnist_data_dir):
    out, _ = quick_run
    classifier = DigitClassifier(out / "digits.onnx")
    images, _ = load_split(mnist_data_dir / "mnist", "t10k")
    probabilities = classifier.predict(
        np.stack([to_mnist(i) for i in images[:16]])[..., None].astype(np.float32)
    )
    assert probabilities.shape == (16, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_quick_run_writes_the_report(quick_run):
    out, _ = quick_run
    report = out / "digits-report"
    for name in ("README.md", "curves.png", "confusion.png", "reliability.png"):
        assert (report / name).stat().st_size > 0
    assert "| resnet50 |" in (report / "README.md").read_text()
    assert ModelCard.model_validate_json((out / "digits.json").read_text()).selection
