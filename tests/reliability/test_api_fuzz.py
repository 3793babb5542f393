"""Schema-driven fuzzing (schemathesis) of the OpenAPI the service publishes.

Every operation is called with generated parameters and bodies, valid and invalid: no answer may be a
5xx, and every answer must be declared in the schema (status, content type, body shape). Examples per
operation are bounded so the whole run takes well under a minute. (schemathesis' own pytest plugin
does not load under pytest 9, so operations are driven through its hypothesis strategies directly.)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from live import API_KEY, write_tiny_model
from schemathesis.specs.openapi.checks import positive_data_acceptance

from checkocr.config import Settings
from service.app import create_app

EXAMPLES = 30
AUTH = {"Authorization": f"Bearer {API_KEY}"}
# A schema can say "binary", not "a decodable image of at least 8x8 pixels": a schema-valid body may
# still be an unusable image, answered 422 as documented. Every other check applies.
EXCLUDED = {
    "POST /v1/checks/read": [positive_data_acceptance],
    "POST /v1/digits/classify": [positive_data_acceptance],  # multipart glyph files: binary too
    "POST /v1/cash-letters/verify": [positive_data_acceptance],  # binary, not necessarily X9.37: 422
}


def operation_labels() -> list[str]:
    """Collected from the app's own schema (no model needed to build the OpenAPI document)."""
    schema = schemathesis.openapi.from_dict(create_app(Settings(api_keys="")).openapi())
    return sorted(result.ok().label for result in schema.get_all_operations())


@pytest.fixture(scope="module")
def started_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    model = write_tiny_model(tmp_path_factory.mktemp("fuzz_model"))
    # The tiny digit model is not the one the fusion card was fitted for: fused is unavailable with it.
    app = create_app(
        Settings(model_path=model, api_keys=API_KEY, max_upload_bytes=256 * 1024, reader="digits")
    )
    with TestClient(app):  # runs the lifespan: model loaded, worker pool started
        yield app


@pytest.fixture(scope="module")
def api_schema(started_app: FastAPI):
    return schemathesis.openapi.from_asgi("/openapi.json", started_app)


@pytest.mark.parametrize("label", operation_labels())
def test_no_5xx_and_every_answer_matches_the_schema(api_schema, label: str) -> None:
    operation = next(r.ok() for r in api_schema.get_all_operations() if r.ok().label == label)

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def fuzz(case) -> None:
        case.call_and_validate(headers=AUTH, excluded_checks=EXCLUDED.get(label, []))

    fuzz()
