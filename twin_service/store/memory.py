"""In-memory store with the same behaviour as the SQLite one (for tests and ``memory://``)."""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Sequence

from gateway.identifiers import KitRef
from twin_service.store.base import AppliedMessage, BucketWidth, StoredValue

_Key = tuple[str, str, str]


class MemoryStore:
    def __init__(self) -> None:
        self._series: dict[_Key, list[tuple[float, float, float]]] = defaultdict(list)
        self._seqs: dict[KitRef, dict[int, float]] = defaultdict(dict)
        self.writable = True

    def __repr__(self) -> str:
        return "MemoryStore()"

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def write(self, messages: Sequence[AppliedMessage]) -> int:
        from twin_service.errors import StoreError

        if not self.writable:
            raise StoreError("memory store made unwritable")
        written = 0
        for message in messages:
            kit = KitRef(message.lab, message.kit)
            if message.seq is not None:
                if message.seq in self._seqs[kit]:
                    continue
                self._seqs[kit][message.seq] = message.received_at
            for p in message.all_points():
                bisect.insort(
                    self._series[(p.lab, p.kit, p.sensor)], (p.ts, p.value, p.received_at)
                )
                written += 1
        return written

    async def history(
        self, kit: KitRef, sensor: str, start: float | None, end: float | None, limit: int
    ) -> list[tuple[float, float]]:
        series = self._series.get((kit.lab, kit.kit, sensor), [])
        low = float("-inf") if start is None else start
        high = float("inf") if end is None else end
        points = [(ts, value) for ts, value, _ in series if low <= ts <= high]
        return points[-limit:] if limit > 0 else []

    async def history_means(
        self,
        kit: KitRef,
        sensor: str,
        start: float | None,
        end: float | None,
        every: BucketWidth,
        limit: int,
    ) -> list[tuple[float, float]]:
        low = float("-inf") if start is None else start
        high = float("inf") if end is None else end
        buckets: dict[int, list[float]] = defaultdict(list)
        for ts, value, _ in self._series.get((kit.lab, kit.kit, sensor), []):
            if low <= ts <= high:
                buckets[every.key(ts)].append(value)
        newest = sorted(buckets)[-limit:] if limit > 0 else []
        return [(every.start(key), statistics.fmean(buckets[key])) for key in newest]

    async def latest_values(self) -> list[StoredValue]:
        return [
            StoredValue(lab, kit, sensor, *series[-1])
            for (lab, kit, sensor), series in self._series.items()
            if series
        ]

    async def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]:
        return {
            kit: sorted(seqs, key=lambda seq: (seqs[seq], seq))[-limit_per_kit:]
            for kit, seqs in self._seqs.items()
        }

    async def check_writable(self) -> bool:
        return self.writable

    async def prune(self, older_than_ts: float) -> int:
        deleted = 0
        for key, series in self._series.items():
            keep = [row for row in series if row[0] >= older_than_ts]
            deleted += len(series) - len(keep)
            self._series[key] = keep
        return deleted
