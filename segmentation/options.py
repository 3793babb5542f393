"""Choosing among a segment's options once the classifier has read them: classifier confidence times
a prior on how many digits a blob that wide holds."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from segmentation.ratios import COUNT_SIGMA, PRIOR_WEIGHT, SCRAP_COST, SHARED_TOP, SPLIT_COST
from segmentation.segments import Piece, Segment
from segmentation.shapes import loops_side_by_side


def choose_options(segments: list[Segment], probabilities: Sequence[Sequence[np.ndarray]]) -> list[int]:
    """For each digit segment, the option with the best product of top probabilities times its prior.

    ``probabilities[i][j]`` is the [k, 10] array of class probabilities of option j of digit segment i.
    The prior is softened (``PRIOR_WEIGHT``) so that it breaks near ties rather than overruling a
    clearly surer reading.
    """
    digit_segments = [s for s in segments if s.kind == "digit"]
    # Raised cents are written smaller: measured with the full-height digits, their narrow widths would
    # make every full-height digit look like two; they are measured against their own height.
    main = [s for s in digit_segments if not s.raised] or digit_segments
    heights = [s.bbox[3] for s in main] or [1]
    ref_h = float(np.median(heights))
    unit = digit_unit(main, ref_h)
    raised = [s.bbox[3] for s in digit_segments if s.raised]
    small = min(1.0, float(np.median(raised)) / ref_h) if raised and len(main) < len(digit_segments) else 1.0
    chosen = []
    for segment, option_probs in zip(digit_segments, probabilities, strict=True):
        scale = small if segment.raised else 1.0
        scores = [
            float(np.prod(probs.max(axis=1)))
            * option_prior(option, segment.bbox[2], scale * unit, scale * ref_h) ** PRIOR_WEIGHT
            for option, probs in zip(segment.options, option_probs, strict=True)
        ]
        chosen.append(int(np.argmax(scores)))
    return chosen


def digit_unit(segments: Sequence[Segment], ref_h: float) -> float:
    """The field's typical single-digit width: median width of the unsplit, ordinary-looking digits."""
    widths = [s.bbox[2] for s in segments if s.kind == "digit" and s.bbox[2] >= 0.4 * s.bbox[3]]
    unit = float(np.median(widths)) if len(widths) >= 2 else 0.7 * ref_h
    return float(np.clip(unit, 0.5 * ref_h, 0.9 * ref_h))


def option_prior(option: Sequence[Piece], segment_width: int, unit: float, ref_h: float) -> float:
    """How plausible it is that a blob this wide holds ``len(option)`` digits, whatever the classifier says.

    A Gaussian on the number of digits the blob's width suggests (width / typical digit width), a flat
    cost for any cut (``SPLIT_COST``), and a penalty for a cut that leaves a scrap much lower than a digit.
    """
    expected = segment_width / max(unit, 1.0)
    prior = float(np.exp(-((expected - len(option)) ** 2) / (2 * COUNT_SIGMA**2)))
    if len(option) > 1:
        prior *= SPLIT_COST
        for piece in option:
            if (
                piece.bbox[3] < 0.45 * ref_h
                or piece.bbox[2] < 0.15 * unit
                or sunken_scrap(piece, option, ref_h)
            ):
                prior *= SCRAP_COST
    for piece in option:
        if loops_side_by_side(piece.image, ref_h):
            prior *= SCRAP_COST
    return prior


def sunken_scrap(piece: Piece, option: Sequence[Piece], ref_h: float) -> bool:
    """A piece that starts well below the blob's top and is short is the tail of a wide glyph's base (a
    "2" with a long foot cut into "26"), not a digit: digits written side by side share their top line.
    A foot is alone at its height, though; trailing zeros written small on the baseline ("15700") share
    their top line with each other, so a sunken piece with a neighbour at its height is a digit."""
    top = min(other.bbox[1] for other in option)
    if piece.bbox[1] - top <= 0.25 * ref_h or piece.bbox[3] >= 0.6 * ref_h:
        return False
    return not any(
        other is not piece and abs(other.bbox[1] - piece.bbox[1]) <= SHARED_TOP * ref_h for other in option
    )
