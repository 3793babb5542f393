"""The reading result: the one shape the service, ``checkocr read --json`` and batch share
(the contract is in docs/architecture.md, "Reading result")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr

from checkocr.options import ReaderName

BBox = tuple[int, int, int, int]  # x, y, width, height in pixels of the submitted image

CharKind = Literal["digit", "separator", "currency", "asterisk", "terminator", "fraction", "unknown"]


class Alternative(BaseModel):
    char: str
    confidence: float = Field(ge=0.0, le=1.0)


class Character(BaseModel):
    char: str = Field(description="The character read; for digits '0'..'9'")
    kind: CharKind
    confidence: float = Field(ge=0.0, le=1.0)
    bbox: BBox
    alternatives: list[Alternative] = Field(default_factory=list, description="Next most likely digits")
    raised: bool = Field(False, description="Written above the baseline (raised cents)")


class FieldInfo(BaseModel):
    bbox: BBox
    source: Literal["detected", "given", "whole_image"]


class ModelInfo(BaseModel):
    name: str
    version: str
    sha256: str


class ReaderView(BaseModel):
    """What one reader on its own made of the field (the fused reading lists both)."""

    amount: str | None
    text: str = Field(description="The characters it read, marks included")
    confidence: float = Field(ge=0.0, le=1.0, description="That reader's own, uncalibrated score")


class Reading(BaseModel):
    amount: str | None = Field(description="Decimal string with '.' as decimal point, or null if unreadable")
    amount_cents: int | None
    confidence: float = Field(ge=0.0, le=1.0, description="Estimated probability the whole amount is right")
    needs_review: bool
    characters: list[Character] = Field(default_factory=list)
    field: FieldInfo | None = None
    reader: ReaderName = Field("digits", description="Which reader produced it: digits | field | fused")
    review_reasons: list[str] = Field(
        default_factory=list,
        description=(
            "Why needs_review is true: no_amount or low_confidence, then readers_disagree and "
            "field_not_found when they apply; empty when the reading may be posted"
        ),
    )
    readers: dict[str, ReaderView] | None = Field(
        None, description="With reader=fused: what the digit path and the field model each read"
    )
    model: ModelInfo = Field(description="The model that read the amount (the fused reader: the field model)")
    models: list[ModelInfo] = Field(default_factory=list, description="Every model that took part")
    timings_ms: dict[str, float] = Field(default_factory=dict)
    reason: str | None = Field(None, description="Why the amount is null, when it is")
    # The fused reader scores a keyed amount against the field it read (checkocr.matching); not part
    # of the JSON, and gone once the reading is serialised.
    _keyed_probability: Callable[[Any], float] | None = PrivateAttr(None)


class BatchError(BaseModel):
    type: str
    detail: str
