"""Samples → contract telemetry payloads (docs/interface.md, "Telemetry payload").

Waveform samples are collected per sensor into chunks of ``chunk_samples`` evenly
spaced values; a chunk's ``ts`` is its first sample's device time. A sample that does
not fall on the chunk's grid (a gap: a lost FIFO burst, a skipped invalid range, a
rate change) closes the chunk early and starts a new one, so the service's
``ts + i / rate_hz`` always gives each sample's true time. Chunks closed together with
the same ``ts`` (red and IR of one FIFO, PPG and depth of a simulator) share a message.
Readings with one ``ts`` share a message. Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from devices.drivers.base import Sample

# Keep a message far below the contract's 64 KiB (about 12 bytes per sample and sensor).
MAX_CHUNK_SAMPLES = 1_000


@dataclass(slots=True)
class Chunk:
    sensor: str
    rate_hz: float
    ts: float
    samples: list[float] = field(default_factory=list)

    def next_ts(self) -> float:
        return self.ts + len(self.samples) / self.rate_hz


class WaveformBatcher:
    """Collects waveform samples into chunks; a sample off the grid by more than
    ``tolerance`` of a period starts a new chunk."""

    def __init__(self, chunk_samples: int, tolerance: float = 0.5) -> None:
        if not 1 <= chunk_samples <= MAX_CHUNK_SAMPLES:
            raise ValueError(f"chunk_samples must be 1..{MAX_CHUNK_SAMPLES}")
        self.chunk_samples = chunk_samples
        self.tolerance = tolerance
        self._open: dict[str, Chunk] = {}

    def add(self, samples: Iterable[Sample], rate_hz: float) -> list[Chunk]:
        """Add samples (in time order) of sensors running at ``rate_hz``; returns full chunks."""
        done: list[Chunk] = []
        for sample in samples:
            if not math.isfinite(sample.value):
                continue  # a gap: the next sample starts a new chunk
            chunk = self._open.get(sample.sensor)
            if chunk is not None and (
                not math.isclose(chunk.rate_hz, rate_hz)
                or abs(sample.ts - chunk.next_ts()) > self.tolerance / rate_hz
            ):
                done.append(self._open.pop(sample.sensor))
                chunk = None
            if chunk is None:
                chunk = self._open[sample.sensor] = Chunk(sample.sensor, rate_hz, sample.ts)
            chunk.samples.append(sample.value)
            if len(chunk.samples) >= self.chunk_samples:
                done.append(self._open.pop(sample.sensor))
        return done

    def flush(self) -> list[Chunk]:
        """Close every open chunk (at shutdown)."""
        done = list(self._open.values())
        self._open.clear()
        return done


def _number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else float(value)


def waveform_messages(chunks: Iterable[Chunk]) -> list[dict[str, Any]]:
    """Telemetry bodies without ``seq``: chunks with equal ``ts`` go in one message."""
    by_ts: dict[float, dict[str, Any]] = {}
    for chunk in chunks:
        key = round(chunk.ts, 6)
        body = by_ts.setdefault(key, {"ts": key, "waveforms": {}})
        body["waveforms"][chunk.sensor] = {
            "rate_hz": _number(chunk.rate_hz),
            "samples": [_number(v) for v in chunk.samples],
        }
    return [by_ts[ts] for ts in sorted(by_ts)]


def reading_messages(samples: Iterable[Sample]) -> list[dict[str, Any]]:
    """Telemetry bodies without ``seq``: readings with equal ``ts`` go in one message."""
    by_ts: dict[float, dict[str, Any]] = {}
    for sample in samples:
        if not math.isfinite(sample.value):
            continue
        key = round(sample.ts, 6)
        body = by_ts.setdefault(key, {"ts": key, "readings": {}})
        body["readings"][sample.sensor] = _number(sample.value)
    return [by_ts[ts] for ts in sorted(by_ts)]
