"""POST /v1/cash-letters/verify: an X9.37 file in, every check item's reading against its keyed amount out.

The upload streams into a spooled temporary file (its size limit is ``CHECKOCR_MAX_CASH_LETTER_BYTES``,
enforced by the middleware while it arrives). The whole file is then verified in *one* inference slot,
item after item, so a cash letter never takes more of the service than one check read at a time does,
and other requests keep the other slots; its deadline is ``CHECKOCR_CASH_LETTER_TIMEOUT_S``. The items
are read by the same code as ``checkocr batch FILE.x937``, and each match is the one
``POST /v1/checks/read?expected_amount=`` gives.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from checkocr.matching import ExpectedAmountMatch
from checkocr.options import Region
from checkocr.schemas import Reading
from checkocr.x937.items import CheckItem, ItemReader
from checkocr.x937.reader import Problem as FileProblem
from checkocr.x937.verify import item_error, verify_item
from service.auth import ApiKey
from service.deps import PoolDep, ReadyStateDep, SettingsDep
from service.examples import READING
from service.metrics import reading_outcome
from service.problems import Problem, problem_doc
from service.uploads import receive_file

router = APIRouter(prefix="/v1/cash-letters", tags=["cash-letters"], dependencies=[ApiKey])


class CashLetterItem(BaseModel):
    sequence_number: str = Field(description="ECE institution item sequence number (check detail, 58-72)")
    amount_cents: int | None = Field(description="The item amount as keyed (check detail, 48-57)")
    payor_routing: str = Field(description="Payor bank routing number with its check digit")
    on_us: str = Field(description="The on-us MICR field (account, serial)")
    offset: int = Field(description="Byte offset of the item's check detail record (25)")


class ItemError(BaseModel):
    type: str
    detail: str = Field(description="What is wrong, with the byte offset and the record type")
    offset: int | None = None
    record_type: str | None = None


class FileProblemOut(BaseModel):
    type: str = Field(description="control_total, out_of_order, bad_length, truncated, unknown_record, ...")
    offset: int
    record_type: str | None
    detail: str


class ItemResult(BaseModel):
    item: CashLetterItem
    reading: Reading | None = Field(None, description="The front image's reading; null with an error")
    expected_amount_match: ExpectedAmountMatch | None = Field(
        None, description="The reading against the keyed amount, as POST /v1/checks/read gives it"
    )
    error: ItemError | None = Field(None, description="Why the item could not be read")


class Summary(BaseModel):
    items: int
    matches: int = Field(description="Items whose amount read equals the keyed amount")
    mismatches: int = Field(description="Items with an amount read that is not the keyed amount")
    unreadable: int = Field(description="Items with an error or no amount read")
    problems: int = Field(description="Problems with the file rather than one item")


class CashLetterVerification(BaseModel):
    encoding: str | None = Field(description="ebcdic or ascii")
    framing: str | None = Field(description="prefixed (4-byte record lengths) or fixed")
    complete: bool = Field(description="The file was read to its file control record without losing framing")
    summary: Summary
    items: list[ItemResult]
    problems: list[FileProblemOut]


class Cancelled(Exception):
    """The request gave up (deadline passed): the worker stops between two items."""


def verify_file(
    reader: Any, stream: BinaryIO, region: str, max_pixels: int, cancel: threading.Event
) -> CashLetterVerification:
    """Runs in an inference slot: reads every item of the file, one image in memory at a time."""
    items_reader = ItemReader(stream, keep_images=True)
    items: list[ItemResult] = []
    problems: list[FileProblemOut] = []
    counts = {"matches": 0, "mismatches": 0, "unreadable": 0}
    complete = True
    for event in items_reader:
        if cancel.is_set():
            raise Cancelled
        if isinstance(event, FileProblem):
            problems.append(FileProblemOut(**event.as_json()))  # type: ignore[arg-type]
            complete = complete and event.kind not in ("truncated", "not_x937") and not event.fatal
            continue
        result = verify_one(reader, event, region, max_pixels)
        counts[outcome_of(result)] += 1
        items.append(result)
    summary = Summary(items=len(items), problems=len(problems), **counts)
    records = items_reader.records
    return CashLetterVerification(
        encoding=records.encoding,
        framing=records.framing,
        complete=complete,
        summary=summary,
        items=items,
        problems=problems,
    )


def outcome_of(result: ItemResult) -> str:
    match, reading = result.expected_amount_match, result.reading
    if reading is None or reading.amount_cents is None or match is None:
        return "unreadable"
    return "matches" if match.matches else "mismatches"


def verify_one(reader: Any, item: CheckItem, region: str, max_pixels: int) -> ItemResult:
    error = item_error(item)
    reading = match = None
    if error is None:
        reading, match, error = verify_item(reader, item, item.image or b"", region, max_pixels)
    item.image = None  # the image is not needed past this point; do not keep it with the results
    return ItemResult(
        item=CashLetterItem(**item.as_json()),  # type: ignore[arg-type]
        reading=reading,
        expected_amount_match=match,
        error=None if error is None else ItemError(**error),
    )


EXAMPLE_ITEM = {k: v for k, v in READING.items() if k != "expected_amount_match"}
EXAMPLE = {
    "encoding": "ebcdic",
    "framing": "prefixed",
    "complete": True,
    "summary": {"items": 2, "matches": 1, "mismatches": 0, "unreadable": 1, "problems": 1},
    "items": [
        {
            "item": {
                "sequence_number": "000000000000001",
                "amount_cents": 350600,
                "payor_routing": "011817774",
                "on_us": "857603986/1330",
                "offset": 252,
            },
            "reading": EXAMPLE_ITEM,
            "expected_amount_match": {"matches": True, "probability": 0.996582},
            "error": None,
        },
        {
            "item": {
                "sequence_number": "000000000000002",
                "amount_cents": 1472,
                "payor_routing": "121000358",
                "on_us": "123456789/0042",
                "offset": 9172,
            },
            "reading": None,
            "expected_amount_match": None,
            "error": {
                "type": "undecodable",
                "detail": "byte 9838, record 52 (image view data): the front image cannot be read: "
                "not a readable PNG, JPEG or TIFF image",
                "offset": 9838,
                "record_type": "52",
            },
        },
    ],
    "problems": [
        {
            "type": "control_total",
            "offset": 15120,
            "record_type": "70",
            "detail": "byte 15120, record 70 (bundle control): the bundle control disagrees: "
            "total amount 352000 (counted 352072)",
        }
    ],
}

REQUEST_BODY = {
    "required": True,
    "description": "An X9.37 image cash letter (ANSI X9.100-187; EBCDIC or ASCII, with or without "
    "4-byte record lengths): the raw file with Content-Type application/octet-stream, or a "
    "multipart file field `file`.",
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
            }
        },
    },
}


@router.post(
    "/verify",
    summary="Read every check of an X9.37 cash letter and match it with the keyed amount",
    response_model=CashLetterVerification,
    openapi_extra={"requestBody": REQUEST_BODY},
    responses={
        200: {
            "description": "One result per check item, in file order, and the file's problems",
            "content": {"application/json": {"example": EXAMPLE}},
        },
        400: problem_doc(400, "the multipart body has no file field 'file'"),
        401: problem_doc(401, "the API key is not valid"),
        413: problem_doc(413, "the request body (90000000 bytes) is over the limit of 67108864 bytes"),
        415: problem_doc(415, "the request body cannot be image/png; send multipart/form-data ..."),
        422: problem_doc(
            422,
            "byte 0: not an X9.37 file: it must start with a file header record (type 01), ...",
            reason="not_x937",
        ),
        503: problem_doc(503, "all 2 inference slots and 16 queue places are taken; retry shortly"),
        504: problem_doc(504, "the request did not finish within the timeout of 600 s"),
    },
)
async def verify_cash_letter(
    request: Request,
    state: ReadyStateDep,
    settings: SettingsDep,
    pool: PoolDep,
    region: Annotated[
        Region, Query(description="`auto` finds the amount field on each front image; `field`: they are it")
    ] = "auto",
) -> CashLetterVerification:
    try:
        pool.check_capacity()  # before the upload is read: a refusal must be cheap
    except Problem:
        request.state.outcome = "rejected"
        raise
    reader = state.reader
    assert reader is not None
    request.state.outcome = "error"
    cancel = threading.Event()
    async with receive_file(request, settings.max_cash_letter_bytes) as stream:
        try:
            result = await pool.run(
                "verify_cash_letter",
                verify_file,
                reader,
                stream,
                region,
                settings.max_image_pixels,
                cancel,
                timeout_s=settings.cash_letter_timeout_s,
            )
        except Problem as exc:
            cancel.set()
            if exc.status == 503:
                request.state.outcome = "rejected"
            raise
    if not result.items and any(p.type == "not_x937" for p in result.problems):
        raise Problem(422, result.problems[0].detail, slug="unprocessable-cash-letter", reason="not_x937")
    for item in result.items:
        record_outcome(state, item)
    request.state.outcome = "verified"
    return result


def record_outcome(state: Any, item: ItemResult) -> None:
    reading = item.reading
    if reading is None:
        state.metrics.record_reading("error", None)
    else:
        state.metrics.record_reading(reading_outcome(reading), reading.confidence, reading.review_reasons)
