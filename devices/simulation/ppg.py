"""Raw photoplethysmogram like the IR channel of a MAX30102 pulse oximeter.

Each beat is a sum of two Gaussians (systolic peak, then the diastolic wave with the
dicrotic notch between them) scaled to the beat's own interval. Beats are generated
ahead of time and kept, so a sample's value depends only on its time: successive chunks
join without a jump. On top: respiratory baseline wander and amplitude modulation, a
slow baseline drift, beat-to-beat variability and white sensor noise.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# MAX30102 IR counts (18-bit ADC, 0..262143) with a finger or manikin probe at typical LED
# current: DC level tens of thousands to ~120,000 counts (task brief).
_DC_RANGE: Final = (60_000.0, 110_000.0)
# Perfusion index (AC/DC) ~1 % at a fingertip (task brief; clinical PI is 0.2-20 %).
PERFUSION_INDEX: Final = 0.01
# Pulse shape as fractions of the beat interval: systolic peak ~0.2 s after the foot at
# 60 bpm, diastolic (reflected) wave about half-way, lower and wider.
_SYS_MU, _SYS_SD = 0.20, 0.075
_DIA_MU, _DIA_SD, _DIA_AMP = 0.46, 0.11, 0.5
# Inter-beat intervals kept within 0.3-2 s (docs/domain.md: HR-from-PPG plausibility window).
_RR_MIN, _RR_MAX = 0.3, 2.0
# Beat-to-beat variability: AR(1) on the relative interval (resting HRV, SDNN a few %),
# plus respiratory sinus arrhythmia of +-2 %.
_HRV_SD, _HRV_AR, _RSA = 0.02, 0.5, 0.02
# Relative beat amplitude jitter and respiratory amplitude modulation.
_AMP_SD, _AMP_RESP = 0.04, 0.05
# Baseline: respiratory wander and a slow drift, in units of the pulse amplitude.
_RESP_WANDER, _SLOW_WANDER, _SLOW_HZ = 0.3, 0.6, 0.013
# White noise SD relative to the pulse amplitude (~20 counts at 1 % PI).
_NOISE_REL: Final = 0.02


def _pulse(u: FloatArray) -> FloatArray:
    """Normalised pulse shape at beat phase ``u`` (0 = foot, 1 = next foot)."""
    sys = np.exp(-0.5 * ((u - _SYS_MU) / _SYS_SD) ** 2)
    dia = _DIA_AMP * np.exp(-0.5 * ((u - _DIA_MU) / _DIA_SD) ** 2)
    return np.asarray(sys + dia, dtype=np.float64)


class PpgSynth:
    """Stateful, seedable PPG generator; ask for chunks in time order."""

    def __init__(
        self,
        seed: int,
        rate_hz: float = 50.0,
        *,
        dc_counts: float | None = None,
        resp_rate_per_min: float = 15.0,
        inverted: bool = False,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.rate_hz = float(rate_hz)
        beat_ss, noise_ss, shape_ss = np.random.SeedSequence(seed).spawn(3)
        self._beat_rng = np.random.default_rng(beat_ss)
        self._noise_rng = np.random.default_rng(noise_ss)
        shape = np.random.default_rng(shape_ss)
        self.dc = float(dc_counts) if dc_counts is not None else float(shape.uniform(*_DC_RANGE))
        self.ac = self.dc * PERFUSION_INDEX
        self.resp_hz = resp_rate_per_min / 60.0
        self._resp_phase = float(shape.uniform(0.0, 2.0 * math.pi))
        self._slow_phase = float(shape.uniform(0.0, 2.0 * math.pi))
        # Physical reflectance PPG falls with each systole; most displays flip it upright.
        self._sign = -1.0 if inverted else 1.0
        self._onsets: list[float] = []
        self._periods: list[float] = []
        self._amps: list[float] = []
        self._dev = 0.0

    @property
    def beat_onsets(self) -> list[float]:
        """Onset (foot) times of the beats currently held, for tests."""
        return list(self._onsets)

    def _resp(self, t: FloatArray | float) -> FloatArray:
        return np.sin(2.0 * math.pi * self.resp_hz * np.asarray(t) + self._resp_phase)

    def _add_beat(self, hr_bpm: float) -> None:
        rr_mean = 60.0 / min(max(hr_bpm, 30.0), 200.0)
        onset = self._onsets[-1] + self._periods[-1]
        self._dev = _HRV_AR * self._dev + _HRV_SD * float(self._beat_rng.standard_normal())
        rel = 1.0 + self._dev - _RSA * float(self._resp(onset))
        self._onsets.append(onset)
        self._periods.append(min(max(rr_mean * rel, _RR_MIN), _RR_MAX))
        amp = 1.0 + _AMP_SD * float(self._beat_rng.standard_normal())
        self._amps.append(amp * (1.0 + _AMP_RESP * float(self._resp(onset))))

    def _restart(self, t0: float, hr_bpm: float) -> None:
        rr = 60.0 / min(max(hr_bpm, 30.0), 200.0)
        first = t0 - rr * (1.0 + float(self._beat_rng.uniform()))
        self._onsets, self._periods, self._amps = [first], [rr], [1.0]
        self._dev = 0.0

    def chunk(self, t0: float, n: int, hr_bpm: float) -> FloatArray:
        """``n`` samples starting at time ``t0`` (s) for a heart rate of ``hr_bpm``."""
        if n <= 0:
            return np.zeros(0)
        t = t0 + np.arange(n) / self.rate_hz
        t_end = float(t[-1])
        if not self._onsets or t0 < self._onsets[0] or t0 > self._onsets[-1] + 5.0:
            self._restart(t0, hr_bpm)
        # Two whole beats beyond the chunk, so the next chunk sees the same neighbours.
        while len(self._onsets) < 3 or self._onsets[-2] <= t_end:
            self._add_beat(hr_bpm)
        # Forget beats that ended well before this chunk (keep one for continuity).
        drop = 0
        while drop + 2 < len(self._onsets) and self._onsets[drop + 2] < t0:
            drop += 1
        if drop:
            del self._onsets[:drop], self._periods[:drop], self._amps[:drop]
        onsets, periods = np.array(self._onsets), np.array(self._periods)
        amps = np.array(self._amps)
        k = np.searchsorted(onsets, t, side="right") - 1
        pulse = np.zeros(n)
        for off in (-1, 0, 1):
            j = np.clip(k + off, 0, len(onsets) - 1)
            valid = (k + off >= 0) & (k + off < len(onsets))
            u = (t - onsets[j]) / periods[j]
            pulse += np.where(valid, amps[j] * _pulse(u), 0.0)
        slow = np.sin(2.0 * math.pi * _SLOW_HZ * t + self._slow_phase)
        baseline = self.ac * (_RESP_WANDER * self._resp(t) + _SLOW_WANDER * slow)
        noise = self._noise_rng.standard_normal(n) * (_NOISE_REL * self.ac)
        out = self.dc + baseline + self._sign * self.ac * pulse + noise
        return np.asarray(out, dtype=np.float64)
