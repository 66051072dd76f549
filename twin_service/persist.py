"""Batched, durable writes: messages wait here until the store has committed them.

The ingest path never waits for the store. It enqueues a message with a callback
(the MQTT acknowledgement); one background task commits whatever is waiting as one
batch and then runs the callbacks, in order. A failed write is retried with backoff
and nothing is acknowledged until it succeeds, so the broker keeps redelivering
(and eventually holds back) rather than anything being lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from twin_service.errors import StoreError
from twin_service.metrics import ServiceMetrics
from twin_service.store.base import AppliedMessage, TimeSeriesStore

log = logging.getLogger(__name__)

OnDurable = Callable[[], None]


class StoreWriter:
    def __init__(
        self,
        store: TimeSeriesStore,
        metrics: ServiceMetrics,
        batch_max: int = 5_000,
        max_backoff_s: float = 5.0,
    ) -> None:
        self._store = store
        self._metrics = metrics
        self._batch_max = batch_max
        self._max_backoff_s = max_backoff_s
        self._pending: deque[tuple[AppliedMessage | None, OnDurable]] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self.healthy = True

    @property
    def pending(self) -> int:
        return len(self._pending)

    def enqueue(self, message: AppliedMessage | None, on_durable: OnDurable) -> None:
        """Queue a message (or None: a barrier that is durable once all before it are)."""
        self._pending.append((message, on_durable))
        self._idle.clear()
        self._wake.set()

    async def run(self) -> None:
        backoff = 0.05
        while True:
            if not self._pending:
                self._idle.set()
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            count = min(len(self._pending), self._batch_max)
            batch = [self._pending[i] for i in range(count)]
            messages = [m for m, _ in batch if m is not None]
            self._metrics.store_pending.set(len(self._pending))
            started = time.perf_counter()
            try:
                written = await self._store.write(messages) if messages else 0
            except StoreError as exc:
                self.healthy = False
                self._metrics.store_errors.inc()
                log.error(
                    "store write of %d messages failed, retrying in %.2f s: %s",
                    len(messages),
                    backoff,
                    exc,
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
                continue
            if not self.healthy:
                log.info("store writes succeed again")
            self.healthy = True
            backoff = 0.05
            self._metrics.store_write_seconds.observe(time.perf_counter() - started)
            self._metrics.points_stored.inc(written)
            for _ in range(count):
                self._pending.popleft()
            for _, on_durable in batch:
                on_durable()
            self._metrics.store_pending.set(len(self._pending))

    async def drain(self, timeout: float) -> bool:
        """Stop taking the idle path and wait until everything queued is committed."""
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.error("store still had %d messages uncommitted at shutdown", len(self._pending))
            return False
        return True
