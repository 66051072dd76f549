"""Derived values of one kit, kept up to date as waveform chunks arrive.

``DerivedSignals`` holds a bounded window per waveform and, at most every
``every_s`` of device time, recomputes ``hr_ppg`` and ``ppg_quality`` from ``ppg``
(refusing finger-off, motion seen by ``accel_z``, and noise: docs/ppg-quality.md) and
the CPR values from ``depth_mm`` (docs/interface.md, "derived values"). ``hr_ppg`` comes only
from a pulse; when none has come for ``HR_STALE_AFTER_S`` the last one is sent again
marked stale; ``flush`` recomputes what a replayed burst left out. Every ``depth_mm``
chunk also goes through a :class:`CompressionDetector`; the compressions it completed are
taken with :meth:`DerivedSignals.take_compressions` (at most ``MAX_PENDING_COMPRESSIONS`` wait; the
oldest are dropped and counted), those it released with :meth:`DerivedSignals.take_releases`
(as many wait). The CPR window values are measured from the detector's
rest position, like the compressions. Pure: the caller passes chunks in and gets values
out; nothing here does I/O or reads the clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from accessibility.signals import WaveformWindow, cpr_metrics
from accessibility.signals.compression_events import Compression, Release
from accessibility.signals.compressions import CompressionDetector
from accessibility.signals.ppg_quality import MAX30102, PpgSensor, assess_ppg
from accesstwin_contract.quantities import DERIVED

FloatArray = npt.NDArray[np.float64]

PPG_WINDOW_S = 12.0  # ≥ 4 s needed; 12 s holds 10+ beats even at 50 bpm
CPR_RATE_WINDOW_S = 10.0  # "recent compressions": rate, depth, recoil
CPR_CCF_WINDOW_S = 30.0  # one 30:2 cycle with its pause for breaths (AHA 2020)
RECOMPUTE_EVERY_S = 0.5  # seconds between recomputations of one signal
BACKLOG_S = 2.0  # data older than this (by the caller's clock) is a replay, not live
CCF_EVERY_S = 2.0  # the 30 s compression fraction changes slowly
MIN_WINDOW_RATE_HZ = 25.0  # MAX30102's slowest rate (docs/domain.md)
HR_STALE_AFTER_S = 5.0  # docs/interface.md: hr_ppg marked stale 5 s after the last one
_WINDOW_SECONDS = {"ppg": PPG_WINDOW_S, "depth_mm": CPR_CCF_WINDOW_S, "accel_z": PPG_WINDOW_S}
_COMPUTED = ("ppg", "depth_mm")  # accel_z is only read alongside ppg
MAX_PENDING_COMPRESSIONS = 512  # a 5-minute replay at 100/min; the caller takes them per chunk


@dataclass(frozen=True, slots=True)
class DerivedValue:
    name: str
    value: float
    unit: str
    ts: float  # device time of the newest sample used
    quality: float | None = None  # 0-1 where the method has one (docs/interface.md)
    stale: bool = False  # true: no newer value could be computed (the last one, resent)

    @classmethod
    def of(cls, name: str, value: float, ts: float, quality: float | None = None) -> DerivedValue:
        """A value named in the vocabulary's derived table, with its unit from there
        (KeyError for a name that is not listed: add it to ``accesstwin_contract``)."""
        return cls(name, value, DERIVED[name].unit, ts, quality)


class DerivedSignals:
    """The derived-signal state of one kit."""

    def __init__(
        self, every_s: float = RECOMPUTE_EVERY_S, ppg_sensor: PpgSensor = MAX30102
    ) -> None:
        self._every_s = every_s
        self._ppg_sensor = ppg_sensor
        self._last_hr: DerivedValue | None = None  # the newest hr_ppg given, fresh or stale
        self.last_ppg_reason: str | None = None  # why the newest PPG window gave no hr_ppg
        self._windows: dict[str, WaveformWindow] = {}
        self._last_device: dict[str, float] = {}
        self._last_clock: dict[str, float] = {}
        self._last_ccf = -float("inf")
        self._deferred: set[str] = set()
        self.cpr_active = False
        self.compressions = CompressionDetector()
        self._completed: list[Compression] = []
        self.compressions_dropped = 0  # completed but never taken (over the bound)
        self._released: list[Release] = []

    def add_chunk(
        self,
        sensor: str,
        ts0: float,
        rate_hz: float,
        samples: Sequence[float],
        now: float | None = None,
    ) -> list[DerivedValue]:
        """Feed one waveform chunk; return the derived values that were recomputed.

        A signal is recomputed at most every ``every_s`` of device time; when the caller
        passes its clock as ``now`` and the data is more than ``BACKLOG_S`` old (a kit
        replaying its offline buffer, minutes of data in a second), also at most every
        ``every_s`` of that clock, so a replay does not slow everything else down.
        """
        if sensor not in _WINDOW_SECONDS:
            return []
        window = self._window(sensor, rate_hz)
        window.extend(ts0, rate_hz, samples)
        if sensor == "depth_mm":
            self._keep(self.compressions.add_chunk(ts0, rate_hz, samples, self._released))
            if len(self._released) > MAX_PENDING_COMPRESSIONS:
                del self._released[:-MAX_PENDING_COMPRESSIONS]
        if sensor not in _COMPUTED or not self._due(sensor, window, now):
            return []
        return self._heart_rate() if sensor == "ppg" else self._cpr()

    def flush(self) -> list[DerivedValue]:
        """Recompute every signal whose newest samples no computation has seen yet.

        The caller calls this when a kit's messages stop for a moment (the end of a
        replayed burst, whose recomputations were throttled): afterwards the derived
        values reflect the newest data (docs/interface.md).
        """
        out: list[DerivedValue] = []
        for sensor in _COMPUTED:
            window = self._windows.get(sensor)
            newest = None if window is None else window.newest_ts
            if newest is None or self._last_device.get(sensor) == newest:
                continue
            self._last_device[sensor] = newest
            self._deferred.discard(sensor)
            out.extend(self._heart_rate() if sensor == "ppg" else self._cpr())
        return out

    def take_compressions(self) -> list[Compression]:
        """The compressions completed since the last call, oldest first."""
        out, self._completed = self._completed, []
        return out

    def take_releases(self) -> list[Release]:
        """The compressions released since the last call, oldest first (each one's
        :class:`Compression` comes from :meth:`take_compressions` later, or at the same
        chunk; at most ``MAX_PENDING_COMPRESSIONS`` wait, the oldest are dropped)."""
        out, self._released = self._released, []
        return out

    def _keep(self, done: list[Compression]) -> None:
        if not done:
            return
        self._completed.extend(done)
        over = len(self._completed) - MAX_PENDING_COMPRESSIONS
        if over > 0:
            del self._completed[:over]
            self.compressions_dropped += over

    def window_samples(self, sensor: str) -> tuple[FloatArray, FloatArray, float | None]:
        """(times, values, rate_hz) of the samples a recomputation of ``sensor`` uses now.

        Right after ``add_chunk`` returned a value for the sensor, this is the exact window
        the value was computed from (for inspection and reference-tool tests). ``depth_mm``
        gives the whole 30 s window; the CPR rate, depth and recoil use its last 10 s.
        """
        window = self._windows.get(sensor)
        if window is None:
            empty = np.empty(0, dtype=np.float64)
            return empty, empty.copy(), None
        times, values = window.contiguous_tail()
        return times, values, window.rate_hz

    def buffered_samples(self) -> int:
        """How many samples the windows have room for (their memory is 16 B each)."""
        return sum(window.capacity for window in self._windows.values())

    def _window(self, sensor: str, rate_hz: float) -> WaveformWindow:
        """The sensor's window, sized for the rate the kit really uses (memory per twin)."""
        window = self._windows.get(sensor)
        if window is None or rate_hz > window.capacity / window.max_seconds:
            capacity_hz = max(rate_hz, MIN_WINDOW_RATE_HZ)
            window = WaveformWindow(_WINDOW_SECONDS[sensor], max_rate_hz=capacity_hz)
            self._windows[sensor] = window
        return window

    def _due(self, key: str, window: WaveformWindow, now: float | None) -> bool:
        newest = window.newest_ts
        if newest is None:
            return False
        last = self._last_device.get(key)
        if last is not None and 0 <= newest - last < self._every_s:
            return False
        replay = now is not None and newest < now - BACKLOG_S
        if replay and now - self._last_clock.get(key, -float("inf")) < self._every_s:  # type: ignore[operator]
            return False
        if key not in self._deferred and any(
            other != key and at == newest for other, at in self._last_device.items()
        ):
            # Another signal was recomputed on this very chunk time (a kit sending PPG and
            # depth in one message): take the next chunk instead, so the two alternate and
            # no single update pays for both (at most once in a row, so none starves).
            self._deferred.add(key)
            return False
        self._deferred.discard(key)
        self._last_device[key] = newest
        if now is not None:
            self._last_clock[key] = now
        return True

    def _accel_over(self, start: float, end: float) -> tuple[FloatArray, float] | None:
        """The kit's accel_z samples over [start, end] (None when it sends none)."""
        window = self._windows.get("accel_z")
        if window is None or window.rate_hz is None:
            return None
        times, values = window.contiguous_tail()
        inside = (times >= start - 0.5) & (times <= end + 0.5)
        return (values[inside], window.rate_hz) if inside.any() else None

    def _heart_rate(self) -> list[DerivedValue]:
        times, values, rate = self.window_samples("ppg")
        if rate is None or times.size == 0:
            return []
        newest = float(times[-1])
        accel = self._accel_over(float(times[0]), newest)
        verdict = assess_ppg(values, rate, sensor=self._ppg_sensor, accel=accel)
        self.last_ppg_reason = verdict.reason
        out = [DerivedValue.of("ppg_quality", verdict.quality, newest, verdict.quality)]
        if verdict.estimate is not None:
            bpm = round(verdict.estimate.bpm, 1)
            self._last_hr = DerivedValue.of("hr_ppg", bpm, newest, verdict.quality)
            out.append(self._last_hr)
        elif (
            self._last_hr is not None
            and not self._last_hr.stale
            and newest - self._last_hr.ts >= HR_STALE_AFTER_S
        ):
            self._last_hr = replace(self._last_hr, stale=True)
            out.append(self._last_hr)
        return out

    def _cpr(self) -> list[DerivedValue]:
        times, depth = self._windows["depth_mm"].contiguous_tail()
        if times.size == 0:
            return []
        depth = depth - self.compressions.rest_mm  # the rest position re-checked in pauses
        newest = float(times[-1])
        recent = times >= newest - CPR_RATE_WINDOW_S
        short = cpr_metrics(times[recent], depth[recent])
        out: list[DerivedValue] = []
        # The compression fraction moves slowly; its 30 s window is the costly one.
        long = None
        if newest - self._last_ccf >= CCF_EVERY_S or newest < self._last_ccf or short is None:
            long = cpr_metrics(times, depth)
            self._last_ccf = newest
        if long is not None:
            out.append(DerivedValue.of("cpr_ccf", round(long.ccf_pct, 1), newest))
        if short is None:
            if self.cpr_active:
                # Hands off for the whole recent window: the rate has dropped to zero.
                out.append(DerivedValue.of("cpr_rate", 0.0, newest))
            self.cpr_active = False
            return out
        self.cpr_active = True
        if short.rate_per_min is not None:  # None: one compression, no rate yet (not 0)
            out.append(DerivedValue.of("cpr_rate", round(short.rate_per_min, 1), newest))
        out.append(DerivedValue.of("cpr_depth_mm", round(short.mean_depth_mm, 1), newest))
        if short.recoil_pct is not None:
            out.append(DerivedValue.of("cpr_recoil_pct", round(short.recoil_pct, 1), newest))
        return out
