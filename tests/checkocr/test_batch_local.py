"""The local engine end to end: errors as lines, CSV/JSONL agreement, resume after kills, crashes."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from batch_fakes import crash_on_poison, no_model
from batch_images import make_folder
from typer.testing import CliRunner

from checkocr.batch.local import chunk_size_for, iter_local
from checkocr.batch.output import csv_row
from checkocr.cli import app
from checkocr.config import Settings

runner = CliRunner()


def batch(*args: str, model: Path | None = None):
    argv = ["batch", *args]
    if model is not None:
        argv += ["--model-path", str(model)]
    return runner.invoke(app, argv)


def lines_of(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def without_timings(path: Path) -> list[dict]:
    records = [{k: v for k, v in r.items() if k != "timings_ms"} for r in lines_of(path)]
    return sorted(records, key=lambda record: record["source"])


def group_ends(pgid: int, within_s: float) -> bool:
    """True once no process of the run's process group is left (workers poll their parent each second)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


@dataclass(frozen=True)
class Run:
    root: Path
    keys: list[str]
    out: Path
    output: str


@pytest.fixture(scope="module")
def jsonl_run(tmp_path_factory: pytest.TempPathFactory, model_path: Path) -> Run:
    """One JSONL run over 10 fields and 2 broken files, shared by the tests that only read it."""
    root = tmp_path_factory.mktemp("checks")
    keys = make_folder(root, 10)
    out = tmp_path_factory.mktemp("out") / "results.jsonl"
    result = batch(str(root), "--out", str(out), "--region", "field", "--workers", "2", model=model_path)
    assert result.exit_code == 0, result.output
    return Run(root, keys, out, result.output)


def test_every_source_becomes_one_line_and_broken_files_become_error_lines(jsonl_run: Run) -> None:
    records = lines_of(jsonl_run.out)
    assert [r["source"] for r in records] == jsonl_run.keys  # input order: sorted keys
    errors = {r["source"]: r["error"]["type"] for r in records if "error" in r}
    assert errors == {"broken/empty.png": "empty", "broken/text.jpg": "undecodable"}
    readings = [r for r in records if "error" not in r]
    assert all(r["model"]["sha256"] and "timings_ms" in r for r in readings)
    assert sum(r["amount"] == "304.00" for r in readings) >= 1  # the model really read something
    assert "files: 12" in jsonl_run.output and "errors: 2" in jsonl_run.output
    assert str(jsonl_run.out) in jsonl_run.output


def test_jsonl_and_csv_of_the_same_input_agree(jsonl_run: Run, model_path: Path, tmp_path: Path) -> None:
    table = tmp_path / "r.csv"
    result = batch(
        str(jsonl_run.root), "--out", str(table), "--region", "field", "--workers", "1", model=model_path
    )
    assert result.exit_code == 0, result.output

    rows = list(csv.reader(io.StringIO(table.read_text())))
    assert rows[0] == ["source", "amount", "amount_cents", "confidence", "needs_review", "error"]
    assert rows[1:] == [csv_row(record) for record in lines_of(jsonl_run.out)]


def test_resume_after_a_torn_write_gives_exactly_one_line_per_source(
    jsonl_run: Run, model_path: Path, tmp_path: Path
) -> None:
    root, keys = jsonl_run.root, jsonl_run.keys
    out = tmp_path / "r.jsonl"
    whole = jsonl_run.out.read_text()
    out.write_text(whole[: len(whole) // 2])  # the middle of some line: as if killed inside a write

    refused = batch(str(root), "--out", str(out), model=model_path)
    assert refused.exit_code == 2 and "--resume" in refused.output

    result = batch(
        str(root), "--out", str(out), "--region", "field", "--resume", "--workers", "1", model=model_path
    )
    assert result.exit_code == 0, result.output
    assert "removed a torn last line" in result.output
    assert sorted(r["source"] for r in lines_of(out)) == keys
    assert without_timings(out) == without_timings(jsonl_run.out)  # same lines as the uninterrupted run


def test_kill_9_mid_run_then_resume_loses_and_duplicates_nothing(model_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "checks"
    keys = make_folder(root, 40)
    out = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "checkocr", "batch", str(root), "--out", str(out), "--region", "field"]
    command += ["--model-path", str(model_path), "--workers", "1", "--chunk-size", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not (out.exists() and out.read_bytes().count(b"\n") >= 3):
            assert process.poll() is None, process.stderr.read().decode()
            assert time.monotonic() < deadline, "no output lines within 60 s"
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)  # the driver only, as an operator's kill -9 would
        process.wait(timeout=10)
        written = out.read_bytes().count(b"\n")
        assert written < len(keys), "the run finished before the kill; nothing was tested"
        assert group_ends(process.pid, within_s=10), "orphaned workers outlived the killed driver"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.stderr.close()

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{written} already in the output" in resumed.stderr or "removed a torn" in resumed.stderr
    sources = [record["source"] for record in lines_of(out)]
    assert sorted(sources) == keys  # each source exactly once


def test_sigterm_stops_the_run_at_once_with_exit_143_and_resume_finishes_it(
    model_path: Path, tmp_path: Path
) -> None:
    root = tmp_path / "checks"
    keys = make_folder(root, 20, broken=False)
    out = tmp_path / "r.csv"
    command = [sys.executable, "-m", "checkocr", "batch", str(root), "--out", str(out), "--region", "field"]
    command += ["--model-path", str(model_path), "--workers", "2", "--chunk-size", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while not (out.exists() and out.read_bytes().count(b"\n") >= 3):
            assert process.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 143
        assert "rerun with --resume" in process.stderr.read().decode()
        assert group_ends(process.pid, within_s=10), "workers were left running after SIGTERM"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.stderr.close()

    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    rows = list(csv.reader(io.StringIO(out.read_text())))
    assert sorted(row[0] for row in rows[1:]) == keys


def test_a_file_that_kills_its_worker_becomes_an_error_line_and_the_run_goes_on() -> None:
    items = [(f"/x/{name}", name) for name in ["a.png", "b.png", "poison.png", "c.png", "d.png", "e.png"]]
    batches = iter_local(
        items, Settings(), "auto", workers=2, chunk_size=2, initializer=no_model, task=crash_on_poison
    )
    records = [record for chunk in batches for record in chunk]

    assert [r["source"] for r in records] == [key for _, key in items]
    assert [r["source"] for r in records if "error" in r] == ["poison.png"]
    assert records[2]["error"]["type"] == "worker_crashed"


def test_small_inputs_are_spread_over_all_workers() -> None:
    assert chunk_size_for(total=10, workers=4, requested=16) == 3
    assert chunk_size_for(total=1000, workers=4, requested=16) == 16
    assert chunk_size_for(total=1, workers=8, requested=16) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing-folder", "--out", "r.jsonl"], "does not exist"),
        ([".", "--out", "r.jsonl", "--engine", "spark"], "--engine must be one of local, ray"),
        ([".", "--out", "r.jsonl", "--region", "page"], "--region must be one of auto, field"),
        ([".", "--out", "r.jsonl", "--format", "xml"], "--format must be one of jsonl, csv"),
        ([".", "--out", "r.jsonl", "--resume", "--overwrite"], "contradict"),
        ([".", "--out", "r.jsonl", "--ray-address", "auto"], "only applies with --engine ray"),
        ([".", "--out", "r.jsonl", "--model-path", "no/such/model.onnx"], "model"),
    ],
)
def test_usage_errors_exit_2_with_one_line_and_no_traceback(
    args: list[str], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = batch(*args)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "r.jsonl").exists() or (tmp_path / "r.jsonl").stat().st_size == 0


def test_ray_engine_without_ray_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray -> ImportError
    result = batch(str(tmp_path), "--out", str(tmp_path / "r.jsonl"), "--engine", "ray")
    assert result.exit_code == 2
    assert "pip install 'checkocr[ray]'" in result.output
