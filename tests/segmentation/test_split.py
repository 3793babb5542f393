"""Glyph splitting on small drawn fields: separators, terminators, merges, touching pairs, raised cents."""

from __future__ import annotations

import cv2
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from segmentation.split import (
    Piece,
    Segment,
    choose_options,
    is_slash_like,
    loops_side_by_side,
    segment_field,
)

FONT = cv2.FONT_HERSHEY_SIMPLEX


def canvas(width: int = 400, height: int = 90) -> np.ndarray:
    return np.zeros((height, width), dtype=np.uint8)


def draw(mask: np.ndarray, text: str, x: int, baseline: int = 70, scale: float = 1.6) -> int:
    """Draws ``text`` (ink 255) and returns the x after it."""
    cv2.putText(mask, text, (x, baseline), FONT, scale, 255, 4, cv2.LINE_8)
    (w, _h), _ = cv2.getTextSize(text, FONT, scale, 4)
    return x + w


def dot(mask: np.ndarray, x: int, baseline: int = 70) -> None:
    cv2.circle(mask, (x, baseline - 3), 4, 255, -1)


def kinds(segments: list[Segment]) -> str:
    code = {
        "digit": "d",
        "separator": "s",
        "terminator": "t",
        "currency": "c",
        "asterisk": "a",
        "fraction": "f",
    }
    return "".join(code[s.kind] for s in segments)


def test_digits_and_a_decimal_dot() -> None:
    mask = canvas()
    x = draw(mask, "12", 10)
    dot(mask, x + 10)
    draw(mask, "50", x + 25)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddsdd"
    assert segments[2].char == "."


def test_trailing_dash_and_equals_are_terminators() -> None:
    mask = canvas()
    x = draw(mask, "37", 10)
    cv2.line(mask, (x + 15, 50), (x + 45, 50), 255, 4)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddt" and segments[-1].char == "-"

    mask = canvas()
    x = draw(mask, "37", 10)
    cv2.line(mask, (x + 15, 44), (x + 45, 44), 255, 4)
    cv2.line(mask, (x + 15, 58), (x + 45, 58), 255, 4)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddt" and segments[-1].char == "="


def test_broken_digit_is_merged_into_one_glyph() -> None:
    mask = canvas()
    draw(mask, "5", 10)
    # Break the flag of the 5 off its body with a clean horizontal cut.
    rows = np.flatnonzero(mask.any(axis=1))
    top = rows[0]
    mask[top + 9 : top + 12, :] = 0
    count, _ = cv2.connectedComponents(mask)
    assert count - 1 >= 2  # really broken
    draw(mask, "2", 60)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "dd"


def test_touching_pair_offers_a_split_and_the_prior_prefers_two_digits() -> None:
    mask = canvas()
    draw(mask, "7", 10)
    draw(mask, "00", 70)  # the two zeros touch in this font at this weight
    cv2.line(mask, (95, 45), (110, 45), 255, 5)  # make sure they touch
    segments = segment_field(mask, 4.0)
    wide = [s for s in segments if s.kind == "digit" and len(s.options) > 1]
    assert len(wide) == 1
    pair = wide[0]
    assert any(len(option) == 2 for option in pair.options)
    # A classifier equally sure of every reading: the width prior decides for two digits.
    confident = [
        [np.full((len(option), 10), 0.0) + np.eye(10)[0] * 0.95 for option in s.options]
        for s in segments
        if s.kind == "digit"
    ]
    chosen = choose_options(segments, confident)
    digit_segments = [s for s in segments if s.kind == "digit"]
    picked = digit_segments[1].options[chosen[1]]
    assert len(picked) == 2
    assert len(digit_segments[0].options[chosen[0]]) == 1


def whole_or_halves(width: int, height: int = 40) -> Segment:
    """A digit segment with two options: the blob whole, or cut in two equal halves."""
    half = width // 2
    whole = Piece((0, 0, width, height), np.full((height, width), 255, np.uint8))
    halves = [
        Piece((0, 0, half, height), np.full((height, half), 255, np.uint8)),
        Piece((half, 0, width - half, height), np.full((height, width - half), 255, np.uint8)),
    ]
    return Segment("digit", (0, 0, width, height), options=[[whole], halves])


def test_classifier_can_overrule_a_split() -> None:
    segment = whole_or_halves(30)
    sure_whole = np.eye(10)[[0]] * 0.99
    unsure_halves = np.full((2, 10), 0.1)
    assert choose_options([segment], [[sure_whole, unsure_halves]]) == [0]


def test_raised_cents_are_flagged() -> None:
    mask = canvas(400, 100)
    x = draw(mask, "123", 10, baseline=85)
    x = draw(mask, "4", x + 10, baseline=50, scale=0.9)
    draw(mask, "5", x + 6, baseline=50, scale=0.9)
    segments = segment_field(mask, 4.0)
    digits = [s for s in segments if s.kind == "digit"]
    assert [s.raised for s in digits] == [False, False, False, True, True]


def test_empty_mask_has_no_segments() -> None:
    assert segment_field(canvas(), 2.0) == []


@settings(max_examples=60, deadline=None)
@given(
    arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 80)), elements=st.sampled_from([0, 255]))
)
def test_segment_field_never_raises_on_arbitrary_masks(mask: np.ndarray) -> None:
    segments = segment_field(mask, 2.0)
    for segment in segments:
        x, y, w, h = segment.bbox
        assert x >= 0 and y >= 0 and x + w <= mask.shape[1] and y + h <= mask.shape[0]
        if segment.kind == "digit":
            assert segment.options and all(option for option in segment.options)


def test_fraction_cents_with_small_numerator_are_found() -> None:
    """ "6 21/100": the numerator is written as small as the denominator, so only the slash shows
    that "100" is small."""
    mask = canvas(420, 100)
    x = draw(mask, "6", 10, baseline=88, scale=2.0)
    x = draw(mask, "21", x + 30, baseline=84, scale=1.3)
    cv2.line(mask, (x + 10, 92), (x + 30, 38), 255, 4)
    draw(mask, "100", x + 36, baseline=92, scale=1.1)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "dddff"
    assert [s.char for s in segments[-2:]] == ["/", "100"]


def test_small_digits_high_beside_a_leaning_one_are_raised_cents_not_a_fraction() -> None:
    """ "351^00": the "1" leans like a slash and the cents are small, but they stand high against it,
    where a fraction's "100" stands low (the test above)."""
    mask = canvas(420, 100)
    x = draw(mask, "35", 10, baseline=92, scale=2.0)
    cv2.line(mask, (x + 10, 92), (x + 30, 38), 255, 4)
    draw(mask, "00", x + 36, baseline=62, scale=1.1)
    segments = segment_field(mask, 4.0)
    assert "f" not in kinds(segments)
    assert kinds(segments) == "ddddd"
    assert [s.raised for s in segments] == [False, False, False, True, True]


def test_a_wide_digit_read_surely_whole_is_not_cut_for_two_slightly_surer_halves() -> None:
    """A looped "2" one and a half digits wide: its halves read as two confident digits, but a cut has
    to be clearly better than the whole glyph to win."""
    segment = whole_or_halves(42)
    sure_whole = np.eye(10)[[2]] * 0.97
    surer_halves = np.eye(10)[[2, 2]] * 0.99
    assert choose_options([segment], [[sure_whole, surer_halves]]) == [0]


def test_touching_pair_read_as_two_sure_digits_beats_one_doubtful_digit() -> None:
    """Two touching "7"s one and a half digits wide: the whole blob reads as one doubtful "7", the halves
    as two sure ones; the width prior only mildly favours one digit and must not overrule that."""
    segment = whole_or_halves(43)
    doubtful_whole = np.eye(10)[[7]] * 0.76
    sure_halves = np.eye(10)[[7, 7]] * np.array([[0.94], [1.0]])
    assert choose_options([segment], [[doubtful_whole, sure_halves]]) == [1]


def test_hand_written_dollar_is_found_after_a_box_side_remnant() -> None:
    """A hair-line left over from the box side is the first mark of the field; the "$" after it is
    still a sign, not a digit."""
    mask = canvas()
    mask[10:80, 2:4] = 255
    x = draw(mask, "$", 30)
    draw(mask, "25", x + 25)
    assert kinds(segment_field(mask, 2.0, leading_sign=True)) == "ccdd"


def test_hand_written_dollar_is_found_after_a_printed_sign() -> None:
    mask = canvas()
    draw(mask, "$", 4, scale=0.7)
    x = draw(mask, "$", 40)
    draw(mask, "25", x + 25)
    segments = segment_field(mask, 2.0, leading_sign=True)
    assert kinds(segments) == "ccdd"
    assert [s.char for s in segments[:2]] == ["¤", "$"]


def test_dollar_written_against_the_amount_is_only_flagged_sign_like() -> None:
    """Without a space after it the "$" stays a digit candidate for the classifier to judge; its bar
    pokes out above and below the digits, which a "4" of the same outline does not."""
    mask = canvas()
    x = draw(mask, "$", 30)
    draw(mask, "25", x + 4)
    segments = segment_field(mask, 2.0)
    assert kinds(segments) == "ddd"
    assert [s.sign_like for s in segments] == [True, False, False]

    mask = canvas()
    x = draw(mask, "4", 30)
    draw(mask, "25", x + 4)
    assert not any(s.sign_like for s in segment_field(mask, 2.0))


def test_mark_before_an_asterisk_is_the_printed_sign_even_at_digit_height() -> None:
    """In a box, a mark as tall as the digits at the left, followed by an asterisk, is the printed
    sign (asterisks only open the amount); without a box nothing is assumed."""
    mask = canvas()
    x = draw(mask, "S", 4)
    x = draw(mask, "*", x + 12, scale=2.0)
    draw(mask, "25", x + 10)
    assert kinds(segment_field(mask, 2.0, leading_sign=True)) == "cadd"
    assert kinds(segment_field(mask, 2.0, leading_sign=False)) == "dddd"


def test_first_digit_near_the_box_side_stays_a_digit_before_small_fraction_cents() -> None:
    """ "317 51/100" in a box: the small cents must not make the full-height "3" look like the
    printed sign, which is measured against the digits that are written full height."""
    mask = canvas(420, 100)
    x = draw(mask, "3", 8, baseline=85)
    x = draw(mask, "17", x + 22, baseline=85)
    x = draw(mask, "51", x + 30, baseline=80, scale=1.0)
    cv2.line(mask, (x + 10, 90), (x + 28, 40), 255, 4)
    draw(mask, "100", x + 34, baseline=90, scale=0.9)
    segments = segment_field(mask, 4.0, leading_sign=True)
    assert kinds(segments).startswith("ddddd")
    assert kinds(segments).endswith("ff")


def test_long_hanging_comma_groups_digits() -> None:
    """Indian grouping "59,000" written with a long comma stroke from mid-height to far below the
    line: a separator, not a "1"."""
    mask = canvas(420, 110)
    x = draw(mask, "59", 10, baseline=70)
    cv2.line(mask, (x + 14, 62), (x + 6, 100), 255, 4)
    draw(mask, "000", x + 24, baseline=70)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddsddd"
    assert segments[2].char == ","


def underlined_cents(touching: bool) -> np.ndarray:
    """ "56" full height, then small "00" above the line with a stroke under them (the raised style)."""
    mask = canvas(400, 100)
    x = draw(mask, "56", 10, baseline=85)
    left = x + 8
    right = draw(mask, "0", left, baseline=52, scale=0.9)
    right = draw(mask, "0", right + 4, baseline=52, scale=0.9)
    top = 53 if touching else 58
    cv2.rectangle(mask, (left - 3, top), (right + 3, top + 3), 255, -1)
    return mask


def test_underline_fused_with_raised_cents_is_removed_and_the_cents_are_raised() -> None:
    segments = segment_field(underlined_cents(touching=True), 4.0)
    digits = [s for s in segments if s.kind == "digit"]
    assert [s.raised for s in digits] == [False, False, True, True]
    assert all(s.bbox[1] + s.bbox[3] <= 54 for s in digits[2:])  # the line is not part of the cents


def test_underline_apart_from_the_cents_is_not_merged_into_them() -> None:
    segments = segment_field(underlined_cents(touching=False), 4.0)
    digits = [s for s in segments if s.kind == "digit"]
    assert kinds(segments) == "dddd"
    assert [s.raised for s in digits] == [False, False, True, True]


def test_base_of_a_last_two_is_not_taken_for_an_underline() -> None:
    mask = canvas()
    x = draw(mask, "51", 10)
    draw(mask, "2", x + 6, baseline=64)  # written a little higher than the others
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddd"
    assert segments[-1].bbox[1] + segments[-1].bbox[3] >= 63


def test_small_raised_cents_do_not_make_a_full_height_digit_look_like_two() -> None:
    """ "8^46": measured with the narrow raised cents, a full-height "8" would be two digits wide."""

    def block(x: int, y: int, w: int, h: int) -> Piece:
        return Piece((x, y, w, h), np.full((h, w), 255, np.uint8))

    eight = Segment(
        "digit", (0, 0, 37, 44), options=[[block(0, 0, 37, 44)], [block(0, 0, 18, 44), block(18, 0, 19, 44)]]
    )
    cents = [
        Segment("digit", (47, 0, 23, 25), raised=True, options=[[block(47, 0, 23, 25)]]),
        Segment("digit", (72, 0, 18, 25), raised=True, options=[[block(72, 0, 18, 25)]]),
    ]
    whole, halves = np.eye(10)[[8]] * 0.95, np.eye(10)[[1, 8]] * 0.99
    probabilities = [[whole, halves], [np.eye(10)[[4]] * 0.99], [np.eye(10)[[6]] * 0.99]]
    assert choose_options([eight, *cents], probabilities) == [0, 0, 0]


def test_touching_round_zeros_are_offered_a_cut_where_they_meet() -> None:
    # Two flat ovals touching side by side ("00" written in one stroke): the ink count per column is
    # lowest through each oval's hollow middle, so only the narrowing ink span finds the contact.
    mask = canvas()
    half_width = 22
    left, right = 60, 60 + 2 * half_width + 2
    for centre in (left, right):
        cv2.ellipse(mask, (centre, 50), (half_width, 15), 0, 0, 360, 255, 4)
    contact = left + half_width + 1
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "d"
    cuts = [option[0].bbox[0] + option[0].bbox[2] for option in segments[0].options if len(option) == 2]
    assert any(abs(cut - contact) <= 2 for cut in cuts)


def test_a_flag_drawn_apart_from_its_stem_is_one_glyph_but_slanted_neighbours_stay_two() -> None:
    # A continental "1" whose lead-in flag (an up-stroke from mid-height to the top) came apart from
    # its stem: both pieces are tall and overlap in x, but the flag sits higher at both ends.
    mask = canvas()
    cv2.line(mask, (18, 56), (42, 26), 255, 4)  # flag: rows 24..58, its top end past the stem
    cv2.line(mask, (38, 40), (38, 71), 255, 4)  # stem: rows 38..73, not touching the flag
    draw(mask, "52", 70)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddd"
    assert segments[0].bbox[0] <= 18 and segments[0].bbox[0] + segments[0].bbox[2] >= 40

    # Two slanted strokes side by side ("11"), overlapping in x but standing on the same line.
    mask = canvas()
    cv2.line(mask, (20, 71), (32, 37), 255, 4)
    cv2.line(mask, (29, 71), (41, 37), 255, 4)
    draw(mask, "52", 70)
    assert kinds(segment_field(mask, 4.0)) == "dddd"


def test_a_small_open_mark_floating_after_the_last_digit_is_a_flourish_but_a_small_zero_is_not() -> None:
    # "636=" with the two bars of the "=" run together at their left end: one open blob at mid-height.
    mask = canvas()
    x = draw(mask, "636", 10) + 12
    cv2.line(mask, (x, 48), (x + 20, 48), 255, 3)
    cv2.line(mask, (x, 56), (x + 20, 56), 255, 3)
    cv2.line(mask, (x, 48), (x, 56), 255, 3)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "dddt"

    # The same place holding a small closed "0" (ORAND's small trailing zeros) stays a digit.
    mask = canvas()
    x = draw(mask, "636", 10) + 12
    cv2.ellipse(mask, (x + 11, 52), (11, 7), 0, 0, 360, 255, 3)
    assert kinds(segment_field(mask, 4.0)) == "dddd"


def test_long_comma_under_the_digit_before_it_is_not_merged_into_that_digit() -> None:
    """A slanted long comma reaching back under the "0" before it: it sits lower than the "0" at both
    ends like a detached "1" flag would, but it hangs below the line, so it stays a separator."""
    mask = canvas(420, 110)
    x = draw(mask, "20", 10, baseline=70)
    cv2.line(mask, (x + 2, 62), (x - 12, 104), 255, 4)
    draw(mask, "000", x + 18, baseline=70)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "ddsddd"


def test_a_broad_zero_is_not_cut_but_touching_zeros_still_are() -> None:
    # A "0" written wide and flat (one hole across most of its width) after full-height digits: cut in
    # two, its arcs read as "6" and "7". Two touching ovals have two holes and keep their cut.
    mask = canvas()
    x = draw(mask, "12", 10)
    cv2.ellipse(mask, (x + 40, 50), (32, 18), 0, 0, 360, 255, 4)
    cv2.ellipse(mask, (x + 130, 50), (22, 18), 0, 0, 360, 255, 4)
    cv2.ellipse(mask, (x + 174, 50), (22, 18), 0, 0, 360, 255, 4)
    segments = segment_field(mask, 4.0)
    assert kinds(segments) == "dddd"
    assert len(segments[2].options) == 1
    assert any(len(option) == 2 for option in segments[3].options)


def test_a_narrow_slanted_loop_is_not_a_fraction_slash() -> None:
    # A thin "8" or "0" leaning right has the slash's outline, but it closes a loop: the small digits
    # after it are raised cents, not the "100" of a fraction.
    mask = canvas()
    x = draw(mask, "16", 10)
    cv2.ellipse(mask, (x + 22, 48), (5, 24), 20, 0, 360, 255, 3)
    draw(mask, "00", x + 45, baseline=50, scale=0.8)
    segments = segment_field(mask, 3.0)
    assert kinds(segments) == "ddddd"
    assert not segments[2].slash_like


def wide_blob_cut(right_top: int, right_height: int) -> Segment:
    """A 90x60 digit segment offered whole or cut at x=48, the right piece spanning the given rows."""
    whole = Piece((0, 0, 90, 60), np.full((60, 90), 255, np.uint8))
    left = Piece((0, 0, 48, 60), np.full((60, 48), 255, np.uint8))
    right = Piece((48, right_top, 42, right_height), np.full((right_height, 42), 255, np.uint8))
    return Segment("digit", (0, 0, 90, 60), options=[[whole], [left, right]])


def test_a_cut_leaving_a_short_sunken_tail_loses_to_the_whole_glyph_but_a_full_height_pair_wins() -> None:
    """A "2" with a long foot, cut at its base: the right piece starts far below the top line and reads
    as a sure "6"; digits written side by side share their top line, so the whole "2" is kept."""
    whole_two = np.eye(10)[[2]] * 0.95
    sure_halves = np.eye(10)[[2, 6]] * 0.99
    assert choose_options([wide_blob_cut(25, 33)], [[whole_two, sure_halves]]) == [0]
    assert choose_options([wide_blob_cut(2, 58)], [[whole_two, sure_halves]]) == [1]


def test_small_trailing_zeros_sharing_their_top_line_are_not_a_sunken_tail() -> None:
    """ "700" written with small zeros on the baseline (ORAND "15700"): cut in three, the first zero is
    short and starts well below the "7"'s top, like a "2"'s cut-off foot, but the second zero stands
    beside it at the same height, as digits are written; the three-way cut wins over "7" + wide "0"."""
    ink = np.full((60, 126), 255, np.uint8)
    whole = Piece((0, 0, 126, 60), ink)
    seven = Piece((0, 0, 42, 60), ink[:, :42])
    zeros = Piece((42, 23, 84, 37), ink[23:, 42:])
    zero_a, zero_b = Piece((42, 23, 42, 30), ink[23:53, 42:84]), Piece((84, 23, 42, 37), ink[23:, 84:])
    segment = Segment("digit", (0, 0, 126, 60), options=[[whole], [seven, zeros], [seven, zero_a, zero_b]])
    probabilities = [np.eye(10)[[0]] * 0.97, np.eye(10)[[7, 0]] * 0.96, np.eye(10)[[7, 0, 0]] * 0.99]
    assert choose_options([segment], [probabilities]) == [2]


def rings(centres: list[tuple[int, int]], size: tuple[int, int] = (60, 80)) -> np.ndarray:
    image = np.zeros(size, np.uint8)
    for centre in centres:
        cv2.circle(image, centre, 14, 255, 4)
    return image


def test_two_loops_side_by_side_are_two_digits_but_stacked_loops_are_an_eight() -> None:
    """Touching "00" (ORAND "25000" read "2500" at 0.91: the "00" as one wide "0") has two loops on
    one line; no single digit does, while an "8"'s loops stand one above the other."""
    assert loops_side_by_side(rings([(20, 30), (46, 30)]), ref_h=40)
    assert not loops_side_by_side(rings([(30, 16), (30, 43)], size=(60, 60)), ref_h=40)  # an "8"
    assert not loops_side_by_side(rings([(30, 30)]), ref_h=40)
    pinholes = rings([(30, 30)])
    pinholes[28:31, 6:9] = 255
    pinholes[29, 7] = 0  # a pinhole in a thick stroke beside the loop is no second loop
    assert not loops_side_by_side(pinholes, ref_h=40)


def test_touching_zeros_read_whole_as_one_confident_zero_lose_to_the_cut() -> None:
    image = rings([(20, 30), (46, 30)])
    whole = Piece((0, 0, 80, 60), image)
    left, right = Piece((0, 0, 33, 60), image[:, :33]), Piece((33, 0, 47, 60), image[:, 33:])
    segment = Segment("digit", (0, 0, 80, 60), options=[[whole], [left, right]])
    one = Segment(
        "digit", (-40, 0, 35, 60), options=[[Piece((-40, 0, 35, 60), np.zeros((60, 35), np.uint8))]]
    )
    probabilities = [[np.eye(10)[[1]] * 0.99], [np.eye(10)[[0]] * 0.98, np.eye(10)[[0, 0]] * 0.9]]
    assert choose_options([one, segment], probabilities) == [0, 1]


def test_a_fine_slash_taller_than_the_digits_may_stand_steeper_than_a_leaning_digit() -> None:
    """The "/" of "98/100" drawn as a fine line well above the digits' height, nearly upright: still a
    slash; the same steep stroke at digit height is a leaning "1"."""
    stroke = np.zeros((84, 30), np.uint8)
    cv2.line(stroke, (26, 1), (3, 82), 255, 3)
    assert is_slash_like(stroke, ref_h=59)
    assert not is_slash_like(stroke, ref_h=80)


def test_a_five_flag_drawn_apart_past_the_body_is_joined_to_it_before_the_next_digit() -> None:
    """A wide "5" whose flag the pen drew apart, starting where the body ends and reaching past it along
    the top line: it overlaps no glyph in x, yet it is the "5"'s flag, not a digit or a dash."""
    mask = canvas()
    right = draw(mask, "5", 10)
    cols = np.flatnonzero(mask.any(axis=0))
    top = int(np.flatnonzero(mask.any(axis=1))[0])
    body_right = int(cols[-1])
    cv2.line(mask, (body_right + 3, top + 2), (body_right + 40, top + 2), 255, 4)
    assert kinds(segment_field(mask, 4.0)) == "dt"  # after the last digit: a closing stroke, kept apart
    draw(mask, "2", right + 45)
    assert kinds(segment_field(mask, 4.0)) == "dd"
