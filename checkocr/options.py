"""The option vocabularies, defined once: the reader, the command line, the service and batch use these.

Each is a ``Literal`` (for type hints and the API schema) and, for the command line, a ``StrEnum`` made
from the same values, so ``checkocr --help`` lists them and a member compares equal to its string.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal, get_args

Region = Literal["auto", "field"]  # auto: find the amount field on the check; field: the image is it
Decimal = Literal["auto", ".", ","]  # the decimal mark; auto: decided from the amount's layout
ReaderName = Literal["digits", "field", "fused"]  # digits: split + classify; field: CTC; fused: both

REGIONS: tuple[str, ...] = get_args(Region)
DECIMALS: tuple[str, ...] = get_args(Decimal)
READERS: tuple[str, ...] = get_args(ReaderName)


def choices(name: str, values: tuple[str, ...], names: tuple[str, ...] | None = None) -> type[StrEnum]:
    """A StrEnum of ``values`` (member names default to the values; give ``names`` where a value is no
    Python name, such as "." or "200")."""
    return StrEnum(name, list(zip(names or values, values, strict=True)))  # type: ignore[return-value]


RegionChoice = choices("RegionChoice", REGIONS)
DecimalChoice = choices("DecimalChoice", DECIMALS, names=("auto", "dot", "comma"))
ReaderChoice = choices("ReaderChoice", READERS)
Engine = choices("Engine", ("local", "ray"))  # batch: a process pool or Ray Data
OutputFormat = choices("OutputFormat", ("jsonl", "csv"))  # batch output
SynthKind = choices("SynthKind", ("check", "field"))  # a whole check or the courtesy-amount crop
SynthFormat = choices("SynthFormat", ("png", "jpeg", "tiff", "mixed"))  # tiff: bitonal G4; mixed: per image
SynthLayout = choices("SynthLayout", ("personal", "business", "mixed"))
SynthDpi = choices("SynthDpi", ("200", "300", "mixed"), names=("dpi200", "dpi300", "mixed"))
