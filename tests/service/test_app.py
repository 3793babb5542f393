"""The app as a whole: health, metrics, the problem+json shape of framework errors, OpenAPI, logs."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import textwrap

import numpy as np
from fastapi.testclient import TestClient
from service_testkit import band_digit, encode, field_image

from checkocr.config import PROJECT_ROOT

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://") and body["title"] and body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_livez_and_readyz_when_model_is_good(client: TestClient) -> None:
    assert client.get("/livez").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["model"]["name"] == "digits"
    assert len(ready.json()["model"]["sha256"]) == 64


def test_unknown_path_and_wrong_method_are_problems(client: TestClient) -> None:
    body = assert_problem(client.get("/no/such/thing"), 404)
    assert body["instance"] == "/no/such/thing"
    response = client.get("/v1/checks/read")
    assert_problem(response, 405)
    assert "POST" in response.headers["allow"]


def test_request_id_is_propagated_or_generated(client: TestClient) -> None:
    assert client.get("/livez", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/livez", headers={"X-Request-ID": "bad id with spaces <script>"}).headers[
        "x-request-id"
    ]
    assert len(generated) == 32 and " " not in generated


def test_metrics_count_requests_readings_and_inference(client: TestClient) -> None:
    client.post(
        "/v1/checks/read?region=field",
        content=encode(field_image("42")),
        headers={"content-type": "image/png"},
    )
    client.post("/v1/checks/read", content=b"not an image", headers={"content-type": "image/png"})
    client.post("/v1/digits/classify", json={"images": [band_digit(3).tolist()]})
    client.get("/nowhere/42")
    text = client.get("/metrics").text
    assert 'checkocr_http_requests_total{method="POST",route="/v1/checks/read",status="200"} 1.0' in text
    assert 'checkocr_http_requests_total{method="POST",route="/v1/checks/read",status="422"} 1.0' in text
    assert 'checkocr_http_requests_total{method="GET",route="unmatched",status="404"} 1.0' in text
    assert 'checkocr_readings_total{outcome="error"} 1.0' in text
    outcomes = {
        o: _sample(text, f'checkocr_readings_total{{outcome="{o}"}}')
        for o in ("read", "needs_review", "unreadable")
    }
    assert sum(outcomes.values()) == 1.0
    assert _sample(text, "checkocr_needs_review_total") == outcomes["needs_review"]
    assert 'checkocr_inference_seconds_count{operation="read_check"} 2.0' in text
    assert 'checkocr_inference_seconds_count{operation="classify_digits"} 1.0' in text
    assert "checkocr_http_request_duration_seconds_bucket" in text
    assert "checkocr_http_requests_in_flight 1.0" in text  # the /metrics request itself
    assert "checkocr_model_ready 1.0" in text


def _sample(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} not in metrics")


def test_openapi_documents_every_endpoint_with_examples(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    expected = {
        "/v1/checks/read",
        "/v1/digits/classify",
        "/v1/models",
        "/livez",
        "/readyz",
        "/metrics",
        "/v2",
        "/v2/health/live",
        "/v2/health/ready",
        "/v2/models/{name}",
        "/v2/models/{name}/ready",
        "/v2/models/{name}/infer",
    }
    assert expected <= set(spec["paths"])
    for path in expected:
        for operation in spec["paths"][path].values():
            ok = operation["responses"]["200"].get("content", {})
            assert any("example" in media for media in ok.values()), f"{path} has no 200 example"
    read = spec["paths"]["/v1/checks/read"]["post"]
    assert {"multipart/form-data", "image/png", "image/jpeg", "image/tiff"} <= set(
        read["requestBody"]["content"]
    )
    assert read["responses"]["422"]["content"][PROBLEM]["example"]["reason"] == "undecodable"
    assert client.get("/docs").status_code == 200


def test_one_json_log_line_per_request_without_secrets(client: TestClient, caplog) -> None:
    caplog.set_level(logging.INFO, logger="checkocr.service.access")
    client.post(
        "/v1/checks/read?region=field&expected_amount=1234.56",
        content=encode(field_image("77")),
        headers={"content-type": "image/png", "X-Request-ID": "req-1"},
    )
    records = [r for r in caplog.records if r.name == "checkocr.service.access"]
    assert len(records) == 1
    from service.logging import JsonFormatter

    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "req-1" and line["route"] == "/v1/checks/read" and line["status"] == 200
    assert line["latency_ms"] > 0 and line["outcome"] in ("read", "needs_review", "unreadable")
    assert "1234" not in json.dumps(line)


def test_unexpected_exception_is_a_500_problem_without_traceback(client: TestClient) -> None:
    state = client.app.state.service

    def explode(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    state.reader.read_bytes = explode
    response = client.post(
        "/v1/checks/read", content=encode(field_image("1")), headers={"content-type": "image/png"}
    )
    body = assert_problem(response, 500)
    assert "secret" not in response.text and "Traceback" not in response.text
    assert body["request_id"]


def test_serving_path_never_imports_tensorflow() -> None:
    code = textwrap.dedent(
        """
        import sys
        from fastapi.testclient import TestClient
        from checkocr.config import Settings
        from service.app import create_app
        import checkocr.cli
        with TestClient(create_app(Settings())) as client:
            client.get("/readyz")
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("tensorflow", "keras", "tf2onnx")))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_band_digit_fixture_is_what_the_tiny_model_expects() -> None:
    assert band_digit(7)[18:20].sum() == 40 and np.count_nonzero(band_digit(7)) == 40
