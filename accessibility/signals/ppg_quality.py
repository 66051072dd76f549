"""Is there a pulse to read? Finger-off, perfusion and motion checks of a PPG window.

:func:`assess_ppg` runs before and around :func:`~accessibility.signals.ppg.analyse_pulse`
and says why a window gives no heart rate (docs/ppg-quality.md):

* ``finger_off``: the raw DC level is below the sensor's finger-on level. MAX30102 IR
  counts are tens of thousands with a finger on; SparkFun's MAX3010x examples treat
  IR below about 50,000 as "no finger" (docs/domain.md "Pulse oximetry signal quality").
* ``low_perfusion`` / ``not_a_pulse``: the perfusion index (pulsatile height / DC x 100)
  is outside what a finger gives: the pulsatile part is about 0.5-5 % of DC; below
  0.05 % nothing pulses, above 20 % the "pulse" is the probe moving.
* ``motion``: the kit's accelerometer (``accel_z``), band-passed to the heart-rate band,
  moves more than ``MOTION_RMS_MS2``, or moves at the very rate the PPG shows.
  Motion at CPR pace (~1.8 Hz) sits inside the heart-rate band, so only the
  accelerometer tells it from a pulse (docs/domain.md).
* ``no_pulse``: quality below the floor (noise, no periodic beats of one shape).

Sensor scales differ: :data:`MAX30102` judges raw counts; :data:`UNSCALED` skips the
level checks for signals that are not raw counts (HeartPy's recordings, NeuroKit2's
simulations, already-filtered kit output).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from accessibility.signals.order_stats import median
from accessibility.signals.ppg import (
    BAND_HZ,
    MIN_QUALITY,
    Polarity,
    PpgEstimate,
    analyse_pulse,
    bandpass,
    dominant_period,
)

FloatArray = npt.NDArray[np.float64]
NoPulseReason = Literal["too_short", "finger_off", "low_perfusion", "not_a_pulse", "motion",
                        "no_pulse"]  # fmt: skip

# Band-passed accelerometer RMS above which the window is motion, not rest. A hand on
# the chest during CPR moves ~5 cm at ~1.8 Hz: (2 pi 1.8)^2 x 0.025 = 3.3 m/s^2 peak;
# an accelerometer at rest reads ~0.01-0.05 m/s^2 of noise.
MOTION_RMS_MS2 = 0.3
# Smaller motion still counts when its own period matches the PPG's within 10 %.
MOTION_COUPLED_RMS_MS2 = 0.05
MOTION_PERIOD_MATCH = 0.1


@dataclass(frozen=True, slots=True)
class PpgSensor:
    """What finger-on looks like in one sensor's raw values (None: not judged)."""

    name: str
    min_dc: float | None
    perfusion_pct: tuple[float, float] | None


MAX30102 = PpgSensor("max30102", 50_000.0, (0.05, 20.0))
UNSCALED = PpgSensor("unscaled", None, None)


@dataclass(frozen=True, slots=True)
class PpgAssessment:
    """The verdict on one window: an estimate, or the reason there is none."""

    quality: float  # 0-1, published as ``ppg_quality``
    estimate: PpgEstimate | None
    reason: NoPulseReason | None  # None exactly when ``estimate`` is given
    perfusion_pct: float | None = None


def motion_in(accel: FloatArray, rate_hz: float, ppg_period_s: float | None) -> bool:
    """Does this accelerometer window move in the heart-rate band (see module doc)?"""
    if accel.size < 4 * rate_hz or rate_hz <= 2 * BAND_HZ[1]:
        return bool(accel.size >= 2 and float(np.ptp(accel)) > 4 * MOTION_RMS_MS2)
    moving = bandpass(accel, rate_hz)
    rms = float(np.sqrt(np.mean(moving**2)))
    if rms >= MOTION_RMS_MS2:
        return True
    if rms < MOTION_COUPLED_RMS_MS2 or ppg_period_s is None:
        return False
    found = dominant_period(moving, rate_hz)
    if found is None:
        return False
    period_s = found[0] / rate_hz
    return abs(period_s - ppg_period_s) <= MOTION_PERIOD_MATCH * ppg_period_s


def assess_ppg(
    values: npt.ArrayLike,
    rate_hz: float,
    *,
    sensor: PpgSensor = MAX30102,
    polarity: Polarity = "auto",
    accel: tuple[FloatArray, float] | None = None,
    min_quality: float = MIN_QUALITY,
) -> PpgAssessment:
    """Judge one PPG window; ``accel`` is the kit's ``accel_z`` over the same time."""
    x = np.asarray(values, dtype=np.float64).reshape(-1)
    if x.size == 0 or not np.all(np.isfinite(x)):
        return PpgAssessment(0.0, None, "too_short")
    dc = median(x)
    if sensor.min_dc is not None and dc < sensor.min_dc:
        return PpgAssessment(0.0, None, "finger_off")
    pulse = analyse_pulse(x, rate_hz, polarity=polarity, min_quality=min_quality)
    pi = 100.0 * pulse.amplitude / abs(dc) if dc and math.isfinite(dc) else None
    if sensor.perfusion_pct is not None and pulse.amplitude > 0 and pi is not None:
        lo, hi = sensor.perfusion_pct
        if pi < lo or pi > hi:
            reason: NoPulseReason = "low_perfusion" if pi < lo else "not_a_pulse"
            return PpgAssessment(0.0, None, reason, round(pi, 3))
    pi_out = None if pi is None else round(pi, 3)
    if accel is not None:
        period = None if pulse.estimate is None else 60.0 / pulse.estimate.bpm
        if motion_in(accel[0], accel[1], period):
            return PpgAssessment(0.0, None, "motion", pi_out)
    if pulse.estimate is None:
        short = x.size < 4 * rate_hz
        return PpgAssessment(pulse.quality, None, "too_short" if short else "no_pulse", pi_out)
    return PpgAssessment(pulse.quality, pulse.estimate, None, pi_out)
