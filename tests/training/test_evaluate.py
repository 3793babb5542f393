"""Calibration and confusion arithmetic that the model card reports."""

from __future__ import annotations

import numpy as np
import pytest

from training import evaluate


def test_confusion_and_precision_recall():
    labels = np.array([0, 0, 1, 1, 2])
    predicted = np.array([0, 1, 1, 1, 0])
    matrix = evaluate.confusion_matrix(predicted, labels, classes=3)
    assert matrix.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    scores = evaluate.per_class_precision_recall(matrix)
    assert scores["0"] == {"precision": 0.5, "recall": 0.5}
    assert scores["1"]["precision"] == pytest.approx(2 / 3) and scores["1"]["recall"] == 1.0
    assert scores["2"] == {"precision": 0.0, "recall": 0.0}


def test_ece_is_zero_when_confidence_equals_accuracy():
    probabilities = np.tile([0.8, 0.2], (10, 1))
    labels = np.array([0] * 8 + [1] * 2)
    assert evaluate.expected_calibration_error(probabilities, labels) == pytest.approx(0.0, abs=1e-9)


def test_ece_measures_overconfidence():
    probabilities = np.tile([0.99, 0.01], (10, 1))
    labels = np.array([0] * 5 + [1] * 5)
    assert evaluate.expected_calibration_error(probabilities, labels) == pytest.approx(0.49)


def test_temperature_fit_recovers_the_temperature_that_generated_labels():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 4, size=(20_000, 10))
    true_probabilities = evaluate.calibrated(logits, 2.5)
    labels = np.array([rng.choice(10, p=p) for p in true_probabilities])
    assert evaluate.fit_temperature(logits, labels) == pytest.approx(2.5, rel=0.05)
    raw_ece = evaluate.expected_calibration_error(evaluate.calibrated(logits, 1.0), labels)
    fitted_ece = evaluate.expected_calibration_error(true_probabilities, labels)
    assert fitted_ece < raw_ece / 3
