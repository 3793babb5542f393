"""bench.read_accuracy: a model fine-tuned on the ORAND dev fields is reported as in-sample there."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.read_accuracy import fine_tuned_on, held_out_exact


def reader_with_training(training: dict, which: str = "digits", calibrator=None) -> SimpleNamespace:
    classifier = SimpleNamespace(card=SimpleNamespace(training=training))
    return SimpleNamespace(classifier=classifier, default_reader=which, calibrator=calibrator)


@pytest.mark.parametrize(
    ("training", "expected"),
    [
        ({}, False),
        ({"finetune": {"fields": [{"folder": "/data/orand-car-a-dev"}]}}, True),
        ({"finetune": {"fields": [{"folder": "/data/other-fields"}]}}, False),
        ({"finetune": {"fields": []}}, False),
    ],
)
def test_fine_tuned_on_reads_the_card(training: dict, expected: bool) -> None:
    assert fine_tuned_on(reader_with_training(training), Path("/elsewhere/orand-car-a-dev")) is expected


def test_held_out_exact_pools_the_folds_of_the_card() -> None:
    folds = [
        {"held_out": 200, "exact_base": 106, "exact_finetuned": 120},
        {"held_out": 200, "exact_base": 107, "exact_finetuned": 134},
    ]
    reader = reader_with_training({"finetune": {"cross_validation": folds}})
    assert held_out_exact(reader) == ("the digit model's folds", pytest.approx(254 / 400))
    assert held_out_exact(reader_with_training({})) is None


def test_held_out_exact_of_the_fused_reader_is_the_fusion_cards_cross_validation() -> None:
    """A fused reading is judged by the fused figure, not by the digit model's folds."""
    card = SimpleNamespace(metrics={"cross_validated": {"orand": {"exact_fused": 0.945}}})
    reader = reader_with_training({}, which="fused", calibrator=SimpleNamespace(card=card))
    what, rate = held_out_exact(reader)
    assert "fused" in what and rate == 0.945
