"""The field reader: CTC characters to glyphs (kinds, fractions, raised cents, boxes), and real reads."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from checkocr.assemble import assemble
from checkocr.classifier import DigitClassifier
from checkocr.field_crop import FieldCrop, given_field
from checkocr.field_model import FieldFrames, FieldModel
from checkocr.field_reader import (
    Ink,
    aligned_chars,
    field_glyphs,
    fraction_positions,
    glyphs_of,
    ink_mask,
    read_frames,
    thinnest_column,
)
from checkocr.reader import Reader
from segmentation.locate import FieldLocation

ALPHABET = "0123456789.,-/=*$₹"


def frames_for(text: str, height: int = 40, frame_width: float = 10.0) -> tuple[FieldFrames, np.ndarray]:
    """Frames that spell ``text`` (each character two frames, a blank between) and a blank crop."""
    steps = 3 * len(text) + 1
    probs = np.full((steps, 1 + len(ALPHABET)), 0.001)
    probs[:, 0] = 0.98
    for i, ch in enumerate(text):
        for t in (3 * i + 1, 3 * i + 2):
            probs[t] = 0.001
            probs[t, ALPHABET.index(ch) + 1] = 0.97
    probs /= probs.sum(axis=1, keepdims=True)
    width = int(steps * frame_width)
    frames = FieldFrames(probs, ALPHABET, width, height, frame_width, 0.0)
    return frames, np.full((height, width), 255, np.uint8)


def ink(grey: np.ndarray, frames: FieldFrames, index: int, rows: tuple[int, int]) -> None:
    """Draws a bar of ink in the columns of the ``index``-th character between ``rows``."""
    x0, x1 = frames.columns(3 * index + 1, 3 * index + 2)
    grey[rows[0] : rows[1], x0:x1] = 0


def written(text: str, rows: list[tuple[int, int]], height: int = 40) -> tuple[FieldFrames, np.ndarray]:
    """Frames that spell ``text`` and a crop with each character's bar of ink between its ``rows``."""
    frames, grey = frames_for(text, height)
    for i, bar in enumerate(rows):
        ink(grey, frames, i, bar)
    return frames, grey


@pytest.mark.parametrize(
    ("text", "amount", "kinds"),
    [
        ("25.441.-", "25441.00", "ddsdddtt"),
        ("1,234.56", "1234.56", "dsdddsdd"),
        ("**$75", "75.00", "aacdd"),
        ("88,00,000/-", "8800000.00", "ddsddsdddtt"),
        ("₹1500=", "1500.00", "cddddt"),
    ],
)
def test_marks_get_the_kinds_assembly_expects(text: str, amount: str, kinds: str) -> None:
    frames, grey = frames_for(text)
    result = read_frames(frames, grey)
    assert result.amount == amount
    letters = {"digit": "d", "separator": "s", "terminator": "t", "asterisk": "a", "currency": "c"}
    assert "".join(letters[c.kind] for c in result.characters) == kinds


def test_a_written_fraction_gives_the_cents() -> None:
    frames, grey = frames_for("1234 56/100".replace(" ", ""))
    result = read_frames(frames, grey)
    assert result.amount == "1234.56"
    assert [c.kind for c in result.characters][-4:] == ["fraction"] * 4
    assert fraction_positions("123456/100") == {6, 7, 8, 9}
    assert fraction_positions("1234/-") == set()


@pytest.mark.parametrize(
    ("text", "amount"), [("3271/1", "32.71"), ("82231/10", "822.31"), ("2600/10", "26.00")]
)
def test_a_fraction_whose_small_zeros_were_lost_still_gives_the_cents(text: str, amount: str) -> None:
    # The "100" of "32 71/100" is written small, and the field model often reads only its "1".
    frames, grey = frames_for(text)
    assert read_frames(frames, grey).amount == amount


def test_only_a_slash_with_the_start_of_100_after_it_and_cents_before_it_is_a_fraction() -> None:
    assert fraction_positions("3271/1") == {4, 5}
    assert fraction_positions("213/2") == set()  # not the start of "100"
    assert fraction_positions("1234/") == set()  # a terminator slash
    assert fraction_positions("5/1") == set()  # no two digits of cents before the slash
    assert fraction_positions("5/100") == {1, 2, 3, 4}


def with_point_seen(text: str, frame: int, probability: float) -> FieldFrames:
    """Frames that spell ``text``, with a point of ``probability`` under the blank at ``frame``."""
    frames, _ = frames_for(text)
    frames.probs[frame] = 0.0
    frames.probs[frame, 0] = 1.0 - probability
    frames.probs[frame, ALPHABET.index(".") + 1] = probability
    return frames


def test_a_candidate_string_keeps_its_own_digits_where_the_frames_prefer_others() -> None:
    """The fused reader places other strings than the best path on the frames ("4482" where the
    model read "4412", its "8" a runner-up): each glyph is the string's digit, so the amount posted
    is the string that was scored, not the frames' favourite digits under it."""
    frames, grey = frames_for("4412")
    eight = ALPHABET.index("8") + 1
    for t in (7, 8):
        frames.probs[t, eight] = 0.1
        frames.probs[t] /= frames.probs[t].sum()
    chars = aligned_chars(frames, "4482")
    assert chars is not None
    glyphs = glyphs_of(frames, grey, chars)
    assert [g.char for g in glyphs] == list("4482")
    assert glyphs[2].confidence == pytest.approx(frames.probs[7, eight], rel=1e-6)
    assert assemble(glyphs).amount == "4482.00"
    assert read_frames(frames, grey).amount == "4412.00"  # the best path is still the frames' digits


def test_a_point_written_against_the_next_digit_is_put_back() -> None:
    # "613.00" with its dot touching the "0": the model gives the point 0.46 under the blank.
    blank = np.full((40, 160), 255, np.uint8)
    assert read_frames(with_point_seen("61300", 9, 0.46), blank).amount == "613.00"
    assert read_frames(with_point_seen("61300", 9, 0.2), blank).amount == "61300.00"
    # Only before the last two digits: a point seen after the "6" of "6450" is not cents.
    assert read_frames(with_point_seen("6450", 3, 0.46), blank).amount == "6450.00"
    # A reading that has a separator keeps its own.
    assert read_frames(with_point_seen("6,1300", 12, 0.46), blank).amount == "61300.00"


def test_cents_written_raised_are_cents() -> None:
    frames, grey = written("123456", [(10, 38)] * 4 + [(2, 16)] * 2)
    glyphs = field_glyphs(frames, grey)
    assert [g.raised for g in glyphs] == [False] * 4 + [True] * 2
    assert read_frames(frames, grey).amount == "1234.56"
    _, level = written("123456", [(10, 38)] * 6)
    assert read_frames(frames, level).amount == "123456.00"


def test_cents_written_as_a_superscript_are_cents_though_they_rise_less() -> None:
    """Synthetic "1716^00": small cents whose tops are level with the digits' tops rise 0.29 of a
    digit, under the 0.3 that plain raised cents need."""
    frames, grey = written("171600", [(10, 38)] * 4 + [(11, 30)] * 2)
    assert read_frames(frames, grey).amount == "1716.00"


def test_small_last_digits_that_stand_low_are_not_a_superscript() -> None:
    """ORAND "2.900"-like: small trailing zeros as high above the line, but their tops a fifth of a
    digit below the others' tops."""
    frames, grey = written("29000", [(10, 38)] * 3 + [(16, 32)] * 2)
    assert read_frames(frames, grey).amount == "29000.00"


def test_a_group_of_thousands_is_never_raised_cents() -> None:
    """ORAND a_car_000574 "4.057" written uphill: the "57" after a separator and a "0" are thousands."""
    frames, grey = written("4.057", [(10, 38), (30, 38), (10, 38), (2, 16), (2, 16)])
    assert read_frames(frames, grey).amount == "4057.00"
    frames, grey = written("40570", [(10, 38)] * 3 + [(2, 16)] * 2)
    assert read_frames(frames, grey).amount == "405.70"


def test_raised_cents_on_a_touching_underline_in_a_tall_crop_are_cents() -> None:
    """The underline under raised cents, drawn touching them, is a line and not the cents' bottom,
    even where it is shorter than half the crop's height."""
    frames, grey = written("123456", [(40, 90)] * 4 + [(50, 72)] * 2, height=160)
    left, _ = frames.columns(3 * 4 + 1, 3 * 4 + 2)
    _, right = frames.columns(3 * 5 + 1, 3 * 5 + 2)
    grey[72:76, left - 1 : right + 1] = 0
    assert read_frames(frames, grey).amount == "1234.56"


def underline_under(
    frames: FieldFrames, grey: np.ndarray, first: int, last: int, rows: tuple[int, int]
) -> None:
    """Draws a flat stroke under characters ``first``..``last`` (a few columns past each end)."""
    left, _ = frames.columns(3 * first + 1, 3 * first + 2)
    _, right = frames.columns(3 * last + 1, 3 * last + 2)
    grey[rows[0] : rows[1], left - 5 : right + 5] = 0


def test_underlined_cents_are_cents_though_they_barely_rise() -> None:
    """Synthetic "15^00": small cents a seventh of a digit above the line, which alone is not enough to
    make them cents (the small last zeros of "2.900" rise as much), with a stroke under them only."""
    frames, grey = written("1500", [(10, 38)] * 2 + [(12, 34)] * 2)
    assert read_frames(frames, grey).amount == "1500.00"
    underline_under(frames, grey, 2, 3, (35, 38))
    assert read_frames(frames, grey).amount == "15.00"


def test_a_thin_printed_rule_under_the_last_digits_does_not_make_cents() -> None:
    """ORAND a_car_007004 "1000": a pixel-thin piece of the form's ruling under the last zeros is
    not a pen's stroke."""
    frames, grey = written("1500", [(10, 38)] * 2 + [(12, 34)] * 2)
    underline_under(frames, grey, 2, 3, (35, 36))
    assert read_frames(frames, grey).amount == "1500.00"


def test_a_stroke_under_the_whole_amount_does_not_make_cents() -> None:
    frames, grey = written("1500", [(10, 38)] * 2 + [(12, 34)] * 2)
    underline_under(frames, grey, 0, 3, (35, 38))
    assert read_frames(frames, grey).amount == "1500.00"


def test_underlined_digits_as_tall_as_the_others_on_the_line_are_not_cents() -> None:
    frames, grey = written("1500", [(10, 32)] * 4, height=40)
    underline_under(frames, grey, 2, 3, (34, 36))
    assert read_frames(frames, grey).amount == "1500.00"


def test_the_underline_counts_where_the_field_model_was_given_the_crop_without_it() -> None:
    """On a whole check the cleaning paints the underline out of what the field model reads
    (``without_rules``); the layout takes the lines from the crop before that."""
    frames, grey = written("1500", [(10, 38)] * 2 + [(12, 34)] * 2)
    original = grey.copy()
    underline_under(frames, original, 2, 3, (35, 38))
    assert read_frames(frames, Ink.of(grey)).amount == "1500.00"
    assert read_frames(frames, Ink.of(grey, lines_from=original)).amount == "15.00"


def test_full_size_digits_written_a_little_high_are_not_cents() -> None:
    frames, grey = written("123456", [(10, 38)] * 4 + [(0, 28)] * 2)
    assert read_frames(frames, grey).amount == "123456.00"


def test_zeros_written_uphill_one_by_one_are_not_raised_cents() -> None:
    """A real IDRBT cheque: "767,000" with each zero a little higher than the one before."""
    frames, grey = written("767000", [(10, 38)] * 3 + [(8, 32), (6, 28), (4, 26)])
    assert read_frames(frames, grey).amount == "767000.00"


def test_a_remnant_of_a_ruled_line_under_a_glyph_is_not_part_of_its_box() -> None:
    """ORAND a_car_000919: a dash of the guide line under a small "0" made it look tall and low, and
    the two zeros after it raised cents ("10 000" read 100.00)."""
    frames, grey = written("77", [(5, 30)] * 2)
    grey[34:37, 12:22] = 0  # shorter than a line, too big for a speck
    assert field_glyphs(frames, grey)[0].bbox == (10, 5, 20, 25)


def test_a_character_firing_after_its_glyph_gets_the_glyphs_box() -> None:
    """CTC fires late: the frames of a character can lie just right of its ink."""
    frames, grey = frames_for("7")
    grey[5:30, 0:8] = 0
    assert field_glyphs(frames, grey)[0].bbox == (0, 5, 8, 25)


def test_a_last_character_firing_frames_after_its_glyph_still_gets_the_glyphs_box() -> None:
    """Synthetic "2416^00": the last cent fired two frames right of its ink, on blank paper, and got a
    box of the crop's full height, so the cents did not look raised."""
    frames, grey = frames_for("10")
    grey[5:30, 12:20] = 0
    grey[5:15, 22:26] = 0  # the "0", 2 frames left of its frames' middle (less the usual lag)
    assert field_glyphs(frames, grey)[1].bbox == (22, 5, 4, 10)
    grey[:] = 255
    grey[5:30, 2:8] = 0  # nothing within 3 frames: the columns' inked rows, none here
    assert field_glyphs(frames, grey)[1].bbox == (40, 0, 20, 40)


def test_print_the_crop_cut_through_is_never_a_digit() -> None:
    """Synthetic "343^00": the feet of a date printed over the box, cut by the crop's top edge, lay
    under the "3"'s and the "4"'s frames, each digit's own ink a little to the right: the digits took
    the feet for their boxes and the cents never looked raised."""
    frames, grey = frames_for("34300", height=50)
    for i in range(5):
        x0, x1 = frames.columns(3 * i + 1, 3 * i + 2)
        if i < 3:
            grey[20:48, x0 + 8 : x1 + 8] = 0  # the dollars, right of their frames
        else:
            grey[12:26, x0:x1] = 0  # the cents, small and high
    for i in range(2):
        x0, x1 = frames.columns(3 * i + 1, 3 * i + 2)
        middle = (x0 + x1) // 2 - 4
        grey[0:5, middle - 5 : middle + 5] = 0
    assert [g.bbox[1] for g in field_glyphs(frames, grey)] == [20, 20, 20, 12, 12]
    assert read_frames(frames, grey).amount == "343.00"


def test_a_digit_never_takes_a_flat_remnant_of_an_underline_for_its_box() -> None:
    """Synthetic "91^00": the last cent fired over an underline's leftover row, a box 1 px tall."""
    frames, grey = frames_for("70")
    grey[5:30, 12:20] = 0
    grey[5:20, 30:40] = 0  # the "0", written before its frames
    grey[30:31, 42:54] = 0  # the underline's leftover row, under the "0"'s frames
    assert field_glyphs(frames, grey)[1].bbox == (30, 5, 10, 15)


def test_the_bar_of_a_seven_stays_in_the_seven() -> None:
    """Synthetic "7^00" (read 700.00 at 0.99): the 7's bar, as long as a cent is tall, was taken out
    as a line; the 7 kept only the hook at the bar's end under its frames and looked smaller than the
    cents."""
    frames, grey = frames_for("700")
    grey[8:12, 10:34] = 0  # the bar
    grey[12:18, 10:14] = 0  # the hook at its left end
    grey[12:38, 26:30] = 0  # the stem, hanging from its right end
    ink(grey, frames, 1, (6, 20))
    ink(grey, frames, 2, (6, 20))
    glyphs = field_glyphs(frames, grey)
    assert glyphs[0].bbox == (10, 8, 24, 30)
    assert read_frames(frames, grey).amount == "7.00"


def test_only_a_flat_run_with_one_body_hanging_from_it_is_a_glyphs_stroke() -> None:
    def runs_kept(grey: np.ndarray) -> bool:
        mask, lines = ink_mask(grey)
        return not len(lines) and bool(mask[9, 20])

    grey = np.full((40, 120), 255, np.uint8)
    grey[8:12, 10:34] = 0
    grey[12:38, 26:30] = 0  # a "7": its bar stays
    assert runs_kept(grey)
    grey[12:30, 12:16] = 0  # a second body under the bar (a cent touching a 7's bar): a line
    assert not runs_kept(grey)
    grey = np.full((40, 120), 255, np.uint8)
    grey[8:12, 10:34] = 0
    grey[0:8, 26:30] = 0  # ink over the run, none below: an underline under a cent
    assert not runs_kept(grey)
    grey = np.full((40, 120), 255, np.uint8)
    grey[0:32, 10:34] = 0
    grey[4:22, 14:30] = 255  # a thick "0": its top band stays, its flat bottom band alone is a line...
    mask, lines = ink_mask(grey)
    assert mask[2, 20] and [y for _, y, _, _ in lines] == [22]
    grey[32:37, 16:28] = 0  # ...and part of the glyph where its ink goes on below the band
    mask, lines = ink_mask(grey)
    assert not len(lines) and mask[27, 20]
    grey = np.full((40, 120), 255, np.uint8)
    grey[8:12, 0:120] = 0
    grey[12:38, 26:30] = 0
    grey[12:38, 60:64] = 0  # a box's top edge, far wider than the digits hanging from it
    assert not runs_kept(grey)


def test_a_cent_beside_the_digit_before_it_takes_its_own_piece() -> None:
    """Synthetic "10^19": the first cent fired right of the "0", nearer to the end of the "0" than to
    its own small ink; it took the 0's box and the cents did not look raised."""
    frames, grey = frames_for("1019")
    grey[5:35, 12:20] = 0
    grey[5:35, 40:70] = 0  # the "0", ending 6 columns left of the next character's middle
    grey[5:20, 83:86] = 0  # the raised "1", 7 columns right of it
    grey[5:20, 100:112] = 0
    assert field_glyphs(frames, grey)[2].bbox == (83, 5, 3, 15)
    assert read_frames(frames, grey).amount == "10.19"


def test_a_first_cent_written_touching_the_digit_before_it_gets_its_own_box() -> None:
    """Synthetic "63^00" and "2754^00": the first cent touched the last digit of the dollars, both
    characters took the one piece's full-height box, and the cents did not look raised."""
    frames, grey = frames_for("100")
    grey[5:35, 14:18] = 0  # the "1"
    cv2.line(grey, (17, 30), (44, 16), 0, 2)  # its stroke running on up into the first cent
    for centre in (49, 79):
        cv2.circle(grey, (centre, 12), 7, 0, -1)  # the cents, small and high
    glyphs = field_glyphs(frames, grey)
    assert glyphs[0].bbox == (14, 5, 17, 30) and glyphs[1].bbox == (31, 5, 26, 20)
    assert read_frames(frames, grey).amount == "1.00"


def test_touching_glyphs_are_cut_where_the_least_ink_joins_them() -> None:
    """Synthetic "2625^00": the "5" and the first cent joined by an underline's remnant. The frames'
    middle between them lies inside the "5", where a cut gave the cent a column of the "5" and its
    full height, and the cents did not look raised; the thin join is where they meet."""
    frames, grey = frames_for("500")
    grey[5:35, 10:36] = 0  # the "5", wider than its frames (the frames' middle is column 29)
    grey[16:18, 36:43] = 0  # the remnant joining it to the first cent
    for centre in (48, 78):
        cv2.circle(grey, (centre, 11), 6, 0, 2)  # the cents, small and high
    glyphs = field_glyphs(frames, grey)
    assert glyphs[0].bbox == (10, 5, 26, 30) and glyphs[1].bbox == (36, 4, 20, 15)
    assert read_frames(frames, grey).amount == "5.00"


def test_a_cut_moves_to_a_thin_join_but_not_to_a_thin_stroke() -> None:
    """Synthetic "31324^00": a "4" touching its first cent. The thinnest column near the frames'
    middle is the 4's crossbar, a whole stroke; cut there, the cent kept the 4's stem and its full
    height. Only a join thinner than a stroke (an underline's remnant, "2625^00") moves the cut."""
    mask = np.zeros((40, 60), bool)
    mask[5:35, 0:20] = True  # a digit
    mask[20:26, 20:30] = True  # a crossbar-thick stroke on to the cent
    mask[5:20, 30:45] = True  # the cent
    box = (0, 5, 45, 30)
    assert thinnest_column(mask, box, column=18, reach=10) == 18
    mask[20:26, 20:30] = False
    mask[24:26, 20:30] = True  # a join two pixels high
    assert thinnest_column(mask, box, column=18, reach=10) == 20


def test_an_amount_closed_by_a_terminator_has_no_raised_cents() -> None:
    """ORAND a_car_000929 "15700-": small zeros written high after the "7" are not cents."""
    frames, grey = written("15700-", [(10, 38)] * 3 + [(2, 16)] * 2 + [(20, 23)])
    assert read_frames(frames, grey).amount == "15700.00"
    frames, grey = written("15700", [(10, 38)] * 3 + [(2, 16)] * 2)
    assert read_frames(frames, grey).amount == "157.00"


def test_boxes_are_the_frames_columns_and_the_inks_rows() -> None:
    frames, grey = frames_for("70")
    ink(grey, frames, 0, (5, 30))
    seven = field_glyphs(frames, grey, to_image=lambda b: (b[0] + 100, b[1] + 7, b[2], b[3]))[0]
    assert seven.char == "7" and seven.bbox == (110, 12, 20, 25)


def test_digit_alternatives_come_from_the_peak_frame() -> None:
    frames, grey = frames_for("7")
    frames.probs[1:3, ALPHABET.index("1") + 1] = 0.2
    frames.probs[1:3] /= frames.probs[1:3].sum(axis=1, keepdims=True)
    glyph = field_glyphs(frames, grey)[0]
    assert glyph.char == "7" and glyph.probabilities is not None
    assert glyph.probabilities[1] == pytest.approx(frames.probs[1, ALPHABET.index("1") + 1])
    assert 0.15 < glyph.probabilities[1] < 0.2 and glyph.confidence < 0.85


@pytest.fixture(scope="module")
def reader(model_path: Path, field_model_path: Path) -> Reader:
    return Reader(
        DigitClassifier(model_path), field_model=FieldModel(field_model_path), default_reader="field"
    )


def test_a_real_orand_field_is_read_end_to_end(reader: Reader, data_dir: Path) -> None:
    path = data_dir / "orand-car-a-dev" / "images" / "a_car_000160.jpg"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    reading = reader.read_path(path, region="field")
    assert reading.reader == "field" and reading.amount == "25441.00"
    assert [m.name for m in reading.models] == ["field"] and reading.model.name == "field"
    assert "".join(c.char for c in reading.characters) == "25.441"
    xs = [c.bbox[0] for c in reading.characters]
    assert xs == sorted(xs) and all(0 <= c.bbox[0] < reading.field.bbox[2] for c in reading.characters)
    assert "recognise" in reading.timings_ms


@pytest.mark.parametrize(
    ("grey", "reason"),
    [
        (np.full((60, 300), 255, np.uint8), "no characters"),
        (np.full((3, 600), 255, np.uint8), "too small"),
    ],
    ids=["blank", "3-px-high"],
)
def test_a_field_without_legible_ink_is_unreadable_not_an_error(
    reader: Reader, grey: np.ndarray, reason: str
) -> None:
    reading = reader.read_array(grey, region="field")
    assert reading.amount is None and reading.needs_review and reason in (reading.reason or "")
    assert reading.review_reasons == ["no_amount"]


def test_a_1_px_high_crop_is_unreadable_not_an_error(reader: Reader) -> None:
    crop = np.zeros((1, 900), np.uint8)
    for location in (given_field(crop), FieldLocation((0, 0, 900, 1), "detected", 1.0)):
        result = reader.read_field(FieldCrop(crop, (0, 0), None), location, "auto", {})
        assert result.amount is None and "too small" in (result.reason or "")


def test_a_2000_px_wide_field_is_read(reader: Reader) -> None:
    grey = np.full((50, 2000), 255, np.uint8)
    grey[10:40, 100:104] = 0
    reading = reader.read_array(grey, region="field")
    assert reading.reader == "field" and reading.timings_ms["total"] > 0


def test_the_field_reader_needs_the_field_model(model_path: Path) -> None:
    with pytest.raises(ValueError, match="needs the field model"):
        Reader(DigitClassifier(model_path)).read_array(np.full((40, 100), 255, np.uint8), reader="field")
