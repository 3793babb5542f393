"""A missing, truncated or swapped model keeps the process up and every read endpoint at 503."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest
from service_testkit import band_digit, encode, field_image

from checkocr.config import Settings
from service.state import intra_op_threads


def broken_model(kind: str, folder: Path, tiny_model: Path) -> Path:
    if kind == "missing":
        return folder / "absent.onnx"
    path = folder / "digits.onnx"
    shutil.copy(tiny_model, path)
    shutil.copy(tiny_model.with_suffix(".json"), path.with_suffix(".json"))
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif kind == "sha-mismatch":
        path.write_bytes(path.read_bytes() + b"\x00")  # a valid graph plus one byte: not the carded file
    elif kind == "no-card":
        path.with_suffix(".json").unlink()
    return path


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("missing", "does not exist"),
        ("truncated", "sha256"),
        ("sha-mismatch", "sha256"),
        ("no-card", "model card"),
    ],
)
def test_bad_model_keeps_readyz_503_with_the_reason(
    make_client, tmp_path, tiny_model, caplog, kind, fragment
) -> None:
    caplog.set_level(logging.ERROR, logger="checkocr.service")
    client = make_client(model_path=broken_model(kind, tmp_path, tiny_model))
    assert client.get("/livez").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == "application/problem+json"
    assert fragment in ready.json()["detail"]
    assert any(fragment in record.getMessage() for record in caplog.records)
    read = client.post(
        "/v1/checks/read", content=encode(field_image("1")), headers={"content-type": "image/png"}
    )
    assert read.status_code == 503 and read.json()["detail"] == ready.json()["detail"]
    digits = client.post("/v1/digits/classify", json={"images": [band_digit(1).tolist()]})
    assert digits.status_code == 503
    assert client.get("/v1/models").status_code == 503
    assert client.get("/v2/health/ready").status_code == 503
    v2 = client.post("/v2/models/digits/infer", json={"inputs": []})
    assert v2.status_code == 503 and "error" in v2.json()
    assert "checkocr_model_ready 0.0" in client.get("/metrics").text


def test_truncated_model_with_a_matching_card_still_fails_to_load(make_client, tmp_path, tiny_model) -> None:
    """Card sha256 recomputed for the damaged bytes: onnxruntime itself must refuse, still 503 not a crash."""
    import hashlib
    import json

    path = broken_model("truncated", tmp_path, tiny_model)
    card = json.loads(path.with_suffix(".json").read_text())
    card["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    path.with_suffix(".json").write_text(json.dumps(card))
    client = make_client(model_path=path)
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "onnxruntime" in ready.json()["detail"]


def test_onnx_threads_follow_cpu_affinity_not_host_cores(monkeypatch) -> None:
    monkeypatch.setattr("checkocr.config.usable_cpus", lambda: 8)
    assert intra_op_threads(Settings(max_concurrency=2)) == 4
    assert intra_op_threads(Settings(max_concurrency=16)) == 1
    assert intra_op_threads(Settings(max_concurrency=2, threads=3)) == 3
    assert intra_op_threads(Settings()) >= 1
