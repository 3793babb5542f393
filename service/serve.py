"""``checkocr serve``: the bind-address safety check and uvicorn with graceful shutdown.

Without API keys the service is only safe on loopback, so binding anywhere else without keys is
refused unless the operator says ``--insecure-no-auth`` explicitly (and it is logged as a warning).
"""

from __future__ import annotations

import ipaddress
import logging
import signal

import uvicorn

from checkocr.config import Settings
from service.app import create_app
from service.logging import configure_logging

logger = logging.getLogger("checkocr.service")
SHUTDOWN_MARGIN_S = 5.0


class ServeError(RuntimeError):
    """The service must not start with this configuration."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(settings: Settings, insecure_no_auth: bool) -> None:
    if settings.api_keys:
        return
    if not is_loopback(settings.host):
        if not insecure_no_auth:
            raise ServeError(
                f"refusing to serve on {settings.host} without API keys: set CHECKOCR_API_KEYS "
                "(comma-separated), bind to 127.0.0.1, or pass --insecure-no-auth"
            )
        logger.warning("serving on %s WITHOUT authentication (--insecure-no-auth)", settings.host)
    else:
        logger.warning("no CHECKOCR_API_KEYS set: authentication is off (loopback only)")


def serve(settings: Settings, insecure_no_auth: bool = False) -> None:
    """Runs until SIGTERM/SIGINT, then lets in-flight requests finish (up to the request timeout + 5 s)."""
    configure_logging(settings.log_format, settings.log_level)
    check_bind(settings, insecure_no_auth)
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=int(settings.request_timeout_s + SHUTDOWN_MARGIN_S),
    )
    # uvicorn re-raises the signal that stopped it once shutdown is complete; with the default handler
    # that would kill the process with status 143 after a *clean* shutdown. Ignoring the re-raised
    # signal makes a graceful stop exit 0, which is what supervisors read as "stopped normally".
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: None)
    uvicorn.Server(config).run()
    logger.info("stopped")
