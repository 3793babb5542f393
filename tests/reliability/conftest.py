"""Reliability fixtures: the tiny test model and live servers (helpers in live.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from live import LiveServer, launch_server, shut_down, wait_ready, write_tiny_model


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("reliability_model"))


@pytest.fixture
def start_server(
    tmp_path_factory: pytest.TempPathFactory, tiny_model: Path
) -> Iterator[Callable[..., LiveServer]]:
    """Starts servers (``model`` defaults to the tiny one; ``wait``: the /readyz status to wait for)."""
    servers: list[LiveServer] = []

    def start(model: Path | None = None, wait: int | None = 200, **env_overrides: str) -> LiveServer:
        server = launch_server(tmp_path_factory.mktemp("server"), model or tiny_model, **env_overrides)
        servers.append(server)
        if wait is not None:
            wait_ready(server, want=wait)
        return server

    yield start
    for server in servers:
        shut_down(server)


@pytest.fixture(scope="module")
def module_server(tmp_path_factory: pytest.TempPathFactory, tiny_model: Path) -> Iterator[LiveServer]:
    """One server shared by a module's tests (starting one costs a few seconds); 4 MiB upload limit."""
    server = launch_server(
        tmp_path_factory.mktemp("module_server"), tiny_model, CHECKOCR_MAX_UPLOAD_BYTES=str(4 * 1024 * 1024)
    )
    try:
        wait_ready(server)
        yield server
    finally:
        shut_down(server)
