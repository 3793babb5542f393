"""The fused reader's calibration: its card, the probability it gives, and whether it fits the models.

``training/fusion.py`` fits a logistic model on out-of-fold readings and writes its parameters to
``onnx_models/fusion.json``. Its probabilities hold only for the two models it was fitted with, so
the card names their sha256 and a card that does not fit the loaded models is never used silently.
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from checkocr.classifier import DigitClassifier
from checkocr.config import Settings
from checkocr.field_model import FieldModel
from checkocr.fusion import FEATURES
from checkocr.model_card import ModelError

logger = logging.getLogger("checkocr.reader")


class FusionCard(BaseModel):
    """The calibrator's parameters and how they were fitted (``training/fusion.py``)."""

    name: str
    version: str
    created: str
    features: list[str]
    coefficients: list[float]
    intercept: float
    digit_weight: float = Field(1.0, ge=0.0, description="Weight of the digit path's score in the choice")
    field_model_sha256: str = Field(description="The field model whose frames the fit used")
    digit_model_sha256: str
    training: dict[str, object] = Field(default_factory=dict)
    metrics: dict[str, object] = Field(default_factory=dict)


class Calibrator:
    """P(amount right | features): a logistic model whose parameters come from its card."""

    def __init__(self, card: FusionCard) -> None:
        if list(card.features) != list(FEATURES) or len(card.coefficients) != len(FEATURES):
            raise ModelError(f"fusion card features {card.features} do not match the code's {FEATURES}")
        self.card = card
        self.weights = np.asarray(card.coefficients, dtype=np.float64)

    @classmethod
    def load(cls, path: Path) -> Calibrator:
        if not path.is_file():
            raise ModelError(f"fusion card {path} does not exist (built by python -m training.fusion)")
        try:
            return cls(FusionCard.model_validate(json.loads(path.read_text())))
        except (ValueError, TypeError) as exc:
            raise ModelError(f"fusion card {path} is not a valid card: {exc}") from exc

    def probability(self, features: dict[str, float]) -> float:
        x = np.asarray([features[name] for name in FEATURES], dtype=np.float64)
        z = float(self.weights @ x + self.card.intercept)
        return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def fusion_mismatch(
    calibrator: Calibrator, classifier: DigitClassifier, field_model: FieldModel | None
) -> str | None:
    """Why the fusion card cannot serve with these models (None when it can): its calibration holds
    only for the two models it was fitted with."""
    card = calibrator.card
    if field_model is not None and card.field_model_sha256 != field_model.card.sha256:
        return (
            f"the fusion card was fitted for field model {card.field_model_sha256[:12]}..., but "
            f"{field_model.card.sha256[:12]}... is loaded: refit it (python -m training.fusion)"
        )
    if card.digit_model_sha256 != classifier.card.sha256:
        return (
            f"the fusion card was fitted for digit model {card.digit_model_sha256[:12]}..., but "
            f"{classifier.card.sha256[:12]}... is loaded: refit it (python -m training.fusion)"
        )
    return None


def usable_calibrator(
    settings: Settings, classifier: DigitClassifier, field_model: FieldModel
) -> Calibrator | None:
    """The fusion card when it fits the loaded models. When it does not, the default reader fused
    cannot serve (ModelError); with another default reader the service runs without the fused reader
    and says why in the log and in each refused request."""
    calibrator = Calibrator.load(settings.fusion_card_path)
    problem = fusion_mismatch(calibrator, classifier, field_model)
    if problem is None:
        return calibrator
    if settings.reader == "fused":
        raise ModelError(problem)
    logger.warning("reader=fused is unavailable: %s", problem)
    return None
