"""POST /v1/checks/read: every way to send an image, the options, and every refusal."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from service_testkit import encode, field_image

from checkocr.config import DEFAULT_FUSION_CARD_PATH, DEFAULT_MODEL_PATH
from checkocr.schemas import Reading

PNG = {"content-type": "image/png"}


def assert_reading(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    Reading.model_validate(body)
    assert body["reader"] == "digits" and body["model"] == body["models"][0]
    assert [m["name"] for m in body["models"]] == ["digits"]
    return body


def g4_tiff(image: np.ndarray) -> bytes:
    bitonal = Image.fromarray(np.where(image < 128, 0, 255).astype(np.uint8)).convert("1")
    import io

    buffer = io.BytesIO()
    bitonal.save(buffer, "TIFF", compression="group4")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/png", encode(field_image("305"))),
        ("image/jpeg", encode(field_image("305"), "JPEG", quality=90)),
        ("image/tiff", g4_tiff(field_image("305"))),
    ],
    ids=["png", "jpeg", "tiff-g4"],
)
def test_raw_body_in_each_format(client: TestClient, content_type: str, data: bytes) -> None:
    body = assert_reading(
        client.post("/v1/checks/read?region=field", content=data, headers={"content-type": content_type})
    )
    assert body["field"]["source"] == "given"
    assert sum(c["kind"] == "digit" for c in body["characters"]) >= 3
    assert body["expected_amount_match"] is None


def test_multipart_with_form_options(client: TestClient) -> None:
    response = client.post(
        "/v1/checks/read",
        files={"image": ("check.png", encode(field_image("61")), "image/png")},
        data={"region": "field", "decimal": "."},
    )
    assert assert_reading(response)["field"]["source"] == "given"


def test_multipart_generic_part_type_is_sniffed(client: TestClient) -> None:
    response = client.post(
        "/v1/checks/read?region=field",
        files={"image": ("scan.bin", encode(field_image("8")), "application/octet-stream")},
    )
    assert_reading(response)


def test_expected_amount_adds_a_match(client: TestClient) -> None:
    reading = assert_reading(
        client.post("/v1/checks/read?region=field", content=encode(field_image("1234")), headers=PNG)
    )
    digits = "".join(c["char"] for c in reading["characters"] if c["kind"] == "digit")
    body = assert_reading(
        client.post(
            "/v1/checks/read",
            params={"region": "field", "expected_amount": f"{int(digits):,}.00" if digits else "1.00"},
            content=encode(field_image("1234")),
            headers=PNG,
        )
    )
    match = body["expected_amount_match"]
    assert set(match) == {"matches", "probability"} and 0.0 <= match["probability"] <= 1.0
    if digits:  # keyed == the digits read: the product of their own confidences is positive
        assert match["probability"] > 0.0
    wrong = assert_reading(
        client.post(
            "/v1/checks/read",
            params={"region": "field", "expected_amount": "9"},
            content=encode(field_image("1234")),
            headers=PNG,
        )
    )["expected_amount_match"]
    assert wrong["matches"] is False


def test_blank_field_is_a_reading_with_no_amount(client: TestClient) -> None:
    blank = np.full((80, 300), 250, dtype=np.uint8)
    body = assert_reading(client.post("/v1/checks/read?region=field", content=encode(blank), headers=PNG))
    assert body["amount"] is None and body["needs_review"] is True and body["reason"]
    metrics = client.get("/metrics").text
    assert 'checkocr_readings_total{outcome="unreadable"} 1.0' in metrics
    assert 'checkocr_review_reasons_total{reason="no_amount"} 1.0' in metrics
    assert 'checkocr_review_reasons_total{reason="field_not_found"} 0.0' in metrics  # a given field


@pytest.mark.parametrize(
    ("query", "fragment"),
    [
        ("region=everything", "query.region"),
        ("decimal=%3B", "query.decimal"),
        ("expected_amount=12%2C3x", "expected_amount"),
    ],
)
def test_malformed_parameters_are_400(client: TestClient, query: str, fragment: str) -> None:
    response = client.post(f"/v1/checks/read?{query}", content=encode(field_image("1")), headers=PNG)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert fragment in response.json()["detail"]


def test_bad_form_option_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/checks/read",
        files={"image": ("a.png", encode(field_image("1")), "image/png")},
        data={"region": "x"},
    )
    assert response.status_code == 400 and "region" in response.json()["detail"]


def test_multipart_without_image_field_is_400(client: TestClient) -> None:
    response = client.post("/v1/checks/read", files={"picture": ("a.png", b"x", "image/png")})
    assert response.status_code == 400 and "'image'" in response.json()["detail"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/json", "image/gif", None])
def test_unsupported_content_type_is_415(client: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/v1/checks/read", content=b"GIF89a....", headers=headers)
    assert response.status_code == 415
    assert response.headers["content-type"] == "application/problem+json"


def test_multipart_part_with_text_type_is_415(client: TestClient) -> None:
    response = client.post("/v1/checks/read", files={"image": ("a.txt", b"hello", "text/plain")})
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "undecodable"),
        (encode(field_image("12"))[:200], "undecodable"),
        (encode(np.full((4, 300), 255, np.uint8)), "too_small"),
    ],
    ids=["empty", "garbage", "truncated", "too-small"],
)
def test_undecodable_image_is_422_with_reason(client: TestClient, data: bytes, reason: str) -> None:
    response = client.post("/v1/checks/read", content=data, headers=PNG)
    assert response.status_code == 422
    assert response.json()["reason"] == reason


def test_too_many_pixels_is_422(make_client) -> None:
    client = make_client(max_image_pixels=10_000)
    response = client.post("/v1/checks/read", content=encode(np.full((200, 200), 255, np.uint8)), headers=PNG)
    assert response.status_code == 422 and response.json()["reason"] == "too_many_pixels"


def test_declared_content_length_over_limit_is_413_before_reading(make_client) -> None:
    client = make_client(max_upload_bytes=2048)
    response = client.post("/v1/checks/read", content=b"\x00" * 5000, headers=PNG)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "2048" in response.json()["detail"]


def test_streamed_body_over_limit_is_413_while_counting(make_client) -> None:
    client = make_client(max_upload_bytes=2048)

    def chunks():
        for _ in range(10):
            yield b"\x00" * 1000

    response = client.post("/v1/checks/read", content=chunks(), headers=PNG)  # chunked: no Content-Length
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_multipart_over_limit_is_413(make_client) -> None:
    client = make_client(max_upload_bytes=4096)
    response = client.post("/v1/checks/read", files={"image": ("a.png", b"\x00" * 10_000, "image/png")})
    assert response.status_code == 413


def test_the_fused_reader_is_refused_when_its_card_does_not_fit_the_models(client: TestClient) -> None:
    response = client.post(
        "/v1/checks/read?region=field&reader=fused", content=encode(field_image()), headers=PNG
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "fused" in response.json()["detail"] and "digit model" not in response.json()["title"]


def test_the_field_reader_is_selectable(client: TestClient) -> None:
    body = assert_field_reading(
        client.post(
            "/v1/checks/read?region=field&reader=field", content=encode(field_image("305")), headers=PNG
        )
    )
    assert body["amount"] == "305.00" and [m["name"] for m in body["models"]] == ["field"]


def assert_field_reading(response) -> dict:
    assert response.status_code == 200, response.text
    body = response.json()
    Reading.model_validate(body)
    assert body["reader"] == "field"
    return body


def test_the_fusion_card_that_decides_postings_is_named_and_served(
    make_client: Callable[..., TestClient],
) -> None:
    """With the shipped models the fused reader serves: /readyz, every fused reading and
    /v1/models/fusion name its calibration card by the sha256 of the card file."""
    if not DEFAULT_FUSION_CARD_PATH.is_file() or not DEFAULT_MODEL_PATH.is_file():
        pytest.skip("the shipped models and fusion card are not in this checkout")
    digest = hashlib.sha256(DEFAULT_FUSION_CARD_PATH.read_bytes()).hexdigest()
    client = make_client(model_path=DEFAULT_MODEL_PATH, reader="fused")
    ready = client.get("/readyz").json()
    assert "fused" in ready["readers"]
    assert {"name": "fusion", "sha256": digest} == {
        k: v for k, v in ready["models"][-1].items() if k in ("name", "sha256")
    }
    reading = client.post("/v1/checks/read?region=field", content=encode(field_image("305")), headers=PNG)
    assert reading.status_code == 200 and reading.json()["reader"] == "fused"
    assert digest in {m["sha256"] for m in reading.json()["models"]}
    card = client.get("/v1/models/fusion").json()
    shipped = json.loads(DEFAULT_FUSION_CARD_PATH.read_text())
    assert (
        card["sha256"] == digest and card["trees"] == shipped["trees"] and card["features"][-1] == "on_check"
    )
