"""``checkocr batch`` over cash letters: a line per item, file problems as lines, the summary, resume."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner
from x937_kit import AMOUNTS, cash_letter, cents, field_image, first, text_at

from checkocr.cli import app

runner = CliRunner()
WRONG = 2  # the third item is keyed wrong
BROKEN = 4  # the fifth item's front image is not an image


def batch(*args: str, model: Path):
    return runner.invoke(
        app, ["batch", *args, "--model-path", str(model), "--region", "field", "--workers", "1"]
    )


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_timings(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "timings_ms"} for r in records]


@dataclass(frozen=True)
class Run:
    root: Path
    out: Path
    output: str


def make_input(root: Path) -> None:
    """A folder with two image files, a clean cash letter and one with a bad bundle total."""
    root.mkdir()
    for name, amount in (("a.png", "12.50"), ("z.png", "7.25")):
        image = np.full((90, 420), 255, np.uint8)
        cv2.putText(image, amount, (15, 65), cv2.FONT_HERSHEY_SIMPLEX, 1.8, 0, 4, cv2.LINE_AA)
        cv2.imwrite(str(root / name), image)
    amounts = AMOUNTS[:6]
    good = cash_letter(
        6,
        front=lambda i: b"not an image" if i == BROKEN else field_image(amounts[i]),
        keyed=lambda i: cents(amounts[i]) + (100 if i == WRONG else 0),
    )
    (root / "day1.x937").write_bytes(good)
    bad = cash_letter(2, front=lambda i: field_image(amounts[i]), keyed=lambda i: cents(amounts[i]))
    bundle = first(bad, "70")
    (root / "sub").mkdir()
    (root / "sub" / "day2.ICL").write_bytes(text_at(bad, bundle, 3, "0009"))  # bundle items count 9


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Run:
    root = tmp_path_factory.mktemp("letters") / "in"
    make_input(root)
    out = root.parent / "out.jsonl"
    result = batch(str(root), "--out", str(out), model=model_path)
    assert result.exit_code == 0, result.output
    return Run(root, out, result.output)


def test_one_line_per_item_after_the_images_with_file_problems_as_lines(run: Run) -> None:
    records = lines_of(run.out)
    sources = [r["source"] for r in records]
    day1 = [f"day1.x937#{n:015d}" for n in range(1, 7)]
    bundle = first((run.root / "sub" / "day2.ICL").read_bytes(), "70").offset
    day2 = ["sub/day2.ICL#000000000000001", "sub/day2.ICL#000000000000002", f"sub/day2.ICL#@{bundle}"]
    assert sources == ["a.png", "z.png", *day1, *day2]

    items = [r for r in records if "item" in r]
    assert [r["item"]["amount_cents"] for r in items[:6]] == [
        cents(a) + (100 if i == WRONG else 0) for i, a in enumerate(AMOUNTS[:6])
    ]
    assert items[0]["item"]["payor_routing"] == "123456780" and items[0]["item"]["on_us"] == "1000/77"
    broken = items[BROKEN]
    assert broken["error"]["type"] == "undecodable" and broken["error"]["record_type"] == "52"
    assert broken["error"]["detail"].startswith(
        f"byte {broken['error']['offset']}, record 52 (image view data)"
    )
    assert "expected_amount_match" not in broken and broken["item"]["sequence_number"] == "000000000000005"
    for record in items:
        if "error" not in record:
            assert set(record["expected_amount_match"]) == {"matches", "probability"}
            assert record["expected_amount_match"]["matches"] == (
                record["amount_cents"] == record["item"]["amount_cents"]
            )
    assert not items[WRONG]["expected_amount_match"]["matches"]
    assert (
        sum(r.get("expected_amount_match", {}).get("matches", False) for r in items) >= 3
    )  # it really reads

    problem = records[-1]["problem"]
    assert (
        problem["type"] == "control_total" and problem["record_type"] == "70" and problem["offset"] == bundle
    )
    assert "items count 9 (counted 2)" in problem["detail"]


def test_summary_counts_items_matches_mismatches_unreadable(run: Run) -> None:
    items = [r for r in lines_of(run.out) if "item" in r]
    matches = sum(bool(r.get("expected_amount_match", {}).get("matches")) for r in items)
    unreadable = sum("error" in r or r.get("amount") is None for r in items)
    mismatches = len(items) - matches - unreadable
    assert "files: 4" in run.output
    assert (
        f"cash-letter items: 8   matches: {matches}   mismatches: {mismatches}   unreadable: {unreadable}"
        "   file problems: 1"
    ) in run.output
    assert mismatches >= 1 and unreadable >= 1


def test_resume_finishes_a_torn_run_item_by_item(run: Run, model_path: Path, tmp_path: Path) -> None:
    whole = run.out.read_text()
    lines = whole.splitlines(keepends=True)
    out = tmp_path / "r.jsonl"
    out.write_text("".join(lines[:5]) + lines[5][:40])  # killed inside the fourth item's line
    result = batch(str(run.root), "--out", str(out), "--resume", model=model_path)
    assert result.exit_code == 0, result.output
    assert "removed a torn last line" in result.output
    assert without_timings(lines_of(out)) == without_timings(lines_of(run.out))
    again = batch(str(run.root), "--out", str(out), "--resume", model=model_path)
    assert again.exit_code == 0 and "cash-letter items: 0" not in again.output
    assert out.read_text().count("\n") == len(lines)


def test_a_single_cash_letter_file_is_an_input(run: Run, model_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "one.jsonl"
    result = batch(str(run.root / "sub" / "day2.ICL"), "--out", str(out), model=model_path)
    assert result.exit_code == 0, result.output
    assert [r["source"].split("#")[0] for r in lines_of(out)] == ["day2.ICL"] * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--format", "csv"], "need JSONL output"), (["--engine", "ray"], "local engine only")],
)
def test_cash_letters_refuse_csv_and_ray(run: Run, model_path: Path, tmp_path: Path, args, message) -> None:
    result = batch(str(run.root), "--out", str(tmp_path / "o.out"), *args, model=model_path)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
