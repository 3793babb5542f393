"""Prometheus metrics, one registry per app so several apps (tests, workers) never collide.

Labels are route *templates* (``/v2/models/{name}/infer``), never raw paths, so a scanner hitting
random URLs cannot blow up the number of time series.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from checkocr.confidence import REVIEW_REASONS  # a fixed vocabulary: the label cannot grow unbounded

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CONFIDENCE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 1.0)
if TYPE_CHECKING:
    from checkocr.schemas import Reading

OUTCOMES = ("read", "needs_review", "unreadable", "error")


def reading_outcome(reading: Reading) -> str:
    """The outcome label of a reading: unreadable (no amount), needs_review or read."""
    if reading.amount_cents is None:
        return "unreadable"
    return "needs_review" if reading.needs_review else "read"


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "checkocr_http_requests_total",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "checkocr_http_request_duration_seconds",
            "HTTP request latency by route template, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "checkocr_http_requests_in_flight", "HTTP requests being handled now", registry=self.registry
        )
        self.readings = Counter(
            "checkocr_readings_total",
            "Check readings by outcome: read, needs_review, unreadable (no amount) or error",
            ["outcome"],
            registry=self.registry,
        )
        self.needs_review = Counter(
            "checkocr_needs_review_total", "Readings flagged for human review", registry=self.registry
        )
        self.review_reasons = Counter(
            "checkocr_review_reasons_total",
            "Why readings went to review, one count per reason a reading names (a reading may name several)",
            ["reason"],
            registry=self.registry,
        )
        self.confidence = Histogram(
            "checkocr_reading_confidence",
            "Confidence of the amounts read",
            buckets=CONFIDENCE_BUCKETS,
            registry=self.registry,
        )
        self.inference = Histogram(
            "checkocr_inference_seconds",
            "CPU work per request in the worker pool (whole-check read, digit classification, V2 infer)",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.queue_waiting = Gauge(
            "checkocr_queue_waiting", "Requests waiting for an inference slot", registry=self.registry
        )
        self.rejected = Counter(
            "checkocr_saturated_total",
            "Requests refused with 503 because every slot and queue place was taken",
            registry=self.registry,
        )
        self.model_ready = Gauge(
            "checkocr_model_ready",
            "1 when the model is loaded, verified and warmed up",
            registry=self.registry,
        )
        for outcome in OUTCOMES:
            self.readings.labels(outcome)
        for reason in REVIEW_REASONS:
            self.review_reasons.labels(reason)

    def record_reading(self, outcome: str, confidence: float | None, reasons: Sequence[str] = ()) -> None:
        self.readings.labels(outcome).inc()
        if outcome == "needs_review":
            self.needs_review.inc()
        for reason in reasons:
            if reason in REVIEW_REASONS:
                self.review_reasons.labels(reason).inc()
        if confidence is not None and outcome in ("read", "needs_review"):
            self.confidence.observe(confidence)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
