"""Pure-Python, sample-by-sample versions of the derived signals, only for ``bench feedback``.

They follow the same steps as ``accessibility.signals`` (band-pass, dominant period,
peaks, interval filter; smoothing, zig-zag compressions, recoil, fraction) with plain
loops, so the benchmark can show what vectorising buys. Not used by the service.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from itertools import pairwise

IBI_RANGE_S = (0.3, 2.0)
BAND_HZ = (0.5, 4.0)
PROMINENCE_MM = 10.0
RECOIL_MM = 5.0
PAUSE_S = 2.0
# 7-point quartic Savitzky-Golay smoothing weights (x 1/231), the 50 Hz case of cpr.py.
SG7 = (5.0, -30.0, 75.0, 131.0, 75.0, -30.0, 5.0)


def _kernel(rate_hz: float) -> list[float]:
    n = round(3.0 * rate_hz) | 1
    mid = (n - 1) / 2
    window = [0.54 - 0.46 * math.cos(2 * math.pi * i / (n - 1)) for i in range(n)]

    def lowpass(fc: float) -> list[float]:
        h = []
        for i in range(n):
            x = 2 * fc * (i - mid)
            h.append(2 * fc * (math.sin(math.pi * x) / (math.pi * x) if x else 1.0) * window[i])
        total = sum(h)
        return [v / total for v in h]

    high, low = lowpass(BAND_HZ[1] / rate_hz), lowpass(BAND_HZ[0] / rate_hz)
    return [a - b for a, b in zip(high, low, strict=True)]


def naive_heart_rate(values: Sequence[float], rate_hz: float) -> float | None:
    n = len(values)
    mean = sum(values) / n
    x = [v - mean for v in values]
    h = _kernel(rate_hz)
    half = len(h) // 2
    padded = [
        x[min(n - 1, abs(i))] if i < n else x[max(0, 2 * (n - 1) - i)]
        for i in range(-half, n + half)
    ]
    y = [sum(h[k] * padded[i + k] for k in range(len(h))) for i in range(n)]
    skew = sum(v**3 for v in y) / n
    if skew < 0:
        y = [-v for v in y]
    lo, hi = math.ceil(IBI_RANGE_S[0] * rate_hz), min(int(IBI_RANGE_S[1] * rate_hz), n // 2)
    energy = sum(v * v for v in y)
    if energy <= 0 or hi <= lo + 2:
        return None
    acf = {}
    for lag in range(lo - 1, hi + 2):
        acf[lag] = sum(y[i] * y[i + lag] for i in range(n - lag)) / energy * n / (n - lag)
    lags = [k for k in range(lo, hi + 1) if acf[k] > acf[k - 1] and acf[k] >= acf[k + 1]]
    if not lags:
        return None
    period = max(lags, key=lambda k: acf[k])
    w = max(1, int(0.45 * period))
    cands = []
    for i in range(1, n - 1):
        local = y[i] > y[i - 1] and y[i] >= y[i + 1] and y[i] > 0
        if local and y[i] >= max(y[max(0, i - w) : i + w + 1]):
            cands.append(i)
    if not cands:
        return None
    heights = sorted(y[i] for i in cands)
    floor = 0.3 * heights[len(heights) // 2]
    beats = [i / rate_hz for i in cands if y[i] >= floor]
    ibi = [b - a for a, b in pairwise(beats)]
    ibi = [v for v in ibi if IBI_RANGE_S[0] <= v <= IBI_RANGE_S[1]]
    if len(ibi) < 3:
        return None
    med = sorted(ibi)[len(ibi) // 2]
    ibi = [v for v in ibi if abs(v - med) <= 0.3 * med]
    return 60.0 / (sum(ibi) / len(ibi)) if len(ibi) >= 3 else None


def naive_cpr(
    times: Sequence[float], depth: Sequence[float]
) -> tuple[float, float, float, float] | None:
    """(rate /min, mean depth mm, recoil %, CCF %) or None without a compression."""
    n = len(depth)
    if n < 7:
        return None
    s = []
    for i in range(n):
        acc = 0.0
        for k, wk in enumerate(SG7):
            acc += wk * depth[min(n - 1, max(0, i + k - 3))]
        s.append(acc / 231.0)
    peaks: list[int] = []
    pending, low = -1, s[0]
    for i in range(1, n - 1):
        low = min(low, s[i])
        is_peak = s[i] > s[i - 1] and s[i] >= s[i + 1] and s[i] >= PROMINENCE_MM
        if is_peak and s[i] >= max(s[max(0, i - 5) : i + 6]):
            if pending < 0 and s[i] - low >= PROMINENCE_MM:
                pending, low = i, math.inf
            elif pending >= 0 and s[pending] - low >= PROMINENCE_MM and s[i] - low >= PROMINENCE_MM:
                peaks.append(pending)
                pending, low = i, math.inf
            elif pending >= 0 and s[i] > s[pending]:
                pending, low = i, math.inf
    if pending >= 0 and s[pending] - min(low, s[-1]) >= PROMINENCE_MM:
        peaks.append(pending)
    if not peaks:
        return None
    intervals = [times[b] - times[a] for a, b in pairwise(peaks)]
    active = [v for v in intervals if v <= PAUSE_S]
    rate = 60.0 / (sum(active) / len(active)) if active else 0.0
    ends = [*peaks[1:], n]
    recoiled = [min(s[a:b]) <= RECOIL_MM for a, b in zip(peaks, ends, strict=True)]
    off = sum(v for v in intervals if v > PAUSE_S)
    total = times[-1] - times[0]
    ccf = 100.0 * (1.0 - min(total, off) / total) if total > 0 else 0.0
    mean_depth = sum(s[i] for i in peaks) / len(peaks)
    return rate, mean_depth, 100.0 * sum(recoiled) / len(recoiled), ccf
