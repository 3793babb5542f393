"""Classified glyphs in, amount out: where the decimal point is, what is grouping, what is decoration.

A pure function (no images), so every written format can be unit-tested from a glyph list:

- ``1,234.56`` / ``1234.56``: a separator followed by exactly two final digits is the decimal point
  (US style); the other separators group thousands.
- ``1234`` + raised ``56``: trailing digits written small above the line are cents.
- ``1,234 56/100``: two digits, a slash and "100" at the end are cents written as a fraction.
- ``**1234.00``, ``$ 25``: leading asterisks and currency signs are kept as characters, never as digits.
- ``1234.-``, ``1234=``, ``88,00,000/-``: terminators after the last digit close the amount.
- ORAND (Uruguay) ``25.441.-`` and Indian lakh ``88,00,000/-``: groups of three (or the lakh 2-2-3
  pattern) are grouping, so the amount is an integer: amount "25441.00", amount_cents 2544100.

``decimal`` forces the decimal mark: "." (commas group), "," (dots group), or "auto" (by position).
The confidence is the estimated probability that the whole amount is right: the product of the digits'
top probabilities times a structure factor (< 1 when the decimal mark, the grouping or a fraction's
cents are ambiguous); an amount of zero has confidence 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from checkocr.options import DECIMALS, Decimal
from checkocr.schemas import Alternative, Character

DIGITS = "0123456789"
ALTERNATIVE_MIN = 0.001

# Structure factors: how often the layout reading is right when the evidence is weak.
AMBIGUOUS_DECIMAL = 0.93  # one separator with two digits after it: decimal point or a lost digit?
IRREGULAR_GROUPS = 0.85  # grouping separators that do not fall every three (or lakh) digits
FRACTION_CONFIRMED = 1.0
# A "/100" was found but fewer than three digits stand before it: "16/100" is 0.16 or 16.00 with the
# cents lost, and a misread slash is as likely as either (dev synthetic: the one such reading was wrong).
FRACTION_UNRESOLVED = 0.85
# Nobody ends an amount with more than three marks ("./-" at most): four or more dots and dashes after
# the last digit are digits the split took for marks, usually under a tall first stroke that set the
# digit height (ORAND dev: 6 of 7 such readings wrong, one at confidence 0.99).
TAIL_MARKS_MAX = 3
CROWDED_TAIL = 0.5
# Marks that close an amount in whole units (".-", "=", "/-"). Not "/": raised cents before a
# fraction's lost "100" ("12^34/") end in a slash.
WHOLE_TERMINATORS = ("-", "=")


class AssemblyError(ValueError):
    """The glyph list itself is malformed (not an unreadable amount, which is a normal result)."""


@dataclass(frozen=True)
class Glyph:
    """One classified glyph. Digits carry the ten class probabilities; others a geometric confidence."""

    kind: str  # digit, separator, currency, asterisk, terminator, fraction, unknown
    char: str
    confidence: float
    bbox: tuple[int, int, int, int]
    probabilities: tuple[float, ...] | None = None
    raised: bool = False
    slash_like: bool = False

    @staticmethod
    def digit(
        probabilities: Sequence[float],
        bbox: tuple[int, int, int, int],
        raised: bool = False,
        slash_like: bool = False,
        char: str | None = None,
    ) -> Glyph:
        """The likeliest digit, or ``char`` when the reading already decided which digit the glyph
        is (a candidate string placed on the field model's frames: its digit, not the frame's)."""
        probs = tuple(float(p) for p in probabilities)
        if len(probs) != 10 or not all(np.isfinite(probs)):
            raise AssemblyError(f"a digit needs 10 finite class probabilities, got {len(probs)}")
        if char is not None and char not in DIGITS:
            raise AssemblyError(f"a digit glyph cannot be {char!r}")
        best = int(np.argmax(probs)) if char is None else DIGITS.index(char)
        return Glyph("digit", DIGITS[best], probs[best], bbox, probs, raised, slash_like)


@dataclass
class Assembly:
    amount: str | None
    amount_cents: int | None
    confidence: float  # the assembly's own score; checkocr/confidence.py makes the reported one
    characters: list[Character] = field(default_factory=list)
    reason: str | None = None


def alternatives(probabilities: Sequence[float], best: int) -> list[Alternative]:
    others = [(p, i) for i, p in enumerate(probabilities) if i != best and p >= ALTERNATIVE_MIN]
    return [
        Alternative(char=DIGITS[i], confidence=round(min(1.0, p), 6)) for p, i in sorted(others, reverse=True)
    ]


def to_character(glyph: Glyph) -> Character:
    alts: list[Alternative] = []
    if glyph.kind == "digit" and glyph.probabilities is not None:
        alts = alternatives(glyph.probabilities, DIGITS.index(glyph.char))
    return Character(
        char=glyph.char,
        kind=glyph.kind,  # type: ignore[arg-type]
        confidence=round(float(min(1.0, max(0.0, glyph.confidence))), 6),
        bbox=tuple(int(v) for v in glyph.bbox),  # type: ignore[arg-type]
        alternatives=alts,
        raised=glyph.raised,
    )


def relabel(glyph: Glyph, kind: str, char: str | None = None) -> Glyph:
    return Glyph(kind, char or glyph.char, glyph.confidence, glyph.bbox, glyph.probabilities, glyph.raised)


def mark_fraction(glyphs: list[Glyph]) -> bool:
    """Turns a trailing ``/100`` (slash-like glyph then digits 1, 0, 0) into fraction characters."""
    digit_idx = [i for i, g in enumerate(glyphs) if g.kind == "digit"]
    if len(digit_idx) < 6:
        return False
    slash, one, zero1, zero2 = digit_idx[-4:]
    tail = "".join(glyphs[i].char for i in (one, zero1, zero2))
    if tail != "100" or not glyphs[slash].slash_like:
        return False
    glyphs[slash] = relabel(glyphs[slash], "fraction", "/")
    for i in (one, zero1, zero2):
        glyphs[i] = relabel(glyphs[i], "fraction")
    return True


def mark_terminators(glyphs: list[Glyph]) -> None:
    """After the last digit only terminators remain: a dot or slash before a dash joins it (".-", "/-")."""
    digit_idx = [i for i, g in enumerate(glyphs) if g.kind == "digit"]
    if not digit_idx:
        return
    last = digit_idx[-1]
    # "/-": the slash, however upright it came out, is a "1"-like stroke right before the closing dash.
    following = glyphs[last + 1] if last + 1 < len(glyphs) else None
    dash_next = following is not None and following.kind == "terminator" and following.char == "-"
    slash = glyphs[last].slash_like or glyphs[last].char == "1"
    if slash and dash_next and len(digit_idx) > 1:
        glyphs[last] = relabel(glyphs[last], "terminator", "/")
        last = digit_idx[-2]
    for i in range(last + 1, len(glyphs)):
        if glyphs[i].kind == "separator":
            glyphs[i] = relabel(glyphs[i], "terminator")


def split_groups(body: list[Glyph]) -> tuple[list[str], list[str]]:
    """Digit runs and the separator chars between them (leading/trailing separators dropped)."""
    groups: list[str] = []
    marks: list[str] = []
    current = ""
    pending: str | None = None
    for glyph in body:
        if glyph.kind == "digit":
            if pending is not None and current:
                groups.append(current)
                marks.append(pending)
                current = ""
            pending = None
            current += glyph.char
        elif glyph.kind == "separator" and current:
            pending = glyph.char
    if current:
        groups.append(current)
    return groups, marks


def grouping_regular(groups: Sequence[str]) -> bool:
    """Thousands (x,xxx,xxx) or Indian lakh (x,xx,xx,xxx) grouping."""
    if len(groups) < 2:
        return True
    head, rest = groups[0], groups[1:]
    if not 1 <= len(head) <= 3:
        return False
    if all(len(g) == 3 for g in rest):
        return True
    return len(rest[-1]) == 3 and all(len(g) == 2 for g in rest[:-1]) and len(head) <= 2


def grouping_factor(groups: Sequence[str]) -> float:
    """The structure factor of integer groups: 1.0 when they group as thousands or lakh, else
    IRREGULAR_GROUPS."""
    return 1.0 if grouping_regular(groups) else IRREGULAR_GROUPS


def decide_cents(
    groups: list[str], marks: list[str], decimal: Decimal, closed: bool = False
) -> tuple[list[str], str | None, float]:
    """Splits the digit groups into integer groups and a cents string; returns a structure factor.
    ``closed``: a dash or "=" ends the amount, which closes it in whole units ("316.-", "11.32.-"):
    by position, a mark before its last two digits is then no decimal point, unless nothing but
    a zero stands before it ("0.05-")."""
    if not marks:
        if len(groups) == 1 and len(groups[0]) >= 3 and groups[0][0] == "0":
            # Nobody writes a whole amount with a leading zero: a point or a lift was lost. "092" is
            # 0.92 (dev synthetic seeds 2468 and 4242: all 19 such readings were amounts below one
            # dollar); with more digits nothing says where the cents were ("0921" for "0 92/100",
            # its slash read as "1"), so it is read as written, in doubt.
            if len(groups[0]) == 3:
                return ["0"], groups[0][1:], AMBIGUOUS_DECIMAL
            return groups, None, IRREGULAR_GROUPS
        return groups, None, 1.0
    last_mark, last_group = marks[-1], groups[-1]
    if closed and decimal == "auto" and int("".join(groups[:-1]) or "0") > 0:
        return groups, None, grouping_factor(groups)
    if decimal in (".", ","):
        if last_mark == decimal and len(last_group) <= 2:
            return groups[:-1], last_group.ljust(2, "0"), 1.0
        return groups, None, grouping_factor(groups)
    if len(last_group) == 2 and last_mark in {".", ","}:
        others = marks[:-1]
        if others and all(m != last_mark for m in others):
            # "1,234.56" / "1.234,56": a distinct last mark, before it groups like any other ("4,69.00")
            return groups[:-1], last_group, grouping_factor(groups[:-1])
        if not others:
            return groups[:-1], last_group, AMBIGUOUS_DECIMAL
        return groups[:-1], last_group, grouping_factor(groups[:-1]) * AMBIGUOUS_DECIMAL
    return groups, None, grouping_factor(groups)


def closed_whole(glyphs: Sequence[Glyph]) -> bool:
    """Whether a dash or "=" (``WHOLE_TERMINATORS``) follows the last digit of a left-to-right
    glyph list (after ``mark_terminators``)."""
    for glyph in reversed(glyphs):
        if glyph.kind == "digit":
            return False
        if glyph.kind == "terminator" and glyph.char in WHOLE_TERMINATORS:
            return True
    return False


def amount_payable(integer: str, cents: str) -> bool:
    """No check is written for nothing: an amount of 0.00 means digits were lost or a sign or a
    flourish was read as "0", so such a reading is never right and must go to review."""
    return int(integer) > 0 or int(cents) > 0


def tail_marks(glyphs: Sequence[Glyph]) -> int:
    """How many separators and terminators follow the last digit of a left-to-right glyph list."""
    count = 0
    for glyph in reversed(glyphs):
        if glyph.kind == "digit":
            break
        count += glyph.kind in ("separator", "terminator")
    return count


def assemble(glyphs: Sequence[Glyph], decimal: Decimal = "auto", in_order: bool = False) -> Assembly:
    """The amount, integer cents, confidence and characters of a glyph list, put left to right by
    their boxes; ``in_order``: already in reading order (the field model's characters, whose CTC
    order is exact where their boxes are not: a point firing over the digit after it, two digits
    written joined sharing one box)."""
    if decimal not in DECIMALS:
        raise AssemblyError(f"decimal must be 'auto', '.' or ',', not {decimal!r}")
    work = list(glyphs)
    for glyph in work:  # checked before sorting, which reads .bbox
        if not isinstance(glyph, Glyph):
            raise AssemblyError(f"expected Glyph objects, got {type(glyph).__name__}")
    if not in_order:
        work.sort(key=lambda g: g.bbox[0])
    has_fraction = mark_fraction(work) or any(g.kind == "fraction" and g.char == "/" for g in work)
    mark_terminators(work)
    characters = [to_character(g) for g in work]
    digits = [g for g in work if g.kind == "digit"]
    if not digits:
        return Assembly(None, None, 0.0, characters, reason="no handwritten digits found in the field")

    raised = [g for g in digits if g.raised]
    main = [g for g in work if not (g.kind == "digit" and g.raised)]
    cents: str | None = None
    factor = 1.0
    if has_fraction:
        # Raised or not, every digit before the slash counts: "56" in "56/100" is often written small.
        groups, marks = split_groups([g for g in work if g.kind in ("digit", "separator")])
        all_digits = "".join(groups)
        if len(all_digits) >= 3:
            cents, integer_groups = all_digits[-2:], [all_digits[:-2]]
            factor = FRACTION_CONFIRMED
        else:
            integer_groups = groups
            factor = FRACTION_UNRESOLVED
    elif len(raised) == 2 and len(raised) < len(digits):
        groups, marks = split_groups([g for g in main if g.kind in ("digit", "separator")])
        integer_groups, cents = groups, "".join(g.char for g in raised)
        factor = grouping_factor(groups)
    else:
        body = [g for g in work if g.kind in ("digit", "separator")]
        groups, marks = split_groups(body)
        integer_groups, cents, factor = decide_cents(groups, marks, decimal, closed_whole(work))

    integer = "".join(integer_groups).lstrip("0") or "0"
    cents = cents or "00"
    amount = f"{integer}.{cents}"
    used = [g for g in work if g.kind == "digit"]
    if tail_marks(work) > TAIL_MARKS_MAX:
        factor *= CROWDED_TAIL
    confidence = float(np.prod([g.confidence for g in used])) * factor
    confidence = min(1.0, max(0.0, confidence)) if amount_payable(integer, cents) else 0.0
    return Assembly(
        amount=amount,
        amount_cents=int(integer) * 100 + int(cents),
        confidence=round(confidence, 6),
        characters=characters,
    )
