"""The Open Inference Protocol (KServe V2) for the digit model, so the model can sit behind standard
inference gateways and clients (tritonclient, kserve) without checkocr-specific code.

Protocol errors use the V2 shape ``{"error": "..."}``; cross-cutting refusals (auth, body limit,
saturation) stay problem+json like the rest of the service.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from checkocr.classifier import DigitClassifier
from service.auth import ApiKey
from service.deps import PoolDep, StateDep
from service.examples import V2_INFER_REQUEST, V2_INFER_RESPONSE, json_example
from service.routers.digits import MAX_BATCH
from service.state import SERVICE_VERSION, ServiceState

health = APIRouter(prefix="/v2", tags=["kserve-v2"])
router = APIRouter(prefix="/v2", tags=["kserve-v2"], dependencies=[ApiKey])

DIGIT_SIZE = 28 * 28
V2_ERROR = {"content": {"application/json": {"example": {"error": "unknown model 'letters'"}}}}


class V2Error(Exception):
    """Answered as ``{"error": message}`` with ``status``, as the protocol specifies."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


async def handle_v2_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, V2Error)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


class TensorInput(BaseModel):
    name: str
    shape: list[int]
    datatype: str
    data: list[Any]
    parameters: dict[str, Any] | None = None


class RequestedOutput(BaseModel):
    name: str
    parameters: dict[str, Any] | None = None


class InferRequest(BaseModel):
    id: str | None = None
    parameters: dict[str, Any] | None = None
    inputs: list[TensorInput] = Field(min_length=1)
    outputs: list[RequestedOutput] | None = None


def served_model(state: ServiceState, name: str) -> DigitClassifier:
    if not state.ready or state.classifier is None:
        raise V2Error(503, f"model is not ready: {state.problem}")
    if name != state.classifier.card.name:
        raise V2Error(404, f"unknown model '{name}'; this server serves '{state.classifier.card.name}'")
    return state.classifier


def input_tensor(request: InferRequest, classifier: DigitClassifier) -> np.ndarray:
    expected = classifier.card.input.name
    if len(request.inputs) != 1 or request.inputs[0].name != expected:
        names = [tensor.name for tensor in request.inputs]
        raise V2Error(400, f"expected exactly one input named '{expected}', got {names}")
    tensor = request.inputs[0]
    if tensor.datatype != "FP32":
        raise V2Error(400, f"input '{expected}' must have datatype FP32, got {tensor.datatype}")
    shape = tensor.shape
    if not shape or shape[0] < 1 or math.prod(shape[1:]) != DIGIT_SIZE or any(d < 1 for d in shape):
        raise V2Error(400, f"input shape must be [N, 28, 28, 1], [N, 28, 28] or [N, 784]; got {shape}")
    if shape[0] > MAX_BATCH:
        raise V2Error(400, f"batch of {shape[0]} is over the limit of {MAX_BATCH}")
    try:  # V2 allows the data flat or as nested row-major lists
        data = np.asarray(tensor.data, dtype=np.float32).ravel()
    except (ValueError, TypeError):
        raise V2Error(400, "input data must be numbers (a flat list or equal-length nested lists)") from None
    if data.size != math.prod(shape):
        raise V2Error(400, f"shape {shape} needs {math.prod(shape)} values, data has {data.size}")
    batch = data.reshape(shape[0], 28, 28, 1)
    if not np.isfinite(batch).all() or batch.min() < 0.0 or batch.max() > 1.0:
        raise V2Error(400, "input values must be finite and in [0, 1] (white ink on black)")
    return batch


def run_inference(classifier: DigitClassifier, body: bytes) -> tuple[InferRequest, np.ndarray]:
    """Parses and checks the request, then predicts; runs in the worker pool (all of it is CPU work)."""
    try:
        payload = InferRequest.model_validate_json(body)
    except ValueError as exc:
        raise V2Error(400, f"invalid inference request: {exc}") from None
    output_name = classifier.card.output.name
    requested = [output.name for output in payload.outputs or []]
    if any(name != output_name for name in requested):
        raise V2Error(400, f"unknown output {requested}; this model has only '{output_name}'")
    return payload, classifier.predict(input_tensor(payload, classifier))


@health.get("/health/live", summary="V2 liveness", responses={200: json_example({"live": True})})
async def v2_live() -> dict[str, bool]:
    return {"live": True}


@health.get(
    "/health/ready",
    summary="V2 readiness (200 ready, 503 not)",
    responses={200: json_example({"ready": True}), 503: json_example({"ready": False}, "Not ready")},
)
async def v2_ready(state: StateDep) -> JSONResponse:
    return JSONResponse({"ready": state.ready}, status_code=200 if state.ready else 503)


@health.get(
    "/models/{name}/ready",
    summary="V2 model readiness",
    responses={200: json_example({"name": "digits", "ready": True}), 404: V2_ERROR, 503: V2_ERROR},
)
async def v2_model_ready(name: str, state: StateDep) -> dict[str, Any]:
    served_model(state, name)
    return {"name": name, "ready": True}


@router.get(
    "",
    summary="V2 server metadata",
    responses={200: json_example({"name": "checkocr", "version": "0.1.0", "extensions": []})},
)
async def v2_server_metadata() -> dict[str, Any]:
    return {"name": "checkocr", "version": SERVICE_VERSION, "extensions": []}


@router.get(
    "/models/{name}",
    summary="V2 model metadata",
    responses={
        200: json_example(
            {
                "name": "digits",
                "versions": ["2026.11.21"],
                "platform": "onnxruntime_onnx",
                "inputs": [{"name": "digits", "datatype": "FP32", "shape": [-1, 28, 28, 1]}],
                "outputs": [{"name": "probabilities", "datatype": "FP32", "shape": [-1, 10]}],
            }
        ),
        404: V2_ERROR,
        503: V2_ERROR,
    },
)
async def v2_model_metadata(name: str, state: StateDep) -> dict[str, Any]:
    card = served_model(state, name).card
    return {
        "name": card.name,
        "versions": [card.version],
        "platform": "onnxruntime_onnx",
        "inputs": [{"name": card.input.name, "datatype": "FP32", "shape": [-1, 28, 28, 1]}],
        "outputs": [{"name": card.output.name, "datatype": "FP32", "shape": [-1, len(card.output.classes)]}],
    }


@router.post(
    "/models/{name}/infer",
    summary="V2 inference on a batch of 28x28 digit tensors",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"example": V2_INFER_REQUEST}},
        }
    },
    responses={200: json_example(V2_INFER_RESPONSE), 400: V2_ERROR, 404: V2_ERROR, 503: V2_ERROR},
)
async def v2_infer(name: str, request: Request, state: StateDep, pool: PoolDep) -> dict[str, Any]:
    classifier = served_model(state, name)
    payload, probabilities = await pool.run("v2_infer", run_inference, classifier, await request.body())
    output_name = classifier.card.output.name
    response: dict[str, Any] = {
        "model_name": classifier.card.name,
        "model_version": classifier.card.version,
        "outputs": [
            {
                "name": output_name,
                "shape": list(probabilities.shape),
                "datatype": "FP32",
                "data": [float(p) for p in probabilities.ravel()],
            }
        ],
    }
    if payload.id is not None:
        response["id"] = payload.id
    return response
