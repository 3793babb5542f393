"""The bank-style accuracy table and plot built from per-item results."""

from __future__ import annotations

import pytest

from bench.accuracy_part import curve_table, plot_curves
from bench.read_accuracy import SetResult


def hundred_items() -> SetResult:
    # 90 right at high confidence, then 2 wrong at 0.95, then 8 right at 0.5.
    conf = [0.99] * 90 + [0.95] * 2 + [0.5] * 8
    ok = [True] * 90 + [False] * 2 + [True] * 8
    return SetResult("hand-made", conf, ok)


def test_table_reads_the_curve_at_each_error_budget():
    table = curve_table([hundred_items()])
    name, items, exact, at_half, at_one, at_two = table.rows[0]
    assert (name, items, exact) == ("hand-made", "100", "98.0%")
    assert at_half == "90.0% (t 0.990)"  # the two 0.95 errors would be 2 of 92 accepted
    assert at_one == "90.0% (t 0.990)"
    assert at_two == "100.0% (t 0.500)"  # 2 wrong of 100 accepted is within 2%: accept everything


def test_nothing_acceptable_is_said_plainly():
    scored = SetResult("all wrong", [0.9, 0.8], [False, False])
    assert curve_table([scored]).rows[0][3] == "0.0% (t accept none)"


def test_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib (train extra) draws the plot")
    path = tmp_path / "curve.png"
    plot_curves([hundred_items()], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
