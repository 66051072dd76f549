"""Compressions as the service sends and stores them (CONTRACT additions, "Compressions";
docs/cpr-scoring.md, docs/interface.md).

Each one is first a ``compression.release`` frame when the detector sees its release
(depth, interval and rate, so a page can show it before the chest is back at rest), then,
once its recoil is known, a ``compression`` frame; both on the lab websocket and on the
session websocket of sessions on that kit. A completed one is also one history point of
``cpr_compression_depth_mm`` (its depth, at the device time of its deepest point). That
history name is an event log, not a twin value: it is never restored into a twin's state
after a restart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from accessibility.signals.compression_events import Compression, Release
from accesstwin_contract.frames import CompressionFrame, CompressionReleaseFrame
from accesstwin_contract.groups import lab_group
from accesstwin_contract.identifiers import KitRef
from twin_service.live.hub import Hub
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


def release_frame(kit: KitRef, r: Release) -> CompressionReleaseFrame:
    """The same rounding as :func:`compression_frame`: a page compares the two."""
    return {
        "type": "compression.release",
        "lab": kit.lab,
        "kit": kit.kit,
        "ts": r.ts,
        "depth_mm": round(r.depth_mm, 1),
        "interval_s": _round(r.interval_s, 3),
        "rate_per_min": _round(r.rate_per_min, 1),
        "in_target": {"depth": r.depth_ok, "rate": r.rate_ok},
    }


def publish_releases(
    hub: Hub, kit: KitRef, releases: list[Release], kit_groups: Callable[[KitRef], Iterable[str]]
) -> None:
    """A ``compression.release`` frame for each compression released by a message, oldest
    first, on the lab and on the kit's session groups (``kit_groups``), serialised once."""
    if not releases:
        return
    groups = [lab_group(kit.lab), *kit_groups(kit)]
    for r in releases:
        hub.publish_to(groups, release_frame(kit, r))


def compression_points(
    kit: KitRef, compressions: list[Compression], received_at: float
) -> list[SamplePoint]:
    return [
        SamplePoint(kit.lab, kit.kit, COMPRESSION_SENSOR, c.ts, round(c.depth_mm, 1), received_at)
        for c in compressions
    ]
