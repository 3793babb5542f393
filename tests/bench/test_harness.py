"""The harness's document handling: a one-part run must refresh its section and keep the others."""

from __future__ import annotations

import math

import pytest

from bench.harness import PartReport, Table, fmt, markdown_section, markdown_table, merge_doc, parse_args


def test_summary_collects_every_sections_headline():
    doc = merge_doc("", "# h\n", {"stages": section("stages", "**Headline:** 40 ms a check"),
                                   "peers": section("peers", "no headline here")})  # fmt: skip
    summary = doc.split("## Summary", 1)[1].split("<!--", 1)[0]
    assert "- Title stages" not in summary  # the summary names the part by its PARTS title
    assert "Whole-check latency by stage: 40 ms a check" in summary
    assert "no headline here" not in summary


def section(key: str, text: str) -> str:
    report = PartReport(key, f"Title {key}", findings=[text], measured_at="then", command="python -m bench")
    return markdown_section(report)


def test_merge_replaces_the_parts_that_ran_and_keeps_the_rest():
    old = merge_doc("", "# old header\n", {"classifier": section("classifier", "old figures"),
                                            "peers": section("peers", "peer figures")})  # fmt: skip
    new = merge_doc(old, "# new header\n", {"classifier": section("classifier", "new figures")})
    assert new.startswith("# new header")
    assert "new figures" in new and "old figures" not in new
    assert "peer figures" in new  # not rerun, so kept
    assert new.index("Title classifier") < new.index("Title peers")  # doc order follows PARTS


def test_markdown_table_escapes_pipes_and_right_aligns_numbers():
    text = markdown_table(Table("T", ["name", "value"], [["a|b", "1"]], note="n"))
    assert "| a\\|b | 1 |" in text
    assert "|---|---:|" in text
    assert text.endswith("n")


def test_skipped_part_says_why():
    report = PartReport("peers", "Peers", skipped="tesseract is not installed")
    assert "**Skipped:** tesseract is not installed" in markdown_section(report)


def test_number_formatting():
    assert fmt(1234567.0) == "1,234,567"
    assert fmt(12.345) == "12.3"
    assert fmt(math.nan) == "-"


def test_unknown_part_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as stop:
        parse_args(["nonsense"])
    assert stop.value.code == 2
    assert "unknown part" in capsys.readouterr().err
    assert parse_args(["classifier", "--quick"]).parts == ["classifier"]
