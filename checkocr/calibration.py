"""The fused reader's calibration: its card, the probability it gives, and whether it fits the models.

``training/fusion.py`` fits small gradient-boosted trees (scikit-learn, with monotonic constraints) on
out-of-fold readings and writes every tree to ``onnx_models/fusion.json``; serving walks them here
with numpy, so scikit-learn stays out of the serving install. Its probabilities hold only for the
two models it was fitted with, so the card names their sha256 and a card that does not fit the
loaded models is never used silently.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, model_validator

from checkocr.classifier import DigitClassifier
from checkocr.config import Settings
from checkocr.field_model import FieldModel
from checkocr.fusion import FEATURES
from checkocr.model_card import ModelError
from checkocr.schemas import ModelInfo

logger = logging.getLogger("checkocr.reader")


class BoostedTree(BaseModel):
    """One regression tree of the ensemble, its nodes as parallel lists (node 0 is the root)."""

    feature: list[int] = Field(description="Index into the card's features split on; -1 at a leaf")
    threshold: list[float] = Field(description="Go left when the feature is <= this")
    left: list[int]
    right: list[int]
    value: list[float] = Field(description="A leaf's share of the log-odds (unused at inner nodes)")

    @model_validator(mode="after")
    def nodes_form_a_tree(self) -> BoostedTree:
        count = len(self.feature)
        if count == 0 or not count == len(self.threshold) == len(self.left) == len(self.right) == len(
            self.value
        ):
            raise ValueError("a tree's node lists must be non-empty and of one length")
        for node in range(count):
            if self.feature[node] >= 0 and not (
                node < self.left[node] < count and node < self.right[node] < count
            ):
                raise ValueError(f"node {node}'s children must come after it, within the tree")
        return self


class FusionCard(BaseModel):
    """The calibrator's trees and how they were fitted (``training/fusion.py``)."""

    name: str
    version: str
    created: str
    features: list[str]
    baseline: float = Field(description="Log-odds before any tree")
    trees: list[BoostedTree] = Field(min_length=1)
    digit_weight: float = Field(1.0, ge=0.0, description="Weight of the digit path's score in the choice")
    digit_weight_raised_cents: float | None = Field(
        None,
        ge=0.0,
        description="The weight where the digit path read raised cents (``has_raised_cents``); "
        "absent: ``digit_weight`` everywhere",
    )
    field_model_sha256: str = Field(description="The field model whose frames the fit used")
    digit_model_sha256: str
    training: dict[str, object] = Field(default_factory=dict)
    metrics: dict[str, object] = Field(default_factory=dict)

    def digit_weight_for(self, raised_cents: bool) -> float:
        """The digit path's weight in the choice for a digit reading with or without raised cents."""
        return digit_weight_for(raised_cents, self.digit_weight, self.digit_weight_raised_cents)


def digit_weight_for(raised_cents: bool, weight: float, raised_weight: float | None) -> float:
    """``raised_weight`` for a digit reading with raised cents when there is one, else ``weight``:
    one rule for the served card and for the fit that chooses its weights."""
    return raised_weight if raised_cents and raised_weight is not None else weight


class Calibrator:
    """P(amount right | features): the card's trees, summed as log-odds, through a sigmoid.

    The trees are walked all at once, one level per step: a few dozen numpy operations per reading
    instead of a Python loop per node.
    """

    def __init__(self, card: FusionCard, sha256: str | None = None) -> None:
        """``sha256`` is the card file's (``load``); a card built in memory is named by its JSON's."""
        if list(card.features) != list(FEATURES):
            raise ModelError(f"fusion card features {card.features} do not match the code's {FEATURES}")
        if any(f >= len(FEATURES) for tree in card.trees for f in tree.feature):
            raise ModelError("fusion card trees split on a feature the card does not have")
        self.card = card
        digest = sha256 or hashlib.sha256(card.model_dump_json().encode()).hexdigest()
        # Which calibration decided a posting is part of the audit trail, like the two models' digests.
        self.info = ModelInfo(name=card.name, version=card.version, sha256=digest)
        width = max(len(tree.feature) for tree in card.trees)

        def table(name: str, fill: float, dtype: type) -> np.ndarray:
            rows = [getattr(tree, name) + [fill] * (width - len(tree.feature)) for tree in card.trees]
            return np.asarray(rows, dtype=dtype)

        self.feature = table("feature", -1, np.int64)
        self.threshold = table("threshold", 0.0, np.float64)
        self.left = table("left", 0, np.int64)
        self.right = table("right", 0, np.int64)
        self.value = table("value", 0.0, np.float64)
        self.rows = np.arange(len(card.trees))
        self.depth = width  # children come after their parent, so no path is longer than the tree

    @classmethod
    def load(cls, path: Path) -> Calibrator:
        if not path.is_file():
            raise ModelError(f"fusion card {path} does not exist (built by python -m training.fusion)")
        data = path.read_bytes()
        try:
            return cls(FusionCard.model_validate(json.loads(data)), hashlib.sha256(data).hexdigest())
        except (ValueError, TypeError) as exc:
            raise ModelError(f"fusion card {path} is not a valid card: {exc}") from exc

    def log_odds(self, features: dict[str, float]) -> float:
        x = np.asarray([features[name] for name in FEATURES], dtype=np.float64)
        node = np.zeros(len(self.rows), dtype=np.int64)
        for _ in range(self.depth):
            split = self.feature[self.rows, node]
            inner = split >= 0
            if not inner.any():
                break
            left = x[np.maximum(split, 0)] <= self.threshold[self.rows, node]
            child = np.where(left, self.left[self.rows, node], self.right[self.rows, node])
            node = np.where(inner, child, node)
        return float(self.card.baseline + self.value[self.rows, node].sum())

    def probability(self, features: dict[str, float]) -> float:
        z = self.log_odds(features)
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
