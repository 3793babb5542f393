"""The benchmark arithmetic: percentiles, summaries and ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.stats import percentile, ratio, summarise


def test_percentile_interpolates_between_order_statistics():
    values = [10.0, 20.0, 30.0, 40.0]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 100) == 40.0
    assert percentile(values, 50) == 25.0  # halfway between 20 and 30
    assert percentile(values, 95) == pytest.approx(38.5)  # 30 + 0.85 * 10 (rank 2.85)


def test_percentile_ignores_input_order_and_matches_numpy():
    rng = np.random.default_rng(3)
    values = rng.exponential(10.0, size=101)
    shuffled = rng.permutation(values)
    for q in (50, 95, 99):
        assert percentile(shuffled, q) == pytest.approx(float(np.percentile(values, q)))
    assert percentile(values, 50) == pytest.approx(float(np.sort(values)[50]))  # odd count: the middle


def test_percentile_of_nothing_is_nan_and_bad_q_is_rejected():
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError, match="q must be in"):
        percentile([1.0], 101)


def test_summary_and_ratio():
    summary = summarise([1.0, 2.0, 3.0, 4.0, 100.0])
    assert (summary.count, summary.p50, summary.mean) == (5, 3.0, 22.0)
    assert summary.p99 > summary.p95 > summary.p50
    assert ratio(3, 4) == 0.75
    assert math.isnan(ratio(1, 0))
