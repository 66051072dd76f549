"""Sample points as InfluxDB line protocol, and device time ↔ integer nanoseconds.

One point is ``twin,kit=K,lab=L,sensor=S value=V,received_at=R T``: measurement
``twin``, tags sorted by key, float fields, ``T`` the device time in ns. InfluxDB keys
a point by (measurement, tag set, time), so writing the same sample again overwrites it
with identical values: rewriting a redelivered message is idempotent.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache

from twin_service.store.base import AppliedMessage, SamplePoint

MEASUREMENT = "twin"
VALUE_FIELD = "value"
RECEIVED_FIELD = "received_at"
LINES_PER_REQUEST = 5_000
_NS = 1_000_000_000
_TAG_ESCAPES = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\"})


def ts_to_ns(ts: float) -> int:
    """Device time (Unix seconds) → integer ns, exact to the nanosecond nearest ``ts``."""
    whole = math.floor(ts)
    return whole * _NS + round((ts - whole) * _NS)


def ns_to_ts(ns: int) -> float:
    """Integer ns → Unix seconds (the float nearest; ``ns_to_ts(ts_to_ns(t)) == t``)."""
    return ns / _NS


def escape_tag(text: str) -> str:
    """Escape a tag key or value for line protocol (newlines are refused: no escape exists)."""
    if "\n" in text or "\r" in text:
        raise ValueError(f"line protocol tag cannot contain a newline: {text!r}")
    return text.translate(_TAG_ESCAPES)


@lru_cache(maxsize=4_096)
def _series_prefix(lab: str, kit: str, sensor: str) -> str:
    return f"{MEASUREMENT},kit={escape_tag(kit)},lab={escape_tag(lab)},sensor={escape_tag(sensor)} "


def point_line(point: SamplePoint) -> str | None:
    """One point as a line, or None when it cannot be stored (NaN, infinite, newline)."""
    if not (math.isfinite(point.value) and math.isfinite(point.received_at)):
        return None
    try:
        prefix = _series_prefix(point.lab, point.kit, point.sensor)
    except ValueError:
        return None
    return (
        f"{prefix}"
        f"{VALUE_FIELD}={float(point.value)!r},{RECEIVED_FIELD}={float(point.received_at)!r}"
        f" {ts_to_ns(point.ts)}"
    )


def message_lines(messages: Iterable[AppliedMessage]) -> list[str]:
    lines = []
    for message in messages:
        for point in message.all_points():
            line = point_line(point)
            if line is not None:
                lines.append(line)
    return lines


def request_bodies(lines: Sequence[str], per_request: int = LINES_PER_REQUEST) -> list[bytes]:
    """Split lines into request bodies of at most ``per_request`` lines each."""
    return [
        "\n".join(lines[i : i + per_request]).encode() for i in range(0, len(lines), per_request)
    ]
