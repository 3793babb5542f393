"""Liveness, readiness and metrics: open endpoints (no API key) for orchestrators and Prometheus."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from service.deps import StateDep, not_ready
from service.examples import MODEL_INFO, json_example
from service.problems import problem_doc

router = APIRouter(tags=["health"])


@router.get("/livez", summary="The process is up", responses={200: json_example({"status": "ok"})})
async def livez() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The model is loaded, its sha256 matches its card, and a warm-up inference ran",
    responses={
        200: json_example(
            {
                "status": "ready",
                "model": MODEL_INFO,
                "models": [MODEL_INFO],
                "readers": ["digits", "field", "fused"],
                "default_reader": "fused",
            }
        ),
        503: problem_doc(
            503,
            "the model is not ready: model file /app/onnx_models/digits.onnx does not exist "
            "(set CHECKOCR_MODEL_PATH)",
        ),
    },
)
async def readyz(state: StateDep) -> dict[str, Any]:
    if not state.ready or state.classifier is None:
        raise not_ready(state)
    reader = state.reader
    models = [state.classifier.info.model_dump()]
    if reader is not None and reader.field_model is not None:
        models.append(reader.field_model.info.model_dump())
    if reader is not None and reader.calibrator is not None:
        models.append(reader.calibrator.info.model_dump())
    readers = ["digits"] + (["field"] if reader and reader.field_model else [])
    readers += ["fused"] if reader and reader.calibrator else []
    default = state.settings.reader
    return {
        "status": "ready",
        "model": models[0],
        "models": models,
        "readers": readers,
        "default_reader": default,
    }


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {"example": 'checkocr_readings_total{outcome="read"} 42.0\n'}}}
    },
)
async def metrics(state: StateDep) -> Response:
    body, content_type = state.metrics.exposition()
    return Response(body, media_type=content_type)
