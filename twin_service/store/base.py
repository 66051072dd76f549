"""The port every history store implements, and the rows that cross it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Protocol

from gateway.identifiers import KitRef


class SamplePoint(NamedTuple):
    """One value of one sensor (or derived signal) at one device time (a plain tuple,
    so it goes into SQLite as it is)."""

    lab: str
    kit: str
    sensor: str
    ts: float
    value: float
    received_at: float


@dataclass(frozen=True, slots=True)
class WaveformChunk:
    """Evenly spaced samples of one waveform, the first at device time ``ts0``."""

    sensor: str
    ts0: float
    rate_hz: float
    samples: Sequence[float]

    @property
    def ts_end(self) -> float:
        return self.ts0 + (len(self.samples) - 1) / self.rate_hz

    def points(self, lab: str, kit: str, received_at: float) -> list[SamplePoint]:
        step = 1.0 / self.rate_hz
        return [
            SamplePoint(lab, kit, self.sensor, self.ts0 + i * step, float(v), received_at)
            for i, v in enumerate(self.samples)
        ]


class AppliedMessage(NamedTuple):
    """A telemetry message's readings and waveform chunks, written exactly once per ``seq``
    (a named tuple: one per message on the ingest path)."""

    lab: str
    kit: str
    seq: int | None
    received_at: float
    points: Sequence[SamplePoint]
    chunks: Sequence[WaveformChunk] = ()

    @property
    def point_count(self) -> int:
        return len(self.points) + sum(len(c.samples) for c in self.chunks)

    def all_points(self) -> list[SamplePoint]:
        """Every value as a point (waveform chunks expanded), for stores that want points."""
        out = list(self.points)
        for chunk in self.chunks:
            out.extend(chunk.points(self.lab, self.kit, self.received_at))
        return out


@dataclass(frozen=True, slots=True)
class BucketWidth:
    """The width of the time buckets a downsampled history averages over, in whole ns.

    Buckets are aligned to the Unix epoch (as InfluxDB's ``aggregateWindow`` aligns its
    windows): bucket ``k`` holds device times in ``[k * width, (k + 1) * width)``.
    """

    ns: int
    MIN_S: ClassVar[float] = 0.001
    MAX_S: ClassVar[float] = 86_400.0  # one day
    MIN_NS: ClassVar[int] = 1_000_000
    MAX_NS: ClassVar[int] = 86_400 * 1_000_000_000

    def __post_init__(self) -> None:
        if not self.MIN_NS <= self.ns <= self.MAX_NS:
            raise ValueError(f"bucket width must be 0.001 to 86400 s, got {self.ns} ns")

    @classmethod
    def from_seconds(cls, seconds: float) -> BucketWidth:
        if not math.isfinite(seconds) or not cls.MIN_S <= seconds <= cls.MAX_S:
            raise ValueError(f"bucket width must be 0.001 to 86400 s, got {seconds!r}")
        return cls(round(seconds * 1_000_000_000))

    @property
    def seconds(self) -> float:
        return self.ns / 1_000_000_000

    def key(self, ts: float) -> int:
        """The bucket of device time ``ts`` (floor division, as the SQLite query does it)."""
        return math.floor(ts / self.seconds)

    def start(self, key: int) -> float:
        """Bucket ``key``'s first instant in Unix seconds (exact int ns, rounded once)."""
        return (key * self.ns) / 1_000_000_000


@dataclass(frozen=True, slots=True)
class StoredValue:
    """The newest stored value of a sensor, used to restore twins at start-up."""

    lab: str
    kit: str
    sensor: str
    ts: float
    value: float
    received_at: float


class TimeSeriesStore(Protocol):
    """History of twin values. Methods are async; a write returns once it is durable."""

    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def write(self, messages: Sequence[AppliedMessage]) -> int:
        """Store messages whose ``seq`` was not stored before; return points written."""
        ...

    async def history(
        self, kit: KitRef, sensor: str, start: float | None, end: float | None, limit: int
    ) -> list[tuple[float, float]]:
        """Newest ``limit`` points in [start, end], returned in ascending device time."""
        ...

    async def history_means(
        self,
        kit: KitRef,
        sensor: str,
        start: float | None,
        end: float | None,
        every: BucketWidth,
        limit: int,
    ) -> list[tuple[float, float]]:
        """``(bucket start, mean)`` of the points in [start, end], one per ``every``-wide
        bucket that holds any (empty buckets are left out): the newest ``limit`` buckets,
        ascending. Readings and waveform samples alike."""
        ...

    async def latest_values(self) -> list[StoredValue]: ...

    async def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]: ...

    async def check_writable(self) -> bool: ...

    async def prune(self, older_than_ts: float) -> int:
        """Delete points with device time before ``older_than_ts``; return how many."""
        ...
