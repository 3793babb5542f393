"""POST /v1/cash-letters/verify: per-item answers that agree with /v1/checks/read, and every refusal."""

from __future__ import annotations

import io

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from service_testkit import API_KEY, field_image

from checkocr.x937.writer import WriterItem, routing, write_cash_letter

RAW = {"content-type": "application/octet-stream"}
URL = "/v1/cash-letters/verify"
TEXTS = ("305", "12.50", "7")


def g4(image: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.where(image < 128, 0, 255).astype(np.uint8)).convert("1").save(
        buffer, "TIFF", compression="group4"
    )
    return buffer.getvalue()


FRONTS = [g4(field_image(text)) for text in TEXTS]
KEYED = [30500, 1250, 800]  # the third is keyed wrong


def letter(count: int = 3, **options: object) -> bytes:
    items = (
        WriterItem(f"{i + 1:015d}", KEYED[i], routing("12100035"), f"{i}/1", FRONTS[i], FRONTS[0])
        for i in range(count)
    )
    buffer = io.BytesIO()
    write_cash_letter(buffer, items, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def test_each_item_is_answered_as_checks_read_answers_its_front_image(client: TestClient) -> None:
    response = client.post(URL, content=letter(), headers=RAW, params={"region": "field"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["encoding"], body["framing"], body["complete"]) == ("ebcdic", "prefixed", True)
    assert body["problems"] == [] and body["summary"]["items"] == 3
    for index, result in enumerate(body["items"]):
        assert result["item"]["sequence_number"] == f"{index + 1:015d}"
        assert (
            result["item"]["amount_cents"] == KEYED[index] and result["item"]["payor_routing"] == "121000358"
        )
        amount = f"{KEYED[index] // 100}.{KEYED[index] % 100:02d}"
        single = client.post(
            "/v1/checks/read",
            content=FRONTS[index],
            headers={"content-type": "image/tiff"},
            params={"region": "field", "expected_amount": amount},
        ).json()
        assert result["expected_amount_match"] == single["expected_amount_match"]
        assert result["reading"]["amount"] == single["amount"] and result["error"] is None
    summary = body["summary"]
    assert summary["matches"] + summary["mismatches"] + summary["unreadable"] == 3


def test_multipart_file_field_and_ascii_fixed_records(client: TestClient) -> None:
    data = letter(encoding="ascii", framing="fixed")
    response = client.post(URL, files={"file": ("day.x937", data, "application/octet-stream")})
    assert response.status_code == 200, response.text
    assert (response.json()["encoding"], response.json()["framing"]) == ("ascii", "fixed")
    assert len(response.json()["items"]) == 3


def test_a_truncated_file_is_answered_with_what_could_be_read(client: TestClient) -> None:
    data = letter()
    response = client.post(URL, content=data[: len(data) - 3000], headers=RAW)
    assert response.status_code == 200
    body = response.json()
    assert body["complete"] is False
    assert body["problems"][-1]["type"] == "truncated" and body["problems"][-1]["detail"].startswith("byte ")
    assert body["items"][-1]["error"]["type"] == "incomplete"


def test_not_an_x937_file_is_422_problem(client: TestClient) -> None:
    response = client.post(URL, content=b"%PDF-1.7 not a cash letter", headers=RAW)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["reason"] == "not_x937" and "not an X9.37 file" in body["detail"]


@pytest.mark.parametrize(
    ("kwargs", "status", "fragment"),
    [
        ({"content": b"", "headers": RAW}, 400, "empty"),
        ({"files": {"image": ("a.x937", b"01")}}, 400, "no file field 'file'"),
        ({"content": b"01", "headers": {"content-type": "image/png"}}, 415, "application/octet-stream"),
    ],
)
def test_bad_requests_are_problems(client: TestClient, kwargs: dict, status: int, fragment: str) -> None:
    response = client.post(URL, **kwargs)
    assert response.status_code == status, response.text
    assert (
        response.headers["content-type"] == "application/problem+json"
        and fragment in response.json()["detail"]
    )


def test_its_own_size_limit_413_and_not_the_check_image_limit(make_client) -> None:
    data = letter()
    assert len(data) > 2048
    client = make_client(max_upload_bytes=1024, max_cash_letter_bytes=len(data))
    assert client.post(URL, content=data, headers=RAW).status_code == 200
    assert (
        client.post(
            "/v1/checks/read", content=FRONTS[0] * 4, headers={"content-type": "image/tiff"}
        ).status_code
        == 413
    )
    small = make_client(max_cash_letter_bytes=2048)
    response = small.post(URL, content=data, headers=RAW)
    assert response.status_code == 413 and "2048" in response.json()["detail"]
    response = small.post(URL, files={"file": ("a.x937", data)})
    assert response.status_code == 413


def test_needs_a_key_when_keys_are_configured(make_client) -> None:
    client = make_client(api_keys=API_KEY)
    assert client.post(URL, content=letter(1), headers=RAW).status_code == 401
    response = client.post(URL, content=letter(1), headers={**RAW, "X-API-Key": API_KEY})
    assert response.status_code == 200


def test_documented_in_openapi(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][URL]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/octet-stream", "multipart/form-data"}
    assert {"200", "400", "401", "413", "415", "422", "503", "504"} <= set(operation["responses"])
