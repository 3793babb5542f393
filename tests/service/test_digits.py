"""POST /v1/digits/classify: JSON tensors in the model contract, or glyph images normalised server-side."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_testkit import band_digit, encode

from service.routers.digits import MAX_BATCH


def test_json_batch_keeps_order_and_classes(client: TestClient) -> None:
    images = [band_digit(k).tolist() for k in (7, 0, 3)]
    response = client.post("/v1/digits/classify", json={"images": images})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["digit"] for r in results] == ["7", "0", "3"]
    assert [r["index"] for r in results] == [0, 1, 2]
    for result in results:
        assert len(result["probabilities"]) == 10 and abs(sum(result["probabilities"]) - 1) < 1e-3
        assert len(result["top"]) == 3 and result["top"][0]["char"] == result["digit"]
        assert result["confidence"] > 0.99
    assert response.json()["model"]["name"] == "digits"


def test_json_accepts_trailing_channel_axis(client: TestClient) -> None:
    image = band_digit(5)[..., None].tolist()
    assert client.post("/v1/digits/classify", json={"images": [image]}).json()["results"][0]["digit"] == "5"


def test_multipart_glyphs_are_normalised_with_the_contract(client: TestClient) -> None:
    # Dark ink on paper, any size: a horizontal bar. to_mnist scales it to 20 px wide and centres its mass
    # on row 14, which is band 5 (rows 14-15) for the tiny model.
    glyph = np.full((60, 90), 255, dtype=np.uint8)
    cv2.rectangle(glyph, (10, 28), (80, 31), 0, -1)
    files = [("images", (f"g{i}.png", encode(glyph), "image/png")) for i in range(2)]
    response = client.post("/v1/digits/classify", files=files)
    assert response.status_code == 200, response.text
    assert [r["digit"] for r in response.json()["results"]] == ["5", "5"]


def test_blank_glyph_is_422(client: TestClient) -> None:
    blank = np.full((30, 30), 255, dtype=np.uint8)
    response = client.post("/v1/digits/classify", files=[("images", ("b.png", encode(blank), "image/png"))])
    assert response.status_code == 422 and response.json()["reason"] == "empty_glyph"
    assert response.json()["index"] == 0


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"images": []}, 400),
        ({"pictures": []}, 400),
        ([1, 2], 400),
        ({"images": [np.zeros((27, 28)).tolist()]}, 422),
        ({"images": [[[0.0] * 28] * 27 + [[0.0] * 27]]}, 422),
        ({"images": [(np.ones((28, 28)) * 2).tolist()]}, 422),
        ({"images": [[["a"] * 28] * 28]}, 422),
    ],
    ids=["empty", "no-images", "not-object", "27-rows", "ragged", "out-of-range", "strings"],
)
def test_bad_json_batches(client: TestClient, body: object, status: int) -> None:
    response = client.post("/v1/digits/classify", json=body)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post(
        "/v1/digits/classify", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


def test_batch_size_is_bounded(client: TestClient) -> None:
    zero = np.zeros((28, 28)).tolist()
    response = client.post("/v1/digits/classify", json={"images": [zero] * (MAX_BATCH + 1)})
    assert response.status_code == 413 and str(MAX_BATCH) in response.json()["detail"]


def test_wrong_content_type_is_415(client: TestClient) -> None:
    assert (
        client.post("/v1/digits/classify", content=b"x", headers={"content-type": "text/csv"}).status_code
        == 415
    )
