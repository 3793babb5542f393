"""Real ``checkocr serve`` processes on loopback for the reliability tests, and stdlib HTTP to them.

Most reliability claims (the process stays up, memory stays bounded, SIGTERM drains, temporary files
vanish) are only true or false of a real server process, so these fixtures start one with
``python -m checkocr serve`` on a free loopback port, its stderr in a file the test can scan.
The tiny model of tests/service/service_testkit.py is reused (not copied) so no test here needs a
trained model or a dataset.
"""

from __future__ import annotations

import contextlib
import http.client as httpclient
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from checkocr.config import PROJECT_ROOT

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "service"))
from service_testkit import API_KEY, write_tiny_model

__all__ = ["API_KEY", "LiveServer", "http", "launch_server", "wait_ready", "write_tiny_model"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rss_kib(pid: int) -> int:
    """Resident memory of a live process from /proc (what the kernel charges it, not a Python view)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for pid {pid}")


@dataclass
class LiveServer:
    process: subprocess.Popen
    base: str
    log_path: Path
    tmpdir: Path
    env: dict[str, str] = field(repr=False)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def rss_kib(self) -> int:
        return rss_kib(self.pid)

    def get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes, dict[str, str]]:
        return http(f"{self.base}{path}", timeout=timeout)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code (kills and fails if it does not stop)."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
            raise AssertionError(f"server did not stop within {timeout} s of SIGTERM") from None


def http(
    url: str,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    method: str | None = None,
    timeout: float = 30.0,
) -> tuple[int, bytes, dict[str, str]]:
    """One request on a fresh connection; (status, body, lower-cased headers).

    A server may answer 413 from the Content-Length header and close before the body is sent, like
    this service does; the client then sees a broken pipe while sending. That is the intended early
    refusal, so the response is still read after a failed send.
    """
    parts = urllib.parse.urlsplit(url)
    connection = httpclient.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.putrequest(method or ("POST" if data is not None else "GET"), target)
        all_headers = dict(headers or {})
        if data is not None:
            all_headers["Content-Length"] = str(len(data))
        for name, value in all_headers.items():
            connection.putheader(name, value)
        connection.endheaders()
        if data:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.send(data)
        response = connection.getresponse()
        return response.status, response.read(), {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def wait_ready(server: LiveServer, timeout_s: float = 60.0, want: int = 200) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert server.alive(), f"server exited with {server.process.returncode}:\n{server.log()[-3000:]}"
        try:
            status, _, _ = server.get("/readyz", timeout=2)
            if status == want:
                return
        except (OSError, httpclient.HTTPException):
            pass
        time.sleep(0.1)
    raise AssertionError(f"/readyz did not answer {want} within {timeout_s} s:\n{server.log()[-3000:]}")


def launch_server(folder: Path, model: Path, **env_overrides: str) -> LiveServer:
    """``python -m checkocr serve`` on a free loopback port: JSON logs, an API key, a private TMPDIR."""
    tmpdir = folder / "tmp"
    tmpdir.mkdir()
    log_path = folder / "stderr.log"
    port = free_port()
    env = {
        **os.environ,
        "CHECKOCR_API_KEYS": API_KEY,
        "CHECKOCR_LOG_FORMAT": "json",
        "CHECKOCR_LOG_LEVEL": "INFO",
        "TMPDIR": str(tmpdir),
        **env_overrides,
    }
    command = [sys.executable, "-m", "checkocr", "serve", "--port", str(port), "--model-path", str(model)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    return LiveServer(process, f"http://127.0.0.1:{port}", log_path, tmpdir, env)


def shut_down(server: LiveServer) -> None:
    if server.alive():
        with contextlib.suppress(AssertionError):
            server.stop(timeout=20)


def metric(server: LiveServer, name: str) -> float:
    """One unlabelled sample from /metrics (0 when absent)."""
    _, body, _ = server.get("/metrics")
    for line in body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def wait_for_metric(server: LiveServer, name: str, at_least: float, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while metric(server, name) < at_least:
        assert time.monotonic() < deadline, f"{name} never reached {at_least}"
        time.sleep(0.02)
