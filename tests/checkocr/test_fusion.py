"""The fused reader's parts: scores by both readers, the choice, the calibrator and keyed amounts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from checkocr.assemble import Glyph, assemble
from checkocr.calibration import Calibrator, FusionCard
from checkocr.fusion import (
    FEATURES,
    digit_frames,
    digit_path_logp,
    field_digit_logp,
    fuse,
    has_raised_cents,
    keyed_facts,
)
from checkocr.matching import parse_amount
from checkocr.model_card import ModelError
from tests.checkocr.test_field_reader import ALPHABET, frames_for, written


def digit_reading(text: str, doubt: dict[int, tuple[str, float]] | None = None, raised: int = 0):
    """The digit path's assembly of ``text`` (digits at 0.97, or doubtful ones as given)."""
    glyphs = []
    doubt = doubt or {}
    digit_positions = [i for i, ch in enumerate(text) if ch.isdigit()]
    for i, ch in enumerate(text):
        box = (10 * i, 20 if i in digit_positions[len(digit_positions) - raised :] else 30, 8, 20)
        if ch.isdigit():
            probs = np.full(10, 0.003)
            best, p = ch, 0.97
            if i in doubt:
                other, p = doubt[i]
                probs[int(other)] = 1 - p
            probs[int(best)] = p
            glyphs.append(
                Glyph.digit(probs, box, raised=i in digit_positions[len(digit_positions) - raised :])
            )
        else:
            kind = "separator" if ch in ".," else "terminator"
            glyphs.append(Glyph(kind, ch, 0.9, box))
    return assemble(glyphs)


def test_marks_are_marginalised_out_of_the_field_score() -> None:
    frames, _ = frames_for("25.441.-")
    merged = digit_frames(frames)
    assert np.allclose(merged.sum(axis=1), 1.0)
    assert field_digit_logp(merged, "25441") > math.log(0.5)
    assert field_digit_logp(merged, "2541") < math.log(1e-3)


def test_the_digit_path_pays_per_digit_it_did_not_cut() -> None:
    chars = digit_reading("123").characters
    assert digit_path_logp(chars, "123") == pytest.approx(3 * math.log(0.97), abs=1e-3)
    assert digit_path_logp(chars, "1234") == pytest.approx(3 * math.log(0.97) + math.log(0.01), abs=1e-3)
    assert digit_path_logp(chars, "1023") == pytest.approx(3 * math.log(0.97) + math.log(0.01), abs=1e-3)
    assert digit_path_logp(chars, "13") == pytest.approx(2 * math.log(0.97) + math.log(0.01), abs=1e-3)
    assert digit_path_logp(chars, "173") < math.log(0.01)


def test_a_longer_candidate_is_judged_on_the_digits_it_shares() -> None:
    """A candidate one digit longer than the digit path's cut is not let off with one mismatch: the
    digit path still says what it thinks of the digits the two share."""
    chars = digit_reading("1606065").characters
    assert digit_path_logp(chars, "16060651") > digit_path_logp(chars, "16063765") + 5
    # A digit the digit path split off in the wrong place costs two mismatches, not five substitutions.
    assert digit_path_logp(chars, "6060651") > digit_path_logp(chars, "6063765")


def test_when_the_readers_agree_the_amount_is_theirs() -> None:
    frames, grey = frames_for("25.441.-")
    field = assemble([])
    from checkocr.field_reader import read_frames

    field = read_frames(frames, grey)
    fused = fuse(frames, grey, field, digit_reading("25.441.-"), 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == "25441.00"
    assert fused.features["readers_agree"] == 1.0 and fused.runner_up is not None
    assert fused.chosen.score() - fused.runner_up.score() > 5


def test_a_doubtful_digit_is_settled_by_the_field_model() -> None:
    frames, grey = frames_for("1,237")
    from checkocr.field_reader import read_frames

    digits = digit_reading("1,231", doubt={4: ("7", 0.55)})  # the digit path: "1" at 0.55, "7" at 0.45
    fused = fuse(frames, grey, read_frames(frames, grey), digits, 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == "1237.00"
    assert fused.features["readers_agree"] == 0.0


@pytest.mark.parametrize(
    ("field_text", "digit_text", "amount"),
    [
        # The field model saw the decimal point of "63.00", the digit path did not ("6300").
        ("63.00", "6300", "63.00"),
        # ORAND "69.630" (no cents on these checks): the field reader read a point before "30", but
        # the digit path saw a group of thousands, whose last two digits are never cents.
        ("696.30", "69.630", "69630.00"),
    ],
)
def test_the_layout_that_finds_the_cents_wins_unless_the_other_saw_whole_units(
    field_text: str, digit_text: str, amount: str
) -> None:
    frames, grey = frames_for(field_text)
    from checkocr.field_reader import read_frames

    field = read_frames(frames, grey)
    assert field.amount == field_text  # the field reader's own layout
    fused = fuse(frames, grey, field, digit_reading(digit_text), 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == amount


def test_the_digit_paths_raised_cents_win_for_the_same_digits() -> None:
    frames, grey = frames_for("123456")  # the field model reads the raised cents flat
    from checkocr.field_reader import read_frames

    digits = digit_reading("123456", raised=2)
    assert digits.amount == "1234.56"
    fused = fuse(frames, grey, read_frames(frames, grey), digits, 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == "1234.56"


def test_the_field_readers_raised_cents_win_when_both_read_the_same_string() -> None:
    # Both read "123456"; only the field reader saw the last two digits lifted ("1234^56").
    frames, grey = written("123456", [(10, 38)] * 4 + [(2, 16)] * 2)
    from checkocr.field_reader import read_frames

    field = read_frames(frames, grey)
    assert field.amount == "1234.56"
    fused = fuse(frames, grey, field, digit_reading("123456"), 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == "1234.56"


def test_an_amount_the_other_reader_saw_closed_in_whole_units_has_no_cents() -> None:
    """IDRBT "159,000/-": the field reader saw neither the comma nor the "/-" and took the final zeros
    for raised cents; the digit path saw the amount closed, so its last two digits are no cents."""
    frames, grey = written("159000", [(10, 38)] * 4 + [(2, 16)] * 2)
    from checkocr.field_reader import read_frames

    field = read_frames(frames, grey)
    assert field.amount == "1590.00"
    for closed in ("159,000/-", "159,000"):  # a terminator, or a last group of thousands
        fused = fuse(frames, grey, field, digit_reading(closed), 1.0)
        assert fused.chosen is not None and fused.chosen.assembly.amount == "159000.00", closed


def test_raised_cents_are_the_digit_paths_two_lifted_digits_of_an_amount() -> None:
    assert has_raised_cents(digit_reading("123456", raised=2))
    assert not has_raised_cents(digit_reading("123456"))
    assert not has_raised_cents(digit_reading("1234.56"))  # cents after a point, not lifted
    assert not has_raised_cents(assemble([]))


def test_the_card_gives_the_raised_cents_weight_only_to_raised_cents() -> None:
    both = card(digit_weight=0.5, digit_weight_raised_cents=1.0)
    assert both.digit_weight_for(True) == 1.0
    assert both.digit_weight_for(False) == 0.5
    assert card(digit_weight=0.5).digit_weight_for(True) == 0.5  # a card without one: one weight


def test_where_the_digit_path_read_raised_cents_its_cents_can_outweigh_the_field_models() -> None:
    """ "44^82": the field model reads the small cents as "12" (the "8" a runner-up in its frames), the
    digit path classifies them at full size as "82". The card's plain weight leaves the choice to the
    field model; its raised-cents weight gives it to the digit path."""
    frames, grey = frames_for("4412")
    from checkocr.field_reader import read_frames

    eight = ALPHABET.index("8") + 1
    for t in (7, 8):  # the third character's two frames: "1" first, "8" second
        frames.probs[t, eight] = 0.1
        frames.probs[t] /= frames.probs[t].sum()
    field = read_frames(frames, grey)
    digits = digit_reading("4482", raised=2)
    weights = card(digit_weight=0.5, digit_weight_raised_cents=1.0)
    plain = fuse(frames, grey, field, digits, 1.0, digit_weight=weights.digit_weight)
    assert plain.chosen is not None and plain.chosen.assembly.amount == "4412.00"
    raised_weight = weights.digit_weight_for(has_raised_cents(digits))
    raised = fuse(frames, grey, field, digits, 1.0, digit_weight=raised_weight)
    assert raised.chosen is not None and raised.chosen.assembly.amount == "44.82"


def stump(feature: str, threshold: float, below: float, above: float) -> dict[str, list]:
    """A one-split tree: ``below`` log-odds when the fact is <= threshold, else ``above``."""
    return {
        "feature": [FEATURES.index(feature), -1, -1],
        "threshold": [threshold, 0.0, 0.0],
        "left": [1, 0, 0],
        "right": [2, 0, 0],
        "value": [0.0, below, above],
    }


def card(**changes) -> FusionCard:
    values = {
        "name": "fusion",
        "version": "test",
        "created": "2026-12-06",
        "features": list(FEATURES),
        "baseline": 0.0,
        # agreement is worth 2, a likely string under each reader 1 each
        "trees": [
            stump("readers_agree", 0.5, -1.0, 1.0),
            stump("field_logp", -3.0, -1.0, 1.0),
            stump("digit_logp", -3.0, -1.0, 1.0),
        ],
        "field_model_sha256": "0" * 64,
        "digit_model_sha256": "0" * 64,
    }
    return FusionCard(**{**values, **changes})


def facts_with(**given: float) -> dict[str, float]:
    return {name: given.get(name, 0.0) for name in FEATURES}


def test_the_calibrator_refuses_a_card_for_other_features() -> None:
    with pytest.raises(ModelError, match="features"):
        Calibrator(card(features=["field_logp"]))


def test_a_tree_whose_children_point_back_is_not_a_card() -> None:
    looped = stump("field_logp", 0.0, 1.0, 1.0) | {"left": [0, 0, 0]}
    with pytest.raises(ValueError, match="children"):
        card(trees=[looped])


def test_the_calibrator_sums_every_trees_leaf_as_log_odds() -> None:
    calibrator = Calibrator(card(baseline=0.5))
    sure = facts_with(readers_agree=1.0, field_logp=-0.1, digit_logp=-0.2)
    doubtful = facts_with(readers_agree=0.0, field_logp=-9.0, digit_logp=-0.2)
    assert calibrator.log_odds(sure) == pytest.approx(0.5 + 3.0)
    assert calibrator.log_odds(doubtful) == pytest.approx(0.5 - 1.0)
    assert calibrator.probability(sure) == pytest.approx(1 / (1 + math.exp(-3.5)))


def test_a_deeper_tree_follows_both_splits() -> None:
    """field_logp <= -3 goes left to a leaf; otherwise digit_logp decides between two leaves."""
    tree = {
        "feature": [FEATURES.index("field_logp"), -1, FEATURES.index("digit_logp"), -1, -1],
        "threshold": [-3.0, 0.0, -1.0, 0.0, 0.0],
        "left": [1, 0, 3, 0, 0],
        "right": [2, 0, 4, 0, 0],
        "value": [0.0, -2.0, 0.0, 0.5, 3.0],
    }
    calibrator = Calibrator(card(trees=[tree]))
    assert calibrator.log_odds(facts_with(field_logp=-5.0, digit_logp=0.0)) == -2.0
    assert calibrator.log_odds(facts_with(field_logp=-1.0, digit_logp=-1.0)) == 0.5  # <= goes left
    assert calibrator.log_odds(facts_with(field_logp=-1.0, digit_logp=-0.5)) == 3.0


def test_the_keyed_amount_read_by_both_is_likelier_than_another() -> None:
    frames, grey = frames_for("1,237")
    from checkocr.field_reader import read_frames

    digits = digit_reading("1,237")
    fused = fuse(frames, grey, read_frames(frames, grey), digits, 1.0)
    calibrator = Calibrator(card())
    right = calibrator.probability(keyed_facts(frames, digits, fused, parse_amount("1237"), 1.0))
    wrong = calibrator.probability(keyed_facts(frames, digits, fused, parse_amount("1287"), 1.0))
    assert right > 0.8 > 0.2 > wrong


def test_a_field_on_a_check_is_marked_for_the_calibrator() -> None:
    """The facts are the same on a check and in a given field; ``on_check`` tells the trees which."""
    from checkocr.fusion import Context, named_facts

    given = Context(2544100, 0.9, 2544100, 0.8, 1.0, on_check=False)
    on_check = Context(2544100, 0.9, 2544100, 0.8, 0.9, on_check=True)
    facts_given = named_facts(-1.0, -2.0, 1.0, given, 2544100)
    facts_check = named_facts(-1.0, -2.0, 1.0, on_check, 2544100)
    assert list(facts_given) == list(FEATURES)
    assert facts_given["on_check"] == 0.0 and facts_check["on_check"] == 1.0
    assert facts_check["log_location"] == pytest.approx(math.log(0.9))
    assert facts_given["field_own"] == facts_check["field_own"] == pytest.approx(math.log(0.9))


def test_a_fractions_hundred_read_as_digits_by_the_digit_path_still_counts_for_it() -> None:
    """Synthetic "348 00/100": the digit path missed the slash and read "34800100"; the field reader
    read "34800/100". The "100" is written on the check, so the digit path's digits match the
    fraction's written ones, and the fraction is not outscored by its own digits run together."""
    frames, grey = frames_for("34800/100")
    from checkocr.field_reader import read_frames

    field = read_frames(frames, grey)
    assert field.amount == "348.00"
    fused = fuse(frames, grey, field, digit_reading("34800100"), 1.0)
    assert fused.chosen is not None and fused.chosen.assembly.amount == "348.00"
    assert fused.chosen.digit_logp == pytest.approx(8 * math.log(0.97), abs=1e-3)
    # Both strings score the same (the marks are left out of both scores): the field reader's wins.
    assert fused.runner_up is not None and fused.runner_up.assembly.amount == "34800100.00"
    assert fused.runner_up.score() == pytest.approx(fused.chosen.score())
