"""Annotated dependencies the routers share: the service state, a ready model, the worker pool."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from checkocr.classifier import DigitClassifier
from checkocr.config import Settings
from service.limits import InferencePool
from service.problems import Problem
from service.state import ServiceState


def get_state(request: Request) -> ServiceState:
    return request.app.state.service


StateDep = Annotated[ServiceState, Depends(get_state)]


def get_settings_dep(state: StateDep) -> Settings:
    return state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def not_ready(state: ServiceState) -> Problem:
    return Problem(
        503, f"the model is not ready: {state.problem}", slug="not-ready", headers={"Retry-After": "30"}
    )


def get_ready_state(state: StateDep) -> ServiceState:
    """The state, but only once the model is loaded, verified and warmed up (else 503)."""
    if not state.ready:
        raise not_ready(state)
    return state


ReadyStateDep = Annotated[ServiceState, Depends(get_ready_state)]


def get_classifier(state: ReadyStateDep) -> DigitClassifier:
    assert state.classifier is not None
    return state.classifier


ClassifierDep = Annotated[DigitClassifier, Depends(get_classifier)]


def get_pool(state: StateDep) -> InferencePool:
    assert state.pool is not None, "the worker pool starts with the app's lifespan"
    return state.pool


PoolDep = Annotated[InferencePool, Depends(get_pool)]
