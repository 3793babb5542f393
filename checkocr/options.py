"""The option vocabularies, defined once: the reader, the command line, the service and batch use these.

Each is a ``StrEnum`` (so ``checkocr --help`` lists the values and a member compares equal to its
string) and a ``Literal`` of the same values for type hints and the API schema.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

Region = Literal["auto", "field"]  # auto: find the amount field on the check; field: the image is it
Decimal = Literal["auto", ".", ","]  # the decimal mark; auto: decided from the amount's layout
ReaderName = Literal["digits", "field", "fused"]

REGIONS: tuple[str, ...] = get_args(Region)
DECIMALS: tuple[str, ...] = get_args(Decimal)
READERS: tuple[str, ...] = get_args(ReaderName)


class RegionChoice(StrEnum):
    """Where the amount is: ``auto`` finds the field on a whole check; ``field``: the image is the field."""

    auto = "auto"
    field = "field"


class DecimalChoice(StrEnum):
    """The decimal mark: ``auto`` decides from the layout of the amount."""

    auto = "auto"
    dot = "."
    comma = ","


class ReaderChoice(StrEnum):
    """digits: split + classify; field: CTC over the whole field; fused: both, one calibrated choice."""

    digits = "digits"
    field = "field"
    fused = "fused"


class Engine(StrEnum):
    """Batch engine: a local process pool or Ray Data."""

    local = "local"
    ray = "ray"


class OutputFormat(StrEnum):
    """Batch output format."""

    jsonl = "jsonl"
    csv = "csv"


class SynthKind(StrEnum):
    """Synthetic images: a whole check or the courtesy-amount field."""

    check = "check"
    field = "field"


class SynthFormat(StrEnum):
    """Synthetic image files (tiff: bitonal CCITT G4); mixed picks per image."""

    png = "png"
    jpeg = "jpeg"
    tiff = "tiff"
    mixed = "mixed"


class SynthLayout(StrEnum):
    personal = "personal"
    business = "business"
    mixed = "mixed"


class SynthDpi(StrEnum):
    dpi200 = "200"
    dpi300 = "300"
    mixed = "mixed"


def check_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    """ValueError naming the allowed values when ``value`` is not one of them."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(repr(a) for a in allowed)}, not {value!r}")
