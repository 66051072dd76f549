"""The session's kit, live on the session websocket (the learner's patient monitor).

A page that (re)connects to ``/ws/sessions/{id}`` gets one ``twin`` frame: the kit's twin
document (or null before the kit has reported), the monitor's spec for the scenario
(``accessibility.monitor``), the stale time, and the recent history of each vital (means
of ``HISTORY_BUCKET_S`` buckets over the last ``HISTORY_S``, by device time), so that a
page back from offline draws its trends again. After it, the kit's ``twin.delta`` frames
arrive on the session group exactly as on the lab websocket (same shape, same coalescing).
"""

from __future__ import annotations

import logging

from accessibility.monitor import PART_OF, VITALS, monitor_spec
from accesstwin_contract.frames import TwinDocument, TwinFrame
from gateway.identifiers import KitRef
from twin_service.store.base import BucketWidth, TimeSeriesStore
from twin_service.twins.registry import TwinRegistry

log = logging.getLogger(__name__)

HISTORY_S = 120.0
HISTORY_BUCKET_S = 5.0
HISTORY_POINTS = int(HISTORY_S / HISTORY_BUCKET_S) + 1
# The sensors whose history a monitor draws (blood pressure: its systolic value).
_SENSORS = tuple("sbp" if v.name == "bp" else v.name for v in VITALS)
_DIASTOLIC = "dbp"


async def twin_frame(
    twins: TwinRegistry,
    store: TimeSeriesStore,
    kit: KitRef,
    scenario_id: str,
    stale_after_s: float,
    now: float,
) -> TwinFrame:
    twin = twins.get(kit)
    doc: TwinDocument | None = None
    if twin is not None and twin.version > 0:
        doc = twin.to_json(now, stale_after_s)
    history: dict[str, list[list[float]]] = {}
    if doc is not None:
        reported = doc["reported"]
        for sensor in (*_SENSORS, _DIASTOLIC):
            if sensor in reported:
                history[sensor] = await _history(store, kit, sensor, reported[sensor]["ts"])
    return {
        "type": "twin",
        "lab": kit.lab,
        "kit": kit.kit,
        "twin": doc,
        "stale_after_s": stale_after_s,
        "monitor": {**monitor_spec(scenario_id), "part_of": dict(PART_OF)},
        "history": history,
        "history_bucket_s": HISTORY_BUCKET_S,
    }


async def _history(
    store: TimeSeriesStore, kit: KitRef, sensor: str, newest_ts: float
) -> list[list[float]]:
    """The sensor's bucket means over the HISTORY_S before its newest value (device time)."""
    try:
        means = await store.history_means(
            kit,
            sensor,
            newest_ts - HISTORY_S,
            newest_ts + 1,
            BucketWidth.from_seconds(HISTORY_BUCKET_S),
            HISTORY_POINTS,
        )
    except Exception as exc:  # noqa: BLE001 - the monitor works without its history
        log.warning("monitor history of %s %s unavailable: %s", kit, sensor, exc)
        return []
    return [[ts, value] for ts, value in means]
