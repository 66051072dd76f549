"""The port every history store implements, and the rows that cross it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

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


@dataclass(frozen=True, slots=True)
class AppliedMessage:
    """A telemetry message's readings and waveform chunks, written exactly once per ``seq``."""

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

    async def latest_values(self) -> list[StoredValue]: ...

    async def recent_seqs(self, limit_per_kit: int) -> dict[KitRef, list[int]]: ...

    async def check_writable(self) -> bool: ...

    async def prune(self, older_than_ts: float) -> int:
        """Delete points with device time before ``older_than_ts``; return how many."""
        ...
