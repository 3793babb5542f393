"""``checkocr serve``: the no-auth bind guard, and a real server process read over HTTP then SIGTERMed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from service_testkit import API_KEY, encode, field_image

from checkocr.config import DEFAULT_MODEL_PATH, PROJECT_ROOT, Settings
from checkocr.schemas import Reading
from service.serve import ServeError, check_bind, is_loopback


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("localhost", True),
        ("::1", True),
        ("127.0.0.5", True),
        ("0.0.0.0", False),
        ("10.1.2.3", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_no_keys_on_a_public_address_is_refused_unless_overridden() -> None:
    with pytest.raises(ServeError, match="--insecure-no-auth"):
        check_bind(Settings(host="0.0.0.0", api_keys=""), insecure_no_auth=False)
    check_bind(Settings(host="0.0.0.0", api_keys=""), insecure_no_auth=True)
    check_bind(Settings(host="0.0.0.0", api_keys="k"), insecure_no_auth=False)
    check_bind(Settings(host="127.0.0.1", api_keys=""), insecure_no_auth=False)


def test_cli_refuses_public_bind_without_keys() -> None:
    env = {**os.environ, "CHECKOCR_API_KEYS": ""}
    result = subprocess.run(
        [sys.executable, "-m", "checkocr", "serve", "--host", "0.0.0.0", "--port", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0 without API keys" in result.stderr
    assert "Traceback" not in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_ready(base: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise AssertionError(f"{base}/readyz did not become ready within {timeout_s} s")


def check_to_send() -> tuple[bytes, str]:
    """A whole synthetic check (checkocr.synth, MNIST test digits) when the dataset is there, else a
    drawn amount field; returns PNG bytes and the region option to send with it."""
    data_dir = Settings().data_dir
    if data_dir is not None and (data_dir / "mnist" / "t10k-images-idx3-ubyte.gz").is_file():
        import numpy as np

        from checkocr.synth import MnistTestPool, generate_check

        grey, _ = generate_check(np.random.default_rng(3), MnistTestPool.from_data_dir(data_dir))
        return encode(grey), "auto"
    return encode(field_image("305")), "field"


def test_real_server_reads_a_check_and_stops_cleanly_on_sigterm(tiny_model: Path) -> None:
    shipped = DEFAULT_MODEL_PATH.is_file()
    model = DEFAULT_MODEL_PATH if shipped else tiny_model
    port = free_port()
    env = {**os.environ, "CHECKOCR_API_KEYS": API_KEY, "CHECKOCR_LOG_FORMAT": "json"}
    env["CHECKOCR_READER"] = "fused" if shipped else "digits"  # the fusion card fits the shipped models
    process = subprocess.Popen(
        [sys.executable, "-m", "checkocr", "serve", "--port", str(port), "--model-path", str(model)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        image, region = check_to_send()
        request = urllib.request.Request(
            f"{base}/v1/checks/read?region={region}",
            data=image,
            headers={"Content-Type": "image/png", "Authorization": f"Bearer {API_KEY}"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            reading = json.loads(response.read())
            request_id = response.headers["X-Request-ID"]
        Reading.model_validate(reading)
        assert reading["reader"] == ("fused" if shipped else "digits")
        sources = {"given"} if region == "field" else {"detected", "whole_image"}
        assert reading["field"]["source"] in sources
        if region == "field":
            assert sum(c["kind"] == "digit" for c in reading["characters"]) >= 3
        if shipped:
            digits = json.loads(DEFAULT_MODEL_PATH.with_suffix(".json").read_text())["sha256"]
            assert digits in {m["sha256"] for m in reading["models"]}
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
    assert process.returncode == 0, stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    access = [line for line in lines if line.get("request_id") == request_id]
    assert access and access[0]["route"] == "/v1/checks/read" and access[0]["status"] == 200
    assert API_KEY not in stderr
