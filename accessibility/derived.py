"""Derived values of one kit, kept up to date as waveform chunks arrive.

``DerivedSignals`` holds a bounded window per waveform and, at most every
``every_s`` of device time, recomputes ``hr_ppg`` from ``ppg`` and the CPR values
from ``depth_mm`` (CONTRACT.md, "derived values"). Pure: the caller passes chunks
in and gets values out; nothing here does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from accessibility.signals import WaveformWindow, cpr_metrics, heart_rate_from_ppg

PPG_WINDOW_S = 12.0  # ≥ 4 s needed; 12 s holds 10+ beats even at 50 bpm
CPR_RATE_WINDOW_S = 10.0  # "recent compressions": rate, depth, recoil
CPR_CCF_WINDOW_S = 30.0  # one 30:2 cycle with its pause for breaths (AHA 2020)
RECOMPUTE_EVERY_S = 0.5  # device seconds between recomputations of one signal


@dataclass(frozen=True, slots=True)
class DerivedValue:
    name: str
    value: float
    unit: str
    ts: float  # device time of the newest sample used


class DerivedSignals:
    """The derived-signal state of one kit."""

    def __init__(self, every_s: float = RECOMPUTE_EVERY_S) -> None:
        self._every_s = every_s
        self._ppg = WaveformWindow(PPG_WINDOW_S)
        self._depth = WaveformWindow(CPR_CCF_WINDOW_S)
        self._last_run: dict[str, float] = {}
        self.cpr_active = False

    def add_chunk(
        self, sensor: str, ts0: float, rate_hz: float, samples: Sequence[float]
    ) -> list[DerivedValue]:
        """Feed one waveform chunk; return the derived values that were recomputed."""
        if sensor == "ppg":
            self._ppg.extend(ts0, rate_hz, samples)
            return self._heart_rate() if self._due("ppg") else []
        if sensor == "depth_mm":
            self._depth.extend(ts0, rate_hz, samples)
            return self._cpr() if self._due("depth_mm") else []
        return []

    def _due(self, key: str) -> bool:
        window = self._ppg if key == "ppg" else self._depth
        newest = window.newest_ts
        if newest is None:
            return False
        last = self._last_run.get(key)
        if last is not None and newest - last < self._every_s and newest >= last:
            return False
        self._last_run[key] = newest
        return True

    def _heart_rate(self) -> list[DerivedValue]:
        times, values = self._ppg.contiguous_tail()
        rate = self._ppg.rate_hz
        if rate is None or times.size == 0:
            return []
        estimate = heart_rate_from_ppg(values, rate)
        if estimate is None:
            return []
        return [DerivedValue("hr_ppg", round(estimate.bpm, 1), "bpm", float(times[-1]))]

    def _cpr(self) -> list[DerivedValue]:
        times, depth = self._depth.contiguous_tail()
        if times.size == 0:
            return []
        newest = float(times[-1])
        recent = times >= newest - CPR_RATE_WINDOW_S
        short = cpr_metrics(times[recent], depth[recent])
        long = cpr_metrics(times, depth)
        out: list[DerivedValue] = []
        if long is not None:
            out.append(DerivedValue("cpr_ccf", round(long.ccf_pct, 1), "%", newest))
        if short is None:
            if self.cpr_active and long is not None:
                # Hands off for the whole recent window: the rate has dropped to zero.
                out.append(DerivedValue("cpr_rate", 0.0, "/min", newest))
            self.cpr_active = False
            return out
        self.cpr_active = True
        out.append(DerivedValue("cpr_rate", round(short.rate_per_min, 1), "/min", newest))
        out.append(DerivedValue("cpr_depth_mm", round(short.mean_depth_mm, 1), "mm", newest))
        if short.recoil_pct is not None:
            out.append(DerivedValue("cpr_recoil_pct", round(short.recoil_pct, 1), "%", newest))
        return out
