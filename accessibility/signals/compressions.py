"""Each chest compression as it completes, from depth chunks arriving in a stream.

Input: ``depth_mm`` chunks (``ts0``, ``rate_hz``, samples) as a kit sends them over MQTT,
positive = pressed in. Output: one :class:`Compression` per completed compression, with
its depth, recoil, interval and rate, and whether each is in the AHA 2020 target
(docs/domain.md "CPR quality"; docs/cpr-scoring.md); and, earlier, one :class:`Release`
per compression at its release, with the same depth, interval and rate (only its recoil
is not known yet). Pure: no clock, no I/O.

Detection. The trace is smoothed with the same Savitzky-Golay filter as
:mod:`accessibility.signals.cpr` (quartic, +-0.06 s), one chunk at a time: a sample is
smoothed once the 0.06 s after it have arrived, so results do not depend on how the kit
cuts its stream into chunks. A hysteresis zig-zag on the smoothed trace finds the
compressions: a rise of at least ``PRESS_MM`` (5 mm) above the lowest point since the
last compression starts one, a fall of ``PRESS_MM`` below its deepest point releases it.
5 mm is five times the sensor's noise after smoothing, so weak presses (9 mm, 20 mm) are
compressions too - too shallow, not "nothing".

Per compression:

* ``ts``: device time of its deepest point (parabolic interpolation between samples);
* ``depth_mm``: deepest point minus the rest position;
* ``recoil_mm``: the lowest point between its release and the next compression, minus the
  rest position (0 = full recoil; in target when <= ``RECOIL_MM``);
* ``interval_s``: time since the previous compression's deepest point (None for the first
  of a stream); ``rate_per_min`` = 60 / interval, None when the interval is longer than
  ``PAUSE_S`` (the first compression after a pause; 20/min is still measured).

A compression is released once the smoothed trace has fallen ``PRESS_MM`` below its
deepest point: its depth, interval and rate are final then (a :class:`Release`, with the
same ``ts``, depth, interval and rate as its :class:`Compression` later), about 0.2 s
before the chest is back at rest at 100/min. It is complete when the next one starts (its
recoil is then known) or ``SETTLE_S`` after its release with no new one (the learner
paused).

Rest position. The kit calibrates 0 = chest at rest, but a manikin, a moved sensor or a
hand left resting on the chest shifts it. When a compression starts after at least
``REST_S`` with no compression (a pause, or the time before the first one), and the trace
was steady over the ``REST_S`` before the press (less the press's first ``RISE_S``; SD
within ``REST_SD_MM``, range within ``REST_RANGE_MM``), the median of that stretch becomes
the rest position, if it is within ``REST_MAX_MM`` of 0. Depth and recoil are measured
from it (and so are the CPR window values, ``accessibility.derived``). So a 6 mm zero
offset is corrected in the first pause (or before the first compression) and a 55 mm
push reads 55 mm. A learner who keeps leaning more than ``REST_MAX_MM`` through a pause
is not taken for the rest position.

Stream policies: a chunk that starts more than ``MAX_GAP_S`` after the last sample
(the kit was offline) or at another sampling rate starts the stream afresh (the
compression under way is dropped; the one awaiting its recoil is completed with what was
seen). Samples at or before the newest one already seen (a redelivery, a replay that
overlaps) are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from accessibility.signals.compression_events import Compression, Release
from accessibility.signals.cpr import SMOOTH_HALF_S, SMOOTH_ORDER, _savgol_kernel

__all__ = ["Compression", "CompressionDetector", "Release"]  # the events, where they were

FloatArray = npt.NDArray[np.float64]

PRESS_MM = 5.0  # rise and fall that make a compression (5x the smoothed sensor noise)
PAUSE_S = 3.5  # an interval above 3.5 s (17/min) is a pause: 20/min is still a rate
SETTLE_S = 1.0  # a released compression with no new one after 1 s is complete
REST_S = 1.5  # steady this long with no compression under way: the rest position
REST_SD_MM = 1.5  # "steady": SD of the smoothed trace (the ToF noise is ~1 mm) ...
REST_RANGE_MM = 2 * PRESS_MM  # ... and no more than this from its lowest to its highest
REST_MAX_MM = 10.0  # a rest position further from the kit's 0 is a lean, not a rest
RISE_S = 0.1  # the last 0.1 s before a press is detected are part of its rise, not rest
HISTORY_MARGIN_S = 1.0  # smoothed samples kept beyond REST_S (the rise before a press counts)
MAX_GAP_S = 0.25  # more than one period + 0.25 s between samples is a gap (as WaveformWindow)
_RATE_RTOL = 1e-3


class _Peak:
    """The deepest point so far of the compression under way."""

    __slots__ = ("after", "before", "t", "value")

    def __init__(self, t: float, value: float, before: float) -> None:
        self.t, self.value, self.before = t, value, before
        self.after: float | None = None

    def refined(self, period: float) -> tuple[float, float]:
        """(time, depth) of the top of a parabola through the peak and its neighbours."""
        a, b, c = self.before, self.value, self.after if self.after is not None else self.value
        curv = a - 2 * b + c
        if curv >= 0:
            return self.t, b
        shift = min(0.5, max(-0.5, 0.5 * (a - c) / curv))
        return self.t + shift * period, b - 0.25 * (a - c) * shift


class CompressionDetector:
    """Compressions of one kit's depth stream, chunk by chunk."""

    def __init__(self) -> None:
        self.rest_mm = 0.0
        self._rate: float | None = None
        self._last_t: float | None = None  # time of the newest raw sample taken
        self._raw_t: FloatArray = np.empty(0)  # raw samples still needed for smoothing
        self._raw_v: FloatArray = np.empty(0)
        self._hist_t: FloatArray = np.empty(0)  # recent smoothed samples (rest check)
        self._hist_v: FloatArray = np.empty(0)
        self._prev_s: float | None = None
        self._reset_shape()
        self._last_peak_t: float | None = None  # deepest point of the last compression

    def _reset_shape(self) -> None:
        self._low = math.inf  # lowest point since the last release (or the stream start)
        self._low_t = -math.inf
        self._quiet_since: float | None = None  # the last release (None: none this stream)
        self._peak: _Peak | None = None  # compression under way
        self._released: Release | None = None  # awaiting its recoil
        self._released_at = 0.0

    @property
    def under_way(self) -> bool:
        """A compression has started and not yet been released."""
        return self._peak is not None

    def add_chunk(
        self,
        ts0: float,
        rate_hz: float,
        samples: Sequence[float] | FloatArray,
        releases: list[Release] | None = None,
    ) -> list[Compression]:
        """Feed one chunk; return the compressions it completed, oldest first. With
        ``releases``, the compressions it released are appended to it, oldest first (a
        compression can be released and completed by the same chunk)."""
        vals = np.asarray(samples, dtype=np.float64).reshape(-1)
        if not (math.isfinite(ts0) and math.isfinite(rate_hz) and rate_hz > 0):
            raise ValueError("ts0 must be finite and rate_hz positive")
        if not np.all(np.isfinite(vals)):
            raise ValueError("samples must be finite")
        times = ts0 + np.arange(vals.size, dtype=np.float64) / rate_hz
        out: list[Compression] = []
        same_rate = self._rate is not None and math.isclose(rate_hz, self._rate, rel_tol=_RATE_RTOL)
        last = self._last_t
        if last is not None and vals.size:
            if not same_rate and times[0] <= last:
                return out  # an old chunk at a rate no longer in use
            if not same_rate or times[0] > last + 1.0 / rate_hz + MAX_GAP_S:
                out += self._restart()
            else:
                fresh = times > last + 0.25 / rate_hz
                times, vals = times[fresh], vals[fresh]
        if vals.size == 0:
            return out
        if self._rate is None:
            self._rate = float(rate_hz)
        self._last_t = float(times[-1])
        out += self._process(*self._smooth(times, vals), releases)
        return out

    def _restart(self) -> list[Compression]:
        out = self._complete() if self._released is not None else []
        self._rate = None
        self._last_t = None
        self._raw_t = self._raw_v = np.empty(0)
        self._hist_t = self._hist_v = np.empty(0)
        self._prev_s = None
        self._last_peak_t = None
        self._reset_shape()
        return out

    def _smooth(self, times: FloatArray, vals: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Smoothed samples that are final now (their right-hand context has arrived)."""
        assert self._rate is not None
        half = round(SMOOTH_HALF_S * self._rate)
        if half <= SMOOTH_ORDER // 2:
            return times, vals
        if self._raw_v.size == 0:  # stream start: pad on the left as the batch filter does
            self._raw_t = np.full(half, times[0])
            self._raw_v = np.full(half, vals[0])
        raw_t = np.concatenate([self._raw_t, times])
        raw_v = np.concatenate([self._raw_v, vals])
        if raw_v.size < 2 * half + 1:
            self._raw_t, self._raw_v = raw_t, raw_v
            return np.empty(0), np.empty(0)
        smoothed: FloatArray = np.convolve(raw_v, _savgol_kernel(half), mode="valid")
        out_t = raw_t[half : raw_t.size - half]
        # Copies, not views: a view would keep a whole (replayed, minutes-long) chunk alive.
        self._raw_t, self._raw_v = raw_t[-2 * half :].copy(), raw_v[-2 * half :].copy()
        return out_t, smoothed

    def _process(
        self, times: FloatArray, smoothed: FloatArray, releases: list[Release] | None
    ) -> list[Compression]:
        out: list[Compression] = []
        if times.size == 0:
            return out
        period = 1.0 / (self._rate or 1.0)
        hist_t = np.concatenate([self._hist_t, times])
        hist_v = np.concatenate([self._hist_v, smoothed])
        prev = self._prev_s
        for t, s in zip(times.tolist(), smoothed.tolist(), strict=True):
            peak = self._peak
            if peak is None:
                if self._released is not None and t - self._released_at >= SETTLE_S:
                    out += self._complete()
                if s < self._low:
                    self._low, self._low_t = s, t
                elif s - self._low >= PRESS_MM:  # a new compression starts
                    if self._released is not None:
                        out += self._complete()
                    self._check_rest(t, hist_t, hist_v)
                    self._peak = _Peak(t, s, prev if prev is not None else s)
            elif s > peak.value:
                self._peak = _Peak(t, s, prev if prev is not None else s)
            else:
                if peak.after is None:
                    peak.after = s
                if peak.value - s >= PRESS_MM:  # released
                    self._released = self._release(*peak.refined(period))
                    if releases is not None:
                        releases.append(self._released)
                    self._released_at, self._low, self._low_t, self._peak = t, s, t, None
                    self._quiet_since = t
            prev = s
        self._prev_s = prev
        first = int(np.searchsorted(hist_t, hist_t[-1] - REST_S - HISTORY_MARGIN_S))
        self._hist_t, self._hist_v = hist_t[first:].copy(), hist_v[first:].copy()
        return out

    def _check_rest(self, end: float, hist_t: FloatArray, hist_v: FloatArray) -> None:
        """Re-check the rest position on the quiet, steady REST_S before a compression
        (``end``: when its press became one)."""
        if self._quiet_since is not None and end - self._quiet_since < REST_S:
            return
        end -= RISE_S
        lo, hi = np.searchsorted(hist_t, [end - REST_S, end], side="right")
        v = hist_v[lo:hi]
        if v.size < 2 or float(hist_t[hi - 1] - hist_t[lo]) < REST_S - 1.5 / (self._rate or 1.0):
            return
        if float(v.std()) > REST_SD_MM or float(v.max() - v.min()) > REST_RANGE_MM:
            return
        rest = float(np.median(v))
        if abs(rest) <= REST_MAX_MM:
            self.rest_mm = rest

    def _release(self, t: float, top: float) -> Release:
        """The compression whose deepest point was (``t``, ``top``), at its release (the one
        before it has been completed: a compression's start completes the one before)."""
        interval = None if self._last_peak_t is None else t - self._last_peak_t
        rate = 60.0 / interval if interval is not None and 0 < interval <= PAUSE_S else None
        self._last_peak_t = t
        return Release(t, top - self.rest_mm, interval, rate)

    def _complete(self) -> list[Compression]:
        """The released compression, now that its lowest point before the next is known."""
        assert self._released is not None
        released, self._released = self._released, None
        return [released.completed(self._low - self.rest_mm)]
