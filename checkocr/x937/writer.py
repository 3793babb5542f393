"""Writes valid X9.37 files, for tests, demos and benchmarks: ``write_cash_letter``.

One file header, one cash letter, bundles of ``bundle_size`` items, each item a check detail (25)
with one addendum A (26) and a front and a back image view (50 + 52 each), then the bundle, cash
letter and file controls with their totals. Items are written as they come from the iterable, so a
file of any size is written with flat memory. Both text encodings (EBCDIC cp037, ASCII) and both
framings (4-byte big-endian length prefixes, or none) are written, which is what the reader's tests
need; the layouts are the reader's own (``records.LAYOUTS``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO, Literal

from checkocr.x937.records import LAYOUTS, TEXT_CODECS, routing_check_digit

Encoding = Literal["ebcdic", "ascii"]
Framing = Literal["prefixed", "fixed"]
ENCODINGS = ("ebcdic", "ascii")
FRAMINGS = ("prefixed", "fixed")
MAX_AMOUNT_CENTS = 9_999_999_999  # the 10 digits of the check detail's amount field


@dataclass(frozen=True)
class WriterItem:
    sequence_number: str  # up to 15 characters, digits
    amount_cents: int  # the amount as keyed: what goes in the check detail record
    payor_routing: str  # 9 digits, the last one the check digit
    on_us: str
    front: bytes  # the front image (TIFF)
    back: bytes | None = None


@dataclass
class WriteSummary:
    items: int = 0
    amount_cents: int = 0
    records: int = 0
    bytes: int = 0


def routing(first_eight: str) -> str:
    """A nine-digit routing number with a valid check digit."""
    return first_eight + routing_check_digit(first_eight)


def fill(code: str, **values: object) -> str:
    """An 80-character (or, for 52, 105-character) record: numbers zero-padded, text blank-padded."""
    layout = LAYOUTS[code]
    width = layout.fields[-1].end
    chars = [" "] * width
    chars[0:2] = code
    for name, value in values.items():
        spec = layout.field(name)
        text = str(value).zfill(spec.width) if isinstance(value, int) else str(value).ljust(spec.width)
        if len(text) != spec.width:
            raise ValueError(f"{name}={value!r} does not fit the {spec.width} characters of record {code}")
        chars[spec.start - 1 : spec.end] = text
    return "".join(chars)


class CashLetterWriter:
    def __init__(
        self,
        stream: BinaryIO,
        encoding: Encoding = "ebcdic",
        framing: Framing = "prefixed",
        business_date: str = "20261121",
        origin: str = routing("07640125"),
        destination: str = routing("01100001"),
    ) -> None:
        if encoding not in ENCODINGS:
            raise ValueError(f"encoding must be one of {', '.join(ENCODINGS)}, not {encoding!r}")
        if framing not in FRAMINGS:
            raise ValueError(f"framing must be one of {', '.join(FRAMINGS)}, not {framing!r}")
        self.stream = stream
        self.codec = TEXT_CODECS[encoding]
        self.framing = framing
        self.date = business_date
        self.origin = origin
        self.destination = destination
        self.summary = WriteSummary()

    def emit(self, text: str, binary: bytes = b"") -> None:
        body = text.encode(self.codec) + binary
        if self.framing == "prefixed":
            body = len(body).to_bytes(4, "big") + body
        self.stream.write(body)
        self.summary.records += 1
        self.summary.bytes += len(body)

    def header(self) -> None:
        self.emit(
            fill(
                "01",
                standard_level="03",
                test_file_indicator="T",
                immediate_destination=self.destination,
                immediate_origin=self.origin,
                creation_date=self.date,
                creation_time="1200",
                resend_indicator="N",
                immediate_destination_name="CHECKOCR DEST",
                immediate_origin_name="CHECKOCR SYNTH",
                file_id_modifier="A",
                country_code="US",
            )
        )
        self.emit(
            fill(
                "10",
                collection_type="01",
                destination_routing=self.destination,
                ece_institution_routing=self.origin,
                business_date=self.date,
                creation_date=self.date,
                creation_time="1200",
                record_type_indicator="I",
                documentation_type_indicator="G",
                cash_letter_id="CL000001",
                originator_contact_name="CHECKOCR",
                originator_contact_phone="5550100000",
            )
        )

    def bundle_header(self, number: int) -> None:
        self.emit(
            fill(
                "20",
                collection_type="01",
                destination_routing=self.destination,
                ece_institution_routing=self.origin,
                business_date=self.date,
                creation_date=self.date,
                bundle_id=f"B{number:09d}",
                bundle_sequence_number=number % 10000,
                cycle_number="01",
            )
        )

    def item(self, item: WriterItem) -> int:
        """Writes one item's records; returns its number of image views."""
        if not 0 <= item.amount_cents <= MAX_AMOUNT_CENTS:
            raise ValueError(f"amount {item.amount_cents} cents does not fit the 10-digit amount field")
        self.emit(
            fill(
                "25",
                payor_routing=item.payor_routing[:8],
                payor_check_digit=item.payor_routing[8:9],
                on_us=item.on_us,
                item_amount=item.amount_cents,
                sequence_number=item.sequence_number,
                documentation_type_indicator="G",
                return_acceptance_indicator="0",
                micr_valid_indicator=1,
                bofd_indicator="Y",
                addendum_count=1,
                correction_indicator=0,
                archive_type_indicator="B",
            )
        )
        self.emit(
            fill(
                "26",
                record_number=1,
                return_location_routing=self.origin,
                bofd_endorsement_date=self.date,
                bofd_item_sequence_number=item.sequence_number,
                truncation_indicator="Y",
                bofd_conversion_indicator="2",
                bofd_correction_indicator="0",
            )
        )
        views = [(0, item.front)] + ([(1, item.back)] if item.back is not None else [])
        for side, image in views:
            self.emit(
                fill(
                    "50",
                    image_indicator=1,
                    image_creator_routing=self.origin,
                    image_creator_date=self.date,
                    format_indicator="00",
                    compression_algorithm="00",
                    data_size=len(image),
                    view_side=side,
                    view_descriptor="00",
                    digital_signature_indicator=0,
                    image_recreate_indicator=0,
                    override_indicator="0",
                )
            )
            fixed = fill(
                "52",
                ece_institution_routing=self.origin,
                bundle_business_date=self.date,
                cycle_number="01",
                sequence_number=item.sequence_number,
                clipping_origin=0,
                image_reference_key_length=0,
            )
            self.emit(fixed + "00000" + f"{len(image):07d}", image)
        self.summary.items += 1
        self.summary.amount_cents += item.amount_cents
        return len(views)

    def bundle_control(self, items: int, amount: int, images: int) -> None:
        self.emit(
            fill(
                "70",
                items_count=items,
                total_amount=amount,
                micr_valid_total_amount=amount,
                images_count=images,
                credit_total_indicator=0,
            )
        )

    def trailer(self, bundles: int, images: int) -> None:
        self.emit(
            fill(
                "90",
                bundle_count=bundles,
                items_count=self.summary.items,
                total_amount=self.summary.amount_cents,
                images_count=images,
                ece_institution_name="CHECKOCR SYNTH",
                settlement_date=self.date,
                credit_total_indicator=0,
            )
        )
        self.emit(
            fill(
                "99",
                cash_letter_count=1,
                total_record_count=self.summary.records + 1,
                total_item_count=self.summary.items,
                total_amount=self.summary.amount_cents,
                immediate_origin_contact_name="CHECKOCR",
                immediate_origin_contact_phone="5550100000",
                credit_total_indicator=0,
            )
        )


def write_cash_letter(
    stream: BinaryIO,
    items: Iterable[WriterItem],
    *,
    encoding: Encoding = "ebcdic",
    framing: Framing = "prefixed",
    bundle_size: int = 100,
) -> WriteSummary:
    """Writes a whole file to ``stream``, one item at a time; returns what was written."""
    if bundle_size < 1:
        raise ValueError(f"bundle_size must be at least 1, got {bundle_size}")
    writer = CashLetterWriter(stream, encoding, framing)
    writer.header()
    bundles = images = 0
    in_bundle = bundle_amount = bundle_images = 0
    for item in items:
        if in_bundle == 0:
            bundles += 1
            writer.bundle_header(bundles)
        views = writer.item(item)
        in_bundle += 1
        bundle_amount += item.amount_cents
        bundle_images += views
        images += views
        if in_bundle == bundle_size:
            writer.bundle_control(in_bundle, bundle_amount, bundle_images)
            in_bundle = bundle_amount = bundle_images = 0
    if in_bundle:
        writer.bundle_control(in_bundle, bundle_amount, bundle_images)
    writer.trailer(bundles, images)
    return writer.summary
