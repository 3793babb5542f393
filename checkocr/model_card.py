"""The model card: what the shipped ONNX file is, how to feed it, and how well it did.

Training writes it; the service and the batch command read it and refuse a model whose sha256 does
not match its card, so a swapped or damaged file never serves deposits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from checkocr.mnist import sha256_of


class ModelError(RuntimeError):
    """The model or its card is missing, unreadable, or they do not belong together."""


class InputSpec(BaseModel):
    name: str
    shape: list[int | str]
    dtype: str
    layout: str
    range: list[float]
    polarity: str


class OutputSpec(BaseModel):
    name: str
    classes: list[str]


class Metrics(BaseModel):
    model_config = ConfigDict(extra="allow")

    val_accuracy: float
    test_accuracy: float
    per_class: dict[str, dict[str, float]]
    ece: float = Field(description="ECE on MNIST test after temperature scaling")
    ece_uncalibrated: float
    temperature: float


class Candidate(BaseModel):
    model_config = ConfigDict(extra="allow")

    kind: str
    val_accuracy: float
    test_accuracy: float
    parameters: int
    onnx_bytes: int
    latency_ms: dict[str, float]
    chosen: bool


class CardBase(BaseModel):
    """What every shipped model's card has: identity and the sha256 of the .onnx it describes."""

    model_config = ConfigDict(extra="allow")

    name: str
    version: str
    created: str
    sha256: str


class ModelCard(CardBase):
    """The digit classifier's card (the contract in docs/architecture.md, "Model cards")."""

    framework: dict[str, str]
    input: InputSpec
    output: OutputSpec
    training: dict[str, Any]
    metrics: Metrics
    candidates: list[Candidate]
    selection: str


CardT = TypeVar("CardT", bound=CardBase)


def card_path_for(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def load_card(
    model_path: Path,
    *,
    verify_sha256: bool = True,
    schema: type[CardT] = ModelCard,  # type: ignore[assignment]
) -> CardT:
    """Reads ``<model>.json`` and checks that it describes exactly the bytes of ``<model>.onnx``.

    ``schema`` is the card's shape: the digit model's ``ModelCard`` or the field model's card."""
    card_path = card_path_for(model_path)
    if not model_path.is_file():
        raise ModelError(f"model file {model_path} does not exist (set CHECKOCR_MODEL_PATH)")
    if not card_path.is_file():
        raise ModelError(f"model card {card_path} does not exist beside {model_path.name}")
    try:
        card = schema.model_validate(json.loads(card_path.read_text()))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ModelError(f"model card {card_path} is not a valid card: {exc}") from exc
    if verify_sha256:
        actual = sha256_of(model_path)
        if actual != card.sha256:
            raise ModelError(
                f"{model_path} has sha256 {actual}, but its card {card_path.name} says {card.sha256}: "
                "the file is damaged or does not belong to this card"
            )
    return card


def data_relative(path: Path, data_dir: Path) -> str:
    """How a card names a data file or folder: relative to the data folder (``CHECKOCR_DATA_DIR``), so
    a card records no machine's layout; a path outside it by its name alone."""
    try:
        return path.resolve().relative_to(data_dir.resolve()).as_posix()
    except ValueError:
        return path.name
