"""The digit path's own corrections to its classifier: a prior on "1" and the "$" decision.

The classifier was trained on MNIST; these rules adapt its output to cheque handwriting (see
docs/reading.md, "The digit path", and the figures behind each constant in docs/history.md).
"""

from __future__ import annotations

import numpy as np

from segmentation.split import Segment

ONE_PRIOR = 8.0  # chosen on ORAND dev (x1: 184/400 exact, x4: 187, x8: 190; synthetic 34 -> 33 of 60)
DOLLAR_DOUBT = 0.9  # top digit probability below which a "$"-shaped first mark is the sign


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
