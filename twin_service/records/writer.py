"""``RecordsWriter``: what happens is committed within ``BATCH_WINDOW_S``, in batches.

Callers enqueue writes and go on; one task commits whatever waits as one transaction,
at most ``BATCH_WINDOW_S`` after the first write of a batch arrived (so a crash loses
at most that much). ``flush`` waits until everything enqueued before it is committed:
the API uses it before acknowledging what a person did (a profile change, a new session,
a bookmark).

While the database is away the batch is kept and retried with backoff; sessions go on.
The queue is bounded (``max_pending``): past it new events are refused, counted
(``accesstwin_records_dropped_total{reason="limit"}``) and logged once a minute. Rows that
describe a session or profile as a whole are never refused (they are few, and the newest
one replaces older ones in the same batch).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable

from twin_service.records.base import EventRow, OutboxWrite, RecordsStore, Write
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.metrics import RecordsMetrics

log = logging.getLogger(__name__)

BATCH_WINDOW_S = 0.25  # a crash loses at most this (plus one commit) of a session's events
BATCH_MAX = 2_000
MAX_BACKOFF_S = 5.0
DROP_LOG_EVERY_S = 60.0


class RecordsWriter:
    def __init__(
        self,
        store: RecordsStore,
        metrics: RecordsMetrics,
        max_pending: int = 100_000,
        window_s: float = BATCH_WINDOW_S,
    ) -> None:
        if max_pending < 1:
            raise ValueError("max_pending must be at least 1")
        self.store = store
        self.metrics = metrics
        self.max_pending = max_pending
        self._window = window_s
        self._queue: deque[Write] = deque()
        self._enqueued = 0  # writes ever enqueued
        self._committed = 0  # writes ever committed (a prefix of the enqueued ones)
        self._wake = asyncio.Event()
        self._committed_event = asyncio.Event()
        self._flush_now = asyncio.Event()  # a flush ends the gathering at once
        self._running = False
        self.healthy = True
        self.last_error: str | None = None
        self._dropped_logged_at = -float("inf")
        self.on_commit: Callable[[], None] | None = None  # e.g. wake the xAPI sender
        metrics.pending_max.set(max_pending)
        metrics.database_up.set(1)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def enqueue(self, items: Iterable[Write]) -> bool:
        """Queue writes; False when events had to be refused (the queue is full)."""
        ok = True
        for item in items:
            if isinstance(item, EventRow | OutboxWrite) and len(self._queue) >= self.max_pending:
                ok = False
                self.metrics.dropped.labels("limit").inc()
                self._log_drop()
                continue
            self._queue.append(item)
            self._enqueued += 1
        self.metrics.pending.set(len(self._queue))
        self._wake.set()
        return ok

    def _log_drop(self) -> None:
        now = time.monotonic()
        if now - self._dropped_logged_at >= DROP_LOG_EVERY_S:
            self._dropped_logged_at = now
            log.error(
                "records: %d writes waiting (the bound) while the database is away; new"
                " events are refused and counted in accesstwin_records_dropped_total",
                len(self._queue),
            )

    def pending_events(self, session_id: str) -> list[EventRow]:
        """Events of the session not yet committed (shown with the committed ones)."""
        return [w for w in self._queue if isinstance(w, EventRow) and w.session_id == session_id]

    async def flush(self, timeout: float = 2.0) -> bool:
        """Wait until what is queued now is committed; False if that took over ``timeout``
        (the database is away) or no writer task runs."""
        target = self._enqueued
        if self._committed >= target:
            return True
        if not self._running:
            return False
        self._flush_now.set()
        self._wake.set()
        deadline = time.monotonic() + timeout
        while self._committed < target:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._committed_event.clear()
            try:
                await asyncio.wait_for(self._committed_event.wait(), left)
            except TimeoutError:
                return self._committed >= target
        return True

    async def run(self) -> None:
        self._running = True
        backoff = 0.25
        try:
            while True:
                if not self._queue:
                    self._wake.clear()
                    await self._wake.wait()
                if not self._flush_now.is_set():
                    with contextlib.suppress(TimeoutError):  # gather the batch
                        await asyncio.wait_for(self._flush_now.wait(), self._window)
                self._flush_now.clear()
                batch = [self._queue[i] for i in range(min(len(self._queue), BATCH_MAX))]
                try:
                    await self.store.write(batch)
                except RecordsUnavailableError as exc:
                    self.metrics.write_errors.inc()
                    self._went_away(str(exc))
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, MAX_BACKOFF_S)
                    continue
                backoff = 0.25
                for _ in batch:
                    self._queue.popleft()
                self._committed += len(batch)
                self.metrics.written.inc(len(batch))
                self.metrics.pending.set(len(self._queue))
                self._committed_event.set()
                if self.on_commit is not None:
                    self.on_commit()
                if not self.healthy:
                    self.healthy = True
                    self.metrics.database_up.set(1)
                    log.warning("records database is back; %d queued writes committed", len(batch))
        finally:
            self._running = False

    def _went_away(self, error: str) -> None:
        self.last_error = error
        if self.healthy:
            self.healthy = False
            self.metrics.database_up.set(0)
            log.error(
                "records database away (%s); sessions go on, %d writes are kept and retried",
                error,
                len(self._queue),
            )

    async def drain(self, timeout: float) -> bool:
        """Commit everything waiting (at a clean stop)."""
        return await self.flush(timeout)
