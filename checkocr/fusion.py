"""One reading from two readers: candidates from both, scored by both, and a calibrated confidence.

The digit path (split, classify) and the field model (CTC over the whole field) fail differently: the
digit path misjudges where one digit ends and the next begins, the field model misjudges a digit's
shape less often but drops or doubles one now and then. So every candidate amount is scored by both:

- candidates: the field model's N best strings, the digit path's reading, and that reading with its
  least certain digit swapped for its runner-up;
- ``field_logp``: log P(the candidate's digits | the field's frames), with every mark (".", "-", "$",
  ...) folded into the blank, so that a reader that saw a separator and one that did not are not
  punished for the separator, only for the digits;
- ``digit_logp``: log P(the candidate's digits | the digit path's per-digit distributions) along
  their best alignment; a digit the digit path did not cut, or a glyph it cut that the candidate
  does not have, pays ``LENGTH_MISMATCH`` (the split is what was wrong, not a class);
- the candidate with the largest ``field_logp + w * digit_logp`` wins (``w`` from the card, another
  where the digit path read raised cents).

The confidence is a probability that the amount is right: small gradient-boosted trees (ten fits
averaged into one card) over a few facts of the choice (both scores, whether the two readers agreed,
each reader's own confidence in the amount, how sure the field location was, whether the field was
found on a whole check), fitted on
out-of-fold readings of the dev sets by ``training/fusion.py`` and shipped as a card
(``onnx_models/fusion.json``, evaluated by ``checkocr.calibration``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from checkocr.assemble import DIGITS, Assembly, Decimal, assemble
from checkocr.ctc import BLANK, prefix_beam_search, string_log_probability
from checkocr.field_model import FieldFrames
from checkocr.field_reader import Ink, aligned_chars, closed_in_whole_units, fraction_positions, glyphs_of
from checkocr.matching import KeyedAmount, candidate_digit_strings, digit_distribution
from checkocr.schemas import Character

N_BEST = 5
BEAM_WIDTH = 8
LENGTH_MISMATCH = math.log(0.01)  # per digit or glyph left unmatched between the candidate and the digit path
SCORE_FLOOR = -60.0  # scores are clipped here: below it a candidate is simply impossible
ALTERNATIVE_MIN = 0.05  # a digit path alternative becomes a candidate from this probability up
BASE_FEATURES = (
    "field_logp",
    "digit_logp",
    "readers_agree",
    "log_location",
    "field_own",
    "digits_own",
    "agree_field_own",
    "agree_digits_own",
)
# A field found on a whole check is calibrated apart from a field the caller cut out: the same facts
# mean different odds there (the location can be off, the crop holds printed marks). The calibrator's
# trees split on ``on_check`` where that matters.
FEATURES = (*BASE_FEATURES, "on_check")
OWN_FLOOR = math.log(1e-6)  # a reader's own score for an amount it did not read


@dataclass
class Candidate:
    """One possible reading of the field and what each reader thinks of it."""

    text: str  # over the field alphabet, marks included
    assembly: Assembly
    field_logp: float
    digit_logp: float
    sources: set[str] = field(default_factory=set)  # field, field_nbest, digits, digits_alternative

    def score(self, digit_weight: float = 1.0) -> float:
        return self.field_logp + digit_weight * self.digit_logp


@dataclass(frozen=True)
class Context:
    """What the two readers said on their own, which the calibrator weighs beside the scores."""

    field_amount: int | None
    field_confidence: float  # the field reader's own (uncalibrated) confidence in its reading
    digits_amount: int | None
    digits_confidence: float
    location_confidence: float
    on_check: bool = False  # the field was located on a whole check (False: the caller gave the field)

    @property
    def agree(self) -> bool:
        return self.field_amount is not None and self.field_amount == self.digits_amount

    def own(self, amount: int | None) -> tuple[float, float]:
        """log of each reader's own confidence in ``amount`` (OWN_FLOOR when it read another)."""
        field = math.log(max(self.field_confidence, 1e-6)) if amount == self.field_amount else OWN_FLOOR
        digits = math.log(max(self.digits_confidence, 1e-6)) if amount == self.digits_amount else OWN_FLOOR
        return field, digits


@dataclass
class Fused:
    """The fused choice, the runner-up amount, and the facts the confidence is computed from."""

    chosen: Candidate | None
    runner_up: Candidate | None
    context: Context
    features: dict[str, float]


def digit_frames(frames: FieldFrames) -> np.ndarray:
    """[T, 11]: blank with every mark folded into it, then the digits 0-9."""
    columns = [frames.alphabet.index(d) + 1 for d in DIGITS]
    digits = frames.probs[:, columns]
    blank = frames.probs.sum(axis=1, keepdims=True) - digits.sum(axis=1, keepdims=True)
    return np.concatenate([np.maximum(blank, 0.0), digits], axis=1)


def field_digit_logp(merged: np.ndarray, digits: str) -> float:
    """log P(digits | frames), marks marginalised (see ``digit_frames``)."""
    if not digits:
        return max(SCORE_FLOOR, float(np.log(np.maximum(merged[:, BLANK], 1e-30)).sum()))
    return max(SCORE_FLOOR, string_log_probability(merged, [DIGITS.index(d) + 1 for d in digits]))


def digit_path_logp(digit_chars: Sequence[Character] | DigitTable, digits: str) -> float:
    """log P(digits | the digit path's distributions) along the best alignment of the two: each
    candidate digit is the digit path's next glyph (its probability of that digit), or a digit the
    digit path did not cut, or a glyph of the digit path is not in the candidate (``LENGTH_MISMATCH``
    each). A candidate a digit longer than the digit path's reading is judged on every digit the two
    share, not let off with one mismatch. ``digit_chars`` may be given as their ``DigitTable``,
    which a reading scored against many candidates builds once."""
    table = digit_chars if isinstance(digit_chars, DigitTable) else DigitTable.of(digit_chars)
    if not table.logp or not digits:
        return max(SCORE_FLOOR, LENGTH_MISMATCH * (len(digits) + len(table.logp)))
    # best[j]: the best score of the glyphs so far against the candidate's first j digits
    best = [LENGTH_MISMATCH * j for j in range(len(digits) + 1)]
    for i, logp in enumerate(table.logp, start=1):
        row = [LENGTH_MISMATCH * i]
        for j, digit in enumerate(digits, start=1):
            row.append(
                max(best[j - 1] + logp[digit], best[j] + LENGTH_MISMATCH, row[j - 1] + LENGTH_MISMATCH)
            )
        best = row
    return max(SCORE_FLOOR, best[-1])


@dataclass(frozen=True)
class DigitTable:
    """log P(glyph is d) for every digit glyph of the digit path and every digit d."""

    logp: list[dict[str, float]]

    @classmethod
    def of(cls, digit_chars: Sequence[Character]) -> DigitTable:
        return cls(
            [{d: math.log(max(p, 1e-9)) for d, p in digit_distribution(c).items()} for c in digit_chars]
        )

    @classmethod
    def of_reading(cls, reading: Assembly) -> DigitTable:
        """The table of a digit path reading's digit glyphs (its marks are not scored)."""
        return cls.of([c for c in reading.characters if c.kind == "digit"])


def amount_digits(text: str) -> str:
    """The digits of a string that count for the amount: those of a "/100" fraction tail do not."""
    skip = fraction_positions(text)
    return "".join(ch for i, ch in enumerate(text) if ch in DIGITS and i not in skip)


def written_digits(text: str) -> str:
    """Every digit written in the field, a fraction's "100" included (what the field frames hold)."""
    return "".join(ch for ch in text if ch in DIGITS)


def render(characters: Sequence[Character], alphabet: str) -> str:
    """The digit path's characters as a string over the field alphabet (unknown marks dropped)."""
    return "".join(ch for c in characters for ch in c.char if ch in alphabet)


def digit_alternatives(characters: Sequence[Character], alphabet: str) -> list[str]:
    """The digit path's reading with its least certain digit swapped for each likely runner-up."""
    digits = [i for i, c in enumerate(characters) if c.kind == "digit"]
    if not digits:
        return []
    weakest = min(digits, key=lambda i: characters[i].confidence)
    texts = []
    for alternative in characters[weakest].alternatives:
        if alternative.confidence >= ALTERNATIVE_MIN:
            swapped = list(characters)
            swapped[weakest] = characters[weakest].model_copy(update={"char": alternative.char})
            texts.append(render(swapped, alphabet))
    return texts


def fuse(
    frames: FieldFrames,
    grey: np.ndarray | Ink,
    field_reading: Assembly,
    digit_reading: Assembly,
    location_confidence: float,
    decimal: Decimal = "auto",
    to_image=lambda box: box,
    digit_weight: float = 1.0,
    on_check: bool = False,
) -> Fused:
    """Candidates from both readers, each scored by both; the best and the facts for its confidence."""
    found = candidates(frames, grey, field_reading, digit_reading, decimal, to_image)
    context = Context(
        field_reading.amount_cents,
        field_reading.confidence,
        digit_reading.amount_cents,
        digit_reading.confidence,
        location_confidence,
        on_check,
    )
    return choose(found, context, digit_weight)


def candidates(
    frames: FieldFrames,
    grey: np.ndarray | Ink,
    field_reading: Assembly,
    digit_reading: Assembly,
    decimal: Decimal = "auto",
    to_image=lambda box: box,
) -> list[Candidate]:
    """Every candidate reading, one per amount digit string, each scored by both readers."""
    merged = digit_frames(frames)
    digit_table = DigitTable.of_reading(digit_reading)
    field_text = render(field_reading.characters, frames.alphabet)
    digit_text = render(digit_reading.characters, frames.alphabet)
    texts: dict[str, set[str]] = {}
    texts.setdefault(field_text, set()).add("field")
    for labels, _ in prefix_beam_search(frames.probs, beam_width=BEAM_WIDTH, n_best=N_BEST):
        texts.setdefault("".join(frames.alphabet[k - 1] for k in labels), set()).add("field_nbest")
    texts.setdefault(digit_text, set()).add("digits")
    for text in digit_alternatives(digit_reading.characters, frames.alphabet):
        texts.setdefault(text, set()).add("digits_alternative")

    by_digits: dict[str, Candidate] = {}
    ink = Ink.of(grey)
    scored: dict[str, float] = {}  # candidates that differ only in marks share their digits' score

    def field_logp_of(digits: str) -> float:
        if digits not in scored:
            scored[digits] = field_digit_logp(merged, digits)
        return scored[digits]

    for text, sources in texts.items():
        if text == digit_text and digit_reading.amount_cents is not None:
            # The same string from both: the digit path measured its layout, unless the field reader
            # found cents in it that the digit path did not (raised cents it saw lifted, or a point
            # where the digit path also saw a mark outside the alphabet): as between the two readers'
            # own readings in ``prefer_layout``, the smaller amount.
            assembly = digit_reading
            if text == field_text and cents_found(field_reading, digit_reading):
                assembly = field_reading
        elif text == field_text:
            assembly = field_reading
        else:
            chars = aligned_chars(frames, text)
            if chars is None:
                continue
            assembly = assemble(glyphs_of(frames, ink, chars, to_image), decimal=decimal, in_order=True)
        if assembly.amount_cents is None:
            continue
        digits = amount_digits(text)
        # A "/100" is often printed on the check and left out of the field model's reading, and a
        # digit path that did not see the fraction reads its "100" as digits: both readers are asked
        # for the amount's digits with and without it.
        written = written_digits(text)
        field_logp = field_logp_of(digits)
        digit_logp = digit_path_logp(digit_table, digits)
        if written != digits:
            field_logp = max(field_logp, field_logp_of(written))
            digit_logp = max(digit_logp, digit_path_logp(digit_table, written))
        candidate = Candidate(text, assembly, field_logp, digit_logp, sources)
        # The same digits laid out differently ("147552" or 1475 with raised 52, "31751" or
        # "317 51/100"): the layout is a question of glyph geometry, which the digit path measures
        # and the field model does not.
        kept = by_digits.get(digits)
        if kept is None or prefer_layout(candidate, kept):
            if kept is not None:
                candidate.sources |= kept.sources
            by_digits[digits] = candidate
        else:
            kept.sources |= sources
    found = list(by_digits.values())
    no_amount = Assembly(None, None, 0.0, [], reason="neither reader found an amount in the field")
    found.append(Candidate("", no_amount, field_logp_of(""), digit_path_logp(digit_table, ""), {"none"}))
    return found


def choose(found: list[Candidate], context: Context, digit_weight: float = 1.0) -> Fused:
    """The best amount by ``field_logp + digit_weight * digit_logp``, its runner-up, and the facts."""
    by_amount: dict[int | None, Candidate] = {}
    for candidate in found:
        cents = candidate.assembly.amount_cents
        kept = by_amount.get(cents)
        if kept is None or candidate.score(digit_weight) > kept.score(digit_weight):
            by_amount[cents] = candidate
    # "No amount" competes like any reading: a blank field, or a scribble both readers doubt, is
    # unreadable. Scores tie when two strings differ only in marks (both readers' digit scores leave
    # marks out: "34800/100" and "34800100"); then the field reader's own string, the only reader
    # of the marks in the choice, wins.
    ranked = sorted(
        by_amount.values(), key=lambda c: (c.score(digit_weight), "field" in c.sources), reverse=True
    )
    chosen = ranked[0] if ranked and ranked[0].assembly.amount_cents is not None else None
    runner_up = ranked[1] if len(ranked) > 1 else None
    return Fused(chosen, runner_up, context, facts(chosen, context))


def has_raised_cents(reading: Assembly) -> bool:
    """Whether the reading's cents are two digits written small and raised (``1234^56``).

    The digit path measures that from its glyphs' geometry and classifies each cent at full size,
    where the field model sees them small in a field scaled to its 48 rows, and misreads, drops or
    doubles them more often than full-size digits: such a reading's digit scores weigh more in the
    choice (the card's ``digit_weight_raised_cents``)."""
    raised = sum(c.raised for c in reading.characters if c.kind == "digit")
    return reading.amount_cents is not None and raised == 2


def cents_found(reading: Assembly, other: Assembly) -> bool:
    """Whether ``reading`` is the smaller of two amounts: it found cents the other read as dollars."""
    return (
        reading.amount_cents is not None
        and other.amount_cents is not None
        and reading.amount_cents < other.amount_cents
    )


def prefer_layout(candidate: Candidate, kept: Candidate) -> bool:
    """Between two layouts of the same digits: when they are the two readers' own readings, the one
    that finds cents in them (the smaller amount: a reader misses a small decimal point or the lift
    of raised cents more often than it invents one), unless the other reader saw the amount closed
    in whole units; else the digit path's, else the likelier one. The field model's other N-best
    strings do not count: they try separators anywhere."""
    own = {"field", "digits"}
    if own <= (candidate.sources | kept.sources) and candidate.sources & own and kept.sources & own:
        cents, kept_cents = candidate.assembly.amount_cents, kept.assembly.amount_cents
        if cents is not None and kept_cents is not None and cents != kept_cents:
            larger = candidate if cents > kept_cents else kept
            if whole_units(larger):
                return larger is candidate
            return cents < kept_cents
    if ("digits" in candidate.sources) != ("digits" in kept.sources):
        return "digits" in candidate.sources
    return candidate.score() > kept.score()


def whole_units(candidate: Candidate) -> bool:
    """Whether a reading of a whole amount was closed in whole units as written: a terminator after
    it ("159,000/-") or a last group of thousands ("4.057"). Its last two digits are then no cents,
    whatever lift the other reader measured on them (IDRBT "159,000/-": the field reader, which saw
    neither the comma nor the "/-", took the final zeros for raised cents)."""
    cents = candidate.assembly.amount_cents
    return cents is not None and cents % 100 == 0 and closed_in_whole_units(candidate.text)


def facts(chosen: Candidate | None, context: Context) -> dict[str, float]:
    """The calibrator's inputs for a choice (see FEATURES)."""
    if chosen is None:
        return dict.fromkeys(FEATURES, 0.0)
    agree = 1.0 if context.agree else 0.0
    return named_facts(chosen.field_logp, chosen.digit_logp, agree, context, chosen.assembly.amount_cents)


def named_facts(
    field_logp: float, digit_logp: float, agree: float, context: Context, amount: int | None
) -> dict[str, float]:
    """FEATURES by name: both readers' scores of the amount, whether they read the same amount on
    their own, how surely the field was found, and each reader's own confidence in this amount,
    alone and when both agree (agreement of two confident readers is worth more than either)."""
    field_own, digits_own = context.own(amount)
    base = {
        "field_logp": field_logp,
        "digit_logp": digit_logp,
        "readers_agree": agree,
        "log_location": math.log(max(context.location_confidence, 1e-6)),
        "field_own": field_own,
        "digits_own": digits_own,
        "agree_field_own": agree * field_own,
        "agree_digits_own": agree * digits_own,
    }
    return {**base, "on_check": 1.0 if context.on_check else 0.0}


def keyed_facts(
    frames: FieldFrames,
    digit_reading: Assembly,
    fused: Fused,
    keyed: KeyedAmount,
    digit_weight: float = 1.0,
) -> dict[str, float]:
    """The calibrator's inputs as if the keyed amount were the reading: its scores under both readers,
    and each reader's own confidence when it read that amount on its own (the floor when it did not)."""
    merged = digit_frames(frames)
    digit_table = DigitTable.of_reading(digit_reading)
    best: tuple[float, float, str] | None = None
    for digits in candidate_digit_strings(keyed):
        written = [digits, digits + "100"] if len(digits) > 2 else [digits]  # "56/100" writes a "100"
        field_logp = max(field_digit_logp(merged, text) for text in written)
        digit_logp = digit_path_logp(digit_table, digits)
        if best is None or field_logp + digit_weight * digit_logp > best[0] + digit_weight * best[1]:
            best = (field_logp, digit_logp, digits)
    assert best is not None
    field_logp, digit_logp, _digits = best
    context = fused.context
    agree = 1.0 if context.agree and context.digits_amount == keyed.cents else 0.0
    return named_facts(field_logp, digit_logp, agree, context, keyed.cents)
