"""bench.read_accuracy: a model fine-tuned on the ORAND dev fields is reported as in-sample there."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from bench.read_accuracy import fine_tuned_on


def reader_with_training(training: dict) -> SimpleNamespace:
    return SimpleNamespace(classifier=SimpleNamespace(card=SimpleNamespace(training=training)))


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
