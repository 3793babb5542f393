"""Structured logs: one JSON object per line, so log pipelines index fields instead of parsing prose.

Only the fields listed in ``FIELDS`` leave the process; image bytes, amounts and API keys are never
passed to the logger at all, so no formatter setting can leak them.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any

FIELDS = (
    "request_id",
    "method",
    "route",
    "path",
    "status",
    "latency_ms",
    "outcome",
    "client",
    "bytes_in",
    "error",
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for field in FIELDS:
            value = record.__dict__.get(field)
            if value is not None:
                entry[field] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, separators=(",", ":"), default=str)


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        base = super().format(record)
        extras = " ".join(f"{f}={record.__dict__[f]}" for f in FIELDS if record.__dict__.get(f) is not None)
        return f"{base} {extras}".rstrip()


def configure_logging(log_format: str = "json", level: str = "INFO") -> None:
    """Routes checkocr and uvicorn logs through one handler on stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("checkocr", "uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level.upper())
        logger.propagate = False
    # One line per request comes from our middleware; uvicorn's access log would duplicate it.
    logging.getLogger("uvicorn.access").disabled = True
