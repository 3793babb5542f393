"""The application factory: ``create_app(settings)`` builds one self-contained service instance.

Everything an instance needs (model, worker pool, metrics registry, keys) hangs off ``app.state``, so
tests can build many apps with different settings in one process and nothing leaks between them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI

from checkocr.config import Settings, get_settings
from service.middleware import RequestContextMiddleware
from service.problems import install_problem_handlers
from service.routers import cash_letters, checks, demo, digits, health, kserve, models
from service.state import SERVICE_VERSION, ServiceState

DESCRIPTION = """
Reads the handwritten courtesy amount on bank checks with an ONNX digit model on the CPU.

Authenticate with `Authorization: Bearer <key>` or `X-API-Key: <key>` (keys from `CHECKOCR_API_KEYS`).
Health (`/livez`, `/readyz`, `/v2/health/*`) and `/metrics` are open. Every error is
`application/problem+json` (RFC 9457); the KServe V2 routes answer protocol errors as `{"error": "..."}`.
"""

TAGS = [
    {"name": "checks", "description": "Read the amount on a check image"},
    {"name": "cash-letters", "description": "Verify the keyed amounts of an X9.37 image cash letter"},
    {"name": "digits", "description": "Classify digit images directly"},
    {"name": "models", "description": "The model being served"},
    {"name": "kserve-v2", "description": "Open Inference Protocol (KServe V2) for the digit model"},
    {"name": "health", "description": "Liveness, readiness, Prometheus metrics"},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = state.start_pool()
        # Loading and the warm-up inference are CPU work: off the event loop.
        await anyio.to_thread.run_sync(state.load)
        try:
            yield
        finally:
            pool.shutdown()

    app = FastAPI(
        title="checkocr",
        version=SERVICE_VERSION,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.service = state
    app.state.api_keys = [key.get_secret_value().encode() for key in settings.api_keys]
    install_problem_handlers(app)
    app.add_exception_handler(kserve.V2Error, kserve.handle_v2_error)
    for router in (checks.router, digits.router, models.router, kserve.health, kserve.router, health.router):
        app.include_router(router)
    app.include_router(cash_letters.router)
    app.include_router(demo.router)  # the demo page at / and /static/: open, its API calls need a key
    app.add_middleware(RequestContextMiddleware, state=state)
    return app
