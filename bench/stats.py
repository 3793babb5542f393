"""The arithmetic every benchmark part shares: percentiles, medians, ratios (read rate at a fixed error
is checkocr/operating_point.py, shared with training/).

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
