"""The batch output file: line encoding, refusing to clobber, torn-line repair and resume scans."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from checkocr.batch.output import (
    CSV_COLUMNS,
    CSV_HEADER,
    OutputError,
    OutputWriter,
    csv_row,
    infer_format,
    jsonl_line,
    scan,
)

READING = {
    "source": "day1/chk 001.png",
    "amount": "1234.56",
    "amount_cents": 123456,
    "confidence": 0.973,
    "needs_review": False,
    "characters": [],
    "field": None,
    "model": {"name": "digits", "version": "1", "sha256": "ab"},
    "timings_ms": {"total": 12.5},
    "reason": None,
}
UNREADABLE = {
    **READING,
    "source": "blank.png",
    "amount": None,
    "amount_cents": None,
    "confidence": 0.0,
    "needs_review": True,
    "reason": "no ink",
}
ERROR = {"source": "broken.jpg", "error": {"type": "undecodable", "detail": 'bad, "quoted"\nsecond line'}}


def records(n: int) -> list[dict]:
    return [{**READING, "source": f"img{i:03d}.png", "amount_cents": i} for i in range(n)]


def write_all(path: Path, fmt: str, items: list[dict], mode: str = "new") -> OutputWriter:
    with OutputWriter(path, fmt, mode) as writer:  # type: ignore[arg-type]
        for record in items:
            writer.write(record)
    return writer


def test_jsonl_line_is_one_line_even_when_details_hold_newlines() -> None:
    line = jsonl_line(ERROR)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == ERROR


def test_csv_row_projects_the_same_values_as_the_json_record() -> None:
    assert csv_row(READING) == ["day1/chk 001.png", "1234.56", "123456", "0.973", "false", ""]
    assert csv_row(UNREADABLE) == ["blank.png", "", "", "0.0", "true", ""]
    assert csv_row(ERROR) == ["broken.jpg", "", "", "", "", 'undecodable: bad, "quoted"\nsecond line']


def test_format_follows_the_suffix_unless_given(tmp_path: Path) -> None:
    assert infer_format(tmp_path / "r.CSV", None) == "csv"
    assert infer_format(tmp_path / "r.jsonl", None) == "jsonl"
    assert infer_format(tmp_path / "r.csv", "jsonl") == "jsonl"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_existing_output_is_refused_without_resume_and_replaced_with_overwrite(
    tmp_path: Path, fmt: str
) -> None:
    out = tmp_path / f"r.{fmt}"
    write_all(out, fmt, records(3))
    before = out.read_bytes()
    with pytest.raises(OutputError, match=r"--resume .* --overwrite"):
        OutputWriter(out, fmt, "new")  # type: ignore[arg-type]
    assert out.read_bytes() == before
    write_all(out, fmt, records(1), mode="overwrite")
    assert scan(out.read_bytes(), fmt).lines == 1  # type: ignore[arg-type]


def test_a_second_writer_on_the_same_file_is_refused_while_the_first_runs(tmp_path: Path) -> None:
    out = tmp_path / "r.jsonl"
    with OutputWriter(out, "jsonl", "new"), pytest.raises(OutputError, match="another checkocr batch run"):
        OutputWriter(out, "jsonl", "resume")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("cut", [1, 7, 40, -1])
def test_resume_truncates_a_torn_last_line_and_reports_what_is_done(
    tmp_path: Path, fmt: str, cut: int
) -> None:
    out = tmp_path / f"r.{fmt}"
    items = [*records(4), ERROR, UNREADABLE]
    write_all(out, fmt, items)
    whole = out.read_bytes()
    last_start = whole.rstrip(b"\n").rfind(b"\n") + 1
    if whole[last_start:].count(b"\n") > 1:  # the CSV error row spans two lines; cut inside the quotes
        last_start = whole[: last_start - 1].rfind(b"\n") + 1
    end = last_start + min(cut, len(whole) - last_start - 1) if cut > 0 else len(whole) - 1  # -1: only "\n"
    out.write_bytes(whole[:end])

    with OutputWriter(out, fmt, "resume") as writer:  # type: ignore[arg-type]
        assert writer.existing.done == {r["source"] for r in items[:-1]}
        assert writer.repaired_bytes > 0
        writer.write(items[-1])

    assert out.read_bytes() == whole


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_file_cut_exactly_at_a_line_end_needs_no_repair(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"r.{fmt}"
    write_all(out, fmt, records(3))
    with OutputWriter(out, fmt, "resume") as writer:  # type: ignore[arg-type]
        assert writer.repaired_bytes == 0
        assert len(writer.existing.done) == 3


def test_nul_bytes_left_by_a_crash_before_fsync_count_as_torn(tmp_path: Path) -> None:
    data = jsonl_line(READING) + b"\x00" * 30 + b"\n"
    found = scan(data, "jsonl")
    assert found.done == {READING["source"]}
    assert found.good_bytes == len(jsonl_line(READING))


def test_damage_before_the_last_line_is_refused_not_guessed(tmp_path: Path) -> None:
    data = jsonl_line(READING) + b"{not json\n" + jsonl_line(ERROR)
    with pytest.raises(OutputError, match="line 2"):
        scan(data, "jsonl")


def test_resuming_a_jsonl_file_as_csv_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "r.out"
    write_all(out, "jsonl", records(2))
    with pytest.raises(OutputError, match="CSV header"):
        OutputWriter(out, "csv", "resume")


def test_csv_killed_inside_its_header_is_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    out.write_bytes(CSV_HEADER[:9])
    write_all(out, "csv", records(1), mode="resume")
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == 2


def test_every_write_reaches_the_file_before_close(tmp_path: Path) -> None:
    """A reader (or a kill) sees each line as soon as write() returns: nothing waits in a buffer."""
    out = tmp_path / "r.jsonl"
    with OutputWriter(out, "jsonl", "new", fsync_every=1000, fsync_interval_s=1000) as writer:
        for count, record in enumerate(records(3), start=1):
            writer.write(record)
            assert out.read_bytes().count(b"\n") == count
