"""Vital signs of a simulated patient: slow physiologic drift, optionally deteriorating.

The drift is a mean-reverting random walk (Ornstein-Uhlenbeck) evaluated on a 1 s grid
and interpolated, so ``sample(t)`` is a pure function of ``t`` for a given seed, whatever
order or spacing the calls come in. The "deteriorating" scenario moves the baselines
towards sepsis-like values over about five minutes.
"""

from __future__ import annotations

import math
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

Scenario = Literal["stable", "deteriorating"]
FloatArray = npt.NDArray[np.float64]

NAMES: Final = ("hr", "spo2", "temp_c", "resp_rate", "sbp", "dbp")

# Healthy adult at rest, inside the NEWS2 zero-score bands (Royal College of Physicians,
# NEWS2 2017: HR 51-90, SpO2 >= 96 %, temp 36.1-38.0, resp 12-20, SBP 111-219).
_BASELINE: Final = np.array([76.0, 97.5, 36.8, 14.0, 122.0, 78.0])
# Sepsis-like end state of the "deteriorating" scenario (task brief; qSOFA: resp >= 22 and
# SBP <= 100; NEWS2 high-score bands: HR >= 111, SpO2 <= 91, resp >= 25, SBP <= 90).
_DETERIORATED: Final = np.array([125.0, 89.0, 38.8, 28.0, 88.0, 52.0])
# Time for the deterioration to complete (task brief: "over ~5 minutes").
RAMP_S: Final = 300.0
# Stationary SD and time constant of the slow drift, per sign (monitor trends of resting
# adults wander a few bpm / a few mmHg over minutes; temperature barely moves).
_DRIFT_SD: Final = np.array([2.5, 0.5, 0.05, 0.8, 4.0, 3.0])
_DRIFT_TAU_S: Final = np.array([45.0, 60.0, 300.0, 60.0, 90.0, 90.0])
# Reading-to-reading jitter of the monitor (beat-averaging and measurement noise).
_JITTER_SD: Final = np.array([0.8, 0.25, 0.02, 0.5, 1.5, 1.0])
# Clamp to what a monitor can display for a living adult.
_LOW: Final = np.array([30.0, 70.0, 34.0, 4.0, 60.0, 30.0])
_HIGH: Final = np.array([220.0, 100.0, 42.0, 60.0, 250.0, 150.0])
_GRID_S: Final = 1.0
_BLOCK: Final = 256
# A scenario longer than this means t0 was not set (t given as Unix time, t0 = 0).
_MAX_ELAPSED_S: Final = 7 * 24 * 3600.0


def _smoothstep(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return x * x * (3.0 - 2.0 * x)


class VitalsModel:
    """Seedable vital-signs generator; ``t`` is in seconds, ``t0`` is the scenario start."""

    def __init__(self, seed: int, scenario: Scenario = "stable", *, t0: float = 0.0) -> None:
        if scenario not in ("stable", "deteriorating"):
            raise ValueError(f"unknown scenario {scenario!r}")
        self.seed = seed
        self.scenario: Scenario = scenario
        self.t0 = t0
        ss = np.random.SeedSequence(seed)
        drift_ss, jitter_ss = ss.spawn(2)
        self._jitter_key = int(jitter_ss.generate_state(1)[0])
        self._rng = np.random.default_rng(drift_ss)
        self._decay = np.exp(-_GRID_S / _DRIFT_TAU_S)
        self._innov_sd = _DRIFT_SD * np.sqrt(1.0 - self._decay**2)
        # Drift deviations on the grid; row i is at elapsed time i * _GRID_S.
        self._grid: FloatArray = (self._rng.standard_normal(6) * _DRIFT_SD)[None, :]
        self._powers: FloatArray | None = None

    def _extend(self, rows: int) -> None:
        # OU recursion x[i] = a x[i-1] + e[i] for a whole block at once:
        # x[i] = a**(i+1) x[-1] + sum_j a**(i-j) e[j], with a lower-triangular power matrix.
        if self._powers is None:
            lag = np.arange(_BLOCK)[:, None] - np.arange(_BLOCK)[None, :]
            self._powers = np.where(
                lag[None] >= 0, self._decay[:, None, None] ** np.maximum(lag, 0)[None], 0.0
            )
        blocks, have, last = [self._grid], self._grid.shape[0], self._grid[-1]
        while have < rows:
            noise = self._rng.standard_normal((_BLOCK, 6)) * self._innov_sd
            carry = self._decay[None, :] ** np.arange(1, _BLOCK + 1)[:, None] * last
            blocks.append((self._powers @ noise.T[:, :, None])[:, :, 0].T + carry)
            have, last = have + _BLOCK, blocks[-1][-1]
        if len(blocks) > 1:
            self._grid = np.concatenate(blocks)

    def _drift(self, elapsed: float) -> FloatArray:
        pos = elapsed / _GRID_S
        i = math.floor(pos)
        self._extend(i + 2)
        frac = pos - i
        return np.asarray(self._grid[i] * (1.0 - frac) + self._grid[i + 1] * frac)

    def progress(self, t: float) -> float:
        """How far the deterioration has gone at ``t``: 0 (baseline) to 1 (sepsis-like)."""
        if self.scenario == "stable":
            return 0.0
        return _smoothstep((t - self.t0) / RAMP_S)

    def truth(self, t: float) -> dict[str, float]:
        """Unrounded underlying values at ``t`` (no monitor jitter)."""
        return dict(zip(NAMES, self._values(t, jitter=False).tolist(), strict=True))

    def _values(self, t: float, *, jitter: bool) -> FloatArray:
        elapsed = max(t - self.t0, 0.0)
        if elapsed > _MAX_ELAPSED_S:
            raise ValueError("t is far past t0: pass the scenario start as t0")
        p = self.progress(t)
        x = _BASELINE + p * (_DETERIORATED - _BASELINE) + self._drift(elapsed)
        if jitter:
            ms = round(elapsed * 1000.0)
            rng = np.random.default_rng([self._jitter_key, ms])
            x = x + rng.standard_normal(6) * _JITTER_SD
        x = np.clip(x, _LOW, _HIGH)
        # Keep a physiologic pulse pressure (>= 15 mmHg).
        x[5] = min(x[5], x[4] - 15.0)
        return np.asarray(x, dtype=np.float64)

    def sample(self, t: float) -> dict[str, float]:
        """A monitor reading at ``t``: hr/resp/sbp/dbp whole numbers, spo2 in 0.5, temp 0.1."""
        hr, spo2, temp, resp, sbp, dbp = self._values(t, jitter=True).tolist()
        return {
            "hr": round(hr),
            "spo2": round(spo2 * 2.0) / 2.0,
            "temp_c": round(temp, 1),
            "resp_rate": round(resp),
            "sbp": round(sbp),
            "dbp": round(dbp),
        }
