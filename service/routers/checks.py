"""POST /v1/checks/read: one check image in, the Reading out (+ the expected-amount match)."""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter, ValidationError

from checkocr.imageio import ImageDecodeError
from checkocr.matching import (
    AmountFormatError,
    ExpectedAmountMatch,
    KeyedAmount,
    match_expected,
    parse_amount,
)
from checkocr.options import DECIMALS, READERS, REGIONS, Decimal, ReaderName, Region
from checkocr.schemas import Reading
from service.auth import ApiKey
from service.deps import PoolDep, ReadyStateDep, SettingsDep
from service.examples import READING, json_example
from service.metrics import reading_outcome
from service.problems import Problem, problem_doc
from service.uploads import receive_image

router = APIRouter(prefix="/v1/checks", tags=["checks"], dependencies=[ApiKey])

T = TypeVar("T")
REGION = TypeAdapter(Region)
DECIMAL = TypeAdapter(Decimal)
READER = TypeAdapter(ReaderName)


class CheckReading(Reading):
    expected_amount_match: ExpectedAmountMatch | None = None


IMAGE_BINARY = {"schema": {"type": "string", "format": "binary"}}
REQUEST_BODY = {
    "required": True,
    "description": "The check image: a multipart file field `image` (options may also be form fields), "
    "or the raw image bytes with Content-Type image/png, image/jpeg or image/tiff (CCITT G4 included).",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["image"],
                "properties": {
                    "image": {"type": "string", "format": "binary"},
                    "region": {"type": "string", "enum": list(REGIONS)},
                    "decimal": {"type": "string", "enum": list(DECIMALS)},
                    "reader": {"type": "string", "enum": list(READERS)},
                    "expected_amount": {"type": "string", "example": "1234.56"},
                },
            }
        },
        "image/png": IMAGE_BINARY,
        "image/jpeg": IMAGE_BINARY,
        "image/tiff": IMAGE_BINARY,
    },
}


def form_option(adapter: TypeAdapter[T], fields: dict[str, str], name: str, default: T) -> T:
    """A multipart form field overrides the query parameter of the same name."""
    if name not in fields:
        return default
    try:
        return adapter.validate_python(fields[name])
    except ValidationError:
        raise Problem(
            400,
            f"form field {name}={fields[name]!r} is not one of the allowed values",
            slug="invalid-request",
        ) from None


def keyed_amount(text: str | None) -> KeyedAmount | None:
    if text is None or not text.strip():
        return None
    try:
        return parse_amount(text)
    except AmountFormatError as exc:
        raise Problem(400, str(exc), slug="invalid-request") from None


@router.post(
    "/read",
    summary="Read the courtesy amount on one check image",
    response_model=CheckReading,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: json_example(READING, "The reading; `amount` is null (with a `reason`) when nothing legible"),
        400: problem_doc(400, "expected_amount '12,3x' is not an amount like 1234.56 or 1,234.56"),
        401: problem_doc(401, "the API key is not valid"),
        413: problem_doc(413, "the request body is larger than the limit of 10485760 bytes"),
        415: problem_doc(415, "the request body cannot be text/plain; send multipart/form-data ..."),
        422: problem_doc(
            422, "the image is damaged or truncated: image file is truncated", reason="undecodable"
        ),
        503: problem_doc(503, "all 2 inference slots and 16 queue places are taken; retry shortly"),
        504: problem_doc(504, "the request did not finish within the timeout of 30 s"),
    },
)
async def read_check(
    request: Request,
    state: ReadyStateDep,
    settings: SettingsDep,
    pool: PoolDep,
    region: Annotated[
        Region, Query(description="`auto` finds the amount field; `field`: the image is it")
    ] = ("auto"),
    decimal: Annotated[Decimal, Query(description="Decimal mark; `auto` infers it from the layout")] = "auto",
    expected_amount: Annotated[
        str | None, Query(description="The amount the depositor keyed in, e.g. 1234.56 or 1,234.56")
    ] = None,
    reader: Annotated[
        ReaderName | None,
        Query(description="digits, field or fused; default: the service's CHECKOCR_READER"),
    ] = None,
) -> CheckReading:
    try:
        pool.check_capacity()  # before the upload is read: a refusal must be cheap
    except Problem:
        request.state.outcome = "rejected"
        raise
    upload = await receive_image(request, settings.max_upload_bytes)
    region = form_option(REGION, upload.fields, "region", region)
    decimal = form_option(DECIMAL, upload.fields, "decimal", decimal)
    chosen = form_option(READER, upload.fields, "reader", reader) or settings.reader
    keyed = keyed_amount(upload.fields.get("expected_amount", expected_amount))
    amount_reader = state.reader
    assert amount_reader is not None
    try:
        amount_reader.check_options(region, decimal, chosen)
    except ValueError as exc:  # e.g. reader=fused without a fusion card fitted for the loaded models
        raise Problem(400, str(exc), slug="invalid-request") from None
    request.state.outcome = "error"
    try:
        reading = await pool.run(
            "read_check",
            amount_reader.read_bytes,
            upload.data,
            region,
            decimal,
            settings.max_image_pixels,
            chosen,
        )
    except Problem as exc:
        if exc.status == 503:  # refused before any work: not a reading outcome
            request.state.outcome = "rejected"
        else:
            state.metrics.record_reading("error", None)
        raise
    except ImageDecodeError as exc:
        state.metrics.record_reading("error", None)
        raise Problem(422, exc.detail, reason=exc.reason) from None
    except Exception:
        state.metrics.record_reading("error", None)
        raise
    outcome = reading_outcome(reading)
    request.state.outcome = outcome
    state.metrics.record_reading(outcome, reading.confidence, reading.review_reasons)
    match = match_expected(reading, keyed) if keyed is not None else None
    return CheckReading(**reading.model_dump(), expected_amount_match=match)
