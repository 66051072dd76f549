"""``XapiSender``: delivers the outbox's statements to the LRS, oldest first.

A statement is written to the outbox table in the same transaction as the event it
stands for, so it is never lost; it leaves the outbox (``sent_at`` set) only after the LRS
answered 2xx. Sending again after a lost answer is harmless: the statement id is fixed
and an LRS keeps one statement per id (xAPI 1.0.3, "Statement id"). While the LRS is away
or refuses, the batch is retried with exponential backoff up to ``MAX_BACKOFF_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

import httpx

from twin_service.records.base import RecordsStore
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.metrics import RecordsMetrics
from twin_service.records.xapi import XAPI_VERSION

log = logging.getLogger(__name__)

BATCH = 50
MAX_BACKOFF_S = 10.0
IDLE_CHECK_S = 5.0
TIMEOUT_S = 10.0


def backoff_s(attempts: int) -> float:
    """Delay before the next try after ``attempts`` failed ones: 0.5 s, 1 s, 2 s, … 10 s."""
    return float(min(MAX_BACKOFF_S, 0.5 * 2 ** min(attempts, 10)))


class XapiSender:
    def __init__(
        self,
        store: RecordsStore,
        url: str,
        auth: tuple[str, str] | None,
        metrics: RecordsMetrics,
    ) -> None:
        self.store = store
        self.endpoint = url.rstrip("/") + "/statements"
        self._auth = auth
        self.metrics = metrics
        self._wake = asyncio.Event()
        self._failing_since: float | None = None

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        headers = {"X-Experience-API-Version": XAPI_VERSION, "Content-Type": "application/json"}
        async with httpx.AsyncClient(auth=self._auth, headers=headers, timeout=TIMEOUT_S) as http:
            while True:
                delay = await self._send_due(http)
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), delay)

    async def _send_due(self, http: httpx.AsyncClient) -> float:
        """Send what is due; return how long to wait before looking again."""
        try:
            while True:
                items = await self.store.outbox_due(time.time(), BATCH)
                if not items:
                    waiting, _ = await self.store.outbox_counts()
                    self.metrics.xapi_waiting.set(waiting)
                    return 1.0 if waiting else IDLE_CHECK_S
                body = "[" + ",".join(item.statement for item in items) + "]"
                error = await self._post(http, body)
                ids = [item.id for item in items]
                if error is None:
                    await self.store.outbox_done(ids, time.time())
                    self.metrics.xapi_sent.inc(len(items))
                    if self._failing_since is not None:
                        log.warning("xAPI: the LRS takes statements again")
                        self._failing_since = None
                    continue
                self.metrics.xapi_failures.inc()
                attempts = min(item.attempts for item in items)
                delay = backoff_s(attempts)
                await self.store.outbox_retry(ids, time.time() + delay, error)
                self.metrics.xapi_waiting.set((await self.store.outbox_counts())[0])
                if self._failing_since is None:
                    self._failing_since = time.time()
                    log.warning("xAPI: %s; statements are kept and retried", error)
                return delay
        except RecordsUnavailableError as exc:
            log.debug("xAPI outbox unreadable: %s", exc)
            return 2.0

    async def _post(self, http: httpx.AsyncClient, body: str) -> str | None:
        try:
            response = await http.post(self.endpoint, content=body)
        except httpx.HTTPError as exc:
            return f"LRS {self.endpoint} unreachable: {type(exc).__name__}: {exc}"
        if response.is_success:
            return None
        return f"LRS {self.endpoint} answered {response.status_code}: {response.text[:200]}"
