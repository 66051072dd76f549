"""Parse and validate kit payloads: telemetry, switch input and status.

Order of judgement (docs/interface.md): the message as a whole (size, encoding, JSON object,
``ts``, ``seq``) → each reading and waveform → duplicate ``seq`` (``gateway.dedupe``).
A reading or waveform that fails is dropped alone with its reason; a message left with
nothing valid is rejected whole. Device payloads are read tolerantly: unknown keys are
ignored. Every function here is pure.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, NamedTuple

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from accesstwin_contract.payloads import MAX_TELEMETRY_BYTES
from accesstwin_contract.time_bounds import EARLIEST_TS, MAX_FUTURE_SKEW_S
from gateway.sensors import SENSORS, sensor_name_error, unit_of, waveform_rate_error

MAX_PAYLOAD_BYTES = MAX_TELEMETRY_BYTES
# Readings plus waveforms judged per message; the rest are dropped with reason LIMIT.
MAX_ITEMS_PER_MESSAGE = 256
LIMIT = "limit"  # the reason of a reading dropped by a bound (this one, or sensors per kit)
MAX_WAVEFORM_SAMPLES = 10_000


class Reading(NamedTuple):
    """One checked reading (a named tuple: built per reading on the ingest path)."""

    sensor: str
    value: float
    unit: str


@dataclass(frozen=True, slots=True)
class Waveform:
    """Evenly spaced samples; the first at the message's ``ts``."""

    sensor: str
    rate_hz: float
    samples: Sequence[float]
    unit: str

    def sample_ts(self, ts0: float, index: int) -> float:
        return ts0 + index / self.rate_hz

    @property
    def last_ts_offset(self) -> float:
        return (len(self.samples) - 1) / self.rate_hz


@dataclass(frozen=True, slots=True)
class Dropped:
    """One reading or waveform that was dropped from an otherwise kept message."""

    sensor: str
    reason: str


@dataclass(frozen=True, slots=True)
class Telemetry:
    ts: float
    seq: int
    readings: tuple[Reading, ...]
    waveforms: tuple[Waveform, ...]
    dropped: tuple[Dropped, ...] = ()

    @property
    def newest_ts(self) -> float:
        if not self.waveforms:  # readings only: the ingest hot path of most kits
            return self.ts
        return self.ts + max(w.last_ts_offset for w in self.waveforms)


@dataclass(frozen=True, slots=True)
class SwitchInput:
    ts: float
    seq: int
    switch: Literal["select", "next"]
    state: Literal["down", "up"]


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why a whole message was refused, with any per-reading reasons."""

    reason: str
    dropped: tuple[Dropped, ...] = ()


class _Envelope(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    ts: float = Field(allow_inf_nan=False)
    seq: int = Field(ge=0, le=2**63 - 1)
    readings: dict[str, Any] | None = None
    waveforms: dict[str, Any] | None = None


class _SwitchPayload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)

    ts: float = Field(allow_inf_nan=False)
    seq: int = Field(ge=0, le=2**63 - 1)
    switch: Literal["select", "next"]
    state: Literal["down", "up"]


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


# One decoder for every payload (``json.loads`` with an option builds a new one per call).
_JSON = json.JSONDecoder(parse_constant=_refuse_constant)


class _FastEnvelope(msgspec.Struct, frozen=True):
    """The envelope as msgspec reads it: JSON bytes to checked fields in one C step.

    Only the fast path of ``parse_telemetry``: anything msgspec refuses is judged again
    by the general path (``decode_json_object`` + ``_Envelope``), which alone words the
    reasons. It accepts no payload the general path refuses: strict types (no bool for a
    number, no float for ``seq``), the same bounds, no NaN or Infinity literals."""

    ts: float
    seq: Annotated[int, msgspec.Meta(ge=0, le=2**63 - 1)]
    readings: dict[str, Any] | None = None
    waveforms: dict[str, Any] | None = None


_FAST = msgspec.json.Decoder(_FastEnvelope)


def decode_json_object(payload: bytes) -> dict[str, Any] | Rejection:
    """Size, encoding and syntax checks shared by every JSON channel."""
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejection(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Rejection(f"payload is not UTF-8 ({exc.reason} at byte {exc.start})")
    try:
        document = _JSON.decode(text)
    except (ValueError, RecursionError) as exc:
        return Rejection(f"payload is not JSON: {str(exc)[:120]}")
    if not isinstance(document, dict):
        return Rejection(f"payload must be a JSON object, not {_json_type(document)}")
    return document


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return "a number"


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors(include_url=False)[:3]:
        where = ".".join(str(p) for p in item["loc"]) or "payload"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def check_ts(ts: float, received_at: float) -> str | None:
    """Why a device timestamp is not believable, or None."""
    if ts < EARLIEST_TS:
        return f"ts {ts:.3f} is before 2020-01-01 (device clock not set?)"
    if ts > received_at + MAX_FUTURE_SKEW_S:
        return f"ts {ts:.3f} is {ts - received_at:.0f} s ahead of the service clock"
    return None


def _is_number(value: object) -> bool:
    return type(value) is float or type(value) is int


def _to_float(value: float | int) -> float:
    """``float(value)``, but infinite for a JSON integer too large for a float."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def check_reading(sensor: str, value: object) -> Reading | Dropped:
    # The hot path of ingest (several readings a message): known-good names skip the
    # pattern, and a float's checks are inlined; the rules are those of the slow path.
    if sensor not in _GOOD_NAMES:
        name_error = sensor_name_error(sensor)
        if name_error:
            return Dropped(sensor[:64], name_error)
        if len(_GOOD_NAMES) < _GOOD_NAMES_MAX:
            _GOOD_NAMES.add(sensor)
    kind = type(value)
    if kind is float:
        number: float = value  # type: ignore[assignment]
    elif kind is int:
        number = _to_float(value)  # type: ignore[arg-type]
    else:
        return Dropped(sensor, f"value must be a number, not {_json_type(value)}")
    if not math.isfinite(number):
        return Dropped(sensor, "value must be finite")
    spec = SENSORS.get(sensor)
    if spec is None:
        return Reading(sensor, number, "")
    if not spec.minimum <= number <= spec.maximum:
        return Dropped(sensor, spec.range_error(number) or "outside physical range")
    return Reading(sensor, number, spec.unit)


# Sensor names already found valid (bounded, so hostile names cannot grow it).
_GOOD_NAMES: set[str] = set()
_GOOD_NAMES_MAX = 4_096


def check_waveform(sensor: str, body: object) -> Waveform | Dropped:
    name_error = sensor_name_error(sensor)
    if name_error:
        return Dropped(sensor[:64], name_error)
    if not isinstance(body, dict):
        return Dropped(sensor, "waveform must be an object with rate_hz and samples")
    rate = body.get("rate_hz")
    samples = body.get("samples")
    if not _is_number(rate):
        return Dropped(sensor, f"rate_hz must be a number, not {_json_type(rate)}")
    rate_hz = _to_float(rate)  # type: ignore[arg-type]
    rate_error = waveform_rate_error(sensor, rate_hz)
    if rate_error:
        return Dropped(sensor, rate_error)
    if not isinstance(samples, list) or not samples:
        return Dropped(sensor, "samples must be a non-empty array")
    if len(samples) > MAX_WAVEFORM_SAMPLES:
        return Dropped(sensor, f"more than {MAX_WAVEFORM_SAMPLES} samples")
    if not all(type(x) is float or type(x) is int for x in samples):
        return Dropped(sensor, "every sample must be a number")
    # Every sample lies between these two, so finite bounds mean finite samples.
    low, high = _to_float(min(samples)), _to_float(max(samples))
    if not (math.isfinite(low) and math.isfinite(high)):
        return Dropped(sensor, "every sample must be finite")
    spec = SENSORS.get(sensor)
    if spec is not None:
        range_error = spec.range_error(low) or spec.range_error(high)
        if range_error:
            return Dropped(sensor, f"sample {range_error}")
    return Waveform(sensor, rate_hz, samples, unit_of(sensor))


def check_waveform_end(waveform: Waveform, ts: float, received_at: float) -> str | None:
    """Why a waveform starting at ``ts`` cannot be believed to end where it does, or None.

    ``check_ts`` judges the first sample; this judges the last, so that a long chunk at
    a low rate cannot put the sensor's "latest" value in the future.
    """
    end = ts + waveform.last_ts_offset
    if not end <= received_at + MAX_FUTURE_SKEW_S:  # also catches inf and NaN
        return (
            f"last sample at ts {end:.3f} is {end - received_at:.0f} s ahead of the service clock"
        )
    return None


def _envelope(payload: bytes) -> _FastEnvelope | _Envelope | Rejection:
    """The checked envelope: msgspec's fast path for plain ASCII payloads, else (or
    when it refuses) the general path with its worded reasons."""
    if len(payload) <= MAX_PAYLOAD_BYTES and payload.isascii():
        try:
            return _FAST.decode(payload)
        except msgspec.MsgspecError:
            pass  # judged again below, for the reason
    document = decode_json_object(payload)
    if isinstance(document, Rejection):
        return document
    try:
        return _Envelope.model_validate(document)
    except ValidationError as exc:
        return Rejection(_describe(exc))


def parse_telemetry(payload: bytes, received_at: float) -> Telemetry | Rejection:
    """Validate one telemetry payload (duplicate ``seq`` is judged later)."""
    envelope = _envelope(payload)
    if isinstance(envelope, Rejection):
        return envelope
    ts_error = check_ts(envelope.ts, received_at)
    if ts_error:
        return Rejection(ts_error)
    if not envelope.readings and not envelope.waveforms:
        return Rejection("message has neither readings nor waveforms")
    readings: list[Reading] = []
    waveforms: list[Waveform] = []
    dropped: list[Dropped] = []
    judged = 0
    for sensor, value in (envelope.readings or {}).items():
        judged += 1
        if judged > MAX_ITEMS_PER_MESSAGE:
            dropped.append(Dropped(sensor[:64], LIMIT))
            continue
        reading = check_reading(sensor, value)
        (dropped if isinstance(reading, Dropped) else readings).append(reading)  # type: ignore[arg-type]
    for sensor, body in (envelope.waveforms or {}).items():
        judged += 1
        if judged > MAX_ITEMS_PER_MESSAGE:
            dropped.append(Dropped(sensor[:64], LIMIT))
            continue
        waveform = check_waveform(sensor, body)
        if isinstance(waveform, Waveform):
            end_error = check_waveform_end(waveform, envelope.ts, received_at)
            waveform = Dropped(sensor, end_error) if end_error else waveform
        (dropped if isinstance(waveform, Dropped) else waveforms).append(waveform)  # type: ignore[arg-type]
    if not readings and not waveforms:
        return Rejection("no valid reading or waveform in message", tuple(dropped))
    return Telemetry(envelope.ts, envelope.seq, tuple(readings), tuple(waveforms), tuple(dropped))


def parse_switch_input(payload: bytes, received_at: float) -> SwitchInput | Rejection:
    document = decode_json_object(payload)
    if isinstance(document, Rejection):
        return document
    try:
        event = _SwitchPayload.model_validate(document)
    except ValidationError as exc:
        return Rejection(_describe(exc))
    ts_error = check_ts(event.ts, received_at)
    if ts_error:
        return Rejection(ts_error)
    return SwitchInput(event.ts, event.seq, event.switch, event.state)


def parse_status(payload: bytes) -> bool | Rejection:
    """``online`` → True, ``offline`` → False (plain text, docs/interface.md)."""
    text = payload.strip()
    if text == b"online":
        return True
    if text == b"offline":
        return False
    return Rejection("status must be 'online' or 'offline'")
