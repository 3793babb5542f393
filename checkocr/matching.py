"""Does the amount written on the check agree with the amount the depositor keyed in?

Deposit pipelines auto-accept a check when the two agree, so besides "does the read amount equal the
keyed one" this gives the probability that the *written digits are exactly the keyed digits*, taken from
the classifier's per-digit distributions. That probability stays meaningful when the best reading is
wrong but the keyed amount is the runner-up (a 7 read as 1 with 0.45 vs 0.55), which is exactly when a
keyed amount helps most.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from checkocr.schemas import Character, Reading

DIGITS = "0123456789"
UNLISTED_CEILING = 1e-3  # alternatives list every class with probability >= 0.001
UNLISTED_FLOOR = 1e-6
# re.ASCII: only 0-9 are digits (Python's \d also matches Arabic-Indic and other scripts' digits).
AMOUNT_TEXT = re.compile(
    r"^\d{1,3}([ ,.'\u00a0]\d{3})*([.,]\d{1,2})?$|^\d+([.,]\d{1,2})?$|^[.,]\d{1,2}$", re.ASCII
)
MAX_INTEGER_DIGITS = 15  # 999 trillion: beyond any check, and far below int()'s 4300-digit limit


class AmountFormatError(ValueError):
    """The keyed amount is not a plain decimal amount."""


class ExpectedAmountMatch(BaseModel):
    matches: bool = Field(description="The amount read equals the expected amount")
    probability: float = Field(
        ge=0.0, le=1.0, description="Probability that the written digits are exactly the expected digits"
    )


@dataclass(frozen=True)
class KeyedAmount:
    cents: int
    integer_digits: str
    cents_digits: str


def parse_amount(text: str) -> KeyedAmount:
    """'1234.56', '1,234.56', '1.234,56', '1 234,5', '$12', '.56' -> cents and digit strings.

    The last separator is the decimal mark when one or two digits follow it; every other separator
    groups thousands and must then be followed by exactly three digits.
    """
    cleaned = text.strip().removeprefix("$").removesuffix("$").strip()
    if not cleaned or not AMOUNT_TEXT.match(cleaned):
        raise AmountFormatError(f"expected_amount {text!r} is not an amount like 1234.56 or 1,234.56")
    match = re.search(r"[.,](\d{1,2})$", cleaned)
    cents_digits = match.group(1) if match else ""
    integer_part = cleaned[: match.start()] if match else cleaned
    grouping = set(re.sub(r"\d", "", integer_part))
    if len(grouping) > 1 or (match and cleaned[match.start()] in grouping):
        raise AmountFormatError(
            f"expected_amount {text!r} mixes separators; write it like 1234.56 or 1,234.56"
        )
    integer_digits = re.sub(r"[^0-9]", "", integer_part)
    if len(integer_digits) > MAX_INTEGER_DIGITS:
        raise AmountFormatError(
            f"expected_amount has {len(integer_digits)} integer digits; "
            f"at most {MAX_INTEGER_DIGITS} are accepted"
        )
    integer_value = int(integer_digits or "0")
    cents_value = int(cents_digits.ljust(2, "0")) if cents_digits else 0
    return KeyedAmount(integer_value * 100 + cents_value, integer_digits, cents_digits)


def candidate_digit_strings(keyed: KeyedAmount) -> list[str]:
    """The digit sequences a writer may have put on paper for this amount, most complete first.

    "1234.00" is often written "1234" (no cents) or "1234.-", and "0.56" as ".56", so those forms are
    candidates too; the one whose length equals the number of digits read is used.
    """
    integer = keyed.integer_digits
    cents = keyed.cents_digits.ljust(2, "0") if keyed.cents_digits else "00"
    candidates = [integer + cents]
    if cents == "00":
        candidates.append(integer)
    stripped = integer.lstrip("0")
    if stripped != integer:
        candidates.append(stripped + cents)
    return [c for i, c in enumerate(candidates) if c and c not in candidates[:i]]


def digit_probability(character: Character, digit: str) -> float:
    """P(character is ``digit``) from its confidence and alternatives.

    Classes not listed had probability below 0.001; they share what is left of the mass, clamped to
    [1e-6, 1e-3] so one unlisted digit cannot make the product exactly zero or look likely.
    """
    return digit_distribution(character)[digit]


def digit_distribution(character: Character) -> dict[str, float]:
    """``digit_probability`` of every digit at once (a reading scored against many candidates asks
    for all ten)."""
    listed = {alt.char: alt.confidence for alt in character.alternatives}
    unlisted = [d for d in DIGITS if d != character.char and d not in listed]
    leftover = max(0.0, 1.0 - character.confidence - sum(listed.values()))
    share = leftover / len(unlisted) if unlisted else 0.0
    rest = min(UNLISTED_CEILING, max(UNLISTED_FLOOR, share))
    return {d: listed.get(d, rest) for d in DIGITS} | {character.char: character.confidence}


def match_expected(reading: Reading, expected: str | KeyedAmount) -> ExpectedAmountMatch:
    """Compares a reading with the keyed amount; raises AmountFormatError for an unparsable amount."""
    keyed = parse_amount(expected) if isinstance(expected, str) else expected
    digits = [c for c in reading.characters if c.kind == "digit"]
    matches = reading.amount_cents is not None and reading.amount_cents == keyed.cents
    if reading._keyed_probability is not None:  # the fused reader: both readers' view of the keyed digits
        probability = reading._keyed_probability(keyed)
        return ExpectedAmountMatch(matches=matches, probability=round(min(1.0, max(0.0, probability)), 6))
    aligned = next((s for s in candidate_digit_strings(keyed) if len(s) == len(digits)), None)
    if aligned is None or not digits:
        return ExpectedAmountMatch(matches=matches, probability=0.0)
    probability = 1.0
    for character, digit in zip(digits, aligned, strict=True):
        probability *= digit_probability(character, digit)
    return ExpectedAmountMatch(matches=matches, probability=round(min(1.0, probability), 6))
