"""A bounded, time-ordered ring buffer of one waveform's most recent samples.

Kits send waveforms as chunks: a device timestamp ``ts0`` for the first sample
and a nominal sampling rate; sample ``i`` is at ``ts0 + i / rate_hz``
(docs/interface.md, telemetry payload). :class:`WaveformWindow` keeps the last
``max_seconds`` of such chunks in two preallocated numpy arrays so the derived
signal algorithms (:mod:`.ppg`, :mod:`.cpr`) can run on the recent past.

Policies (all documented behaviour, covered by tests):

* In-order chunks (the normal case) are appended with at most two vectorised
  slice copies.
* A chunk that starts at or before the newest sample held (a replay from the
  kit's offline buffer, or a QoS 1 redelivery) is *merged in time order*.
  Samples whose time is within a quarter sample period of a sample already held
  are duplicates and are dropped (the sample held wins), so a redelivered chunk
  changes nothing. Samples older than ``newest - max_seconds`` are dropped.
  Samples that fall between held ones (a kit clock that jumped) are interleaved
  as they are: keep ``ts0`` consistent, the algorithms assume even sampling.
* A chunk whose rate differs from the window's current rate (by more than
  0.1 %) and is newer than everything held *replaces* the contents: the window
  always holds one sampling rate, so :meth:`values` is uniformly sampled at
  :attr:`rate_hz` apart from gaps. An *older* chunk at a different rate is
  dropped (it belongs to data that has already been discarded).
* Memory is bounded by ``ceil(max_seconds * max_rate_hz) + 1`` samples. Faster
  waveforms are still accepted but then cover less than ``max_seconds``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# Relative tolerance for "same sampling rate" (clock rounding in kit firmware).
_RATE_RTOL = 1e-3
# Two samples closer than this fraction of a period are the same sample.
_DUP_FRACTION = 0.25


class WaveformWindow:
    """Most recent ``max_seconds`` of one waveform, in ascending device time."""

    def __init__(self, max_seconds: float, max_rate_hz: float = 200.0) -> None:
        if not (math.isfinite(max_seconds) and max_seconds > 0):
            raise ValueError("max_seconds must be a positive finite number")
        if not (math.isfinite(max_rate_hz) and max_rate_hz > 0):
            raise ValueError("max_rate_hz must be a positive finite number")
        self.max_seconds = float(max_seconds)
        self.capacity = math.ceil(max_seconds * max_rate_hz) + 1
        self._t = np.empty(self.capacity, dtype=np.float64)
        self._v = np.empty(self.capacity, dtype=np.float64)
        self._start = 0  # index of the oldest sample
        self._count = 0
        self._rate: float | None = None

    # ------------------------------------------------------------------ reading
    def __len__(self) -> int:
        return self._count

    @property
    def rate_hz(self) -> float | None:
        """Sampling rate of the samples held (None when empty)."""
        return self._rate if self._count else None

    @property
    def newest_ts(self) -> float | None:
        """Device time of the newest sample held (None when empty)."""
        if not self._count:
            return None
        return float(self._t[(self._start + self._count - 1) % self.capacity])

    def times(self) -> FloatArray:
        """Sample times (device seconds), ascending; a new array."""
        return self._ordered(self._t)

    def values(self) -> FloatArray:
        """Sample values in the order of :meth:`times`; a new array."""
        return self._ordered(self._v)

    def contiguous_tail(self, max_gap_s: float = 0.25) -> tuple[FloatArray, FloatArray]:
        """(times, values) after the last gap in the data.

        A gap is two consecutive samples more than one period plus ``max_gap_s``
        apart (for example the kit was offline). Algorithms that assume uniform
        sampling should run on this tail rather than splice across a gap.
        """
        t, v = self.times(), self.values()
        if t.size < 2 or self._rate is None:
            return t, v
        gaps = np.flatnonzero(np.diff(t) > 1.0 / self._rate + max_gap_s)
        if gaps.size == 0:
            return t, v
        cut = int(gaps[-1]) + 1
        return t[cut:], v[cut:]

    def clear(self) -> None:
        self._start = 0
        self._count = 0
        self._rate = None

    # ------------------------------------------------------------------ writing
    def extend(self, ts0: float, rate_hz: float, samples: Sequence[float] | FloatArray) -> None:
        """Add a chunk whose first sample is at ``ts0`` and the rest every 1/rate_hz s."""
        vals = np.asarray(samples, dtype=np.float64).reshape(-1)
        if not (math.isfinite(ts0) and math.isfinite(rate_hz) and rate_hz > 0):
            raise ValueError("ts0 must be finite and rate_hz positive")
        if vals.size == 0:
            return
        if not np.all(np.isfinite(vals)):
            raise ValueError("samples must be finite")
        times = ts0 + np.arange(vals.size, dtype=np.float64) / rate_hz
        newest = self.newest_ts
        same_rate = self._rate is not None and math.isclose(rate_hz, self._rate, rel_tol=_RATE_RTOL)
        if newest is None or (not same_rate and times[0] > newest):
            self.clear()
            self._rate = float(rate_hz)
            self._append(times, vals)
        elif not same_rate:
            return  # an old chunk at a rate the window no longer holds
        elif times[0] > newest + _DUP_FRACTION / rate_hz:
            self._append(times, vals)
        else:
            self._merge(times, vals)
        self._trim()

    def _append(self, times: FloatArray, vals: FloatArray) -> None:
        n = times.size
        if n >= self.capacity:  # only the newest `capacity` samples can be kept
            times, vals = times[-self.capacity :], vals[-self.capacity :]
            self._t[:], self._v[:] = times, vals
            self._start, self._count = 0, self.capacity
            return
        overflow = max(0, self._count + n - self.capacity)
        self._start = (self._start + overflow) % self.capacity
        self._count -= overflow
        first = (self._start + self._count) % self.capacity
        k = min(n, self.capacity - first)  # part before the ring wraps
        self._t[first : first + k], self._v[first : first + k] = times[:k], vals[:k]
        self._t[: n - k], self._v[: n - k] = times[k:], vals[k:]
        self._count += n

    def _merge(self, times: FloatArray, vals: FloatArray) -> None:
        rate = self._rate or 1.0
        old_t, old_v = self.times(), self.values()
        tol = _DUP_FRACTION / rate
        # Drop incoming samples that duplicate a sample already held.
        pos = np.searchsorted(old_t, times)
        left = np.abs(times - old_t[np.clip(pos - 1, 0, old_t.size - 1)])
        right = np.abs(old_t[np.clip(pos, 0, old_t.size - 1)] - times)
        fresh = np.minimum(left, right) > tol
        t_all = np.concatenate([old_t, times[fresh]])
        v_all = np.concatenate([old_v, vals[fresh]])
        order = np.argsort(t_all, kind="stable")
        t_all, v_all = t_all[order], v_all[order]
        self.clear()
        self._rate = rate
        self._append(t_all, v_all)

    def _trim(self) -> None:
        """Drop samples older than newest - max_seconds (two binary searches)."""
        newest = self.newest_ts
        if newest is None:
            return
        cutoff = newest - self.max_seconds
        end_a = min(self._start + self._count, self.capacity)
        seg_a = self._t[self._start : end_a]
        drop = int(np.searchsorted(seg_a, cutoff, side="left"))
        if drop == seg_a.size:
            seg_b = self._t[: self._count - seg_a.size]
            drop += int(np.searchsorted(seg_b, cutoff, side="left"))
        self._start = (self._start + drop) % self.capacity
        self._count -= drop

    def _ordered(self, buf: FloatArray) -> FloatArray:
        end = self._start + self._count
        if end <= self.capacity:
            return buf[self._start : end].copy()
        return np.concatenate([buf[self._start :], buf[: end - self.capacity]])
