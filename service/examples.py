"""Worked examples for /docs, kept in one place so the OpenAPI document shows real shapes."""

from __future__ import annotations

from typing import Any

MODEL_INFO = {
    "name": "digits",
    "version": "2026.11.21",
    "sha256": "ceeb5a0878b73ae1c3cadd52eddb01ba74e59365260838b2a737fae74bfdfb51",
}

READING: dict[str, Any] = {
    "amount": "1234.56",
    "amount_cents": 123456,
    "confidence": 0.973,
    "needs_review": False,
    "characters": [
        {
            "char": "$",
            "kind": "currency",
            "confidence": 0.99,
            "bbox": [12, 20, 30, 52],
            "alternatives": [],
            "raised": False,
        },
        {
            "char": "1",
            "kind": "digit",
            "confidence": 0.999,
            "bbox": [48, 22, 18, 50],
            "alternatives": [{"char": "7", "confidence": 0.001}],
            "raised": False,
        },
        {
            "char": ",",
            "kind": "separator",
            "confidence": 0.95,
            "bbox": [70, 64, 6, 12],
            "alternatives": [],
            "raised": False,
        },
    ],
    "field": {"bbox": [1210, 160, 420, 110], "source": "detected"},
    "model": MODEL_INFO,
    "timings_ms": {"decode": 4.1, "locate": 9.8, "segment": 6.2, "classify": 1.9, "total": 22.6},
    "reason": None,
    "expected_amount_match": {"matches": True, "probability": 0.962},
}

DIGITS_RESPONSE: dict[str, Any] = {
    "model": MODEL_INFO,
    "results": [
        {
            "index": 0,
            "digit": "7",
            "confidence": 0.998,
            "top": [
                {"char": "7", "confidence": 0.998},
                {"char": "1", "confidence": 0.0015},
                {"char": "9", "confidence": 0.0003},
            ],
            "probabilities": [0.0, 0.0015, 0.0001, 0.0, 0.0, 0.0, 0.0, 0.998, 0.0001, 0.0003],
        }
    ],
}

V2_INFER_REQUEST: dict[str, Any] = {
    "id": "batch-42",
    "inputs": [{"name": "digits", "shape": [1, 28, 28, 1], "datatype": "FP32", "data": [0.0] * 784}],
    "outputs": [{"name": "probabilities"}],
}

V2_INFER_RESPONSE: dict[str, Any] = {
    "model_name": "digits",
    "model_version": "2026.11.21",
    "id": "batch-42",
    "outputs": [
        {
            "name": "probabilities",
            "shape": [1, 10],
            "datatype": "FP32",
            "data": [0.02, 0.05, 0.21, 0.08, 0.06, 0.19, 0.11, 0.04, 0.17, 0.07],
        }
    ],
}


def json_example(example: Any, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}
