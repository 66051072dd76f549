"""The adaptive scan time of the clinical scenarios: the .65 rule over reaction times.

Simpson, Koester & LoPresti 2006/2007: scan delay ~ mean switch reaction time / 0.65.
Which presses are reaction-time samples is decided by the scan machine
(``accessibility.scanning``, docs/switch-scanning.md); this only learns from them.
Bounds and the sample window: ``accessibility.learnt_scan_time``. Pure.
"""

from __future__ import annotations

import math

from accessibility.explained import Phrase, phrase, say
from accessibility.learnt_scan_time import RULE_65, LearntScanTime, check_reaction_time
from accessibility.model import MAX_SCAN_INTERVAL_MS, MIN_SCAN_INTERVAL_MS

__all__ = ["RULE_65", "AdaptiveInterval"]


class AdaptiveInterval(LearntScanTime):
    """Scan interval from the learner's reaction times by the .65 rule, within bounds.

    Keeps the last ``window`` reaction times; from ``min_samples`` on, each new sample
    moves the interval towards mean / 0.65 by at most ``max_change`` of itself, but never
    below the 90th-percentile reaction time + ``margin_ms``: that floor applies at once,
    as slowing down for safety is never delayed.
    """

    def __init__(
        self,
        initial_ms: float,
        *,
        min_ms: float = MIN_SCAN_INTERVAL_MS,
        max_ms: float = MAX_SCAN_INTERVAL_MS,
        window: int = 20,
        min_samples: int = 5,
        max_change: float = 0.2,
        margin_ms: float = 100.0,
    ) -> None:
        if not 0 < max_change < 1:
            raise ValueError("bad AdaptiveInterval bounds")
        super().__init__(
            initial_ms, min_ms=min_ms, max_ms=max_ms, window=window, min_samples=min_samples
        )
        self.max_change, self.margin_ms = max_change, margin_ms

    def _stats(self) -> tuple[float, float, float] | None:
        """(mean RT s, floor ms = p90 by nearest rank + margin, target ms), once adapting."""
        if not self._adapting():
            return None
        mean, ranked = sum(self._rts) / len(self._rts), sorted(self._rts)
        floor = ranked[math.ceil(0.9 * len(ranked)) - 1] * 1000.0 + self.margin_ms
        return mean, floor, self._clamp(max(mean * 1000.0 / RULE_65, floor))

    def target_ms(self) -> float | None:
        stats = self._stats()
        return None if stats is None else stats[2]

    def record(self, rt_s: float) -> None:
        """Add one reaction time (seconds) and adjust the interval."""
        self._rts.append(check_reaction_time(rt_s))
        if (stats := self._stats()) is not None:
            lo, hi = self._ms * (1 - self.max_change), self._ms * (1 + self.max_change)
            self._ms = self._clamp(max(min(max(stats[2], lo), hi), stats[1]))

    def explain(self) -> str:
        return say(self.explain_phrases())

    def explain_phrases(self) -> list[Phrase]:
        """Why the scan time is what it is (``explain.adaptive.*``; accessibility.explained)."""
        now_s, n, stats = self._ms / 1000, len(self._rts), self._stats()
        if stats is None:
            return [
                phrase("explain.adaptive.measuring", s=f"{now_s:.1f}", n=n, need=self.min_samples)
            ]
        mean, floor, target = stats
        out = [
            phrase(
                "explain.adaptive.rule",
                s=f"{now_s:.1f}",
                n=n,
                mean=f"{mean:.2f}",
                rule=RULE_65,
                target=f"{mean / RULE_65:.2f}",
            )
        ]
        if target == floor > mean * 1000 / RULE_65:
            out.append(phrase("explain.adaptive.raised", floor=f"{floor / 1000:.2f}"))
        if target in (self.min_ms, self.max_ms):
            out.append(
                phrase(
                    "explain.adaptive.kept_within",
                    min=f"{self.min_ms / 1000:g}",
                    max=f"{self.max_ms / 1000:g}",
                )
            )
        if abs(target - self._ms) >= 0.5:
            out.append(phrase("explain.adaptive.moves", pct=f"{self.max_change:.0%}"))
        return [*out, phrase("explain.end")]
