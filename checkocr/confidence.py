"""A reading's confidence, and whether a person must look at it: every factor applied in one place.

Each reader first scores its own string: the digit path multiplies its digits' probabilities, the
field reader takes the CTC probability of its string, and ``assemble`` multiplies either by the
doubt its structure leaves (an ambiguous decimal mark, an unconfirmed fraction, irregular groups,
crowded trailing marks: the constants in checkocr/assemble.py). Everything after that is here:

- **digit path**: x how much the digit heights agree, x how surely the field was found;
- **field reader**: x how surely the field was found;
- **fused** (the default): the calibrated probability that the amount is right, fitted on out-of-fold
  readings (checkocr/calibration.py); how surely the field was found is one of its inputs;
- **review**: a reading goes to a person when it has no amount or its confidence is below the
  accept threshold; ``review_reasons`` says why, and then also names what lowered the confidence.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from checkocr.calibration import Calibrator
from segmentation.split import Segment

# Confidence lost per squared log of the most off-height digit's height over the median (x0.92 at 1.5x,
# x0.79 at 2x). Fitted on dev synthetic seed 4242 (docs/history.md).
HEIGHT_DOUBT = 0.5
DIGITS = 6  # confidences are reported rounded to 6 decimals
# every reason review_reasons can give (the service counts each; a fixed set keeps the metric bounded)
REVIEW_REASONS = ("no_amount", "low_confidence", "readers_disagree", "field_not_found")


def height_agreement(segments: Sequence[Segment]) -> float:
    """How much the digit heights agree, as a factor on the digit path's confidence.

    Digits of one hand are about equally tall. One much taller or smaller than the median is a sign
    of a segmentation error that the classifier cannot see: a stroke of a neighbour, a stray line or
    a flourish glued on, a digit cut in two, or a mark that is not a digit at all, each of which still
    reads as a confident digit. Raised cents are written small on purpose and are left out."""
    main = [s.bbox[3] for s in segments if s.kind == "digit" and not s.raised]
    if len(main) < 2:
        return 1.0
    median = float(np.median(main))
    worst = max(abs(float(np.log(h / median))) for h in main)
    return float(np.exp(-HEIGHT_DOUBT * worst**2))


def digit_path_confidence(own: float, segments: Sequence[Segment]) -> float:
    """The digit path's confidence in its string before location: its own score x height agreement."""
    return own * height_agreement(segments)


def located_confidence(confidence: float, location_confidence: float) -> float:
    """A single reader's reported confidence: a field found with little certainty makes the whole
    reading less certain."""
    return round(confidence * location_confidence, DIGITS)


def fused_confidence(calibrator: Calibrator, features: Mapping[str, float]) -> float:
    """The fused reading's confidence: the calibrated probability that its amount is right."""
    return round(calibrator.probability(features), DIGITS)


def review_reasons(
    amount: str | None,
    confidence: float,
    accept_threshold: float,
    *,
    readers_disagree: bool = False,
    field_found: bool = True,
) -> list[str]:
    """Why a person must look at this reading; empty when it may be posted as read.

    Only a missing amount or a confidence below the threshold sends a reading to review; the readers'
    disagreement and a field that was not found are then named too, as what lowered the confidence
    (the fused confidence already weighs both, so neither overrules it alone)."""
    if amount is None:
        reasons = ["no_amount"]
    elif confidence < accept_threshold:
        reasons = ["low_confidence"]
    else:
        return []
    if readers_disagree:
        reasons.append("readers_disagree")
    if not field_found:
        reasons.append("field_not_found")
    return reasons
