"""A learner with a physical disability pressing a big switch.

Reaction times follow an ex-Gaussian (normal + exponential), the distribution commonly
fitted to human reaction times: a right-skewed bulk with a long slow tail. On top of it,
``miss_prob`` of the presses come late (the learner missed the moment and catches up).
``mean_reaction_ms`` is the long-run mean including those late presses, so a scan
adapter that measures the mean should find it; ``sd_ms`` is the spread of on-time presses.
"""

from __future__ import annotations

from typing import Final, Literal

import numpy as np
import numpy.typing as npt

Switch = Literal["select", "next"]
FloatArray = npt.NDArray[np.float64]

# Share of the on-time SD carried by the exponential tail (ex-Gaussian tau); the rest is
# the Gaussian part: sd**2 = sigma**2 + tau**2.
_TAU_SHARE: Final = 0.6
# A late press comes 0.5-1.5 mean reaction times after an on-time one would have.
_LATE_EXTRA: Final = (0.5, 1.5)
# No human simple reaction is faster than ~150 ms.
MIN_REACTION_S: Final = 0.15
# Hold (press) duration: lognormal, median 250 ms; products ship acceptance times of
# 0-500 ms (docs/domain.md), so most presses are accepted at common settings.
_HOLD_MEDIAN_S, _HOLD_SIGMA = 0.25, 0.4
# A tremor bounce: a second short press 30-150 ms after the release.
_BOUNCE_GAP_S, _BOUNCE_HOLD_S = (0.03, 0.15), (0.02, 0.08)


class SwitchUser:
    """Seedable model of one learner's switch presses."""

    def __init__(
        self,
        seed: int,
        mean_reaction_ms: float = 900.0,
        sd_ms: float = 250.0,
        miss_prob: float = 0.05,
        *,
        bounce_prob: float = 0.0,
    ) -> None:
        if not 0.0 <= miss_prob < 1.0 or not 0.0 <= bounce_prob <= 1.0:
            raise ValueError("miss_prob must be in [0, 1) and bounce_prob in [0, 1]")
        self.mean_s = mean_reaction_ms / 1000.0
        self.sd_s = sd_ms / 1000.0
        self.miss_prob = miss_prob
        self.bounce_prob = bounce_prob
        late_mean = self.mean_s * sum(_LATE_EXTRA) / 2.0
        core_mean = self.mean_s - miss_prob * late_mean
        self._tau = _TAU_SHARE * self.sd_s
        self._mu = core_mean - self._tau
        self._sigma = (self.sd_s**2 - self._tau**2) ** 0.5
        if self._mu < MIN_REACTION_S or self.sd_s < 0.0:
            raise ValueError("mean_reaction_ms too small for sd_ms and miss_prob")
        self._rng = np.random.default_rng(np.random.SeedSequence(seed))
        self.last_was_late = False

    def reaction_times_s(self, n: int) -> FloatArray:
        """``n`` independent reaction times in seconds."""
        rng = self._rng
        core = rng.normal(self._mu, self._sigma, n) + rng.exponential(self._tau, n)
        late = rng.uniform(size=n) < self.miss_prob
        extra = rng.uniform(*_LATE_EXTRA, size=n) * self.mean_s
        out = np.maximum(core, MIN_REACTION_S) + np.where(late, extra, 0.0)
        return np.asarray(out, dtype=np.float64)

    def reaction_time_s(self) -> float:
        """One reaction time in seconds (sets ``last_was_late``)."""
        rng = self._rng
        core = float(rng.normal(self._mu, self._sigma)) + float(rng.exponential(self._tau))
        self.last_was_late = float(rng.uniform()) < self.miss_prob
        extra = float(rng.uniform(*_LATE_EXTRA)) * self.mean_s if self.last_was_late else 0.0
        return max(core, MIN_REACTION_S) + extra

    def hold_time_s(self) -> float:
        """How long the switch is held down, in seconds."""
        return float(self._rng.lognormal(np.log(_HOLD_MEDIAN_S), _HOLD_SIGMA))

    def press_events(
        self, t: float, switch: Switch = "select", *, react: bool = True
    ) -> list[dict[str, object]]:
        """Input payloads (without ``seq``) of the press answering a cue shown at ``t``.

        The switch goes down one reaction time after ``t`` (at ``t`` itself when ``react``
        is false) and up after the hold time; with ``bounce_prob`` a tremor adds a second
        short press. Events are in time order.
        """
        if switch not in ("select", "next"):
            raise ValueError(f"unknown switch {switch!r}")
        down = t + self.reaction_time_s() if react else t
        up = down + self.hold_time_s()
        times = [(down, "down"), (up, "up")]
        if self.bounce_prob > 0.0 and float(self._rng.uniform()) < self.bounce_prob:
            down2 = up + float(self._rng.uniform(*_BOUNCE_GAP_S))
            times += [(down2, "down"), (down2 + float(self._rng.uniform(*_BOUNCE_HOLD_S)), "up")]
        return [{"ts": round(ts, 6), "switch": switch, "state": state} for ts, state in times]
