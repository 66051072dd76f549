"""Batched, durable writes: messages wait here until the store has committed them.

The ingest path never waits for the store. It enqueues a message with a callback
(the MQTT acknowledgement); one background task commits whatever is waiting as one
batch and then runs the callbacks, in order. A failed write is retried with backoff
and nothing is acknowledged until it succeeds, so the broker keeps redelivering
(and eventually holds back) rather than anything being lost.

The queue is bounded for QoS 0 messages only (``max_pending``). A QoS 1 message waits
unacknowledged, so the broker sends no more than its in-flight window
(Mosquitto's ``max_inflight_messages``) until the store commits; after a reconnect it
redelivers those, which come back as duplicates (barriers). QoS 0 messages have no such
brake: during a store outage they would grow the queue without limit, so past the bound
they are refused (not stored), counted (``accesstwin_store_pending_refused_total``) and
logged once a minute. QoS 1 messages and barriers are never refused: refusing one would
either lose an acknowledged message or hold its in-flight slot until a reconnect.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable

from twin_service.errors import StoreError
from twin_service.ops.metrics import ServiceMetrics
from twin_service.store.base import AppliedMessage, TimeSeriesStore

log = logging.getLogger(__name__)

OnDurable = Callable[[], None]

DEFAULT_MAX_PENDING = 200_000  # messages; at ~1 KiB each, some 200 MB at worst
# A commit costs about the same for 10 messages as for 300 (the WAL pages it touches),
# so while messages keep coming the writer waits for more: until GATHER_MIN are
# waiting, or none came for GATHER_QUIET_S, or GATHER_MAX_S have passed. A broker
# that sends only a few unacknowledged messages (Mosquitto's max_inflight_messages,
# 20 by default) then costs one quiet time per batch, not GATHER_MAX_S.
GATHER_MIN = 500
GATHER_QUIET_S = 0.001
GATHER_MAX_S = 0.02
REFUSAL_LOG_EVERY_S = 60.0


class StoreWriter:
    def __init__(
        self,
        store: TimeSeriesStore,
        metrics: ServiceMetrics,
        batch_max: int = 5_000,
        max_backoff_s: float = 5.0,
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self._store = store
        self._metrics = metrics
        self._batch_max = batch_max
        self.max_pending = max_pending
        self.refused = 0
        self._refusal_logged_at = -math.inf
        metrics.store_pending_max.set(max_pending)
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

    def enqueue(
        self, message: AppliedMessage | None, on_durable: OnDurable, *, qos: int = 1
    ) -> bool:
        """Queue a message (or None: a barrier that is durable once all before it are).

        ``qos`` is the MQTT QoS the message came with. A QoS 0 message is refused when
        ``max_pending`` messages are waiting: then it is counted and logged, ``on_durable``
        is never called and the result is False. Anything else is always queued (True).
        """
        if qos == 0 and message is not None and len(self._pending) >= self.max_pending:
            self._refuse(message)
            return False
        self._pending.append((message, on_durable))
        self._idle.clear()
        self._wake.set()
        return True

    def _refuse(self, message: AppliedMessage) -> None:
        self.refused += 1
        self._metrics.store_pending_refused.inc()
        now = time.monotonic()
        if now - self._refusal_logged_at >= REFUSAL_LOG_EVERY_S:
            self._refusal_logged_at = now
            log.warning(
                "store queue full (%d messages waiting for a commit, bound %d): refusing"
                " QoS 0 messages until the store catches up, %d so far, latest from %s/%s"
                " (logged once a minute)",
                len(self._pending),
                self.max_pending,
                self.refused,
                message.lab,
                message.kit,
            )

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
            await self._gather()
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

    async def _gather(self) -> None:
        """Wait for more messages to commit together (see GATHER_MIN)."""
        deadline = time.monotonic() + GATHER_MAX_S
        while len(self._pending) < GATHER_MIN and not self._stopping and self.healthy:
            waiting = len(self._pending)
            await asyncio.sleep(GATHER_QUIET_S)
            if len(self._pending) == waiting or time.monotonic() >= deadline:
                return

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
