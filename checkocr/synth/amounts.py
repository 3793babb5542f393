"""Amounts and the ways people write them in the courtesy box.

Every format is a recipe that turns integer cents into (a) the string exactly as drawn, which goes into
the ground truth as ``written``, and (b) the ordered tokens the handwriting module draws. Keeping both in
one place means the drawn glyphs and the label can never disagree, and ``parse_written`` proves that every
``written`` string reads back to its ``amount_cents``.

``written`` conventions: ``^`` marks the start of raised cents (``1234^56`` is 1234 with a small raised
"56" and an underline), a space is a visible gap, everything else is the literal character drawn.
The decimal ``amount`` string always has two decimals, also for whole-dollar formats (``$ 25`` -> ``25.00``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

MAX_CENTS = 9_999_999  # $99,999.99
FORMATS: tuple[str, ...] = (
    "comma_dot",  # 1,234.56
    "dot",  # 1234.56
    "raised_cents",  # 1234 with raised, underlined 56
    "fraction",  # 1,234 56/100
    "asterisk",  # **1234.56
    "dash_terminator",  # 1234.-
    "dollar_whole",  # $ 25
)
WHOLE_DOLLAR_FORMATS = frozenset({"dash_terminator", "dollar_whole"})


@dataclass(frozen=True)
class Token:
    """One thing the pen draws. ``style`` says how: ``normal`` full height on the baseline, ``raised``
    small and lifted (raised cents and their underline), ``small`` fraction numerator/denominator,
    ``space`` a visible gap that is not a glyph."""

    char: str
    kind: str  # digit | separator | currency | asterisk | terminator | fraction | space
    style: str = "normal"


def sample_cents(rng: np.random.Generator) -> int:
    """A realistic amount: log-uniform bands, most between $5 and $5,000, many in whole dollars."""
    band = rng.random()
    if band < 0.08:
        low, high = 0.01, 5.0
    elif band < 0.93:
        low, high = 5.0, 5000.0
    else:
        low, high = 5000.0, 99_999.99
    value = float(np.exp(rng.uniform(np.log(low), np.log(high))))
    cents = round(value * 100)
    if cents >= 100 and rng.random() < 0.45:
        cents -= cents % 100
    return int(min(max(cents, 1), MAX_CENTS))


def whole_dollars(cents: int) -> int:
    """Cents rounded down to whole dollars, at least $1 (for formats that cannot show cents)."""
    return max(100, cents - cents % 100)


def amount_string(cents: int) -> str:
    """The Reading's decimal string: '.' as decimal point, always two decimals."""
    return f"{cents // 100}.{cents % 100:02d}"


def _digits(text: str, style: str = "normal") -> list[Token]:
    return [Token(ch, "digit", style) if ch.isdigit() else Token(ch, "separator", style) for ch in text]


def compose(cents: int, fmt: str, rng: np.random.Generator) -> tuple[str, list[Token], int]:
    """Returns (written, tokens, cents) for ``fmt``; whole-dollar formats round the cents away."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown amount format {fmt!r}; choose from {', '.join(FORMATS)}")
    if fmt in WHOLE_DOLLAR_FORMATS:
        cents = whole_dollars(cents)
    dollars, rest = divmod(cents, 100)
    cents_text = f"{rest:02d}"
    if fmt == "comma_dot":
        written = f"{dollars:,}.{cents_text}"
        return written, _digits(written), cents
    if fmt == "dot":
        written = f"{dollars}.{cents_text}"
        return written, _digits(written), cents
    if fmt == "raised_cents":
        tokens = _digits(str(dollars)) + _digits(cents_text, "raised") + [Token("_", "fraction", "raised")]
        return f"{dollars}^{cents_text}", tokens, cents
    if fmt == "fraction":
        grouped = f"{dollars:,}"
        tokens = [*_digits(grouped), Token(" ", "space"), *_digits(cents_text, "small")]
        tokens += [Token("/", "fraction"), Token("100", "fraction", "small")]
        return f"{grouped} {cents_text}/100", tokens, cents
    if fmt == "asterisk":
        stars = "*" * int(rng.integers(1, 4))
        body = f"{dollars}.{cents_text}"
        return stars + body, [Token("*", "asterisk") for _ in stars] + _digits(body), cents
    if fmt == "dash_terminator":
        return f"{dollars}.-", [*_digits(str(dollars)), Token(".-", "terminator")], cents
    written = f"$ {dollars}"
    return written, [Token("$", "currency"), Token(" ", "space"), *_digits(str(dollars))], cents


_GROUPED = r"(\d{1,3}(?:,\d{3})+|\d+)"
_PATTERNS = (
    re.compile(rf"^\$ ?{_GROUPED}$"),
    re.compile(rf"^\**{_GROUPED}\.(\d\d)$"),
    re.compile(rf"^{_GROUPED}\^(\d\d)$"),
    re.compile(rf"^{_GROUPED} (\d\d)/100$"),
    re.compile(rf"^{_GROUPED}\.-$"),
)


def parse_written(written: str) -> int:
    """Reads a ``written`` string back to integer cents (the inverse of ``compose``)."""
    for pattern in _PATTERNS:
        match = pattern.match(written)
        if match:
            dollars = int(match.group(1).replace(",", ""))
            cents = int(match.group(2)) if match.lastindex and match.lastindex >= 2 else 0
            return dollars * 100 + cents
    raise ValueError(f"not a recognised written amount: {written!r}")


_ONES = (
    "",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
)
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")


def _below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(f"{_ONES[n // 100]} Hundred")
        n %= 100
    if n >= 20:
        parts.append(_TENS[n // 10] + (f"-{_ONES[n % 10]}" if n % 10 else ""))
    elif n:
        parts.append(_ONES[n])
    return " ".join(parts)


def legal_amount(cents: int) -> str:
    """The amount in words as written on the legal line: 'One Thousand Two Hundred and 56/100'."""
    dollars, rest = divmod(cents, 100)
    if dollars == 0:
        words = "Zero"
    else:
        thousands, units = divmod(dollars, 1000)
        words = " ".join(
            p
            for p in (f"{_below_thousand(thousands)} Thousand" if thousands else "", _below_thousand(units))
            if p
        )
    return f"{words} and {rest:02d}/100"
