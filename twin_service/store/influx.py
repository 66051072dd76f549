"""InfluxDB 2 history store (``ACCESSTWIN_STORE=influxdb://TOKEN@host:8086/ORG/BUCKET``).

``write()`` returns only once the batch is durable (the gateway acks MQTT after it).
Points go out as gzip'd line protocol, 5,000 lines per request, through the synchronous
client in a worker thread; 5xx / 429 / connection errors are retried with exponential
backoff (4 attempts). If they persist, one of two things happens:

* InfluxDB unreachable for less than ``spool_after_s`` (default 30 s): ``StoreError``.
  Nothing is acked; the service's writer retries and the broker keeps the messages.
* Unreachable for longer (or the spool already holds data): the batch is appended to a
  local SQLite spool (``spool=PATH``, fsync'd, at most ``spool_max_points``), the call
  succeeds and the messages are acked. A background task replays the spool oldest
  first; while anything is spooled, new batches queue behind it, so InfluxDB receives
  everything in the order it was acked. A full spool means ``StoreError`` again.
  ``spooled_points`` and ``spool_max_points`` report its fill for metrics; a warning is
  logged when it reaches 90 % of the bound (``influx_spool``).

A 4xx answer (bad token, missing bucket, type conflict) is never spooled: StoreError.

Exactly-once: InfluxDB keys a point by (measurement, tags, time), so rewriting a
message overwrites its points with identical values; writes are idempotent. The seqs of
durable messages are kept in the spool file for ``recent_seqs`` and to skip redeliveries.
Reads: ``history``, ``history_means`` (``aggregateWindow``) and ``latest_values`` are
Flux queries (``influx_flux``). ``prune`` deletes nothing (the bucket's retention period
does that) and returns 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage, BucketWidth, StoredValue
from twin_service.store.influx_client import (
    InfluxHttp,
    InfluxRejectedError,
    InfluxUnavailableError,
)
from twin_service.store.influx_flux import (
    LAST_NS,
    FluxQueryError,
    history_means_query,
    history_points,
    history_query,
    latest_query,
    latest_rows,
    parse_annotated_csv,
    window_points,
)
from twin_service.store.influx_lines import message_lines, request_bodies, ts_to_ns
from twin_service.store.influx_spool import Spool
from twin_service.store.influx_url import InfluxTarget

T = TypeVar("T")
log = logging.getLogger(__name__)


class InfluxStore:
    def __init__(
        self,
        target: InfluxTarget,
        *,
        attempts: int = 4,
        backoff_s: float = 0.1,
        max_backoff_s: float = 2.0,
        replay_max_backoff_s: float = 10.0,
    ) -> None:
        self.target = target
        self._attempts, self._backoff_s, self._max_backoff_s = attempts, backoff_s, max_backoff_s
        self._replay_max_backoff_s = replay_max_backoff_s
        self.spool = Spool(target.spool_path, target.spool_max_points)
        self._http: InfluxHttp | None = None
        self._io = ThreadPoolExecutor(1, thread_name_prefix="influx-io")
        self._reads = ThreadPoolExecutor(2, thread_name_prefix="influx-read")
        self._replay_refused: str | None = None  # InfluxDB refuses the oldest spooled body
        self._spool_wake = asyncio.Event()
        self._closing = asyncio.Event()
        self._replay: asyncio.Task[None] | None = None

    def __repr__(self) -> str:
        return f"InfluxStore({self.target.describe()})"

    @property
    def spooled_points(self) -> int:
        """Points accepted while InfluxDB was away and not replayed yet."""
        return self.spool.points

    @property
    def spool_max_points(self) -> int:
        """Bound on ``spooled_points`` (``spool_max_points=``; 0: no spool)."""
        return self.spool.max_points

    @property
    def http(self) -> InfluxHttp:
        if self._http is None:
            raise StoreError("InfluxDB store is not open")
        return self._http

    async def _run(self, pool: ThreadPoolExecutor, func: Callable[[], T]) -> T:
        def call() -> T:
            try:
                return func()
            except sqlite3.Error as exc:
                raise StoreError(f"InfluxDB spool {self.target.spool_path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(pool, call)

    async def open(self) -> None:
        await self._run(self._io, self.spool.open)
        self._http = InfluxHttp(self.target)
        self._replay = asyncio.create_task(self._replay_loop(), name="influx-spool-replay")
        if self.spool.points:
            log.warning("InfluxDB spool holds %d points from before; replaying", self.spool.points)

    async def close(self) -> None:
        if self._replay is not None:
            # The loop also watches _closing: a cancel that lands while a replay attempt's
            # answer is being delivered can be absorbed, and must not keep it going.
            self._closing.set()
            self._replay.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._replay
            self._replay = None
        await self._run(self._io, self.spool.close)
        if self._http is not None:
            self._http.close()
            self._http = None
        self._io.shutdown(wait=True)
        self._reads.shutdown(wait=True)

    # -- writes ---------------------------------------------------------------------

    async def write(self, messages: Sequence[AppliedMessage]) -> int:
        written, spooled = await self._run(self._io, lambda: self._write_now(messages))
        if spooled:
            self._spool_wake.set()
        return written

    def _write_now(self, messages: Sequence[AppliedMessage]) -> tuple[int, bool]:
        fresh = self.spool.new_messages(messages)
        lines = message_lines(fresh)
        bodies = request_bodies(lines)
        if self.spool.points:  # queue behind what is spooled, to keep the order
            self.spool.append(self._sized(bodies), fresh)
            return len(lines), True
        try:
            for body in bodies:
                self.http.post_with_retries(
                    body, self._attempts, self._backoff_s, self._max_backoff_s
                )
        except InfluxUnavailableError as exc:
            down_for = self.http.down_for()
            if down_for < self.target.spool_after_s or not self.spool.has_room(len(lines)):
                full = "" if down_for < self.target.spool_after_s else " (spool full or off)"
                raise StoreError(
                    f"InfluxDB {self.target.http_url} unavailable{full}: {exc}"
                ) from exc
            self.spool.append(self._sized(bodies), fresh)
            log.warning(
                "InfluxDB unreachable for %.0f s: spooled %d points to %s (%d waiting)",
                down_for, len(lines), self.spool.path, self.spool.points,
            )  # fmt: skip
            return len(lines), True
        except InfluxRejectedError as exc:
            raise StoreError(f"InfluxDB {self.target.http_url} refused the write: {exc}") from exc
        self.spool.record(fresh)
        return len(lines), False

    @staticmethod
    def _sized(bodies: list[bytes]) -> list[tuple[int, bytes]]:
        return [(body.count(b"\n") + 1, body) for body in bodies]

    async def _replay_loop(self) -> None:
        delay = self._backoff_s
        while not self._closing.is_set():
            if not self.spool.points:
                self._spool_wake.clear()
                if not self.spool.points:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._spool_wake.wait(), 5.0)
                continue
            try:
                await self._run(self._io, self._replay_one)
            except (InfluxUnavailableError, InfluxRejectedError, StoreError) as exc:
                log.warning("InfluxDB spool replay failed, next try in %.1f s: %s", delay, exc)
            except Exception:
                log.exception("InfluxDB spool replay failed, next try in %.1f s", delay)
            else:
                delay = self._backoff_s
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay)
            delay = min(delay * 2, self._replay_max_backoff_s)

    def _replay_one(self) -> None:
        oldest = self.spool.oldest()
        if oldest is None:
            self.spool.points = 0
            return
        row_id, points, body = oldest
        try:
            self.http.post_lines(body)
        except InfluxRejectedError as exc:
            self._replay_refused = str(exc)
            raise
        self._replay_refused = None
        self.spool.remove(row_id, points)
        if not self.spool.points:
            log.info("InfluxDB spool replayed completely")

    # -- reads ----------------------------------------------------------------------

    async def _query(self, flux: str) -> str:
        try:
            return await self._run(self._reads, lambda: self.http.query_csv(flux))
        except (InfluxUnavailableError, InfluxRejectedError) as exc:
            raise StoreError(f"InfluxDB {self.target.http_url} query failed: {exc}") from exc

    async def history(
        self, kit: KitRef, sensor: str, start: float | None, end: float | None, limit: int
    ) -> list[tuple[float, float]]:
        start_ns = 0 if start is None else max(0, ts_to_ns(start))
        end_ns = LAST_NS - 1 if end is None else min(LAST_NS - 1, ts_to_ns(end))
        if limit <= 0 or end_ns < start_ns:
            return []
        flux = history_query(self.target.bucket, kit.lab, kit.kit, sensor, start_ns, end_ns, limit)
        try:
            return history_points(parse_annotated_csv(await self._query(flux)), limit)
        except FluxQueryError as exc:
            raise StoreError(str(exc)) from exc

    async def history_means(
        self,
        kit: KitRef,
        sensor: str,
        start: float | None,
        end: float | None,
        every: BucketWidth,
        limit: int,
    ) -> list[tuple[float, float]]:
        start_ns = 0 if start is None else max(0, ts_to_ns(start))
        end_ns = LAST_NS - 1 if end is None else min(LAST_NS - 1, ts_to_ns(end))
        if limit <= 0 or end_ns < start_ns:
            return []
        flux = history_means_query(
            self.target.bucket, kit.lab, kit.kit, sensor, start_ns, end_ns, every.ns, limit
        )
        try:
            return window_points(parse_annotated_csv(await self._query(flux)), every.ns, limit)
        except FluxQueryError as exc:
            raise StoreError(str(exc)) from exc

    async def latest_values(self) -> list[StoredValue]:
        try:
            return latest_rows(
                parse_annotated_csv(await self._query(latest_query(self.target.bucket)))
            )
        except FluxQueryError as exc:
            raise StoreError(str(exc)) from exc

    async def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]:
        return await self._run(self._io, lambda: self.spool.recent_seqs(limit_per_kit))

    async def check_writable(self) -> bool:
        """InfluxDB answers ``/ping``, or it is away but batches can still be spooled."""
        if self._http is None or self._replay_refused is not None:
            return False
        if await self._run(self._reads, self.http.ping):
            return True
        return self.http.down_for() >= self.target.spool_after_s and self.spool.has_room(1)

    async def prune(self, older_than_ts: float) -> int:
        """Points expire by the bucket's retention period; only old seqs are forgotten here."""
        await self._run(self._io, lambda: self.spool.forget_seqs(older_than_ts))
        return 0
