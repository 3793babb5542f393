"""Expected-amount matching: parsing keyed amounts and per-digit probabilities from alternatives."""

from __future__ import annotations

import pytest

from checkocr.matching import AmountFormatError, digit_probability, match_expected, parse_amount
from checkocr.schemas import Alternative, Character, ModelInfo, Reading

MODEL = ModelInfo(name="digits", version="t", sha256="0" * 64)


def digit(char: str, confidence: float, **alternatives: float) -> Character:
    alts = [Alternative(char=k.removeprefix("d"), confidence=v) for k, v in alternatives.items()]
    return Character(char=char, kind="digit", confidence=confidence, bbox=(0, 0, 1, 1), alternatives=alts)


def reading(amount_cents: int | None, *characters: Character) -> Reading:
    amount = None if amount_cents is None else f"{amount_cents // 100}.{amount_cents % 100:02d}"
    return Reading(
        amount=amount,
        amount_cents=amount_cents,
        confidence=0.9,
        needs_review=False,
        characters=list(characters),
        model=MODEL,
    )


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("1234.56", 123456),
        ("1,234.56", 123456),
        ("1.234,56", 123456),
        ("$ 1 234,5", 123450),
        ("12", 1200),
        (".56", 56),
        ("1,234", 123400),
        ("0.07", 7),
        ("1,234,567.00", 123456700),
        ("12.345", 1_234_500),
    ],
)
def test_parse_amount(text: str, cents: int) -> None:
    assert parse_amount(text).cents == cents


@pytest.mark.parametrize("text", ["", "abc", "12.345.6", "1,23,4", "1.234.56,7,8", "-5", "1e3"])
def test_parse_amount_rejects_non_amounts(text: str) -> None:
    with pytest.raises(AmountFormatError):
        parse_amount(text)


def test_probability_is_the_product_of_expected_digit_probabilities() -> None:
    read = reading(
        1750, digit("1", 0.9, d7=0.08), digit("7", 0.99), digit("5", 0.95, d6=0.04), digit("0", 0.98)
    )
    match = match_expected(read, "17.50")
    assert match.matches
    assert match.probability == pytest.approx(0.9 * 0.99 * 0.95 * 0.98, abs=1e-6)


def test_runner_up_digit_gives_the_keyed_amount_its_probability() -> None:
    read = reading(1150, digit("1", 0.9), digit("1", 0.55, d7=0.45), digit("5", 1.0), digit("0", 1.0))
    match = match_expected(read, "17.50")
    assert not match.matches
    assert match.probability == pytest.approx(0.9 * 0.45)


def test_unlisted_class_gets_a_small_floor_not_zero() -> None:
    character = digit("3", 0.999, d8=0.0009)
    assert 1e-6 <= digit_probability(character, "4") <= 1e-3
    assert digit_probability(character, "8") == 0.0009


def test_digit_count_mismatch_is_zero_probability() -> None:
    read = reading(12345, digit("1", 1.0), digit("2", 1.0), digit("3", 1.0), digit("4", 1.0), digit("5", 1.0))
    assert match_expected(read, "1,234.00").probability == 0.0


def test_whole_dollars_written_without_cents_align() -> None:
    read = reading(123400, digit("1", 0.9), digit("2", 0.9), digit("3", 0.9), digit("4", 0.9))
    match = match_expected(read, "1,234.00")
    assert match.matches and match.probability == pytest.approx(0.9**4)


def test_unreadable_reading_never_matches() -> None:
    match = match_expected(reading(None), "10.00")
    assert not match.matches and match.probability == 0.0
