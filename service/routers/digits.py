"""POST /v1/digits/classify: a batch of digit images straight to the model, for callers who segment
themselves (or want to audit a glyph the reader flagged)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from checkocr.classifier import DigitClassifier
from checkocr.imageio import ImageDecodeError, decode_grey
from checkocr.schemas import Alternative, ModelInfo
from segmentation.normalize import EmptyGlyphError, to_mnist
from service.auth import ApiKey
from service.deps import ClassifierDep, PoolDep, SettingsDep
from service.examples import DIGITS_REQUEST, DIGITS_RESPONSE, json_example
from service.problems import Problem, problem_doc
from service.uploads import MULTIPART, media_type_of, receive_images

router = APIRouter(prefix="/v1/digits", tags=["digits"], dependencies=[ApiKey])

MAX_BATCH = 256
TOP_K = 3


class DigitResult(BaseModel):
    index: int
    digit: str
    confidence: float
    top: list[Alternative] = Field(description=f"The {TOP_K} most likely classes, best first")
    probabilities: list[float] = Field(description="Calibrated probabilities of classes 0..9")


class DigitsResponse(BaseModel):
    model: ModelInfo
    results: list[DigitResult]


REQUEST_BODY = {
    "required": True,
    "description": f"Up to {MAX_BATCH} digits, either as JSON `images`: 28x28 arrays of floats in [0, 1], "
    "white ink on black, MNIST-centred (the model's input contract), or as multipart file fields `images` "
    "holding glyph images of any size (dark ink on light paper), normalised server-side with "
    "`segmentation.normalize.to_mnist`.",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["images"],
                "properties": {
                    "images": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_BATCH,
                        "items": {
                            "type": "array",
                            "minItems": 28,
                            "maxItems": 28,
                            "items": {
                                "type": "array",
                                "minItems": 28,
                                "maxItems": 28,
                                "items": {"type": "number", "minimum": 0, "maximum": 1},
                            },
                        },
                    }
                },
            },
            "example": DIGITS_REQUEST,
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["images"],
                "properties": {
                    "images": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "format": "binary"},
                    }
                },
            }
        },
    },
}


def too_many(count: int) -> Problem:
    return Problem(
        413, f"{count} digit images in one request; the limit is {MAX_BATCH}", slug="batch-too-large"
    )


def tensor_from_json(payload: Any) -> np.ndarray:
    """The JSON ``images`` as [N, 28, 28, 1]; shape or range errors are 422 (well-formed, unusable)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("images"), list):
        raise Problem(400, "the JSON body must be an object with a list 'images'", slug="invalid-request")
    images = payload["images"]
    if not images:
        raise Problem(400, "'images' is empty", slug="invalid-request")
    if len(images) > MAX_BATCH:
        raise too_many(len(images))
    try:
        batch = np.asarray(images, dtype=np.float32)
    except (ValueError, TypeError):
        raise Problem(
            422, "'images' must be numbers in 28x28 arrays of equal shape", reason="bad_shape"
        ) from None
    if batch.ndim == 3:
        batch = batch[..., None]
    if batch.shape[1:] != (28, 28, 1):
        raise Problem(422, f"each image must be 28x28, got shape {list(batch.shape[1:])}", reason="bad_shape")
    if not np.isfinite(batch).all() or batch.min() < 0.0 or batch.max() > 1.0:
        raise Problem(
            422, "pixel values must be finite and in [0, 1] (white ink on black)", reason="out_of_range"
        )
    return batch


def tensor_from_glyphs(files: list[bytes], max_pixels: int) -> np.ndarray:
    """Decodes glyph images (dark ink on paper) and normalises each with the one MNIST contract."""
    digits = []
    for index, data in enumerate(files):
        try:
            grey = decode_grey(data, max_pixels)
            digits.append(to_mnist(255 - grey))
        except ImageDecodeError as exc:
            raise Problem(422, f"image {index}: {exc.detail}", reason=exc.reason, index=index) from None
        except EmptyGlyphError:
            raise Problem(422, f"image {index} holds no ink", reason="empty_glyph", index=index) from None
    return np.stack(digits)[..., None].astype(np.float32)


def results_of(probabilities: np.ndarray, classes: list[str]) -> list[DigitResult]:
    results = []
    for index, row in enumerate(probabilities):
        order = np.argsort(row)[::-1]
        results.append(
            DigitResult(
                index=index,
                digit=classes[order[0]],
                confidence=float(row[order[0]]),
                top=[
                    Alternative(char=classes[k], confidence=float(np.clip(row[k], 0, 1)))
                    for k in order[:TOP_K]
                ],
                probabilities=[round(float(p), 6) for p in row],
            )
        )
    return results


def classify_json(classifier: DigitClassifier, body: bytes) -> np.ndarray:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise Problem(400, f"the body is not valid JSON: {exc}", slug="invalid-request") from None
    return classifier.predict(tensor_from_json(payload))


def classify_glyphs(classifier: DigitClassifier, files: list[bytes], max_pixels: int) -> np.ndarray:
    return classifier.predict(tensor_from_glyphs(files, max_pixels))


@router.post(
    "/classify",
    summary="Classify a batch of digit images",
    response_model=DigitsResponse,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: json_example(DIGITS_RESPONSE),
        400: problem_doc(400, "the JSON body must be an object with a list 'images'"),
        401: problem_doc(401, "an API key is required"),
        413: problem_doc(413, f"300 digit images in one request; the limit is {MAX_BATCH}"),
        415: problem_doc(415, "the request body cannot be text/plain"),
        422: problem_doc(422, "each image must be 28x28, got shape [27, 28, 1]", reason="bad_shape"),
        503: problem_doc(503, "the model is not ready: model file onnx_models/digits.onnx does not exist"),
    },
)
async def classify_digits(
    request: Request, classifier: ClassifierDep, settings: SettingsDep, pool: PoolDep
) -> DigitsResponse:
    # Parsing, normalising and inference are all CPU work: one trip to the worker pool per request.
    media_type = media_type_of(request.headers.get("content-type"))
    if media_type == "application/json":
        body = await request.body()
        probabilities = await pool.run("classify_digits", classify_json, classifier, body)
    elif media_type == MULTIPART:
        # Starlette's parser itself refuses more than MAX_BATCH file parts (400, "Too many files").
        files = await receive_images(request, MAX_BATCH, settings.max_upload_bytes, "images")
        probabilities = await pool.run(
            "classify_digits", classify_glyphs, classifier, files, settings.max_image_pixels
        )
    else:
        shown = media_type or "untyped"
        raise Problem(415, f"the body cannot be {shown}; send application/json or multipart/form-data")
    return DigitsResponse(
        model=classifier.info, results=results_of(probabilities, classifier.card.output.classes)
    )
