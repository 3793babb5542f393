"""Secrets and customer data stay out of the logs; API keys are enforced and compared in constant time.

A bank's logs are read by many more people than its check images: at INFO nothing may identify a
check (amounts, MICR digits, image bytes) or let someone call the service (keys, even wrong ones).
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import time

import pytest
from corpus import amount_field, png, synthetic_check
from fastapi.testclient import TestClient
from live import API_KEY, http

from checkocr.config import Settings
from service.app import create_app
from service.logging import JsonFormatter

WRONG_KEY = "wrong-key-9f8e7d6c5b4a"
NOISE_FIELDS = re.compile(r'"(ts|request_id|latency_ms|bytes_in)":("[^"]*"|[0-9.eE+-]+)')


def forbidden_in(text: str, secrets: list[str]) -> list[str]:
    """Which secrets (and generic leak shapes) occur in the log text, ignoring ids and timings."""
    text = NOISE_FIELDS.sub("", text)
    found = [secret for secret in secrets if secret and secret in text]
    found += [shape for shape in ("iVBORw0KGgo", "IHDR", "\\x89PNG", "data:image") if shape in text]
    found += re.findall(r"\d{8,}", text)  # routing (9) and account (8-12) numbers
    return found


def test_keys_are_compared_with_hmac_compare_digest_against_every_key(tiny_model, monkeypatch) -> None:
    calls: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr("service.auth.hmac.compare_digest", spy)
    settings = Settings(model_path=tiny_model, api_keys=f"{API_KEY},second-key-abcdef")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/v1/models", headers={"X-API-Key": API_KEY}).status_code == 200
        assert calls == [(API_KEY.encode(), API_KEY.encode()), (API_KEY.encode(), b"second-key-abcdef")]
        calls.clear()
        assert client.get("/v1/models", headers={"Authorization": f"Bearer {WRONG_KEY}"}).status_code == 401
        assert len(calls) == 2 and all(offered == WRONG_KEY.encode() for offered, _ in calls)


def test_in_process_logs_at_info_hold_no_key_amount_or_image(tiny_model, caplog) -> None:
    caplog.set_level(logging.INFO)
    settings = Settings(model_path=tiny_model, api_keys=API_KEY)
    image = png(amount_field("305.00"))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        answer = client.post(
            "/v1/checks/read?region=field&expected_amount=7,654.32",
            content=image,
            headers={"Content-Type": "image/png", "Authorization": f"Bearer {API_KEY}"},
        )
        assert answer.status_code == 200 and answer.json()["amount"]
        bad = client.post(
            "/v1/checks/read?expected_amount=7,654.3x",
            content=image,
            headers={"Content-Type": "image/png", "X-API-Key": API_KEY},
        )
        assert bad.status_code == 400 and "7,654.3x" in bad.json()["detail"]  # echoed to the caller only
        assert client.get("/v1/models", headers={"X-API-Key": WRONG_KEY}).status_code == 401
    # The service's loggers only: the test client's own httpx logger prints this process's URLs.
    records = [
        r for r in caplog.records if r.name.split(".")[0] in ("checkocr", "uvicorn", "fastapi", "service")
    ]
    text = "\n".join(JsonFormatter().format(record) for record in records)  # what would leave the process
    assert sum(record.getMessage() == "request" for record in records) == 3  # the scan saw them
    secrets = [API_KEY, WRONG_KEY, answer.json()["amount"], "7,654.32", "7,654.3x", "305.00"]
    secrets += [base64.b64encode(image[:60]).decode()[:40]]
    assert forbidden_in(text, secrets) == []


def test_live_server_stderr_holds_no_key_amount_micr_or_image(start_server) -> None:
    server = start_server(CHECKOCR_LOG_LEVEL="INFO")
    grey, truth = synthetic_check(seed=11)
    check = png(grey)
    field = png(amount_field("4,321.09"))
    auth = {"Authorization": f"Bearer {API_KEY}"}
    requests = [
        ("/v1/checks/read", check, {"Content-Type": "image/png", **auth}),
        (
            "/v1/checks/read?region=field&expected_amount=4,321.09",
            field,
            {"Content-Type": "image/png", **auth},
        ),
        ("/v1/checks/read", check, {"Content-Type": "image/png", "X-API-Key": API_KEY}),
        ("/v1/checks/read", check, {"Content-Type": "image/png", "X-API-Key": WRONG_KEY}),
        ("/v1/checks/read", check, {"Content-Type": "image/png"}),
        ("/v1/checks/read", check[:500], {"Content-Type": "image/png", **auth}),  # truncated: 422
    ]
    statuses, amounts = [], []
    for path, body, headers in requests:
        status, answer, _ = http(server.base + path, body, headers)
        statuses.append(status)
        if status == 200:
            amounts.append(json.loads(answer)["amount"])
    assert statuses == [200, 200, 200, 401, 401, 422]
    deadline = time.monotonic() + 5
    while True:  # the access line is written just after the response is sent
        log = server.log()
        access = [json.loads(line) for line in log.splitlines() if '"msg":"request"' in line]
        if len(access) >= len(requests) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(access) == len(requests) and all(entry["level"] == "INFO" for entry in access)
    secrets = [API_KEY, WRONG_KEY, truth["amount"], truth["written"], "4,321.09", "4321.09", *amounts]
    secrets += [base64.b64encode(check[:60]).decode()[:40], base64.b64encode(field[:60]).decode()[:40]]
    assert forbidden_in(log, secrets) == []


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"X-API-Key": WRONG_KEY}, 401),
        ({"X-API-Key": API_KEY[:-1]}, 401),
        ({"X-API-Key": API_KEY}, 200),
    ],
    ids=["missing", "wrong", "prefix", "right"],
)
def test_api_key_enforced_when_configured(tiny_model, headers: dict[str, str], status: int) -> None:
    settings = Settings(model_path=tiny_model, api_keys=API_KEY)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post(
            "/v1/checks/read", content=png(amount_field()), headers={"Content-Type": "image/png", **headers}
        )
    assert response.status_code == status
    if status == 401:
        assert response.headers["content-type"] == "application/problem+json"
        assert API_KEY not in response.text and WRONG_KEY not in response.text
