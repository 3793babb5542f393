"""The outermost layer of every request: request id, body-size limit, metrics, one log line, and a
problem+json 500 for anything that escaped the handlers (never a traceback on the wire).

Written as plain ASGI rather than BaseHTTPMiddleware so the body can be counted while it streams in
and a too-large upload is refused before it is buffered.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.limits import BodyTooLarge
from service.problems import Problem, problem_response
from service.state import ServiceState

logger = logging.getLogger("checkocr.service.access")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
QUIET_ROUTES = {"/livez", "/readyz", "/metrics", "/v2/health/live", "/v2/health/ready"}
CASH_LETTER_ROUTE = "/v1/cash-letters/verify"  # X9.37 files: their own, larger body limit


def request_id_from(scope: Scope) -> str:
    """Propagates a caller's X-Request-ID when it is a sane token; otherwise makes a new one."""
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if REQUEST_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def content_length_of(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def body_limit(scope: Scope, state: ServiceState) -> int:
    settings = state.settings
    if scope.get("path") == CASH_LETTER_ROUTE:
        return settings.max_cash_letter_bytes
    return settings.max_upload_bytes


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, state: ServiceState):
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        metrics = self.state.metrics
        settings = self.state.settings
        limit = (
            settings.max_cash_letter_bytes
            if scope["path"] == CASH_LETTER_ROUTE
            else settings.max_upload_bytes
        )
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500
        started = False
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        metrics.in_flight.inc()
        try:
            declared = content_length_of(scope)
            if declared is not None and declared > limit:
                # Refused from the header alone: the body is never read.
                problem = Problem(
                    413, f"the request body ({declared} bytes) is over the limit of {limit} bytes"
                )
                await problem_response(Request(scope), problem)(scope, receive, tagging_send)
            else:
                await self.app(scope, counting_receive, tagging_send)
        except Exception as exc:
            scope["state"].setdefault("outcome", "error")
            logger.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
            if started:
                raise
            problem = Problem(
                500, "the server failed to handle this request; quote the request_id to support"
            )
            await problem_response(Request(scope), problem)(scope, receive, tagging_send)
        finally:
            metrics.in_flight.dec()
            elapsed = time.perf_counter() - start
            route = route_template(scope)
            method = scope["method"]
            metrics.requests.labels(route, method, str(status)).inc()
            metrics.latency.labels(route, method, str(status)).observe(elapsed)
            level = logging.DEBUG if route in QUIET_ROUTES and status < 400 else logging.INFO
            logger.log(
                level,
                "request",
                extra={
                    "request_id": request_id,
                    "method": method,
                    "route": route,
                    "status": status,
                    "latency_ms": round(elapsed * 1000, 2),
                    "outcome": scope["state"].get("outcome"),
                    "bytes_in": received,
                },
            )
