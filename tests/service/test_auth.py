"""API keys: both headers, every key, 401 problems with a challenge; health and metrics stay open."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from service_testkit import API_KEY, band_digit

from service.auth import key_is_valid

BODY = {"images": [band_digit(1).tolist()]}


@pytest.fixture
def secured(make_client) -> TestClient:
    return make_client(api_keys=f"other-key, {API_KEY}")


def test_missing_key_is_401_with_challenge(secured: TestClient) -> None:
    response = secured.post("/v1/digits/classify", json=BODY)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "API key is required" in response.json()["detail"]


def test_wrong_key_is_401_and_never_echoed(secured: TestClient) -> None:
    response = secured.post("/v1/digits/classify", json=BODY, headers={"X-API-Key": "guess-123"})
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    assert "guess-123" not in response.text


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {API_KEY}"}, {"X-API-Key": API_KEY}, {"X-API-Key": "other-key"}]
)
def test_right_key_in_either_header(secured: TestClient, headers: dict[str, str]) -> None:
    assert secured.post("/v1/digits/classify", json=BODY, headers=headers).status_code == 200
    assert secured.get("/v1/models", headers=headers).status_code == 200
    assert secured.get("/v2/models/digits", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/v1/checks/read"),
        ("get", "/v1/models"),
        ("get", "/v2/models/digits"),
        ("post", "/v2/models/digits/infer"),
        ("get", "/v2"),
    ],
)
def test_every_protected_route_needs_a_key(secured: TestClient, method: str, path: str) -> None:
    assert getattr(secured, method)(path).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/livez",
        "/readyz",
        "/metrics",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/digits/ready",
        "/docs",
    ],
)
def test_health_and_metrics_are_open(secured: TestClient, path: str) -> None:
    assert secured.get(path).status_code == 200


def test_without_configured_keys_auth_is_off(client: TestClient) -> None:
    assert client.post("/v1/digits/classify", json=BODY).status_code == 200


def test_key_comparison_checks_every_key() -> None:
    keys = [b"alpha", b"beta"]
    assert key_is_valid("beta", keys) and key_is_valid("alpha", keys)
    assert not key_is_valid("bet", keys) and not key_is_valid("", keys) and not key_is_valid("betaa", keys)
