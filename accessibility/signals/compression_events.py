"""What the compression detector (:mod:`accessibility.signals.compressions`) gives: a
:class:`Release` when a compression is released and its :class:`Compression` when it is
complete, and whether each is in the AHA 2020 target (docs/domain.md "CPR quality";
docs/interface.md "Compressions"). Pure values.
"""

from __future__ import annotations

from dataclasses import dataclass

DEPTH_TARGET_MM = (50.0, 60.0)  # AHA 2020
RATE_TARGET_PER_MIN = (100.0, 120.0)  # AHA 2020
RECOIL_MM = 5.0  # full recoil: back within 5 mm of the rest position (docs/interface.md)


def depth_in_target(depth_mm: float) -> bool:
    return DEPTH_TARGET_MM[0] <= depth_mm <= DEPTH_TARGET_MM[1]


def rate_in_target(rate_per_min: float | None) -> bool | None:
    """None without a rate (the first compression after a pause)."""
    if rate_per_min is None:
        return None
    return RATE_TARGET_PER_MIN[0] <= rate_per_min <= RATE_TARGET_PER_MIN[1]


@dataclass(frozen=True, slots=True)
class Compression:
    """One completed compression (docs/interface.md "Compressions")."""

    ts: float  # device time of the deepest point
    depth_mm: float
    recoil_mm: float
    interval_s: float | None  # None: the first of a stream
    rate_per_min: float | None  # None: the first after a pause (or of a stream)

    @property
    def depth_ok(self) -> bool:
        return depth_in_target(self.depth_mm)

    @property
    def rate_ok(self) -> bool | None:
        return rate_in_target(self.rate_per_min)

    @property
    def recoil_ok(self) -> bool:
        return self.recoil_mm <= RECOIL_MM

    def in_target(self) -> dict[str, bool | None]:
        return {"depth": self.depth_ok, "rate": self.rate_ok, "recoil": self.recoil_ok}


@dataclass(frozen=True, slots=True)
class Release:
    """A compression at its release: all of it but its recoil (docs/interface.md
    "Compressions"). Its :class:`Compression` follows with the same ``ts``."""

    ts: float  # device time of the deepest point
    depth_mm: float
    interval_s: float | None  # None: the first of a stream
    rate_per_min: float | None  # None: the first after a pause (or of a stream)

    @property
    def depth_ok(self) -> bool:
        return depth_in_target(self.depth_mm)

    @property
    def rate_ok(self) -> bool | None:
        return rate_in_target(self.rate_per_min)

    def completed(self, recoil_mm: float) -> Compression:
        return Compression(self.ts, self.depth_mm, recoil_mm, self.interval_s, self.rate_per_min)
