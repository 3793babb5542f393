"""Bounded work: request-body size, inference slots, a bounded wait queue and a deadline.

Reading a check is CPU-bound (decode, segmentation, onnxruntime), so it runs on a dedicated thread pool
with exactly as many workers as slots; the event loop only parses HTTP. A request that finds every
slot busy may wait in a queue of ``max_queue`` places; beyond that it is refused at once with 503 and
Retry-After, because a bank client retrying later beats a request that times out after holding a socket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from starlette.exceptions import HTTPException as StarletteHTTPException

from service.metrics import ServiceMetrics
from service.problems import Problem

T = TypeVar("T")
RETRY_AFTER_S = "1"


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body is being received, as soon as it passes the limit (not after buffering it).

    It is an HTTPException so FastAPI's own body parsing re-raises it unchanged instead of turning it
    into a generic 400.
    """

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than the limit of {limit} bytes")


class InferencePool:
    """``slots`` worker threads, a queue of ``max_queue`` waiters and a per-request deadline.

    A slot is released when the worker thread really finishes, not when a timed-out request gives up
    on it, so the CPU is never oversubscribed by abandoned work.
    """

    def __init__(self, slots: int, max_queue: int, timeout_s: float, metrics: ServiceMetrics):
        self.slots = slots
        self.max_queue = max_queue
        self.timeout_s = timeout_s
        self.metrics = metrics
        self._executor = ThreadPoolExecutor(max_workers=slots, thread_name_prefix="checkocr-infer")
        self._free = asyncio.Semaphore(slots)
        self.waiting = 0

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=False)

    def saturated(self) -> Problem:
        self.metrics.rejected.inc()
        return Problem(
            503,
            f"all {self.slots} inference slots and {self.max_queue} queue places are taken; retry shortly",
            slug="saturated",
            headers={"Retry-After": RETRY_AFTER_S},
        )

    def check_capacity(self) -> None:
        """Refuses (503) when every slot and queue place is taken.

        Called before a request body is read, too: a refusal then costs neither the upload's time nor
        its memory, so a burst of large uploads cannot pile up buffered bodies behind a full pool.
        """
        if self._free.locked() and self.waiting >= self.max_queue:
            raise self.saturated()

    async def run(
        self, operation: str, fn: Callable[..., T], *args: object, timeout_s: float | None = None
    ) -> T:
        """``fn(*args)`` on a slot, within ``timeout_s`` (default: the request timeout) from now."""
        loop = asyncio.get_running_loop()
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        deadline = loop.time() + timeout_s
        self.check_capacity()
        self.waiting += 1
        self.metrics.queue_waiting.inc()
        try:
            async with asyncio.timeout_at(deadline):
                await self._free.acquire()
        except TimeoutError:
            raise Problem(
                503,
                f"no inference slot became free within the request timeout of {timeout_s:g} s",
                slug="saturated",
                headers={"Retry-After": RETRY_AFTER_S},
            ) from None
        finally:
            self.waiting -= 1
            self.metrics.queue_waiting.dec()

        def timed() -> T:
            start = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.metrics.inference.labels(operation).observe(time.perf_counter() - start)

        future = loop.run_in_executor(self._executor, timed)
        future.add_done_callback(self._release)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(future)
        except TimeoutError:
            raise Problem(
                504,
                f"the request did not finish within the timeout of {timeout_s:g} s",
                headers={"Retry-After": RETRY_AFTER_S},
            ) from None

    def _release(self, future: asyncio.Future | Future) -> None:
        self._free.release()
        if not future.cancelled():
            future.exception()  # marks an abandoned failure as retrieved (no "never retrieved" noise)
