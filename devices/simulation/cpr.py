"""Chest-compression depth of a simulated learner, as a time-of-flight sensor sees it.

Compressions are generated one by one (rate, depth and recoil drift from compression to
compression) and kept; a sample's value depends only on its time, so chunks join without
a jump and the result does not depend on how the caller slices time. 0 mm is the chest at
rest, positive is pressed in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# AHA 2020 adult BLS targets (docs/domain.md): 100-120 /min, 50-60 mm, full recoil.
TARGET_RATE_PER_MIN: Final = 110.0
TARGET_DEPTH_MM: Final = 55.0
# Cycle shape as fractions of the period: push down, short hold, release, rest on top.
# Compression (downstroke + hold) takes ~50 % of the cycle (AHA: duty cycle ~50 %).
_DOWN_END, _HOLD_END, _UP_END = 0.45, 0.5, 0.9
# Learner drift: the rate wanders +-10 /min around the learner's own rate (task brief),
# as a mean-reverting walk with SD 4 /min and a 30 s time constant.
_RATE_WANDER_MAX, _RATE_SD, _RATE_TAU_S = 10.0, 4.0, 30.0
_DEPTH_SD, _DEPTH_TAU_S = 1.5, 20.0
# Fatigue: depth falls noticeably within 1-2 minutes, the reason AHA 2020 advises
# rotating compressors every 2 min; modelled as up to 25 % loss with a 6 min time constant.
_FATIGUE_MAX, _FATIGUE_TAU_S = 0.25, 360.0
# Compression-to-compression scatter: 3 % of the period, 2 mm of depth.
_PERIOD_JITTER, _DEPTH_JITTER_MM = 0.03, 2.0
# Time-of-flight ranging noise (task brief: ~1 mm).
NOISE_MM: Final = 1.0
# With recoil_residual_mm > 0, this share of compressions is not released fully.
_LEAN_PROB: Final = 0.5


@dataclass(frozen=True, slots=True)
class Compression:
    """Ground truth of one compression."""

    onset_s: float
    period_s: float
    depth_mm: float  # peak depth reached
    start_mm: float  # depth at onset (left over from the previous release)
    end_mm: float  # depth after the release: 0 = full recoil


class CprLearner:
    """Seedable compression-depth generator; ask for chunks in time order."""

    def __init__(
        self,
        seed: int,
        rate_per_min: float = TARGET_RATE_PER_MIN,
        depth_mm: float = TARGET_DEPTH_MM,
        recoil_residual_mm: float = 0.0,
        drift: bool = True,
        *,
        pause_every_s: float | None = None,
        pause_len_s: float = 5.0,
        noise_mm: float = NOISE_MM,
        lean_prob: float = _LEAN_PROB,
        depth_cycle_mm: Sequence[float] = (),
    ) -> None:
        """``depth_cycle_mm``: intended depths taken in turn, one per compression (an
        uneven learner: (40, 70) alternates 40 and 70 mm); empty: ``depth_mm`` throughout."""
        if not 20.0 <= rate_per_min <= 200.0 or not 5.0 <= depth_mm <= 100.0:
            raise ValueError("rate_per_min must be 20..200 and depth_mm 5..100")
        if any(not 5.0 <= d <= 100.0 for d in depth_cycle_mm):
            raise ValueError("depth_cycle_mm values must be 5..100")
        self.depth_cycle_mm = tuple(float(d) for d in depth_cycle_mm)
        self.rate_per_min, self.depth_mm = float(rate_per_min), float(depth_mm)
        self.recoil_residual_mm, self.drift = float(recoil_residual_mm), drift
        self.pause_every_s, self.pause_len_s = pause_every_s, float(pause_len_s)
        self.noise_mm, self.lean_prob = float(noise_mm), float(lean_prob)
        event_ss, noise_ss = np.random.SeedSequence(seed).spawn(2)
        self._rng = np.random.default_rng(event_ss)
        self._noise_rng = np.random.default_rng(noise_ss)
        self.history: deque[Compression] = deque(maxlen=4096)
        self._active: list[Compression] = []
        self._started = False
        self._last_t0 = -math.inf

    def _restart(self, t0: float) -> None:
        self._active = []
        self._next_onset = t0 + float(self._rng.uniform(0.0, 0.3))
        self._level = 0.0
        self._rate_dev = self._depth_dev = 0.0
        self._elapsed = 0.0
        self._count = 0
        self._block_start = self._next_onset
        self._cur_rate, self._cur_depth = self.rate_per_min, self.depth_mm
        self._started = True

    @property
    def true_rate_per_min(self) -> float:
        """The learner's current intended rate (ground truth, before per-compression scatter)."""
        return self._cur_rate if self._started else self.rate_per_min

    @property
    def true_depth_mm(self) -> float:
        """The learner's current intended depth (ground truth, after fatigue)."""
        return self._cur_depth if self._started else self.depth_mm

    def _ou(self, dev: float, sd: float, tau: float, dt: float) -> float:
        a = math.exp(-dt / tau)
        return dev * a + sd * math.sqrt(1.0 - a * a) * float(self._rng.standard_normal())

    def _add_compression(self) -> None:
        rng = self._rng
        if self.drift:
            fatigue = _FATIGUE_MAX * (1.0 - math.exp(-self._elapsed / _FATIGUE_TAU_S))
            dev = min(max(self._rate_dev, -_RATE_WANDER_MAX), _RATE_WANDER_MAX)
            self._cur_rate = self.rate_per_min + dev
            self._cur_depth = self.depth_mm * (1.0 - fatigue) + self._depth_dev
        period = 60.0 / self._cur_rate * (1.0 + _PERIOD_JITTER * float(rng.standard_normal()))
        intended = self._cur_depth
        if self.depth_cycle_mm:
            cycle = self.depth_cycle_mm
            intended += cycle[self._count % len(cycle)] - self.depth_mm
        self._count += 1
        depth = max(intended + _DEPTH_JITTER_MM * float(rng.standard_normal()), 5.0)
        lean = self.recoil_residual_mm > 0.0 and float(rng.uniform()) < self.lean_prob
        end = self.recoil_residual_mm * float(rng.uniform(0.7, 1.3)) if lean else 0.0
        onset = self._next_onset
        self._next_onset = onset + period
        if self.pause_every_s is not None and self._next_onset - self._block_start >= (
            self.pause_every_s
        ):
            end = 0.0  # hands come off the chest for the rescue breaths
            self._next_onset += self.pause_len_s
            self._block_start = self._next_onset
        comp = Compression(onset, period, depth, min(self._level, depth), min(end, depth))
        self._level = comp.end_mm
        self._active.append(comp)
        self.history.append(comp)
        self._elapsed += period
        if self.drift:
            self._rate_dev = self._ou(self._rate_dev, _RATE_SD, _RATE_TAU_S, period)
            self._depth_dev = self._ou(self._depth_dev, _DEPTH_SD, _DEPTH_TAU_S, period)

    def compressions(self, start: float, end: float) -> list[Compression]:
        """Ground truth: compressions whose peak falls in [start, end)."""
        return [c for c in self.history if start <= c.onset_s + _HOLD_END * c.period_s < end]

    def chunk(self, t0: float, n: int, rate_hz: float = 50.0) -> FloatArray:
        """``n`` depth samples in mm starting at ``t0`` (s), at ``rate_hz``."""
        if n <= 0:
            return np.zeros(0)
        t = t0 + np.arange(n) / rate_hz
        if not self._started or t0 < self._last_t0 or t0 > self._next_onset + 60.0:
            self._restart(t0)
        self._last_t0 = t0
        while self._next_onset <= t[-1]:
            self._add_compression()
        while len(self._active) > 1 and self._active[1].onset_s <= t0:
            del self._active[0]
        return self._render(t) + self._noise_rng.standard_normal(n) * self.noise_mm

    def _render(self, t: FloatArray) -> FloatArray:
        if not self._active:
            return np.zeros(t.shape)
        act = self._active
        onset = np.array([c.onset_s for c in act])
        k = np.searchsorted(onset, t, side="right") - 1
        kc = np.clip(k, 0, len(act) - 1)
        period = np.array([c.period_s for c in act])[kc]
        peak = np.array([c.depth_mm for c in act])[kc]
        start = np.array([c.start_mm for c in act])[kc]
        end = np.array([c.end_mm for c in act])[kc]
        u = (t - onset[kc]) / period

        def ease(x: FloatArray) -> FloatArray:  # half-cosine: zero slope at both ends
            return np.asarray(0.5 - 0.5 * np.cos(math.pi * np.clip(x, 0.0, 1.0)))

        down = start + (peak - start) * ease(u / _DOWN_END)
        up = peak + (end - peak) * ease((u - _HOLD_END) / (_UP_END - _HOLD_END))
        depth = np.where(u < _HOLD_END, down, up)
        return np.asarray(np.where(k < 0, start, depth), dtype=np.float64)
