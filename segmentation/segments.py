"""Segments, the left-to-right units of a field, and the rules that read their sequence: a leading
currency sign or asterisk, a "56/100" fraction, a closing flourish, raised cents."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from segmentation.ratios import (
    CURRENCY,
    DOLLAR_GAP,
    DOLLAR_POKE,
    FLOURISH_CLEARANCE,
    FLOURISH_HEIGHT,
    RAISED_MAX_HEIGHT,
)
from segmentation.shapes import has_hole, is_dollar


@dataclass
class Piece:
    """One digit candidate image: ``image`` uint8 ink mask (ink 255) cropped to ``bbox`` (x, y, w, h)."""

    bbox: tuple[int, int, int, int]
    image: np.ndarray


@dataclass
class Segment:
    """A left-to-right unit of the field.

    ``kind`` is digit/separator/terminator/currency/asterisk; for digits ``options`` lists the ways
    to read it (``options[0]`` is the segment as one glyph; later options split it into two or three).
    """

    kind: str
    bbox: tuple[int, int, int, int]
    char: str | None = None
    raised: bool = False
    options: list[list[Piece]] = field(default_factory=list)
    slash_like: bool = False
    sign_like: bool = False  # shaped like a "$" but not set apart by a space: the classifier decides


def mark_leading(
    segments: list[Segment],
    images: list[np.ndarray],
    ref_h: float,
    baseline: float,
    leading_sign: bool,
    field_width: int,
) -> None:
    """Currency signs and asterisks in front of the amount are decoration, never digits.

    Walks from the left until the first mark that stays a digit. A sign found does not end the walk:
    a box-side remnant or the printed sign often comes before the hand-written "$". A "$" written
    against the amount ("$25") is only flagged ``sign_like``: a "4" with an open top can pass the
    shape test, so geometry alone does not decide it without the space.
    """
    for i, (segment, image) in enumerate(zip(segments, images, strict=True)):
        if segment.kind not in ("digit", "separator"):
            continue
        if is_asterisk(segment, ref_h, baseline):
            segments[i] = Segment("asterisk", segment.bbox, char="*")
            continue
        if segment.kind != "digit":
            continue
        x, _y, w, _h = segment.bbox
        following = next((s for s in segments[i + 1 :] if s.kind == "digit"), None)
        gap = following.bbox[0] - (x + w) if following else 0
        first = all(s.kind not in ("digit", "currency") for s in segments[:i])
        later = [s.bbox[3] for s in segments[i + 1 :] if s.kind == "digit"]
        others_h = float(np.median(later)) if later else ref_h
        # Small cents ("51/100", raised "^56") would pull a plain median below the full-height digits;
        # a fraction's slash is taller than them.
        upright = [s.bbox[3] for s in segments[i + 1 :] if s.kind == "digit" and not s.slash_like]
        full_h = float(np.median([h for h in upright if h >= 0.8 * max(upright)])) if upright else ref_h
        # A sign printed in the box is type, smaller than the hand-written digits (and a box side left
        # over is a hair-line or taller than them); a first digit written close to the box's side is a
        # pen stroke as tall as the others.
        printed_sign = (
            leading_sign
            and first
            and x + w <= 0.14 * field_width
            and gap >= 0.2 * ref_h
            and (
                w < 0.06 * segment.bbox[3]
                or not 0.9 * full_h <= segment.bbox[3] <= 1.1 * full_h
                or before_asterisk(segments, i, ref_h, baseline)
            )
        )
        spaced = gap >= DOLLAR_GAP * ref_h  # "$ 25": the writer leaves a space after the sign
        dollar = following is not None and is_dollar(image, others_h)
        if printed_sign or (dollar and spaced):
            segments[i] = Segment("currency", segment.bbox, char="$" if not printed_sign else CURRENCY)
            continue  # a box-side remnant or printed sign may come before a hand-written "$"
        segment.sign_like = dollar and bar_pokes_out(segment, others_h)
        break


def is_asterisk(segment: Segment, ref_h: float, baseline: float) -> bool:
    """A small compact mark floating above the baseline, before the amount ("**25.00")."""
    _x, y, w, h = segment.bbox
    floating = y + h < baseline - 0.12 * ref_h
    return 0.15 * ref_h <= h <= 0.75 * ref_h and 0.5 <= w / max(h, 1) <= 2.0 and floating


def bar_pokes_out(segment: Segment, others_h: float) -> bool:
    """A hand-written "$" is an S as tall as the digits with a bar running past it at both ends, so
    the whole sign stands taller than the digits after it."""
    return segment.bbox[3] >= DOLLAR_POKE * others_h


def before_asterisk(segments: list[Segment], i: int, ref_h: float, baseline: float) -> bool:
    """Asterisks only ever open the amount ("$*25.00"), so a mark at the box's left right before an
    asterisk is the printed sign even when it is as tall as the digits. The asterisk must be a digit
    candidate, not a separator: a floating apostrophe after the first digit groups thousands ("1'265")."""
    later = [s for s in segments[i + 1 :] if s.kind in ("digit", "separator")]
    return (
        len(later) >= 2
        and later[0].kind == "digit"
        and is_asterisk(later[0], ref_h, baseline)
        and later[1].kind == "digit"
    )


def mark_fraction(segments: list[Segment], ref_h: float) -> None:
    """A slash after two or more digits, followed only by small digits low beside it, is "56/100":
    cents as a fraction. Small digits high beside a leaning "1" are raised cents ("351^00")."""
    digits_seen = 0
    for i, segment in enumerate(segments):
        if segment.kind == "digit" and segment.slash_like and digits_seen >= 2:
            tail = [s for s in segments[i + 1 :] if s.kind != "terminator"]
            # The denominator is small against the slash; small numerator digits ("6 21/100") pull the
            # field's reference height down, so the slash is the better ruler.
            small = 0.7 * max(ref_h, segment.bbox[3])
            if 0 < len(tail) <= 3 and all(s.kind == "digit" and s.bbox[3] < small for s in tail):
                x = min(s.bbox[0] for s in tail)
                y = min(s.bbox[1] for s in tail)
                right = max(s.bbox[0] + s.bbox[2] for s in tail)
                bottom = max(s.bbox[1] + s.bbox[3] for s in tail)
                if y + bottom <= 2 * segment.bbox[1] + segment.bbox[3]:
                    return  # the tail's middle is not below the slash's: raised cents
                segments[i] = Segment("fraction", segment.bbox, char="/")
                segments[i + 1 :] = [Segment("fraction", (x, y, right - x, bottom - y), char="100")]
                return
        if segment.kind == "digit":
            digits_seen += 1


def mark_trailing_flourish(segments: list[Segment]) -> None:
    """The last mark, when small, without a loop and floating at mid-height (clear of both the
    digits' baseline and their top line), closes the amount: an "=" whose bars ran together, the
    tail of a "./" or a closing squiggle. Raised cents reach the digits' top line, a last digit stands
    on the baseline, and a small last "0" encloses paper."""
    digits = [s for s in segments if s.kind == "digit"]
    if len(digits) < 3 or segments[-1] is not digits[-1]:
        return
    last, main = digits[-1], digits[:-1]
    main_h = float(np.median([s.bbox[3] for s in main]))
    top = float(np.median([s.bbox[1] for s in main]))
    base = float(np.median([s.bbox[1] + s.bbox[3] for s in main]))
    _x, y, _w, h = last.bbox
    floating = y >= top + FLOURISH_CLEARANCE * main_h and y + h <= base - FLOURISH_CLEARANCE * main_h
    if h < FLOURISH_HEIGHT * main_h and floating and not has_hole(last.options[0][0].image):
        segments[-1] = Segment("terminator", last.bbox, char="=")


def mark_raised(segments: list[Segment]) -> None:
    """Flags the trailing digits written small and above the line (cents written raised, "25^00").

    Measured against the main digits (all but the last two), not the field's reference height: with
    few digits the small cents pull the median down and would not look small against it.
    """
    digits = [s for s in segments if s.kind == "digit"]
    if len(digits) < 2:
        return
    for count in (2, 1):
        main, tail = digits[:-count], digits[-count:]
        if not main:
            continue
        main_h = float(np.median([s.bbox[3] for s in main]))
        base = float(np.median([s.bbox[1] + s.bbox[3] for s in main]))
        if all(
            s.bbox[3] <= RAISED_MAX_HEIGHT * main_h and s.bbox[1] + s.bbox[3] <= base - 0.3 * main_h
            for s in tail
        ):
            for segment in tail:
                segment.raised = True
            return
