"""A missing, truncated or tampered model file, in real processes.

The server must stay up (no crash loop), say exactly what is wrong on /readyz (503 problem+json) and
once in its log, and refuse reads with the same detail; the commands must exit 2 with one clear line.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
from corpus import amount_field, png
from live import API_KEY, http

from tests.cli import run_checkocr


def broken_model(kind: str, folder: Path, tiny_model: Path) -> Path:
    path = folder / "digits.onnx"
    if kind == "missing":
        return path
    shutil.copy(tiny_model, path)
    shutil.copy(tiny_model.with_suffix(".json"), path.with_suffix(".json"))
    if kind == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif kind == "tampered":  # same size, one weight changed: only the sha256 of the card can tell
        data = bytearray(path.read_bytes())
        data[-40] ^= 0x01
        path.write_bytes(bytes(data))
    return path


FAULTS = [("missing", "does not exist"), ("truncated", "sha256"), ("tampered", "sha256")]


@pytest.mark.parametrize(("kind", "fragment"), FAULTS)
def test_server_stays_up_not_ready_with_the_reason(
    start_server, tmp_path: Path, tiny_model: Path, kind: str, fragment: str
) -> None:
    server = start_server(model=broken_model(kind, tmp_path, tiny_model), wait=503)
    time.sleep(0.5)  # had it crashed after the first answer, it would be gone now
    assert server.alive()
    status, body, headers = server.get("/readyz")
    detail = json.loads(body)["detail"]
    assert status == 503 and headers["content-type"] == "application/problem+json"
    assert fragment in detail and "digits.onnx" in detail
    assert server.get("/livez")[0] == 200
    status, body, headers = http(
        f"{server.base}/v1/checks/read",
        png(amount_field()),
        {"Content-Type": "image/png", "Authorization": f"Bearer {API_KEY}"},
    )
    assert status == 503 and json.loads(body)["detail"] == detail and "retry-after" in headers
    log = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    reasons = [entry for entry in log if entry["level"] == "ERROR" and "model not ready" in entry["msg"]]
    assert len(reasons) == 1 and fragment in reasons[0]["msg"]  # said once, clearly, not in a loop
    assert "Traceback" not in server.log()
    assert server.stop() == 0


@pytest.mark.parametrize(
    ("kind", "fragment", "command"),
    [
        ("missing", "does not exist", "batch"),
        ("truncated", "sha256", "read"),
        ("tampered", "sha256", "read"),
        ("tampered", "sha256", "batch"),
    ],
)
def test_commands_refuse_a_bad_model_with_one_line(
    tmp_path: Path, tiny_model: Path, kind: str, fragment: str, command: str
) -> None:
    model = broken_model(kind, tmp_path, tiny_model)
    image = tmp_path / "in" / "a.png"
    image.parent.mkdir()
    image.write_bytes(png(amount_field()))
    out = tmp_path / "r.jsonl"
    args = [str(image)] if command == "read" else [str(image.parent), "--out", str(out), "--workers", "1"]
    result = run_checkocr(command, *args, "--model-path", str(model), timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("checkocr: error:") and fragment in lines[0], lines
    assert not out.exists() or not out.read_text()  # no work started on a model that is not the carded one
