"""The bound on distinct sensors per twin (``ACCESSTWIN_MAX_SENSORS_PER_KIT``, default 128).

Sensor names a kit may report are open (unknown names are kept, unitless), so without a
bound one kit could grow its twin, the history's series and every dashboard of its lab
without end. A twin keeps the names it has; a message may add new ones while the twin
holds fewer than the bound; each name past it is dropped with reason ``limit`` and the
rest of the message is kept. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import replace

from gateway.telemetry import LIMIT, Dropped, Reading, Telemetry, Waveform
from twin_service.twins.twin import Twin

DEFAULT_MAX_SENSORS_PER_KIT = 128


def within_sensor_bound(twin: Twin, telemetry: Telemetry, max_sensors: int) -> Telemetry:
    """``telemetry`` without the readings and waveforms of new names past the bound (they
    are moved to ``dropped`` with reason ``limit``); the same object when none is."""
    known = twin.reported
    room = max_sensors - len(known)
    if room >= len(telemetry.readings) + len(telemetry.waveforms):
        return telemetry  # even if every name is new, all fit
    if all(r.sensor in known for r in telemetry.readings) and all(
        w.sensor in known for w in telemetry.waveforms
    ):
        return telemetry
    added: set[str] = set()
    over: list[Dropped] = []

    def admit(sensor: str) -> bool:
        if sensor in known or sensor in added:
            return True
        if len(added) < room:
            added.add(sensor)
            return True
        over.append(Dropped(sensor, LIMIT))
        return False

    readings: tuple[Reading, ...] = tuple(r for r in telemetry.readings if admit(r.sensor))
    waveforms: tuple[Waveform, ...] = tuple(w for w in telemetry.waveforms if admit(w.sensor))
    if not over:
        return telemetry
    return replace(
        telemetry, readings=readings, waveforms=waveforms, dropped=telemetry.dropped + tuple(over)
    )


def over_limit(dropped: tuple[Dropped, ...]) -> int:
    return sum(1 for d in dropped if d.reason == LIMIT)
