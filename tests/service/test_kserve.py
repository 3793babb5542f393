"""Open Inference Protocol (KServe V2): health, metadata, infer shapes and the {"error"} shape."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from service_testkit import band_digit


def infer_body(batch: np.ndarray, shape: list[int] | None = None, **extra: object) -> dict:
    return {
        "inputs": [
            {
                "name": "digits",
                "shape": shape or list(batch.shape),
                "datatype": "FP32",
                "data": batch.ravel().tolist(),
            }
        ],
        **extra,
    }


def test_health_and_server_metadata(client: TestClient) -> None:
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    assert client.get("/v2/models/digits/ready").json() == {"name": "digits", "ready": True}
    assert client.get("/v2").json()["name"] == "checkocr"


def test_model_metadata(client: TestClient) -> None:
    meta = client.get("/v2/models/digits").json()
    assert meta["name"] == "digits" and meta["versions"] == ["0.0.1-test"]
    assert meta["inputs"] == [{"name": "digits", "datatype": "FP32", "shape": [-1, 28, 28, 1]}]
    assert meta["outputs"] == [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}]


@pytest.mark.parametrize("shape_of", [lambda n: [n, 28, 28, 1], lambda n: [n, 28, 28], lambda n: [n, 784]])
def test_infer_returns_flat_fp32_output(client: TestClient, shape_of) -> None:
    batch = np.stack([band_digit(2), band_digit(9)])[..., None]
    response = client.post("/v2/models/digits/infer", json=infer_body(batch, shape_of(2), id="req-9"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_name"] == "digits" and body["model_version"] == "0.0.1-test" and body["id"] == "req-9"
    (output,) = body["outputs"]
    assert output["name"] == "probabilities" and output["datatype"] == "FP32" and output["shape"] == [2, 10]
    probabilities = np.asarray(output["data"]).reshape(2, 10)
    assert probabilities.argmax(axis=1).tolist() == [2, 9]


def test_infer_accepts_nested_data_and_requested_output(client: TestClient) -> None:
    body = {
        "inputs": [
            {"name": "digits", "shape": [1, 28, 28], "datatype": "FP32", "data": [band_digit(4).tolist()]}
        ],
        "outputs": [{"name": "probabilities"}],
    }
    output = client.post("/v2/models/digits/infer", json=body).json()["outputs"][0]
    assert int(np.argmax(output["data"])) == 4


@pytest.mark.parametrize(
    ("mutate", "fragment"),
    [
        (lambda b: b["inputs"][0].update(name="pixels"), "named 'digits'"),
        (lambda b: b["inputs"][0].update(datatype="INT8"), "FP32"),
        (lambda b: b["inputs"][0].update(shape=[1, 28, 27]), "input shape"),
        (lambda b: b["inputs"][0].update(shape=[2, 784]), "needs 1568 values"),
        (lambda b: b["inputs"][0].update(data=[2.0] * 784), "[0, 1]"),
        (lambda b: b.update(outputs=[{"name": "logits"}]), "unknown output"),
        (lambda b: b.update(inputs=[]), "invalid inference request"),
    ],
)
def test_infer_errors_use_the_v2_shape(client: TestClient, mutate, fragment: str) -> None:
    body = infer_body(np.zeros((1, 784), np.float32))
    mutate(body)
    response = client.post("/v2/models/digits/infer", json=body)
    assert response.status_code == 400
    assert set(response.json()) == {"error"} and fragment in response.json()["error"]


def test_unknown_model_is_404_v2_error(client: TestClient) -> None:
    for response in (
        client.get("/v2/models/letters"),
        client.get("/v2/models/letters/ready"),
        client.post("/v2/models/letters/infer", json=infer_body(np.zeros((1, 784), np.float32))),
    ):
        assert response.status_code == 404 and "letters" in response.json()["error"]


def test_invalid_json_is_400_v2_error(client: TestClient) -> None:
    response = client.post(
        "/v2/models/digits/infer", content=b"{", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "error" in response.json()
