"""Read rate at a fixed error, the one definition bench/, training/ and docs/ share."""

from __future__ import annotations

import pytest

from checkocr.operating_point import operating_points, read_rate_at


def test_points_count_accepted_and_wrong_and_never_accept_a_blank():
    # confidences, and whether each reading was right; one unreadable field at confidence 0.
    conf = [0.99, 0.95, 0.90, 0.80, 0.60, 0.0]
    right = [True, True, False, True, False, False]
    points = operating_points(conf, right)
    assert points[0].accepted == 0 and points[0].read_rate == 0.0  # accept nothing
    at_080 = next(p for p in points if p.threshold == 0.80)
    assert (at_080.accepted, at_080.right_accepted) == (4, 3)
    assert at_080.read_rate == pytest.approx(4 / 6)
    assert at_080.wrong_over_all == pytest.approx(1 / 6)
    assert at_080.wrong_among_accepted == pytest.approx(1 / 4)
    assert points[-1].threshold == 0.60  # the blank at confidence 0 is never posted


def test_tied_confidences_are_accepted_together():
    points = operating_points([0.9, 0.9, 0.5], [True, False, True])
    assert [p.accepted for p in points] == [0, 2, 3]  # no threshold can split the two 0.9s


def test_read_rate_at_picks_the_loosest_threshold_within_the_budget():
    conf = [0.99, 0.98, 0.97, 0.96, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    right = [True, True, True, False, True, True, True, False, True, True]
    zero = read_rate_at(conf, right, 0.0)  # stop before the first error
    assert (zero.threshold, zero.read_rate) == (0.97, pytest.approx(0.3))
    among = read_rate_at(conf, right, 0.15)  # 1 wrong in 7 accepted is 14.3%; 2 in 8 is too many
    assert (among.threshold, among.read_rate) == (0.3, pytest.approx(0.7))
    over_all = read_rate_at(conf, right, 0.10, among="all")  # 1 wrong in 10 items: down to 0.3 only
    assert (over_all.threshold, over_all.read_rate) == (0.3, pytest.approx(0.7))
    assert read_rate_at(conf, right, 0.2, among="all").read_rate == 1.0


def test_accepting_nothing_always_qualifies():
    point = read_rate_at([0.9, 0.8], [False, False], 0.01)
    assert (point.accepted, point.read_rate, point.threshold) == (0, 0.0, float("inf"))


def test_mismatched_inputs_are_rejected():
    with pytest.raises(ValueError, match="confidences"):
        operating_points([0.5, 0.6], [True])
