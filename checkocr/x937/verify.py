"""One check item verified: its front image read, and the amount read matched with the keyed amount.

The batch command and ``POST /v1/cash-letters/verify`` both go through ``verify_item``, and the match
is ``checkocr.matching.match_expected`` with the keyed amount written as ``expected_amount`` would be
("1234.56"), so a cash-letter item gets exactly the ``expected_amount_match`` that
``POST /v1/checks/read?expected_amount=...`` gives for the same image.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from checkocr.imageio import ImageDecodeError
from checkocr.matching import ExpectedAmountMatch, KeyedAmount, match_expected, parse_amount
from checkocr.x937.items import CheckItem
from checkocr.x937.reader import Problem

if TYPE_CHECKING:
    from checkocr.reader import Reader
    from checkocr.schemas import Reading

log = logging.getLogger(__name__)


def amount_text(cents: int) -> str:
    """Cents as the decimal string a depositor keys in: 123456 -> '1234.56'."""
    return f"{cents // 100}.{cents % 100:02d}"


def keyed_amount(cents: int) -> KeyedAmount:
    return parse_amount(amount_text(cents))


def match_keyed(reading: Reading, cents: int | None) -> ExpectedAmountMatch | None:
    return None if cents is None else match_expected(reading, keyed_amount(cents))


def item_error(item: CheckItem) -> dict[str, Any] | None:
    """The error of an item that cannot be read (its first problem; the detail names them all)."""
    if not item.problems:
        return None
    first = item.problems[0]
    return {
        "type": first.kind,
        "detail": "; ".join(problem.message() for problem in item.problems),
        "offset": first.offset,
        "record_type": first.code,
    }


def image_error(item: CheckItem, reason: str, detail: str) -> dict[str, Any]:
    offset = item.image_offset if item.image_offset is not None else item.offset
    problem = Problem(reason, offset, "52", f"the front image cannot be read: {detail}")
    return {"type": reason, "detail": problem.message(), "offset": offset, "record_type": "52"}


def verify_item(
    reader: Reader, item: CheckItem, image: bytes, region: str, max_pixels: int
) -> tuple[Reading | None, ExpectedAmountMatch | None, dict[str, Any] | None]:
    """(reading, match, None), or (None, None, error) when the image cannot be decoded or read."""
    try:
        reading = reader.read_bytes(image, region=region, max_pixels=max_pixels)  # type: ignore[arg-type]
    except ImageDecodeError as exc:
        return None, None, image_error(item, exc.reason, exc.detail)
    except Exception as exc:  # one odd image must not stop a file of thousands
        log.warning("reading item %s failed: %s: %s", item.sequence_number, type(exc).__name__, exc)
        return None, None, image_error(item, "internal_error", f"{type(exc).__name__}: {exc}")
    return reading, match_keyed(reading, item.amount_cents), None


def item_line(
    item: CheckItem,
    reading: Reading | None,
    match: ExpectedAmountMatch | None,
    error: dict[str, Any] | None,
) -> dict[str, Any]:
    """A batch line without its source: item, then the reading and its match, or the error."""
    line: dict[str, Any] = {"item": item.as_json()}
    if error is not None:
        line["error"] = error
        return line
    assert reading is not None
    line.update(reading.model_dump(mode="json"))
    line["expected_amount_match"] = None if match is None else match.model_dump(mode="json")
    return line
