"""GET /v1/models: the card of the model being served, so clients can audit what reads their checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from service.auth import ApiKey
from service.deps import ClassifierDep, ReadyStateDep
from service.examples import MODEL_INFO, json_example
from service.problems import Problem, problem_doc
from service.state import ServiceState

router = APIRouter(prefix="/v1", tags=["models"], dependencies=[ApiKey])

CARD_EXAMPLE = {
    **MODEL_INFO,
    "created": "2026-11-21T16:03:00+00:00",
    "architecture": "cnn",
    "input": {
        "name": "digits",
        "shape": ["N", 28, 28, 1],
        "dtype": "float32",
        "layout": "NHWC",
        "range": [0.0, 1.0],
        "polarity": "white ink (1.0) on black (0.0)",
    },
    "output": {"name": "probabilities", "classes": [str(d) for d in range(10)]},
    "metrics": {"val_accuracy": 0.9904, "test_accuracy": 0.9941, "ece": 0.0027, "temperature": 1.035},
}


@router.get(
    "/models",
    summary="The loaded digit model's card",
    responses={
        200: json_example(CARD_EXAMPLE, "The full model card (training data digests, metrics, candidates)"),
        401: problem_doc(401, "an API key is required"),
        503: problem_doc(
            503, "the model is not ready: ... has sha256 ..., but its card digits.json says ..."
        ),
    },
)
async def model_card(classifier: ClassifierDep) -> dict[str, Any]:
    return classifier.card.model_dump(mode="json")


@router.get(
    "/models/{name}",
    summary="The card of one loaded model: digits (digit classifier), field (field recogniser) or "
    "fusion (the fused reader's calibration, with the sha256 of its file)",
    responses={
        200: json_example(CARD_EXAMPLE, "The full model card"),
        401: problem_doc(401, "an API key is required"),
        404: problem_doc(404, "no loaded model is called 'words'; loaded: digits, field, fusion"),
        503: problem_doc(503, "the model is not ready: ..."),
    },
)
async def named_model_card(name: str, state: ReadyStateDep) -> dict[str, Any]:
    cards = loaded_cards(state)
    if name not in cards:
        raise Problem(
            404, f"no loaded model is called {name!r}; loaded: {', '.join(cards)}", slug="not-found"
        )
    return cards[name]


def loaded_cards(state: ServiceState) -> dict[str, dict[str, Any]]:
    """Every model the reader uses, by the name in its card."""
    reader = state.reader
    assert reader is not None
    cards = {"digits": reader.classifier.card.model_dump(mode="json")}
    if reader.field_model is not None:
        cards["field"] = reader.field_model.card.model_dump(mode="json")
    if reader.calibrator is not None:
        card = reader.calibrator.card.model_dump(mode="json")
        cards[reader.calibrator.card.name] = {**card, "sha256": reader.calibrator.info.sha256}
    return cards
