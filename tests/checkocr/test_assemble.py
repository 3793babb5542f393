"""Assembly of every written amount format from glyph lists (no images, no model)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkocr.assemble import (
    AMBIGUOUS_DECIMAL,
    CROWDED_TAIL,
    FRACTION_UNRESOLVED,
    IRREGULAR_GROUPS,
    AssemblyError,
    Glyph,
    assemble,
)

H = 40  # digit height in these fake layouts


def probs(digit: int, p: float = 0.99, runner_up: int | None = None) -> list[float]:
    out = [0.0] * 10
    out[digit] = p
    rest = 1.0 - p
    if runner_up is not None:
        out[runner_up] = rest
    else:
        for i in range(10):
            if i != digit:
                out[i] = rest / 9
    return out


def layout(text: str, raised_from: int | None = None) -> list[Glyph]:
    """Glyphs for ``text``, one per character, left to right.

    digits -> digit glyphs; ".", ",", "'" -> separators; "-", "=" -> terminators; "/" before "-" is a
    slash-like digit (how split reports it); "$" currency; "*" asterisk; "F" a fraction slash, "C" the
    fraction denominator "100" (as split reports "56/100"); space is skipped. Digits from index
    ``raised_from`` on are raised.
    """
    glyphs: list[Glyph] = []
    x = 0
    for i, ch in enumerate(text):
        x += 30
        if ch == " ":
            continue
        raised = raised_from is not None and i >= raised_from
        if ch.isdigit():
            glyphs.append(
                Glyph.digit(probs(int(ch)), (x, 0 if raised else 10, 25, H // 2 if raised else H), raised)
            )
        elif ch in ".,'":
            glyphs.append(Glyph("separator", ch, 0.9, (x, H, 5, 5)))
        elif ch in "-=":
            glyphs.append(Glyph("terminator", ch, 0.9, (x, 25, 20, 4)))
        elif ch == "/":
            glyphs.append(Glyph.digit(probs(1), (x, 10, 20, H), slash_like=True))
        elif ch == "$":
            glyphs.append(Glyph("currency", "$", 0.9, (x, 5, 25, 50)))
        elif ch == "*":
            glyphs.append(Glyph("asterisk", "*", 0.9, (x, 10, 15, 15)))
        elif ch == "F":
            glyphs.append(Glyph("fraction", "/", 0.9, (x, 10, 20, H)))
        elif ch == "C":
            glyphs.append(Glyph("fraction", "100", 0.9, (x, 25, 40, 20)))
        else:
            raise ValueError(ch)
    return glyphs


@pytest.mark.parametrize(
    ("text", "raised_from", "amount"),
    [
        ("1,234.56", None, "1234.56"),
        ("1234.56", None, "1234.56"),
        ("123456", 4, "1234.56"),  # 1234 + raised 56
        ("1,234 56FC", None, "1234.56"),  # 56/100 as split reports it
        ("1,234 56/100", None, "1234.56"),  # the fraction digits read as digits
        ("**1234.00", None, "1234.00"),
        ("1234.-", None, "1234.00"),
        ("1234=", None, "1234.00"),
        ("$ 25", None, "25.00"),
        ("25.441.-", None, "25441.00"),  # ORAND: dots group thousands
        ("3.827.", None, "3827.00"),
        ("88,00,000/-", None, "8800000.00"),  # lakh grouping with a "/-" terminator
        ("0.08", None, "0.08"),
        # a dash or "=" closes an amount in whole units: a point before its last two digits is
        # grouping or a speck (ORAND "16.13=" is 1613), except after a lone zero
        ("316.-", None, "316.00"),
        ("3.16.-", None, "316.00"),
        ("16.13=", None, "1613.00"),
        ("0.05-", None, "0.05"),
        ("12.34", None, "12.34"),
        # a leading zero and two digits: cents below one dollar whose point or lift was lost
        ("092", None, "0.92"),
        ("**005", None, "0.05"),
        ("1092", None, "1092.00"),
    ],
)
def test_formats(text: str, raised_from: int | None, amount: str) -> None:
    result = assemble(layout(text, raised_from))
    assert result.amount == amount
    assert result.amount_cents == round(float(amount) * 100)
    assert len(result.characters) == len(text.replace(" ", ""))


def test_kinds_of_decoration_are_kept_as_characters() -> None:
    result = assemble(layout("**1234.-"))
    kinds = [c.kind for c in result.characters]
    assert kinds == ["asterisk", "asterisk", "digit", "digit", "digit", "digit", "terminator", "terminator"]
    lakh = assemble(layout("88,00,000/-"))
    assert [c.char for c in lakh.characters if c.kind == "terminator"] == ["/", "-"]


def test_forced_decimal_comma() -> None:
    assert assemble(layout("1.234,56"), decimal=",").amount == "1234.56"
    # With "." forced, the comma groups and the final two digits are not cents.
    assert assemble(layout("1,234"), decimal=".").amount == "1234.00"
    assert assemble(layout("12,5"), decimal=",").amount == "12.50"


def test_confidence_is_product_of_digit_probabilities_and_structure() -> None:
    glyphs = [Glyph.digit(probs(1, 0.9), (0, 0, 20, 40)), Glyph.digit(probs(2, 0.8), (30, 0, 20, 40))]
    result = assemble(glyphs)
    assert result.amount == "12.00"
    assert result.confidence == pytest.approx(0.72, abs=1e-6)
    ambiguous = assemble(layout("12.50"))
    assert ambiguous.confidence == pytest.approx(0.99**4 * AMBIGUOUS_DECIMAL, abs=1e-5)


@pytest.mark.parametrize(
    ("text", "factor"),
    [("1,469.00", 1.0), ("4,69.00", IRREGULAR_GROUPS), ("1.234,56", 1.0), ("12,34.56", IRREGULAR_GROUPS)],
)
def test_a_distinct_decimal_mark_does_not_excuse_irregular_grouping_before_it(
    text: str, factor: float
) -> None:
    """ "4,69.00" (a lost "1" of "4,169.00") groups its dollars as nobody does, whatever mark comes
    last: it was posted at 0.988 when the distinct last mark made the layout look sure."""
    result = assemble(layout(text))
    assert result.confidence == pytest.approx(0.99 ** sum(c.isdigit() for c in text) * factor, abs=1e-5)


def test_alternatives_are_the_other_likely_classes_best_first() -> None:
    glyph = Glyph.digit([0.0005, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.25, 0.0495, 0.0], (0, 0, 20, 40))
    char = assemble([glyph]).characters[0]
    assert char.char == "1"
    assert [(a.char, a.confidence) for a in char.alternatives] == [("7", 0.25), ("8", 0.0495)]


def test_no_digits_is_an_unreadable_amount_not_an_error() -> None:
    result = assemble(layout("$ .-"))
    assert result.amount is None and result.amount_cents is None
    assert result.confidence == 0.0 and result.reason


def test_malformed_input_raises_assembly_error() -> None:
    with pytest.raises(AssemblyError):
        assemble([], decimal="x")  # type: ignore[arg-type]
    with pytest.raises(AssemblyError):
        Glyph.digit([0.5, 0.5], (0, 0, 1, 1))
    with pytest.raises(AssemblyError):
        Glyph.digit([float("nan")] * 10, (0, 0, 1, 1))
    with pytest.raises(AssemblyError):
        Glyph.digit([0.1] * 10, (0, 0, 1, 1), char=".")


def test_a_digit_given_its_char_is_that_digit_at_its_own_probability() -> None:
    probs = [0.01] * 10
    probs[1], probs[8] = 0.8, 0.11
    assert Glyph.digit(probs, (0, 0, 1, 1)).char == "1"
    eight = Glyph.digit(probs, (0, 0, 1, 1), char="8")
    assert (eight.char, eight.confidence) == ("8", 0.11)


glyph_strategy = st.one_of(
    st.builds(
        lambda p, x, raised, slash: Glyph.digit(p, (x, 0, 10, 20), raised, slash),
        st.lists(st.floats(0.0, 1.0), min_size=10, max_size=10),
        st.integers(0, 500),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(
        lambda kind, char, x: Glyph(kind, char, 0.9, (x, 0, 5, 5)),
        st.sampled_from(["separator", "terminator", "currency", "asterisk", "fraction", "unknown"]),
        st.sampled_from([".", ",", "'", "-", "=", "/", "$", "*", "100", "?"]),
        st.integers(0, 500),
    ),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(glyph_strategy, max_size=14), st.sampled_from(["auto", ".", ","]))
def test_assemble_never_fails_on_well_formed_glyphs(glyphs: list[Glyph], decimal: str) -> None:
    result = assemble(glyphs, decimal=decimal)  # type: ignore[arg-type]
    assert 0.0 <= result.confidence <= 1.0
    if result.amount is not None:
        integer, cents = result.amount.split(".")
        assert len(cents) == 2
        assert result.amount_cents == int(integer) * 100 + int(cents)
    assert len(result.characters) == len(glyphs)
    assert np.isfinite(result.confidence)


def test_upright_slash_before_the_closing_dash_is_a_terminator() -> None:
    glyphs = layout("10,000")
    glyphs.append(Glyph.digit(probs(1), (400, 10, 12, H)))  # "/" of "/-" read as an upright 1
    glyphs.append(Glyph("terminator", "-", 0.9, (430, 25, 20, 4)))
    result = assemble(glyphs)
    assert result.amount == "10000.00"
    assert [c.char for c in result.characters[-2:]] == ["/", "-"]
    # A "1" followed by ".-" stays a digit (ORAND "19.711.-").
    assert assemble(layout("19.711.-")).amount == "19711.00"


def test_an_amount_of_zero_is_never_accepted() -> None:
    """No check is written for nothing: a zero reading lost its digits or read a mark as "0"."""
    result = assemble(layout("0.00"))
    assert result.amount == "0.00"
    assert result.confidence == 0.0
    assert assemble(layout("0.08")).confidence > 0.9


def test_a_leading_zero_before_more_than_two_digits_is_doubtful() -> None:
    """ "0921" ("0 92/100" with its slash read as "1") has lost a mark, and nothing says where the
    cents were: read as written, in doubt. "1092" has no leading zero and no doubt."""
    result = assemble(layout("0921"))
    assert result.amount == "921.00"
    assert result.confidence == pytest.approx(0.99**4 * IRREGULAR_GROUPS, abs=1e-5)
    assert assemble(layout("1092")).confidence == pytest.approx(0.99**4, abs=1e-5)


def test_a_fraction_without_cents_before_it_is_doubtful() -> None:
    """ "16/100" with two digits is 0.16 or 16.00 with the cents lost: the structure is in doubt."""
    result = assemble(layout("16FC"))
    assert result.amount == "16.00"
    assert result.confidence == pytest.approx(0.99**2 * FRACTION_UNRESOLVED, abs=1e-5)
    assert assemble(layout("1656FC")).confidence == pytest.approx(0.99**4, abs=1e-5)


@pytest.mark.parametrize(
    ("text", "crowded"), [("25.441.-", False), ("4.-=", False), ("4....", True), ("7.,.-.", True)]
)
def test_more_marks_after_the_last_digit_than_anyone_writes_is_doubtful(text: str, crowded: bool) -> None:
    """Four dots after a "4" are digits the split took for marks (a tall first stroke set the height)."""
    result = assemble(layout(text))
    digits = sum(ch.isdigit() for ch in text)
    expected = 0.99**digits * (CROWDED_TAIL if crowded else 1.0)
    assert result.confidence == pytest.approx(expected, abs=1e-5)


def test_glyphs_in_reading_order_keep_it_where_their_boxes_do_not() -> None:
    """Synthetic "2,111.00": the last "1" and the first "0" written joined share one box, which starts
    right of the point's own; the field model's order is exact, its boxes are not."""
    glyphs = layout("11.00")
    one, point = glyphs[1], glyphs[2]
    shared = (point.bbox[0] + 10, 0, 60, H)
    glyphs[1] = Glyph("digit", "1", one.confidence, shared, one.probabilities)
    glyphs[3] = Glyph("digit", "0", glyphs[3].confidence, shared, glyphs[3].probabilities)
    assert assemble(glyphs).amount == "1100.00"  # by boxes: "1.100"
    assert assemble(glyphs, in_order=True).amount == "11.00"
