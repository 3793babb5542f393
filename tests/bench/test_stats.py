"""The benchmark arithmetic: percentiles and the read-rate / error-rate curve banks quote."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bench.stats import percentile, ratio, read_error_curve, read_rate_at_error, summarise


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


def test_curve_counts_reads_and_errors_over_all_fields():
    # confidences, and whether each reading was right; one unreadable field at confidence 0.
    conf = [0.99, 0.95, 0.90, 0.80, 0.60, 0.0]
    ok = [True, True, False, True, False, False]
    points = read_error_curve(conf, ok)
    assert points[0].accepted == 0 and points[0].read_rate == 0.0  # above every confidence
    at_080 = next(p for p in points if p.threshold == 0.80)
    assert (at_080.accepted, at_080.correct_accepted) == (4, 3)
    assert at_080.read_rate == pytest.approx(3 / 6)
    assert at_080.error_rate == pytest.approx(1 / 6)
    assert at_080.misread_rate == pytest.approx(1 / 4)
    last = points[-1]
    assert (last.threshold, last.accepted, last.read_rate) == (0.0, 6, pytest.approx(3 / 6))


def test_curve_accepts_tied_confidences_together():
    points = read_error_curve([0.9, 0.9, 0.5], [True, False, True])
    assert [p.accepted for p in points] == [0, 2, 3]  # no threshold can split the two 0.9s


def test_read_rate_at_error_picks_the_best_point_within_the_budget():
    conf = [0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    ok = [True, True, True, False, True, True, True, False, True, True]
    points = read_error_curve(conf, ok)
    zero = read_rate_at_error(points, 0.0)  # stop before the first error
    assert (zero.threshold, zero.read_rate) == (0.97, pytest.approx(0.3))
    ten = read_rate_at_error(points, 0.10)  # one error in ten allowed: read down to 0.3
    assert (ten.threshold, ten.read_rate, ten.error_rate) == (0.3, pytest.approx(0.6), pytest.approx(0.1))
    everything = read_rate_at_error(points, 1.0)
    assert everything.read_rate == pytest.approx(0.8)


def test_curve_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="confidences"):
        read_error_curve([0.5, 0.6], [True])
