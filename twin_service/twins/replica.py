"""Twin state shared through the broker, so API replicas see what the gateways see.

A gateway (``ACCESSTWIN_ROLE=gateway``) publishes each twin's state, retained, to
``{prefix}/_twin/{lab}/{kit}`` (``TopicScheme.twin_topic``) whenever it changed (at most every
``PUBLISH_INTERVAL_S``). An API replica (``ACCESSTWIN_ROLE=api``) subscribes to
``{prefix}/_twin/+/+``: the retained messages give it every twin's current state at
start-up, later ones every change. It applies a state only if it is newer than what it
has — ordered by (the publishing gateway's epoch, the gateway's version) — and turns the
entries that changed into the ``twin.delta`` frame its own websocket clients get. The
replica numbers its own versions, so a gateway restart never makes them go backwards.
Pure: no I/O.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, TypeGuard

from accesstwin_contract.time_bounds import MAX_FUTURE_SKEW_S
from gateway.sensors import SENSORS, sensor_name_error
from twin_service.twins.twin import JsonDict, Twin, TwinChange, ValueEntry

PUBLISH_INTERVAL_S = 0.05
FORMAT = 1


def encode_state(twin: Twin, epoch: float) -> str:
    """The twin's whole state as the gateway publishes it."""
    return json.dumps(
        {
            "format": FORMAT,
            "epoch": epoch,
            "version": twin.version,
            "online": twin.online,
            "updated_at": twin.updated_at,
            "reported": {n: _entry_list(e) for n, e in twin.reported.items()},
            "derived": {n: _entry_list(e) for n, e in twin.derived.items()},
            "desired": twin.desired,
            "desired_version": twin.desired_version,
        }
    )


def _entry_list(entry: ValueEntry) -> list[Any]:
    return [entry.value, entry.unit, entry.ts, entry.received_at]


@dataclass(frozen=True, slots=True)
class TwinState:
    """A decoded state message."""

    epoch: float
    version: int
    online: bool
    updated_at: float
    reported: dict[str, ValueEntry]
    derived: dict[str, ValueEntry]
    desired: JsonDict
    desired_version: int

    @property
    def order(self) -> tuple[float, int]:
        return (self.epoch, self.version)


def decode_state(payload: bytes) -> TwinState:
    """Parse a state message, or raise ``ValueError`` saying what is wrong with it."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"twin state is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError(f"twin state must be an object with format {FORMAT}")
    epoch, version = doc.get("epoch"), doc.get("version")
    if not _number(epoch) or type(version) is not int or version < 0:
        raise ValueError("twin state needs a numeric epoch and a whole version")
    desired = doc.get("desired")
    desired_version = doc.get("desired_version")
    if not isinstance(desired, dict) or type(desired_version) is not int:
        raise ValueError("twin state needs desired (object) and desired_version (int)")
    updated_at = doc.get("updated_at")
    return TwinState(
        epoch=float(epoch),
        version=version,
        online=doc.get("online") is True,
        updated_at=float(updated_at) if _number(updated_at) else 0.0,
        reported=_entries(doc.get("reported"), "reported"),
        derived=_entries(doc.get("derived"), "derived"),
        desired=desired,
        desired_version=desired_version,
    )


def _number(value: object) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _entries(raw: object, block: str) -> dict[str, ValueEntry]:
    if not isinstance(raw, dict):
        raise ValueError(f"twin state {block} must be an object")
    out: dict[str, ValueEntry] = {}
    for name, item in raw.items():
        if (
            not isinstance(item, list)
            or len(item) != 4
            or not (_number(item[0]) and isinstance(item[1], str))
            or not (_number(item[2]) and _number(item[3]))
        ):
            raise ValueError(f"twin state {block}.{name} must be [value, unit, ts, received_at]")
        out[str(name)] = ValueEntry(float(item[0]), item[1], float(item[2]), float(item[3]))
    return out


MAX_UNIT_CHARS = 16
STATE_MAX_FUTURE_SKEW_S = MAX_FUTURE_SKEW_S


def state_error(state: TwinState, now: float, max_sensors: int) -> str | None:
    """Why a replica must not take ``state``, or None.

    A state is believed only if it could have come from a gateway of this service: its
    ``epoch`` (the gateway's start) and value times not past ``now`` + skew (a forged
    ``epoch: 1e300`` would otherwise order after every real state and pin the replica),
    sensor names that kits may use, units a sensor has (a known sensor's own unit), and
    no more sensors than a gateway keeps (``ACCESSTWIN_MAX_SENSORS_PER_KIT``).
    """
    latest = now + STATE_MAX_FUTURE_SKEW_S
    if state.epoch > latest or state.updated_at > latest:
        return f"twin state from the future (epoch {state.epoch:.0f}, now {now:.0f})"
    for block, entries in (("reported", state.reported), ("derived", state.derived)):
        if len(entries) > max_sensors:
            return f"twin state {block} has {len(entries)} sensors, more than {max_sensors}"
        for name, entry in entries.items():
            error = sensor_name_error(name)
            if error:
                return f"twin state {block}: {error}"
            if len(entry.unit) > MAX_UNIT_CHARS or (
                name in SENSORS and entry.unit != SENSORS[name].unit
            ):
                unit = entry.unit[:MAX_UNIT_CHARS]
                return f"twin state {block}.{name}: unit {unit!r} is not its unit"
            if entry.ts > latest or entry.received_at > latest:
                return f"twin state {block}.{name}: time in the future"
    return None


class ReplicaTwin:
    """One twin as an API replica holds it, with the order of the state it last took."""

    def __init__(self, twin: Twin) -> None:
        self.twin = twin
        self.order: tuple[float, int] = (-math.inf, -1)

    def apply(self, state: TwinState) -> TwinChange | None:
        """Take ``state`` if it is newer; the change (for a ``twin.delta``) or None."""
        if state.order <= self.order:
            return None
        self.order = state.order
        twin = self.twin
        # Whole, but no value goes back in time: a gateway restarted after publishing values
        # it had not yet committed publishes older ones again (its new epoch orders first).
        new_reported = _newest(twin.reported, state.reported)
        new_derived = _newest(twin.derived, state.derived)
        reported = {n: e for n, e in new_reported.items() if twin.reported.get(n) != e}
        derived = {n: e for n, e in new_derived.items() if twin.derived.get(n) != e}
        desired_changed = state.desired != twin.desired
        if not (reported or derived or desired_changed or state.online != twin.online):
            return None
        twin.reported = new_reported
        twin.derived = new_derived
        twin.desired = dict(state.desired)
        twin.desired_version = state.desired_version
        twin.online = state.online
        twin.version += 1
        twin.updated_at = max(twin.updated_at, state.updated_at)
        return TwinChange(
            twin.kit,
            twin.version,
            twin.online,
            reported=reported,
            derived=derived,
            desired=twin.desired if desired_changed else None,
            desired_version=twin.desired_version if desired_changed else None,
        )


def _newest(
    current: dict[str, ValueEntry], incoming: dict[str, ValueEntry]
) -> dict[str, ValueEntry]:
    """The incoming entries, each kept at the current one when that one is newer."""
    out = {}
    for name, entry in incoming.items():
        mine = current.get(name)
        out[name] = mine if mine is not None and mine.ts > entry.ts else entry
    return out
