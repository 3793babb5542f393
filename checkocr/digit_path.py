"""The digit path's own corrections to its classifier: a prior on "1", the "$" decision, height doubt.

The classifier was trained on MNIST; these rules adapt its output to cheque handwriting (see
docs/reading.md, "The digit path", and the figures behind each constant in docs/history.md).
"""

from __future__ import annotations

import numpy as np

from segmentation.split import Segment

ONE_PRIOR = 8.0  # chosen on ORAND dev (x1: 184/400 exact, x4: 187, x8: 190; synthetic 34 -> 33 of 60)
DOLLAR_DOUBT = 0.9  # top digit probability below which a "$"-shaped first mark is the sign
# Confidence lost per squared log of the most off-height digit's height over the median (x0.92 at 1.5x,
# x0.79 at 2x). Fitted on dev synthetic seed 4242 (read rate at <= 1% wrong 9.7% -> 12.0%; 0.3 to 2 all
# help there), checked on ORAND dev (4.8% -> 8.8%).
HEIGHT_DOUBT = 0.5


def adjust_priors(probs: np.ndarray) -> np.ndarray:
    """Prior shift from MNIST to cheques: a continental "1" (long flag, slanted) is a rare shape in
    MNIST and comes out as "7" with a small but telling "1" probability (on the ORAND dev fields a true
    "7" almost never gives "1" more than 1%). Scaling the "1" class by ONE_PRIOR and renormalising is
    the Bayes correction for a "1" that is that much likelier than MNIST's shapes suggest."""
    if probs.size == 0 or ONE_PRIOR == 1.0:
        return probs
    scaled = probs.astype(np.float64, copy=True)
    scaled[:, 1] *= ONE_PRIOR
    return (scaled / scaled.sum(axis=1, keepdims=True)).astype(np.float32)


def is_unread_sign(segment: Segment, whole_probs: np.ndarray) -> bool:
    """A "$"-shaped mark written against the amount is the sign unless the classifier reads it as a
    digit with confidence: a "$" comes out as a doubtful "5", "8" or "1", while the open-top "4"s
    that share its outline read as "4" at 0.99 and more."""
    return segment.sign_like and float(whole_probs.max()) < DOLLAR_DOUBT


def height_agreement(segments: list[Segment]) -> float:
    """How much the digit heights agree, as a factor on the reading's confidence.

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
