"""Worked examples for /docs, kept in one place so the OpenAPI document shows real shapes."""

from __future__ import annotations

from typing import Any

MODEL_INFO = {
    "name": "digits",
    "version": "2026.11.21",
    "sha256": "ceeb5a0878b73ae1c3cadd52eddb01ba74e59365260838b2a737fae74bfdfb51",
}

# A real answer: development model, first check of `checkocr synth --count 2 --seed 1`,
# expected_amount=3,506.00 (characters after the first left out).
READING: dict[str, Any] = {
    "amount": "3506.00",
    "amount_cents": 350600,
    "confidence": 0.996583,
    "needs_review": False,
    "characters": [
        {
            "char": "3",
            "kind": "digit",
            "confidence": 0.999841,
            "bbox": [1349, 325, 49, 63],
            "alternatives": [],
            "raised": False,
        }
    ],
    "field": {"bbox": [1292, 287, 432, 123], "source": "detected"},
    "model": MODEL_INFO,
    "timings_ms": {
        "decode": 195.105,
        "locate": 158.011,
        "segment": 221.305,
        "classify": 63.456,
        "total": 638.205,
    },
    "reason": None,
    "expected_amount_match": {"matches": True, "probability": 0.996582},
}

# A vertical bar (columns 12-15, rows 4-23 at 1.0): the documented "1"; answers of the development model.
BAR_DIGIT = [[1.0 if 12 <= c <= 15 and 4 <= r <= 23 else 0.0 for c in range(28)] for r in range(28)]
BAR_PROBABILITIES = [8.8e-05, 0.999692, 7e-06, 1.6e-05, 6.3e-05, 7e-06, 6.7e-05, 1.6e-05, 2.1e-05, 2.3e-05]

DIGITS_REQUEST: dict[str, Any] = {"images": [BAR_DIGIT]}

DIGITS_RESPONSE: dict[str, Any] = {
    "model": MODEL_INFO,
    "results": [
        {
            "index": 0,
            "digit": "1",
            "confidence": 0.999692,
            "top": [
                {"char": "1", "confidence": 0.999692},
                {"char": "0", "confidence": 8.8e-05},
                {"char": "6", "confidence": 6.7e-05},
            ],
            "probabilities": BAR_PROBABILITIES,
        }
    ],
}

V2_INFER_REQUEST: dict[str, Any] = {
    "id": "batch-42",
    "inputs": [
        {
            "name": "digits",
            "shape": [1, 784],
            "datatype": "FP32",
            "data": [v for row in BAR_DIGIT for v in row],
        }
    ],
    "outputs": [{"name": "probabilities"}],
}

V2_INFER_RESPONSE: dict[str, Any] = {
    "model_name": "digits",
    "model_version": "2026.11.21",
    "id": "batch-42",
    "outputs": [{"name": "probabilities", "shape": [1, 10], "datatype": "FP32", "data": BAR_PROBABILITIES}],
}


def json_example(example: Any, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}
