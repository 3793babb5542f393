"""The hostile corpus as files for ``checkocr read`` and ``checkocr batch`` (real processes).

``read`` reports each broken file as one ``checkocr: error:`` line, goes on with the rest and exits 1;
``batch`` turns each into an error line with the decoder's reason and exits 0. Neither prints a
traceback, and every readable file still gets its reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus import FileCase, image_files

from tests.cli import run_checkocr


@pytest.fixture(scope="module")
def corpus_folder(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[FileCase]]:
    folder = tmp_path_factory.mktemp("hostile_files")
    files = image_files()
    for case in files:
        (folder / case.filename).write_bytes(case.data)
    return folder, files


def test_read_reports_each_broken_file_and_reads_the_rest(
    corpus_folder: tuple[Path, list[FileCase]], tiny_model: Path
) -> None:
    folder, files = corpus_folder
    paths = [str(folder / case.filename) for case in files]
    paths += [str(folder / "does-not-exist.png"), str(folder)]  # a missing file and a directory
    result = run_checkocr("read", "--json", "--model-path", str(tiny_model), *paths)

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    readings = {Path(line["source"]).name: line for line in map(json.loads, result.stdout.splitlines())}
    errors = [line for line in result.stderr.splitlines() if line.startswith("checkocr: error: ")]
    for case in files:
        if case.error is None:
            assert case.filename in readings, f"{case.filename}: no reading\n{result.stderr}"
            reading = readings[case.filename]
            assert reading["amount"] is not None or reading["reason"]
        else:
            assert case.filename not in readings
            assert any(case.filename in line for line in errors), f"{case.filename}: not reported"
    assert any("does-not-exist.png" in line for line in errors)
    assert any(line.startswith(f"checkocr: error: {folder}:") for line in errors)
    assert len(errors) == sum(case.error is not None for case in files) + 2


def test_batch_turns_each_broken_file_into_an_error_line(
    corpus_folder: tuple[Path, list[FileCase]], tiny_model: Path, tmp_path: Path
) -> None:
    folder, files = corpus_folder
    out = tmp_path / "results.jsonl"
    result = run_checkocr(
        "batch", str(folder), "--out", str(out), "--workers", "1", "--model-path", str(tiny_model)
    )

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    records = {record["source"]: record for record in map(json.loads, out.read_text().splitlines())}
    assert sorted(records) == sorted(case.filename for case in files)  # each source exactly once
    for case in files:
        record = records[case.filename]
        if case.error is None:
            assert "error" not in record, f"{case.filename}: {record.get('error')}"
            assert record["amount"] is not None or record["reason"]
        else:
            assert record["error"]["type"] == case.error, f"{case.filename}: {record['error']}"
            assert record["error"]["detail"]
