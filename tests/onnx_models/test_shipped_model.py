"""The model that ships: its card is honest and it reaches the accuracy the card claims."""

from __future__ import annotations

import numpy as np
import pytest

from checkocr.classifier import DigitClassifier
from checkocr.mnist import load_split, sha256_of
from checkocr.model_card import load_card

REQUIRED_TEST_ACCURACY = 0.996


def test_card_describes_the_shipped_file(model_path):
    card = load_card(model_path)
    assert card.sha256 == sha256_of(model_path)
    assert {c.kind for c in card.candidates} == {"logistic", "cnn", "resnet50"}
    assert card.training["quick"] is False
    assert card.output.classes == [str(d) for d in range(10)]


def test_shipped_model_meets_accuracy_on_all_10000_mnist_test_images(model_path, mnist_data_dir):
    classifier = DigitClassifier(model_path)
    images, labels = load_split(mnist_data_dir / "mnist", "t10k")
    batch = (images.astype(np.float32) / 255.0)[..., None]  # exactly the card's input contract
    predicted = np.concatenate([classifier.predict(batch[i : i + 1000]) for i in range(0, 10_000, 1000)])
    accuracy = float((predicted.argmax(axis=1) == labels).mean())
    assert accuracy >= REQUIRED_TEST_ACCURACY
    assert accuracy == pytest.approx(classifier.card.metrics.test_accuracy, abs=1e-4)
