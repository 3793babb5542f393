"""The Ray engine gives the same lines as the local engine (local Ray, small input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_images import make_folder
from typer.testing import CliRunner

from checkocr.cli import app

pytest.importorskip("ray.data", reason="Ray is an optional extra: pip install 'checkocr[ray]'")


def comparable(path: Path) -> list[dict]:
    """Lines sorted by source, without timings (the only field that may differ between engines)."""
    records = [json.loads(line) for line in path.read_text().splitlines()]
    for record in records:
        record.pop("timings_ms", None)
    return sorted(records, key=lambda record: record["source"])


def test_ray_and_local_engines_write_the_same_results(model_path: Path, tmp_path: Path) -> None:
    root = tmp_path / "checks"
    keys = make_folder(root, 4)
    local, distributed = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    common = ["--region", "field", "--workers", "1", "--model-path", str(model_path)]
    runner = CliRunner()

    assert runner.invoke(app, ["batch", str(root), "--out", str(local), *common]).exit_code == 0
    result = runner.invoke(app, ["batch", str(root), "--out", str(distributed), "--engine", "ray", *common])

    assert result.exit_code == 0, result.output
    assert "ray engine" in result.output
    assert [r["source"] for r in comparable(distributed)] == keys
    assert comparable(distributed) == comparable(local)
