"""X9.37 record layouts: which record types exist, how long they are, where each field sits.

Positions follow ANSI X9.100-187 as moov-io/imagecashletter reads it (``checkDetail.go``,
``imageViewDetail.go``, ``imageViewData.go``, ...): 1-based and inclusive, as the standard numbers
them, so a field can be checked against the standard by eye. Every record is 80 characters except
the check detail addendum B (27, which carries a variable image reference key) and the image view
data (52, which carries the image); their lengths come from their own length fields.

Text is EBCDIC (code page 037) or ASCII, the same for the whole file; only image data and digital
signatures in a 52 record are binary.
"""

from __future__ import annotations

from dataclasses import dataclass

RECORD_LENGTH = 80
TEXT_CODECS = {"ebcdic": "cp037", "ascii": "ascii"}

# Image view data (52): fixed part, then the variable key, signature and image with their lengths.
IMAGE_FIXED = 105  # positions 1-105, up to and including the image reference key length
KEY_LENGTH_DIGITS = 4  # positions 102-105
SIGNATURE_LENGTH_DIGITS = 5
IMAGE_LENGTH_DIGITS = 7
MAX_IMAGE_RECORD = IMAGE_FIXED + 9999 + SIGNATURE_LENGTH_DIGITS + 99999 + IMAGE_LENGTH_DIGITS + 9_999_999

# Check detail addendum B (27): 22 fixed characters, the key (length in 19-22), then 24 more.
ADDENDUM_B_FIXED = 22
ADDENDUM_B_TAIL = 24


@dataclass(frozen=True)
class Field:
    name: str
    start: int  # 1-based, inclusive
    end: int  # 1-based, inclusive

    def cut(self, text: str) -> str:
        return text[self.start - 1 : self.end]

    @property
    def width(self) -> int:
        return self.end - self.start + 1


@dataclass(frozen=True)
class Layout:
    code: str
    name: str
    fields: tuple[Field, ...]
    variable: bool = False  # length from the record's own length field (27, 52)

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"record {self.code} has no field {name!r}")

    def parse(self, text: str) -> dict[str, str]:
        """Field values with trailing blanks removed (numbers keep their leading zeros)."""
        return {f.name: f.cut(text).rstrip() for f in self.fields}


def _layout(code: str, name: str, *fields: tuple[str, int, int], variable: bool = False) -> Layout:
    return Layout(code, name, tuple(Field(n, s, e) for n, s, e in fields), variable)


LAYOUTS: dict[str, Layout] = {
    layout.code: layout
    for layout in (
        _layout(
            "01",
            "file header",
            ("standard_level", 3, 4),
            ("test_file_indicator", 5, 5),
            ("immediate_destination", 6, 14),
            ("immediate_origin", 15, 23),
            ("creation_date", 24, 31),
            ("creation_time", 32, 35),
            ("resend_indicator", 36, 36),
            ("immediate_destination_name", 37, 54),
            ("immediate_origin_name", 55, 72),
            ("file_id_modifier", 73, 73),
            ("country_code", 74, 75),
            ("user_field", 76, 79),
            ("companion_document_indicator", 80, 80),
        ),
        _layout(
            "10",
            "cash letter header",
            ("collection_type", 3, 4),
            ("destination_routing", 5, 13),
            ("ece_institution_routing", 14, 22),
            ("business_date", 23, 30),
            ("creation_date", 31, 38),
            ("creation_time", 39, 42),
            ("record_type_indicator", 43, 43),
            ("documentation_type_indicator", 44, 44),
            ("cash_letter_id", 45, 52),
            ("originator_contact_name", 53, 66),
            ("originator_contact_phone", 67, 76),
            ("fed_work_type", 77, 77),
            ("returns_indicator", 78, 78),
            ("user_field", 79, 79),
            ("reserved", 80, 80),
        ),
        _layout(
            "20",
            "bundle header",
            ("collection_type", 3, 4),
            ("destination_routing", 5, 13),
            ("ece_institution_routing", 14, 22),
            ("business_date", 23, 30),
            ("creation_date", 31, 38),
            ("bundle_id", 39, 48),
            ("bundle_sequence_number", 49, 52),
            ("cycle_number", 53, 54),
            ("return_location_routing", 55, 63),
            ("user_field", 64, 68),
            ("reserved", 69, 80),
        ),
        _layout(
            "25",
            "check detail",
            ("auxiliary_on_us", 3, 17),
            ("external_processing_code", 18, 18),
            ("payor_routing", 19, 26),
            ("payor_check_digit", 27, 27),
            ("on_us", 28, 47),
            ("item_amount", 48, 57),
            ("sequence_number", 58, 72),
            ("documentation_type_indicator", 73, 73),
            ("return_acceptance_indicator", 74, 74),
            ("micr_valid_indicator", 75, 75),
            ("bofd_indicator", 76, 76),
            ("addendum_count", 77, 78),
            ("correction_indicator", 79, 79),
            ("archive_type_indicator", 80, 80),
        ),
        _layout(
            "26",
            "check detail addendum A",
            ("record_number", 3, 3),
            ("return_location_routing", 4, 12),
            ("bofd_endorsement_date", 13, 20),
            ("bofd_item_sequence_number", 21, 35),
            ("bofd_account_number", 36, 53),
            ("bofd_branch_code", 54, 58),
            ("payee_name", 59, 73),
            ("truncation_indicator", 74, 74),
            ("bofd_conversion_indicator", 75, 75),
            ("bofd_correction_indicator", 76, 76),
            ("user_field", 77, 77),
            ("reserved", 78, 80),
        ),
        _layout(
            "27",
            "check detail addendum B",
            ("image_reference_key_indicator", 3, 3),
            ("microfilm_archive_sequence_number", 4, 18),
            ("image_reference_key_length", 19, 22),
            variable=True,
        ),
        _layout(
            "28",
            "check detail addendum C",
            ("record_number", 3, 4),
            ("endorsing_bank_routing", 5, 13),
            ("endorsement_date", 14, 21),
            ("endorsing_item_sequence_number", 22, 36),
            ("truncation_indicator", 37, 37),
            ("conversion_indicator", 38, 38),
            ("correction_indicator", 39, 39),
            ("return_reason", 40, 40),
            ("user_field", 41, 59),
            ("endorsing_bank_identifier", 60, 60),
            ("reserved", 61, 80),
        ),
        _layout(
            "50",
            "image view detail",
            ("image_indicator", 3, 3),
            ("image_creator_routing", 4, 12),
            ("image_creator_date", 13, 20),
            ("format_indicator", 21, 22),
            ("compression_algorithm", 23, 24),
            ("data_size", 25, 31),
            ("view_side", 32, 32),
            ("view_descriptor", 33, 34),
            ("digital_signature_indicator", 35, 35),
            ("digital_signature_method", 36, 37),
            ("security_key_size", 38, 42),
            ("protected_data_start", 43, 49),
            ("protected_data_length", 50, 56),
            ("image_recreate_indicator", 57, 57),
            ("user_field", 58, 65),
            ("reserved", 66, 66),
            ("override_indicator", 67, 67),
            ("reserved_two", 68, 80),
        ),
        _layout(
            "52",
            "image view data",
            ("ece_institution_routing", 3, 11),
            ("bundle_business_date", 12, 19),
            ("cycle_number", 20, 21),
            ("sequence_number", 22, 36),
            ("security_originator_name", 37, 52),
            ("security_authenticator_name", 53, 68),
            ("security_key_name", 69, 84),
            ("clipping_origin", 85, 85),
            ("clipping_h1", 86, 89),
            ("clipping_h2", 90, 93),
            ("clipping_v1", 94, 97),
            ("clipping_v2", 98, 101),
            ("image_reference_key_length", 102, 105),
            variable=True,
        ),
        _layout(
            "70",
            "bundle control",
            ("items_count", 3, 6),
            ("total_amount", 7, 18),
            ("micr_valid_total_amount", 19, 30),
            ("images_count", 31, 35),
            ("user_field", 36, 55),
            ("credit_total_indicator", 56, 56),
            ("reserved", 57, 80),
        ),
        _layout(
            "90",
            "cash letter control",
            ("bundle_count", 3, 8),
            ("items_count", 9, 16),
            ("total_amount", 17, 30),
            ("images_count", 31, 39),
            ("ece_institution_name", 40, 57),
            ("settlement_date", 58, 65),
            ("credit_total_indicator", 66, 66),
            ("reserved", 67, 80),
        ),
        _layout(
            "99",
            "file control",
            ("cash_letter_count", 3, 8),
            ("total_record_count", 9, 16),
            ("total_item_count", 17, 24),
            ("total_amount", 25, 40),
            ("immediate_origin_contact_name", 41, 54),
            ("immediate_origin_contact_phone", 55, 64),
            ("credit_total_indicator", 65, 65),
            ("reserved", 66, 80),
        ),
    )
}

# Defined by X9.100-187 and allowed in a file, but nothing this reader needs: skipped, 80 characters
# unless a length prefix says otherwise.
SKIPPED = {"54": "image view analysis", "68": "user record", "85": "routing number summary"}


def record_name(code: str) -> str:
    """'25 (check detail)' for messages; unknown codes are shown as they are."""
    layout = LAYOUTS.get(code)
    name = layout.name if layout else SKIPPED.get(code)
    return f"{code} ({name})" if name else repr(code)


def is_known(code: str) -> bool:
    return code in LAYOUTS or code in SKIPPED


def number(value: str) -> int | None:
    """A numeric field as an int; None when it holds anything but ASCII digits (blank included)."""
    return int(value) if value.isascii() and value.isdigit() else None


def routing_check_digit(first_eight: str) -> str:
    """The ABA check digit: 3-7-1 weights over the eight digits, to the next multiple of ten."""
    weights = (3, 7, 1, 3, 7, 1, 3, 7)
    total = sum(int(d) * w for d, w in zip(first_eight, weights, strict=True))
    return str((10 - total % 10) % 10)
