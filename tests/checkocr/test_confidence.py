"""Every factor of a reading's confidence, and when it goes to a person (checkocr/confidence.py)."""

from __future__ import annotations

import numpy as np
import pytest

from checkocr import confidence
from checkocr.confidence import located_confidence, review_reasons
from segmentation.split import Segment


def test_height_agreement_leaves_raised_cents_out() -> None:
    def digit(height: int, raised: bool = False) -> Segment:
        return Segment("digit", (0, 0, 20, height), raised=raised)

    assert confidence.height_agreement([digit(40), digit(42), digit(20, True), digit(21, True)]) > 0.99
    assert confidence.height_agreement([digit(40), digit(40), digit(80)]) == pytest.approx(
        float(np.exp(-confidence.HEIGHT_DOUBT * np.log(2) ** 2))
    )
    assert confidence.height_agreement([digit(40)]) == 1.0
    dot = Segment("separator", (0, 30, 5, 5), char=".")
    assert confidence.height_agreement([digit(40), dot, digit(40)]) == 1.0


def test_a_doubtful_location_lowers_a_single_readers_confidence() -> None:
    assert located_confidence(0.95, 1.0) == 0.95
    assert located_confidence(0.95, 0.5) == pytest.approx(0.475)
    assert located_confidence(1 / 3, 1.0) == 0.333333  # reported to 6 decimals


@pytest.mark.parametrize(
    ("amount", "score", "disagree", "found", "expected"),
    [
        ("12.00", 0.99, False, True, []),
        ("12.00", 0.99, True, False, []),  # accepted: what lowered nothing is not a reason
        ("12.00", 0.50, False, True, ["low_confidence"]),
        ("12.00", 0.50, True, False, ["low_confidence", "readers_disagree", "field_not_found"]),
        (None, 0.0, False, True, ["no_amount"]),
        (None, 0.0, True, True, ["no_amount", "readers_disagree"]),
    ],
)
def test_review_reasons_name_why_a_person_must_look(
    amount: str | None, score: float, disagree: bool, found: bool, expected: list[str]
) -> None:
    reasons = review_reasons(amount, score, 0.97, readers_disagree=disagree, field_found=found)
    assert reasons == expected


def test_no_amount_goes_to_review_even_at_a_zero_threshold() -> None:
    assert review_reasons(None, 0.0, 0.0) == ["no_amount"]
    assert review_reasons("5.00", 0.0, 0.0) == []
