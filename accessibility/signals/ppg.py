"""Heart rate from a photoplethysmogram (PPG) window, in pure numpy, only from a pulse.

Method (docs/domain.md "Heart rate from PPG"; docs/ppg-quality.md): band-pass about
0.5-4 Hz, detect the systolic peaks, reject inter-beat intervals (IBI) outside
0.3-2 s, HR = 60 / mean IBI - and give no rate at all unless the window looks like
a pulse (``quality``).

* Band-pass: a linear-phase windowed-sinc FIR (difference of two Hamming-windowed
  low-pass kernels) applied with ``np.convolve`` on a reflect-padded, mean-removed
  copy, so it is zero-phase and needs no scipy.
* Beats: local (rolling) thresholds, after Elgendi et al. 2013 (PLoS ONE 8:e76585),
  the detector NeuroKit2 uses by default; HeartPy likewise compares the signal with a
  moving average. The positive part of the band-passed pulse is squared; a *block of
  interest* is where its 111 ms moving average exceeds its 667 ms moving average plus
  2 % of its mean; each block at least 111 ms wide holds one beat, at its highest
  sample; beats closer than 0.3 s keep the taller one. Nothing depends on one
  threshold or one period for the whole window, so motion that swings the baseline,
  or a rhythm that changes, does not hide beats elsewhere in the window.
* Peak times are refined by parabolic interpolation (sub-sample accuracy at 25-50 Hz).
* IBIs outside 0.3-2 s, or more than 30 % away from their median (a missed or an extra
  beat), are discarded; HR is 60 / mean of the rest.
* Quality (0-1, :func:`analyse_pulse`): periodicity (autocorrelation at the beat
  period, the fundamental chosen over its multiples) x beat-shape score (mean
  correlation of each beat with the window's average beat, after Orphanidou et al.
  2015, IEEE JBHI 19:832, mapped from 0.8-1 onto 0-1) x how much of the window accepted
  beats cover x (1, or 0.5 when the beat rate and the autocorrelation period disagree
  by more than 10 %). Noise, motion and a finger off the
  sensor score low; an estimate below ``MIN_QUALITY`` is not given.

Polarity: raw MAX30102 counts are reflected light, which *falls* when blood volume
rises, so the pulse appears upside down; HeartPy's and NeuroKit2's conventions have
the systolic peak up. ``polarity="auto"`` (default) picks the orientation in which
the band-passed signal is positively skewed (systolic peaks tall and sharp, troughs
broad). ``"peaks_up"`` / ``"peaks_down"`` force a convention.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from accessibility.signals.order_stats import median, percentile

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
Polarity = Literal["auto", "peaks_up", "peaks_down"]

BAND_HZ = (0.5, 4.0)  # pass band, docs/domain.md "Heart rate from PPG"
IBI_RANGE_S = (0.3, 2.0)  # plausible inter-beat intervals (200-30 bpm), docs/domain.md
MIN_SECONDS = 4.0  # shortest window analysed: >= 2 beats even at 30 bpm
MIN_INTERVALS = 3  # accepted IBIs needed for an estimate (4 consecutive beats)
FIR_SECONDS = 3.0  # FIR length; Hamming transition ~3.3/N Hz = 1.1 Hz wide
# Elgendi et al. 2013: W1 = 111 ms (systolic peak), W2 = 667 ms (one beat), beta = 0.02.
PEAK_WINDOW_S, BEAT_WINDOW_S, BLOCK_OFFSET = 0.111, 0.667, 0.02
# A block narrower than half of W1 is a ripple, not a beat. (Elgendi's full W1 misses
# beats above ~150 bpm, where the whole positive half-wave lasts little more than W1.)
MIN_BLOCK_SHARE = 0.5
IBI_MAX_DEVIATION = 0.3  # IBIs further than 30 % from the median are artefacts
# ...and closer than 0.55 of the autocorrelation period: the later one is the dicrotic
# (diastolic) wave, which HeartPy's fingertip recording shows as a second hump.
REFRACTORY_SHARE = 0.55
REFRACTORY_S = 0.25  # two beats closer than this are one (240 bpm; IBIs < 0.3 s are dropped later)
MIN_COVERAGE = 0.5  # accepted IBIs must span half the window (no sensor-off flat line)
FUNDAMENTAL_SHARE = 0.8  # a lag at P/k whose autocorrelation is >= 0.8 x that at P wins
# Beat-shape correlation with the average beat: pulses >= 0.9 (NeuroKit2, HeartPy's
# recordings, median 0.97-0.99), noise segmented at its own maxima ~0.75: the score
# rises from 0 at 0.8 to 1 at a perfect match.
SHAPE_FLOOR = 0.8
RATE_AGREEMENT = 0.1  # beat rate and autocorrelation period within 10 % of each other
# Default floor for `quality`, measured on 12 s windows at 50 Hz (docs/ppg-quality.md):
# 100 windows each of white and 0.5-4 / 0.7-3 Hz band-limited noise scored at most 0.05 /
# 0.09 / 0.15; NeuroKit2 simulations >= 0.72; HeartPy's recordings median 0.48-0.58 (their
# noisy stretches lower, and refused). 1-2 Hz noise (a 1 Hz band inside the heart-rate
# band) reached 0.43: such noise is not told from a pulse by the PPG alone.
MIN_QUALITY = 0.25


@dataclass(frozen=True, slots=True)
class PpgEstimate:
    """Heart rate estimate of one PPG window (``quality`` in 0..1, see the module doc)."""

    bpm: float
    beats: int  # beats (peaks) detected in the window
    intervals: int  # inter-beat intervals accepted into the mean
    quality: float


@dataclass(frozen=True, slots=True)
class PulseAnalysis:
    """Everything learnt from one window: the quality always, the estimate if trusted."""

    quality: float
    estimate: PpgEstimate | None
    amplitude: float  # median beat height above the band-passed trough (0 if no beats)
    # (periodicity, beat-shape consistency, coverage, beat rate agrees with the period)
    parts: tuple[float, float, float, bool] = (0.0, 0.0, 0.0, False)


@functools.lru_cache(maxsize=64)
def bandpass_kernel(rate_hz: float, band_hz: tuple[float, float] = BAND_HZ) -> FloatArray:
    """Zero-DC windowed-sinc FIR band-pass kernel (odd length, unity gain mid-band).

    Cached per rate (kits use a handful of rates); the array is marked read-only.
    """
    n = round(FIR_SECONDS * rate_hz) | 1
    k = np.arange(n, dtype=np.float64) - (n - 1) / 2
    window = np.hamming(n)
    low, high = band_hz[0] / rate_hz, band_hz[1] / rate_hz  # cycles per sample

    def lowpass(fc: float) -> FloatArray:
        h: FloatArray = 2 * fc * np.sinc(2 * fc * k) * window
        out: FloatArray = h / h.sum()  # exact unity gain at DC
        return out

    kernel = lowpass(high) - lowpass(low)  # sums to 0: DC and drift removed
    kernel.setflags(write=False)
    return kernel


def bandpass(values: FloatArray, rate_hz: float) -> FloatArray:
    """Zero-phase band-pass of ``values`` (same length)."""
    h = bandpass_kernel(rate_hz)
    half = h.size // 2
    x = values - values.mean()
    pad = min(half, x.size - 1)
    if pad == half:  # np.pad(x, pad, mode="reflect"), without its general machinery
        xp = np.concatenate((x[pad:0:-1], x, x[-2 : -pad - 2 : -1]))
    else:  # shorter than the kernel: reflect what there is, extend the edges with zeros
        xp = np.pad(np.pad(x, pad, mode="reflect"), half - pad)
    out: FloatArray = np.convolve(xp, h, mode="valid")
    return out


@functools.lru_cache(maxsize=64)
def _moving_bounds(size: int, width: int) -> tuple[IntArray, IntArray, IntArray]:
    """(first, past-the-end, count) of each sample's centred window of odd ``width``.

    Cached per (window size, width): a kit's full window is always the same size.
    """
    half = width // 2
    idx = np.arange(size)
    lo, hi = np.maximum(idx - half, 0), np.minimum(idx + half + 1, size)
    count = hi - lo
    for a in (lo, hi, count):
        a.setflags(write=False)
    return lo, hi, count


def _moving_mean(z: FloatArray, width: int) -> FloatArray:
    """Centred moving average of odd ``width`` (edges averaged over what exists)."""
    lo, hi, count = _moving_bounds(z.size, width)
    c = np.concatenate(([0.0], np.cumsum(z)))
    out: FloatArray = (c[hi] - c[lo]) / count
    return out


def _odd(width: float) -> int:
    """The odd whole number of samples nearest ``width`` (at least 1)."""
    return max(1, 2 * round((width - 1) / 2) + 1)


def beat_indices(y: FloatArray, rate_hz: float, period: float | None = None) -> IntArray:
    """Sample indices of systolic peaks in an oriented band-passed pulse (Elgendi blocks)."""
    z = np.square(np.clip(y, 0.0, None))
    w1 = _odd(PEAK_WINDOW_S * rate_hz)
    w2 = _odd(BEAT_WINDOW_S * rate_hz)
    block = _moving_mean(z, w1) > _moving_mean(z, w2) + BLOCK_OFFSET * float(z.mean())
    # Block edges: where the mask, padded with False at both ends, changes (start, end, ...).
    changes = np.flatnonzero(np.concatenate(([False], block)) != np.concatenate((block, [False])))
    starts, ends = changes[0::2], changes[1::2]
    wide = ends - starts >= MIN_BLOCK_SHARE * PEAK_WINDOW_S * rate_hz
    if not wide.any():
        return np.empty(0, dtype=np.intp)
    # The highest sample of each block (its first, if several), on a list: a dozen blocks
    # of a few samples each cost less as list slices than as numpy calls.
    samples = y.tolist()
    candidates, heights = [], []
    for s, e in zip(starts[wide].tolist(), ends[wide].tolist(), strict=True):
        block_values = samples[s:e]
        top = max(block_values)
        candidates.append(s + block_values.index(top))
        heights.append(top)
    peaks: list[int] = []
    refractory = max(REFRACTORY_S * rate_hz, REFRACTORY_SHARE * (period or 0.0))
    last_height = 0.0
    for p, h in zip(candidates, heights, strict=True):
        if peaks and p - peaks[-1] < refractory:
            if h > last_height:
                peaks[-1], last_height = p, h
            continue
        peaks.append(p)
        last_height = h
    inner = [p for p in peaks if 0 < p < y.size - 1]
    return np.asarray(inner, dtype=np.intp)


def _refine(y: FloatArray, idx: IntArray) -> FloatArray:
    """Sub-sample peak positions by parabolic interpolation."""
    a, b, c = y[idx - 1], y[idx], y[idx + 1]
    denom = a - 2 * b + c
    safe = np.where(denom < 0, denom, -1.0)
    offset = np.where(denom < 0, 0.5 * (a - c) / safe, 0.0)
    out: FloatArray = idx + np.clip(offset, -0.5, 0.5)
    return out


def autocorrelation(y: FloatArray) -> FloatArray:
    """Unbiased autocorrelation of a zero-mean signal, 1 at lag 0 (zeros if flat)."""
    n = y.size
    spec = np.fft.rfft(y, 2 * n)
    acf = np.fft.irfft(spec * np.conj(spec))[:n]
    if acf[0] <= 0:
        return np.zeros(n)
    out: FloatArray = acf / acf[0] * n / _lag_counts(n)
    return out


@functools.lru_cache(maxsize=64)
def _lag_counts(n: int) -> IntArray:
    """n - lag for each lag of an n-sample autocorrelation (cached per window size)."""
    counts = n - np.arange(n)
    counts.setflags(write=False)
    return counts


def dominant_period(y: FloatArray, rate_hz: float) -> tuple[float, float] | None:
    """(period in samples, autocorrelation there) of the fundamental beat period.

    The autocorrelation of a pulse peaks at P, 2P, 3P...; sampled at 25 Hz a fast pulse
    (160-180 bpm, P = 8-9 samples) can peak higher at 3P than at P, which read as a third
    of the rate. So the *shortest* lag whose peak reaches ``FUNDAMENTAL_SHARE`` of the
    highest is the period, refined between samples by a parabola.
    """
    acf = autocorrelation(y)
    n = y.size
    lo = math.ceil(IBI_RANGE_S[0] * rate_hz)
    hi = min(int(IBI_RANGE_S[1] * rate_hz), n // 2)
    if hi <= lo + 2 or acf[0] == 0:
        return None
    seg = acf[lo - 1 : hi + 2]
    is_max = (seg[1:-1] > seg[:-2]) & (seg[1:-1] >= seg[2:])
    lags = np.flatnonzero(is_max) + lo
    if lags.size == 0:
        return None
    top = float(acf[lags].max())
    if top <= 0:
        return None
    best = int(lags[np.flatnonzero(acf[lags] >= FUNDAMENTAL_SHARE * top)[0]])
    a, b, c = acf[best - 1], acf[best], acf[best + 1]
    denom = a - 2 * b + c
    shift = min(0.5, max(-0.5, float(0.5 * (a - c) / denom))) if denom < 0 else 0.0
    return best + shift, min(1.0, max(0.0, float(b)))


def _orient(y: FloatArray, polarity: Polarity) -> FloatArray:
    if polarity == "peaks_up":
        return y
    if polarity == "peaks_down":
        return -y
    centred = y - y.mean()
    return y if float(np.mean(centred**3)) >= 0 else -y


def _shape_consistency(y: FloatArray, idx: IntArray, ibi_samples: float) -> float:
    """Mean correlation of each whole beat (peak +- half an IBI) with the average beat."""
    half = max(2, round(ibi_samples / 2))
    idx = idx[(idx >= half) & (idx + half < y.size)]
    if idx.size < MIN_INTERVALS:
        return 0.0
    beats = y[idx[:, None] + np.arange(-half, half + 1)]
    beats = beats - beats.mean(axis=1, keepdims=True)
    template = beats.mean(axis=0)
    # np.linalg.norm's own arithmetic (row: sqrt of the sum of squares; vector: of x.x).
    norms = np.sqrt(np.add.reduce(beats * beats, axis=1)) * math.sqrt(template.dot(template))
    if float(norms.min()) <= 0:
        return 0.0
    r = beats @ template / norms
    return float(np.clip(r, 0.0, 1.0).mean())


def analyse_pulse(
    values: npt.ArrayLike, rate_hz: float, *, polarity: Polarity = "auto",
    min_quality: float = MIN_QUALITY,
) -> PulseAnalysis:  # fmt: skip
    """Quality, beat height and (if trusted) heart rate of a uniformly sampled window."""
    if not (math.isfinite(rate_hz) and rate_hz > 2 * BAND_HZ[1]):
        raise ValueError(f"rate_hz must exceed {2 * BAND_HZ[1]} Hz (Nyquist of the band)")
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    nothing = PulseAnalysis(0.0, None, 0.0)
    if x.size < MIN_SECONDS * rate_hz or not np.all(np.isfinite(x)):
        return nothing
    y = _orient(bandpass(x, rate_hz), polarity)
    found = dominant_period(y, rate_hz)
    if found is None:
        return nothing
    period, periodicity = found
    idx = beat_indices(y, rate_hz, period)
    if idx.size <= MIN_INTERVALS:
        return nothing
    amplitude = median(y[idx]) - percentile(y, 5)
    beat_times = _refine(y, idx) / rate_hz
    ibi = np.diff(beat_times)
    ibi = ibi[(ibi >= IBI_RANGE_S[0]) & (ibi <= IBI_RANGE_S[1])]
    if ibi.size < MIN_INTERVALS:
        return PulseAnalysis(0.0, None, amplitude)
    middle = median(ibi)
    ibi = ibi[np.abs(ibi - middle) <= IBI_MAX_DEVIATION * middle]
    if ibi.size < MIN_INTERVALS:
        return PulseAnalysis(0.0, None, amplitude)
    coverage = min(1.0, float(ibi.sum()) * rate_hz / x.size)
    mean_ibi = float(ibi.mean())
    agree = abs(mean_ibi * rate_hz - period) <= RATE_AGREEMENT * period
    shape = _shape_consistency(y, idx, mean_ibi * rate_hz)
    shape_score = max(0.0, (shape - SHAPE_FLOOR) / (1.0 - SHAPE_FLOOR))
    quality = round(coverage * periodicity * shape_score * (1.0 if agree else 0.5), 3)
    if coverage < MIN_COVERAGE or quality < min_quality:
        return PulseAnalysis(quality, None, amplitude, (periodicity, shape, coverage, agree))
    estimate = PpgEstimate(60.0 / mean_ibi, int(idx.size), int(ibi.size), quality)
    return PulseAnalysis(quality, estimate, amplitude, (periodicity, shape, coverage, agree))


def heart_rate_from_ppg(
    values: npt.ArrayLike,
    rate_hz: float,
    *,
    polarity: Polarity = "auto",
    min_quality: float = MIN_QUALITY,
) -> PpgEstimate | None:
    """Heart rate of a uniformly sampled PPG window, or None if it is not a clear pulse.

    None when the window is shorter than ``MIN_SECONDS``, not finite, flat, yields
    fewer than ``MIN_INTERVALS`` accepted inter-beat intervals, covers less than
    ``MIN_COVERAGE`` of the window with them, or scores a quality below ``min_quality``.
    Finger-off and motion are judged from the raw level and the accelerometer by
    :mod:`accessibility.signals.ppg_quality`, which the twin's derived values use.
    """
    return analyse_pulse(values, rate_hz, polarity=polarity, min_quality=min_quality).estimate
