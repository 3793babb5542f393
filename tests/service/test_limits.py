"""Bounded concurrency: slots, a bounded queue, 503 + Retry-After when saturated, 504 past the deadline."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from service_testkit import encode, field_image

from service.limits import InferencePool
from service.metrics import ServiceMetrics
from service.problems import Problem


def test_pool_refuses_beyond_slots_plus_queue_and_recovers() -> None:
    async def scenario() -> tuple[list[object], int]:
        pool = InferencePool(slots=1, max_queue=1, timeout_s=5, metrics=ServiceMetrics())
        release = threading.Event()
        first = asyncio.create_task(pool.run("t", release.wait, 5))
        await asyncio.sleep(0.05)
        second = asyncio.create_task(pool.run("t", lambda: "queued"))
        await asyncio.sleep(0.05)
        with pytest.raises(Problem) as refused:
            await pool.run("t", lambda: "too many")
        release.set()
        results = [await first, await second, await pool.run("t", lambda: "after")]
        pool.shutdown()
        return results, refused.value.status

    results, status = asyncio.run(scenario())
    assert status == 503
    assert results == [True, "queued", "after"]


def test_pool_deadline_gives_504_and_keeps_the_slot_until_the_thread_ends() -> None:
    async def scenario() -> tuple[int, float]:
        pool = InferencePool(slots=1, max_queue=1, timeout_s=0.2, metrics=ServiceMetrics())
        with pytest.raises(Problem) as late:
            await pool.run("t", time.sleep, 0.6)
        pool.timeout_s = 2.0
        start = time.perf_counter()
        await pool.run("t", lambda: None)  # must wait for the abandoned sleep, not overlap it
        waited = time.perf_counter() - start
        pool.shutdown()
        return late.value.status, waited

    status, waited = asyncio.run(scenario())
    assert status == 504
    assert waited > 0.2


def test_saturated_service_answers_503_with_retry_after(make_client) -> None:
    client = make_client(max_concurrency=1, max_queue=0, request_timeout_s=5)
    reader = client.app.state.service.reader
    original = reader.read_bytes
    entered, release = threading.Event(), threading.Event()

    def slow_read(*args, **kwargs):
        entered.set()
        release.wait(5)
        return original(*args, **kwargs)

    reader.read_bytes = slow_read
    image = encode(field_image("5"))
    outcome: dict[str, int] = {}
    blocker = threading.Thread(
        target=lambda: outcome.setdefault(
            "first",
            client.post(
                "/v1/checks/read?region=field", content=image, headers={"content-type": "image/png"}
            ).status_code,
        )
    )
    blocker.start()
    assert entered.wait(5)
    refused = client.post("/v1/checks/read", content=image, headers={"content-type": "image/png"})
    release.set()
    blocker.join(10)
    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["type"].endswith("/saturated")
    assert outcome["first"] == 200
    assert "checkocr_saturated_total 1.0" in client.get("/metrics").text


def test_request_timeout_is_504(make_client) -> None:
    client = make_client(request_timeout_s=0.2)
    reader = client.app.state.service.reader
    original = reader.read_bytes
    reader.read_bytes = lambda *a, **k: (time.sleep(0.5), original(*a, **k))[1]
    response = client.post(
        "/v1/checks/read?region=field",
        content=encode(field_image("5")),
        headers={"content-type": "image/png"},
    )
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
