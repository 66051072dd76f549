"""CPR quality metrics from a chest compression depth trace, in pure numpy.

Input: ``depth_mm`` from the kit's time-of-flight sensor (~50 Hz), 0 = chest
at rest as calibrated by the kit, positive = pressed in (docs/interface.md).

Detection. The trace is smoothed with a Savitzky-Golay (least-squares quartic,
+-0.06 s) filter, which removes sensor noise but keeps peak depths. A
*compression* is a peak that rises at least 10 mm above the lowest depth since
the previous compression and is followed by a fall of at least 10 mm (a
hysteresis "zig-zag" on peaks: wobbles smaller than 10 mm neither start nor
end a compression). Measuring the rise from the preceding trough rather than
from 0 keeps detection working when the learner leans and never releases;
depth and recoil are measured from the calibrated 0, which keeps the scores
honest. A compression whose release has not yet been seen at the end of the
window is "under way": it is scored on a later call.

Definitions (targets from AHA 2020 guidelines, docs/domain.md "CPR quality"):

* ``rate_per_min``: 60 / mean interval between the peaks of consecutive
  compressions, over intervals of at most ``PAUSE_S`` (pauses excluded, as the
  QCPR "average rate"). **When the learner has stopped** - no compression
  for more than ``PAUSE_S`` at the end of the window - the rate is
  0.0 and ``current_pause_s`` counts the hands-off time, so a trainer's rate
  gauge drops to zero at once instead of showing the last good rate while the
  chest is untouched; ``ccf_pct`` falls as the pause grows. **Before a rate can
  be measured** - the window holds no interval of at most ``PAUSE_S`` between two
  compressions (the first compression of a run) and the learner has not
  stopped - the rate is None, not 0: a learner who has just started is not a
  learner who has stopped. Once the window no longer holds any compression the
  function returns None (nothing to score).
* ``mean_depth_mm``: mean peak depth (from 0) of the compressions.
* ``recoil_pct`` (= ``pct_recoil_ok``): % of compressions after which the depth
  came back to <= 5 mm (docs/interface.md) before the next compression started. The
  last compression counts once it has released, or as a failure if the learner
  has kept leaning for ``PAUSE_S``; until then it is not evaluated.
* ``ccf_pct`` (chest compression fraction, AHA: time with compressions / total
  time): each compression "occupies" its interval to the next one; a gap of more
  than ``PAUSE_S`` between compressions (or at the window's start or end) is
  hands-off except for one typical compression cycle. Total time is the time
  the window's samples span.
* ``pct_rate_in_target``: % of (non-pause) intervals whose rate is 100-120/min;
  ``pct_depth_in_target``: % of compressions 50-60 mm deep (AHA 2020).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import sliding_window_view

from accessibility.signals.order_stats import median

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

PROMINENCE_MM = 10.0  # a compression rises and falls >= 10 mm (task brief: peak above ~10 mm)
RECOIL_MM = 5.0  # full recoil: back to within 5 mm of the 0 baseline (docs/interface.md)
RATE_TARGET_PER_MIN = (100.0, 120.0)  # AHA 2020
DEPTH_TARGET_MM = (50.0, 60.0)  # AHA 2020
PAUSE_S = 2.0  # no compression started for > 2 s = hands-off (task brief; QCPR pause)
SMOOTH_HALF_S = 0.06  # Savitzky-Golay half-span: 7 samples at 50 Hz (ToF sensor noise)
SMOOTH_ORDER = 4  # quartic fit: keeps the peak of a 0.2 s push (160/min) within ~1 mm
PEAK_GAP_S = 0.1  # candidate peaks are maxima within +-0.1 s (fine up to ~250/min)
DEFAULT_CYCLE_S = 60.0 / 110.0  # one cycle at the middle of the AHA rate target


@dataclass(frozen=True, slots=True)
class CprMetrics:
    rate_per_min: float | None  # 0.0 while paused; None until measurable (see module doc)
    mean_depth_mm: float
    recoil_pct: float | None  # None until a compression's recoil can be judged
    ccf_pct: float
    compressions: int
    pct_rate_in_target: float | None  # None without a non-pause interval
    pct_depth_in_target: float
    newest_ts: float  # device time of the newest sample used
    current_pause_s: float  # hands-off time at the end of the window (0 if active)
    rate_intervals: int  # intervals behind rate_per_min / pct_rate_in_target
    recoil_evaluated: int  # compressions behind recoil_pct

    @property
    def pct_recoil_ok(self) -> float | None:
        """QCPR name of :attr:`recoil_pct`."""
        return self.recoil_pct


def _savgol(x: FloatArray, half: int) -> FloatArray:
    """Savitzky-Golay smoothing (local least-squares polynomial): keeps peak heights."""
    if half <= SMOOTH_ORDER // 2 or x.size < 2 * half + 1:
        return x
    # np.pad(x, half, mode="edge"), without its general machinery (the hot path)
    padded = np.concatenate((np.full(half, x[0]), x, np.full(half, x[-1])))
    out: FloatArray = np.convolve(padded, _savgol_kernel(half), mode="valid")
    return out


@functools.lru_cache(maxsize=32)
def _savgol_kernel(half: int) -> FloatArray:
    """Reversed Savitzky-Golay coefficients for a window of 2*half+1 (cached per size)."""
    k = np.arange(-half, half + 1, dtype=np.float64)
    design = np.vander(k, SMOOTH_ORDER + 1, increasing=True)
    coeffs: FloatArray = np.linalg.pinv(design)[0][::-1].copy()  # fitted value at k = 0
    coeffs.setflags(write=False)
    return coeffs


def _candidates(s: FloatArray, half: int) -> IntArray:
    """Strict local maxima that are also the maximum within +-half samples."""
    edge = np.full(half, -np.inf)
    padded = np.concatenate((edge, s, edge))
    local_max = sliding_window_view(padded, 2 * half + 1).max(axis=1)
    inner = np.arange(1, s.size - 1)
    keep = (s[inner] > s[inner - 1]) & (s[inner] >= s[inner + 1]) & (s[inner] >= local_max[inner])
    out: IntArray = inner[keep & (s[inner] >= PROMINENCE_MM)]
    return out


def _compressions(s: FloatArray, cand: IntArray) -> tuple[list[int], int | None]:
    """Peaks that rise and then fall by >= PROMINENCE_MM (hysteresis zigzag).

    Returns the confirmed peak indices and the index of a compression still
    under way at the end (risen, not yet released), if any. The loop runs over
    candidate peaks (a few per second), not samples; segment minima come from
    one vectorised ``np.minimum.reduceat``.
    """
    if cand.size == 0:
        return [], None
    seg_min = np.minimum.reduceat(s, np.concatenate([[0], cand]))  # min before each cand
    confirmed: list[int] = []
    pending: int | None = None
    low = float(seg_min[0])  # lowest depth since the last peak (or window start)
    for j, c in enumerate(cand.tolist()):
        if j:
            low = min(low, float(seg_min[j]))
        if pending is None:
            if s[c] - low >= PROMINENCE_MM:
                pending, low = c, np.inf
        elif s[pending] - low >= PROMINENCE_MM and s[c] - low >= PROMINENCE_MM:
            confirmed.append(pending)  # released, and pressed again: a new compression
            pending, low = c, np.inf
        elif s[c] > s[pending]:
            pending, low = c, np.inf  # same compression, deeper top
    if pending is not None and s[pending] - min(low, float(seg_min[-1])) >= PROMINENCE_MM:
        confirmed.append(pending)
        pending = None
    return confirmed, pending


def _range_pct(x: FloatArray, bounds: tuple[float, float]) -> float:
    return float(100.0 * np.mean((x >= bounds[0]) & (x <= bounds[1])))


def cpr_metrics(times: npt.ArrayLike, depth_mm: npt.ArrayLike) -> CprMetrics | None:
    """CPR quality over one window of depth samples, or None without a compression.

    ``times`` are ascending device seconds of a contiguous recording (see
    ``WaveformWindow.contiguous_tail``); ``depth_mm`` the matching depths.
    """
    t = np.asarray(times, dtype=np.float64).reshape(-1)
    d = np.asarray(depth_mm, dtype=np.float64).reshape(-1)
    if t.size != d.size:
        raise ValueError("times and depth_mm must have the same length")
    if t.size < 3 or not (np.all(np.isfinite(t)) and np.all(np.isfinite(d))):
        return None
    dt = median(np.diff(t))
    if dt <= 0:
        raise ValueError("times must be ascending")
    s = _savgol(d, round(SMOOTH_HALF_S / dt))
    confirmed, pending = _compressions(s, _candidates(s, max(1, round(PEAK_GAP_S / dt))))
    n = len(confirmed)
    if n == 0:
        return None
    pk = np.asarray(confirmed, dtype=np.intp)
    peaks = s[pk]
    # Peak times refined by parabolic interpolation on the smoothed trace.
    a, b, c = s[np.maximum(pk - 1, 0)], peaks, s[np.minimum(pk + 1, s.size - 1)]
    curv = a - 2 * b + c
    shift = np.where(curv < 0, 0.5 * (a - c) / np.where(curv < 0, curv, -1.0), 0.0)
    peak_t = np.interp(pk + np.clip(shift, -0.5, 0.5), np.arange(t.size), t)

    # Recoil: lowest depth between a peak and the next (confirmed or under way).
    following = pk[1:].tolist() + ([pending] if pending is not None else [t.size])
    troughs = np.minimum.reduceat(s, np.column_stack([pk, following]).ravel()[:-1])[::2]
    recoil_ok = troughs <= RECOIL_MM
    judged = np.ones(n, dtype=bool)
    judged[-1] = pending is not None or bool(recoil_ok[-1]) or t[-1] - peak_t[-1] > PAUSE_S

    intervals = np.diff(peak_t)
    active = intervals[intervals <= PAUSE_S]
    cycle = median(active) if active.size else DEFAULT_CYCLE_S
    lead_in = float(peak_t[0] - t[0])
    last_t = float(t[pending]) if pending is not None else float(peak_t[-1])
    since_last = float(t[-1]) - last_t
    off = float(np.sum(intervals[intervals > PAUSE_S] - cycle))
    off += lead_in if lead_in > PAUSE_S else 0.0
    current_pause = since_last - cycle if since_last > PAUSE_S else 0.0
    total = float(t[-1] - t[0])
    ccf = 100.0 * (1.0 - min(total, off + current_pause) / total) if total > 0 else 0.0

    rates = 60.0 / active
    rate: float | None = None  # one compression (since a pause) gives no rate yet
    if current_pause > 0:
        rate = 0.0  # the learner has stopped
    elif active.size:
        rate = float(60 / active.mean())
    return CprMetrics(
        rate_per_min=rate,
        mean_depth_mm=float(peaks.mean()),
        recoil_pct=float(100 * recoil_ok[judged].mean()) if judged.any() else None,
        ccf_pct=ccf,
        compressions=int(n),
        pct_rate_in_target=_range_pct(rates, RATE_TARGET_PER_MIN) if rates.size else None,
        pct_depth_in_target=_range_pct(peaks, DEPTH_TARGET_MM),
        newest_ts=float(t[-1]),
        current_pause_s=max(0.0, current_pause),
        rate_intervals=int(active.size),
        recoil_evaluated=int(judged.sum()),
    )
