"""Read rate at a fixed error: the figure banks buy check readers by, defined once for the project.

A bank posts an item without a person when its confidence reaches the accept threshold. At each
threshold:

- **read rate**: items accepted, over all items (the share posted without a person);
- **wrong among accepted**: accepted items that are wrong, over the accepted (how often a posted
  amount is wrong; the figure issue thresholds and docs/ quote);
- **wrong over all**: accepted items that are wrong, over all items (the check-reading literature's
  "error rate").

"Read rate at <= X% wrong" is the highest read rate of any threshold whose wrong share is at most X.
An item with no amount has confidence 0 and is never accepted: a threshold of 0 would post a blank.
bench/, training/ and docs/ all use these functions, so every figure means the same thing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

Among = Literal["accepted", "all"]


@dataclass(frozen=True)
class OperatingPoint:
    """What a bank would see at one accept threshold (accept when confidence >= threshold)."""

    threshold: float  # inf: accept nothing
    accepted: int
    right_accepted: int
    total: int

    @property
    def read_rate(self) -> float:
        return self.accepted / self.total if self.total else 0.0

    @property
    def wrong_among_accepted(self) -> float:
        return (self.accepted - self.right_accepted) / self.accepted if self.accepted else 0.0

    @property
    def wrong_over_all(self) -> float:
        return (self.accepted - self.right_accepted) / self.total if self.total else 0.0

    def wrong(self, among: Among) -> float:
        return self.wrong_among_accepted if among == "accepted" else self.wrong_over_all


def operating_points(confidences: Sequence[float], right: Sequence[bool]) -> list[OperatingPoint]:
    """Every operating point a threshold can give, loosest last: first "accept nothing", then one
    point per distinct positive confidence, highest first (ties are accepted together)."""
    if len(confidences) != len(right):
        raise ValueError(f"{len(confidences)} confidences but {len(right)} right/wrong flags")
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(right, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    right_so_far = np.cumsum(ok)
    points = [OperatingPoint(float("inf"), 0, 0, len(conf))]
    for i in range(len(conf)):
        last_of_tie = i + 1 == len(conf) or conf[i + 1] != conf[i]
        if conf[i] > 0 and last_of_tie:
            points.append(OperatingPoint(float(conf[i]), i + 1, int(right_so_far[i]), len(conf)))
    return points


def read_rate_at(
    confidences: Sequence[float], right: Sequence[bool], max_wrong: float, among: Among = "accepted"
) -> OperatingPoint:
    """The operating point with the highest read rate whose wrong share (``among`` the accepted or
    over all items) is at most ``max_wrong``. "Accept nothing" always qualifies."""
    best = None
    for point in operating_points(confidences, right):
        if point.wrong(among) <= max_wrong + 1e-12 and (best is None or point.accepted > best.accepted):
            best = point
    assert best is not None  # the accept-nothing point is wrong on nothing
    return best
