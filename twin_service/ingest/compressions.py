"""Completed compressions as the service sends and stores them (CONTRACT additions,
"Compressions"; docs/cpr-scoring.md).

Each one is a ``compression`` frame on the lab websocket and on the session websocket of
sessions on that kit, and one history point of ``cpr_compression_depth_mm`` (its depth,
at the device time of its deepest point). That history name is an event log, not a twin
value: it is never restored into a twin's state after a restart.
"""

from __future__ import annotations

from accessibility.signals.compressions import Compression
from accesstwin_contract.frames import CompressionFrame
from accesstwin_contract.identifiers import KitRef
from twin_service.store.base import SamplePoint

COMPRESSION_SENSOR = "cpr_compression_depth_mm"  # a history-only derived series (quantities)


def _round(x: float | None, digits: int) -> float | None:
    return None if x is None else round(x, digits)


def compression_frame(kit: KitRef, c: Compression) -> CompressionFrame:
    depth, rate, recoil = c.depth_ok, c.rate_ok, c.recoil_ok
    return {
        "type": "compression",
        "lab": kit.lab,
        "kit": kit.kit,
        "ts": c.ts,
        "depth_mm": round(c.depth_mm, 1),
        "recoil_mm": round(c.recoil_mm, 1),
        "interval_s": _round(c.interval_s, 3),
        "rate_per_min": _round(c.rate_per_min, 1),
        "in_target": {"depth": depth, "rate": rate, "recoil": recoil},
    }


def compression_points(
    kit: KitRef, compressions: list[Compression], received_at: float
) -> list[SamplePoint]:
    return [
        SamplePoint(kit.lab, kit.kit, COMPRESSION_SENSOR, c.ts, round(c.depth_mm, 1), received_at)
        for c in compressions
    ]
