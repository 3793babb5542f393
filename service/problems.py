"""RFC 9457 problem details: the one error shape every endpoint answers with.

Clients of a bank service parse errors by machine, so no path may fall back to an HTML page, a plain
string or a traceback: every HTTPException, validation error and unexpected exception ends up here.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://checkocr.example/problems/"

logger = logging.getLogger("checkocr.service")

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}

SLUGS = {
    400: "invalid-request",  # every 400, ours and FastAPI/Starlette's (a multipart body that does not parse)
    401: "unauthorized",
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "unprocessable-image",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
    504: "timeout",
}


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem detail.

    ``slug`` names the problem type (the last part of the ``type`` URI) so clients can branch on it;
    ``extra`` members (e.g. ``reason`` of an undecodable image) are added to the body.
    """

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug or SLUGS.get(status, "error")
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers or {}
        self.extra = extra


def request_id_of(request: Request) -> str | None:
    return request.scope.get("state", {}).get("request_id")


def problem_body(request: Request, problem: Problem) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + problem.slug,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": request.url.path,
        "request_id": request_id_of(request),
    }
    body.update(problem.extra)
    return body


def problem_response(request: Request, problem: Problem) -> ProblemResponse:
    return ProblemResponse(
        problem_body(request, problem), status_code=problem.status, headers=problem.headers
    )


async def handle_problem(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, Problem)
    return problem_response(request, exc)


async def handle_http_exception(request: Request, exc: Exception) -> ProblemResponse:
    """404, 405 and every HTTPException raised by FastAPI/Starlette internals, as problems."""
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"no resource at {request.url.path}"
    elif exc.status_code == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    problem = Problem(exc.status_code, detail, headers=dict(exc.headers or {}))
    return problem_response(request, problem)


def describe_validation_error(error: dict[str, Any]) -> dict[str, Any]:
    location = [str(part) for part in error.get("loc", ())]
    return {"location": ".".join(location), "message": error.get("msg", "invalid")}


async def handle_validation_error(request: Request, exc: Exception) -> ProblemResponse:
    """Malformed parameters are the client's mistake in the request, hence 400 (422 means a bad image)."""
    assert isinstance(exc, RequestValidationError)
    errors = [describe_validation_error(error) for error in exc.errors()]
    summary = "; ".join(f"{e['location']}: {e['message']}" for e in errors[:5])
    problem = Problem(400, f"invalid request: {summary}", slug="invalid-request", errors=errors)
    return problem_response(request, problem)


async def handle_unexpected(request: Request, exc: Exception) -> ProblemResponse:
    """Logs the traceback for operators; the client only learns the request id to quote."""
    logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id_of(request)})
    problem = Problem(500, "the server failed to handle this request; quote the request_id to support")
    return problem_response(request, problem)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, handle_problem)
    app.add_exception_handler(StarletteHTTPException, handle_http_exception)
    app.add_exception_handler(RequestValidationError, handle_validation_error)
    app.add_exception_handler(Exception, handle_unexpected)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}


def problem_doc(status: int, detail: str, **extra: Any) -> dict[str, Any]:
    """An OpenAPI ``responses`` entry with a worked example, for /docs."""
    example = {
        "type": TYPE_BASE + SLUGS.get(status, "error"),
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "instance": "/v1/checks/read",
        "request_id": "0f8e6c1c2d7a4b5e9a1f3c2b4d6e8f00",
        **extra,
    }
    return {
        "description": TITLES.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_SCHEMA, "example": example}},
    }
