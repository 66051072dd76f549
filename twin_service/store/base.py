"""The port every history store implements, and the rows that cross it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gateway.identifiers import KitRef


@dataclass(frozen=True, slots=True)
class SamplePoint:
    """One value of one sensor (or derived signal) at one device time."""

    lab: str
    kit: str
    sensor: str
    ts: float
    value: float
    received_at: float


@dataclass(frozen=True, slots=True)
class AppliedMessage:
    """A telemetry message and its points, written together exactly once per ``seq``."""

    lab: str
    kit: str
    seq: int | None
    received_at: float
    points: Sequence[SamplePoint]


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
