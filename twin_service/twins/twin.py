"""The twin of one kit: reported, derived and desired state with a version.

Conventions (docs/domain.md, after Eclipse Ditto and AWS IoT Device Shadow): the version
increases on every change; "latest" is the newest device timestamp, not the last
message received; each value keeps device time and receive time; a value goes stale
when nothing newer was received for ``stale_after_s``; delta is the desired state
that reported has not reached. Pure: no I/O, the clock is passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from accesstwin_contract.frames import TwinDeltaFrame, TwinDocument, ValueDoc
from gateway.identifiers import KitRef
from gateway.telemetry import Telemetry

JsonDict = dict[str, Any]


@dataclass(slots=True)
class ValueEntry:
    value: float
    unit: str
    ts: float
    received_at: float
    # Derived values (docs/interface.md): the method's quality (0-1), and ``marked_stale``
    # when no newer value could be computed (hr_ppg 5 s after the pulse was lost).
    quality: float | None = None
    marked_stale: bool = False

    def to_json(self, now: float | None = None, stale_after_s: float | None = None) -> ValueDoc:
        doc: ValueDoc = {
            "value": self.value,
            "unit": self.unit,
            "ts": self.ts,
            "received_at": self.received_at,
        }
        if self.quality is not None:
            doc["quality"] = self.quality
        if now is not None and stale_after_s is not None:
            doc["stale"] = self.marked_stale or now - self.received_at > stale_after_s
        elif self.marked_stale:
            doc["stale"] = True
        return doc


@dataclass(slots=True)
class TwinChange:
    """What one update changed; becomes a ``twin.delta`` frame."""

    kit: KitRef
    version: int
    online: bool
    reported: dict[str, ValueEntry] = field(default_factory=dict)
    derived: dict[str, ValueEntry] = field(default_factory=dict)
    desired: JsonDict | None = None
    desired_version: int | None = None

    def to_frame(self) -> TwinDeltaFrame:
        frame: TwinDeltaFrame = {
            "type": "twin.delta",
            "lab": self.kit.lab,
            "kit": self.kit.kit,
            "version": self.version,
            "reported": {name: entry.to_json() for name, entry in self.reported.items()},
            "derived": {name: entry.to_json() for name, entry in self.derived.items()},
            "online": self.online,
        }
        if self.desired is not None:
            frame["desired"] = self.desired
        if self.desired_version is not None:
            frame["desired_version"] = self.desired_version
        return frame


@dataclass(slots=True)
class Twin:
    kit: KitRef
    version: int = 0
    online: bool = False
    reported: dict[str, ValueEntry] = field(default_factory=dict)
    derived: dict[str, ValueEntry] = field(default_factory=dict)
    desired: JsonDict = field(default_factory=dict)
    desired_version: int = 0
    updated_at: float = 0.0
    last_seq: int | None = None

    def _bump(self, now: float) -> int:
        self.version += 1
        self.updated_at = now
        return self.version

    def apply_telemetry(
        self,
        telemetry: Telemetry,
        received_at: float,
        derived: dict[str, ValueEntry] | None = None,
    ) -> TwinChange | None:
        """Take the newer of each value, and of the values ``derived`` from this message,
        as one change (one version); None when nothing changed (all values older)."""
        changed: dict[str, ValueEntry] = {}
        reported, ts = self.reported, telemetry.ts
        for reading in telemetry.readings:  # _newer, inlined: the ingest path's hot loop
            current = reported.get(reading.sensor)
            if current is None or ts >= current.ts:
                changed[reading.sensor] = ValueEntry(reading.value, reading.unit, ts, received_at)
        for waveform in telemetry.waveforms:
            last_ts = telemetry.ts + waveform.last_ts_offset
            entry = ValueEntry(float(waveform.samples[-1]), waveform.unit, last_ts, received_at)
            if _newer(self.reported.get(waveform.sensor), entry):
                changed[waveform.sensor] = entry
        new_derived = {n: e for n, e in (derived or {}).items() if _newer(self.derived.get(n), e)}
        if not changed and not new_derived:
            return None
        self.reported.update(changed)
        self.derived.update(new_derived)
        if changed:
            self.last_seq = telemetry.seq
        return TwinChange(
            self.kit, self._bump(received_at), self.online, reported=changed, derived=new_derived
        )

    def apply_derived(self, values: dict[str, ValueEntry], now: float) -> TwinChange | None:
        changed = {n: e for n, e in values.items() if _newer(self.derived.get(n), e)}
        if not changed:
            return None
        self.derived.update(changed)
        return TwinChange(self.kit, self._bump(now), self.online, derived=changed)

    def apply_status(self, online: bool, now: float) -> TwinChange | None:
        if online == self.online and self.version > 0:
            return None
        self.online = online
        return TwinChange(self.kit, self._bump(now), online)

    def set_desired(self, desired: JsonDict, now: float) -> TwinChange:
        self.desired = dict(desired)
        self.desired_version += 1
        return TwinChange(
            self.kit,
            self._bump(now),
            self.online,
            desired=self.desired,
            desired_version=self.desired_version,
        )

    def delta(self) -> JsonDict:
        """Desired keys whose reported value differs (or has not been reported).

        Telemetry carries numbers only, so a kit reports a desired *name* (a string such
        as ``scenario: vitals``) as the desired version that set it
        (``devices/agent/desired.py``): a name is reached when that equals
        ``desired_version``.
        """
        out: JsonDict = {}
        for key, wanted in self.desired.items():
            have = self.reported.get(key)
            target = self.desired_version if isinstance(wanted, str) else wanted
            if have is None or have.value != target:
                out[key] = wanted
        return out

    def to_json(self, now: float, stale_after_s: float) -> TwinDocument:
        return {
            "lab": self.kit.lab,
            "kit": self.kit.kit,
            "version": self.version,
            "online": self.online,
            "updated_at": self.updated_at,
            "reported": {
                n: e.to_json(now, stale_after_s) for n, e in sorted(self.reported.items())
            },
            "derived": {n: e.to_json(now, stale_after_s) for n, e in sorted(self.derived.items())},
            "desired": self.desired,
            "desired_version": self.desired_version,
            "delta": self.delta(),
        }

    def full_delta_frame(self) -> TwinDeltaFrame:
        """A ``twin.delta`` carrying every value: what a client that fell behind gets."""
        return {
            "type": "twin.delta",
            "lab": self.kit.lab,
            "kit": self.kit.kit,
            "version": self.version,
            "reported": {n: e.to_json() for n, e in self.reported.items()},
            "derived": {n: e.to_json() for n, e in self.derived.items()},
            "online": self.online,
            "desired": self.desired,
            "desired_version": self.desired_version,
            "full": True,
        }

    def summary(self) -> JsonDict:
        return {
            "lab": self.kit.lab,
            "kit": self.kit.kit,
            "online": self.online,
            "version": self.version,
            "updated_at": self.updated_at,
        }


def _newer(current: ValueEntry | None, candidate: ValueEntry) -> bool:
    return current is None or candidate.ts >= current.ts
