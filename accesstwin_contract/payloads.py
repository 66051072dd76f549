"""The MQTT payloads: what kits send (telemetry, input, status) and what the service
publishes (desired state, rejections). Typed shapes, plus the one builder of a rejection.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import Any, Literal, NotRequired, Protocol, TypeAlias, TypedDict

MAX_TELEMETRY_BYTES = 64 * 1024
REJECTED_PAYLOAD_KEEP = 1_024  # bytes of the refused payload kept in a rejection
# Dropped readings listed in a rejection; ``dropped_count`` counts them all, so a message
# naming thousands of bad readings never becomes a bigger rejection than it was.
REJECTED_DROPPED_KEEP = 32
STATUS_ONLINE = "online"
STATUS_OFFLINE = "offline"
StatusPayload: TypeAlias = Literal["online", "offline"]  # plain text, retained, last will


class WaveformPayload(TypedDict):
    rate_hz: float
    samples: list[float]  # the first at the message's ``ts``


class TelemetryPayload(TypedDict):
    """``{prefix}/{lab}/{kit}/telemetry``: at least one of ``readings`` and ``waveforms``."""

    ts: float  # device time, Unix seconds
    seq: int  # per kit, increasing
    readings: NotRequired[dict[str, float]]
    waveforms: NotRequired[dict[str, WaveformPayload]]


class InputPayload(TypedDict):
    """``{prefix}/{lab}/{kit}/input``: a press or release of one switch."""

    ts: float
    seq: int
    switch: Literal["select", "next"]
    state: Literal["down", "up"]


class DesiredPayload(TypedDict):
    """``{prefix}/{lab}/{kit}/desired`` (retained): the state the service wants."""

    version: int
    desired: dict[str, Any]


class DroppedDoc(TypedDict):
    sensor: str
    reason: str


class RejectionPayload(TypedDict):
    """``{prefix}/_rejected/{lab}/{kit}``: why a message (or part of it) was refused."""

    reason: str
    topic: str
    received_at: float
    payload_b64: str  # at most REJECTED_PAYLOAD_KEEP bytes of the payload
    payload_truncated: NotRequired[bool]
    payload_bytes: NotRequired[int]
    dropped: NotRequired[list[DroppedDoc]]  # at most REJECTED_DROPPED_KEEP of them
    dropped_count: NotRequired[int]  # how many were dropped in all
    seq: NotRequired[int]


class DroppedPart(Protocol):
    """A reading or waveform dropped from a kept message (``gateway.telemetry.Dropped``)."""

    @property
    def sensor(self) -> str: ...

    @property
    def reason(self) -> str: ...


def rejection_payload(
    reason: str,
    topic: str,
    received_at: float,
    payload: bytes,
    dropped: Iterable[DroppedPart] = (),
    seq: int | None = None,
) -> RejectionPayload:
    """The rejection of ``payload`` received on ``topic``, keeping its first bytes."""
    kept = payload[:REJECTED_PAYLOAD_KEEP]
    body: RejectionPayload = {
        "reason": reason,
        "topic": topic,
        "received_at": received_at,
        "payload_b64": base64.b64encode(kept).decode("ascii"),
    }
    if len(kept) < len(payload):
        body["payload_truncated"] = True
        body["payload_bytes"] = len(payload)
    parts = [DroppedDoc(sensor=d.sensor, reason=d.reason) for d in dropped]
    if parts:
        body["dropped"] = parts[:REJECTED_DROPPED_KEEP]
        body["dropped_count"] = len(parts)
    if seq is not None:
        body["seq"] = seq
    return body
