"""What every scan time learnt from reaction times shares: its bounds, the current scan
time, and the bounded window of reaction-time samples it is learnt from.

``AdaptiveInterval`` (clinical scenarios, ``accessibility.adaptive_interval``) and
``KnownTargetScanTime`` (switch practice, ``accessibility.scan_calibration``) differ only
in how they move the scan time; both build on ``LearntScanTime``. Pure.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Iterable
from typing import Final

from accessibility.model import MAX_SCAN_INTERVAL_MS, MIN_SCAN_INTERVAL_MS

RULE_65: Final = 0.65  # Simpson, Koester & LoPresti 2006/2007: delay = mean RT / 0.65


def check_reaction_time(rt_s: float) -> float:
    """``rt_s`` if it is a positive finite number of seconds, else ValueError."""
    if not math.isfinite(rt_s) or rt_s <= 0:
        raise ValueError(f"reaction time must be a positive number, got {rt_s!r}")
    return rt_s


class LearntScanTime:
    """A scan time (ms) within ``min_ms``-``max_ms``, and the last ``window`` reaction
    times (s); the rules that move it adapt from ``min_samples`` samples on."""

    def __init__(
        self,
        initial_ms: float,
        *,
        min_ms: float = MIN_SCAN_INTERVAL_MS,
        max_ms: float = MAX_SCAN_INTERVAL_MS,
        window: int = 20,
        min_samples: int = 5,
        history_s: Iterable[float] = (),
    ) -> None:
        if not 0 < min_ms <= max_ms or not 1 <= min_samples <= window:
            raise ValueError(f"bad {type(self).__name__} bounds")
        self.min_ms, self.max_ms, self.min_samples = min_ms, max_ms, min_samples
        self._ms = self._clamp(initial_ms)
        self._rts: deque[float] = deque((float(x) for x in history_s if x > 0), maxlen=window)

    def _clamp(self, ms: float) -> float:
        return min(max(ms, self.min_ms), self.max_ms)

    @property
    def interval_ms(self) -> int:
        """The scan time now, in whole milliseconds."""
        return round(self._ms)

    @property
    def samples(self) -> tuple[float, ...]:
        """Reaction times (s) the scan time is learnt from, oldest first."""
        return tuple(self._rts)

    def _adapting(self) -> bool:
        """Whether there are enough samples to learn from."""
        return len(self._rts) >= self.min_samples

    def _mean_sd(self) -> tuple[float, float]:
        """Mean and (population) standard deviation of the samples, in seconds."""
        return statistics.fmean(self._rts), statistics.pstdev(self._rts)
