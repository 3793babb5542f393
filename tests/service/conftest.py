"""Service fixtures: the tiny model (see service_testkit) and started app clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from service_testkit import write_tiny_model

from checkocr.config import Settings
from service.app import create_app


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_model(tmp_path_factory.mktemp("tiny_model"))


@pytest.fixture
def make_client(tiny_model: Path) -> Iterator[Callable[..., TestClient]]:
    """Builds a started TestClient for ``create_app(Settings(model_path=tiny, **overrides))``."""
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        values: dict[str, object] = {"model_path": tiny_model, "api_keys": ""}
        values.update(overrides)
        client = TestClient(create_app(Settings(**values)), raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()
