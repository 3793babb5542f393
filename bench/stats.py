"""The arithmetic every benchmark part shares: percentiles, medians, ratios, the read-rate/error curve.

Kept free of timing and I/O so it can be tested exactly: a benchmark figure is only as good as the
arithmetic that summarises it, and a wrong percentile or an off-by-one threshold would go unnoticed in
a table of plausible numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0..100) with linear interpolation between order statistics.

    Linear interpolation (numpy's default, Hyndman-Fan type 7) is what most latency tools report, so
    our p95 is comparable with theirs. NaN for an empty sample rather than an exception, so one empty
    category does not abort a whole benchmark run.
    """
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be in [0, 100], got {q}")
    data = np.asarray(list(values), dtype=np.float64)
    if data.size == 0:
        return math.nan
    return float(np.percentile(data, q))


def median(values: Iterable[float]) -> float:
    return percentile(values, 50.0)


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN (not an exception, not inf) when the denominator is zero."""
    if denominator == 0 or math.isnan(denominator):
        return math.nan
    return numerator / denominator


@dataclass(frozen=True)
class LatencySummary:
    count: int
    p50: float
    p95: float
    p99: float
    mean: float


def summarise(values: Sequence[float]) -> LatencySummary:
    data = list(values)
    mean = float(np.mean(data)) if data else math.nan
    return LatencySummary(len(data), percentile(data, 50), percentile(data, 95), percentile(data, 99), mean)


@dataclass(frozen=True)
class CurvePoint:
    """One accept threshold and what a bank would see at it.

    ``read_rate``: fields accepted *and* right, over all fields (the share posted without a person).
    ``error_rate``: fields accepted but wrong, over all fields (misposted amounts per field submitted).
    ``misread_rate``: fields accepted but wrong, over accepted fields (how often an auto-posted amount
    is wrong). The check-reading literature quotes read rate at a fixed error rate over all fields;
    the misread rate is given too because it is what the people who fix misposts feel.
    """

    threshold: float
    accepted: int
    correct_accepted: int
    total: int

    @property
    def read_rate(self) -> float:
        return ratio(self.correct_accepted, self.total)

    @property
    def error_rate(self) -> float:
        return ratio(self.accepted - self.correct_accepted, self.total)

    @property
    def misread_rate(self) -> float:
        return ratio(self.accepted - self.correct_accepted, self.accepted)


def read_error_curve(confidences: Sequence[float], correct: Sequence[bool]) -> list[CurvePoint]:
    """Every operating point an accept threshold can produce: accept when confidence >= threshold.

    One point per distinct confidence (highest first), plus a leading point above every confidence
    where nothing is accepted. An unreadable field (no amount) should be passed with confidence 0 and
    correct=False so it counts in the total but is never accepted above a positive threshold.
    """
    if len(confidences) != len(correct):
        raise ValueError(f"{len(confidences)} confidences but {len(correct)} correctness flags")
    total = len(confidences)
    conf = np.asarray(confidences, dtype=np.float64)
    ok = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    conf, ok = conf[order], ok[order]
    points = [CurvePoint(math.inf, 0, 0, total)]
    accepted = correct_accepted = 0
    i = 0
    while i < total:
        j = i
        while j < total and conf[j] == conf[i]:  # ties are accepted together at the same threshold
            correct_accepted += int(ok[j])
            j += 1
        accepted = j
        points.append(CurvePoint(float(conf[i]), accepted, correct_accepted, total))
        i = j
    return points


def read_rate_at_error(points: Sequence[CurvePoint], max_error: float) -> CurvePoint:
    """The operating point with the highest read rate whose error rate is at most ``max_error``.

    Ties on read rate go to the higher threshold (fewer accepted, so no more errors). The "accept
    nothing" point always qualifies, so there is always an answer.
    """
    best: CurvePoint | None = None
    for point in points:
        if point.error_rate <= max_error + 1e-12 and (best is None or point.read_rate > best.read_rate):
            best = point
    if best is None:
        raise ValueError(
            "the curve has no point at or below that error rate (it needs the accept-nothing point)"
        )
    return best
