"""Scan time learnt from presses at known targets (switch practice; docs/switch-scanning.md).

The .65 rule (Simpson, Koester & LoPresti 2006/2007: scan delay ~ mean switch reaction
time / 0.65, about mean + 2 SD) needs reaction times measured against **known targets**:
when the system knows which item the learner meant, a press that lands on the item after
the target is a reaction that was slower than the scan time - not a fast reaction to the
next item. So each practice trial is judged here from the target's arrival times and the
press, and the scan time moves as follows:

* ``late`` (the press came after the highlight had left the target): slow down at once,
  to at least that reaction time / 0.65 (the .65 rule on this press alone: it is the
  best measure of how the learner presses *now*, whereas the window may still hold a
  lucky run of quick presses that dilutes the mean; e.g. 8 at 0.4 s and one at 1.3 s
  average 0.5 s), its reaction time plus ``margin_ms``, and the .65-rule target of the
  window. A late press whose reaction cannot be measured slows down as ``no_press``.
* ``no_press`` (the scan stopped with nothing pressed): slow down at once by
  ``no_press_step``.
* ``correct``: when the .65-rule target is slower than now, slow down at once; speed up
  only after ``streak`` correct trials in a row, by at most ``max_speedup`` a trial, and
  never below the slowest of the last ``streak`` reaction times plus ``margin_ms``, nor
  below mean + 2 SD of the learner's own history: one lucky run of quick presses
  cannot make the scan too fast for the learner's usual presses.
* ``early`` (pressed before the target was ever highlighted): a motor slip or an
  anticipation, not a timing sample; nothing changes.

Every change is explained in words (``explain``). Pure: times are passed in.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from accessibility.explained import Phrase, phrase, say
from accessibility.learnt_scan_time import RULE_65, LearntScanTime, check_reaction_time
from accessibility.model import MAX_SCAN_INTERVAL_MS, MIN_SCAN_INTERVAL_MS

__all__ = ["RULE_65", "KnownTargetScanTime", "TrialKind", "TrialTiming", "judge_trial"]

TrialKind = Literal["correct", "late", "early", "no_press"]


def _s(ms: float) -> str:
    """Milliseconds as the seconds an explanation says (two decimals)."""
    return f"{ms / 1000:.2f}"


@dataclass(frozen=True, slots=True)
class TrialTiming:
    """One known-target trial: its result and, when measurable, the reaction time."""

    kind: TrialKind
    rt_s: float | None  # press - most recent arrival of the highlight at the target


def judge_trial(
    *,
    target: int,
    chosen: int | None,
    pressed_at: float | None,
    target_arrivals: Sequence[float],
    loop_s: float,
) -> TrialTiming:
    """Classify a trial from what the scan did (see the module doc).

    ``target_arrivals``: every time the highlight reached the target during the trial;
    ``loop_s``: one pass over all items, the longest a press can be a reaction to the
    target's last highlight.
    """
    if chosen is None or pressed_at is None:
        return TrialTiming("no_press", None)
    # Strictly before: the highlight cannot have been reacted to at the instant of the
    # press, and a selection restarts the scan at the first item at that very instant
    # (``ScanMachine``), which for a target at the first item used to count as its
    # latest arrival: a reaction of 0 s, so no sample, and a late press that slowed
    # nothing.
    before = [t for t in target_arrivals if t < pressed_at]
    if not before:
        return TrialTiming("early", None)
    rt = pressed_at - before[-1]
    sample = rt if 0 < rt <= loop_s else None
    return TrialTiming("correct" if chosen == target else "late", sample)


class KnownTargetScanTime(LearntScanTime):
    """The learner's scan time from known-target trials (see the module doc)."""

    def __init__(
        self,
        initial_ms: float,
        *,
        history_s: Iterable[float] = (),
        min_ms: float = MIN_SCAN_INTERVAL_MS,
        max_ms: float = MAX_SCAN_INTERVAL_MS,
        window: int = 20,
        min_samples: int = 5,
        streak: int = 5,
        max_speedup: float = 0.1,
        margin_ms: float = 100.0,
        no_press_step: float = 1.25,
    ) -> None:
        if streak < 1:
            raise ValueError("bad KnownTargetScanTime bounds")
        if not 0 < max_speedup < 1 or no_press_step <= 1 or margin_ms < 0:
            raise ValueError("max_speedup must be in (0, 1), no_press_step > 1, margin_ms >= 0")
        super().__init__(
            initial_ms,
            min_ms=min_ms,
            max_ms=max_ms,
            window=window,
            min_samples=min_samples,
            history_s=history_s,
        )
        self.streak = streak
        self.max_speedup, self.margin_ms, self.no_press_step = max_speedup, margin_ms, no_press_step
        self._run: list[float] = []  # reaction times of the current run of correct trials
        self._said: list[Phrase] = [phrase("explain.cal.start", s=_s(self._ms))]

    def rule_target_ms(self) -> float | None:
        """max(mean / 0.65, mean + 2 SD) of the samples, once there are enough."""
        if not self._adapting():
            return None
        mean, sd = self._mean_sd()
        return self._clamp(max(mean / RULE_65, mean + 2 * sd) * 1000.0)

    def _floor_ms(self) -> float:
        """Never faster than the learner's own history and recent run support."""
        floor = self.min_ms
        if self._adapting():
            mean, sd = self._mean_sd()
            floor = max(floor, (mean + 2 * sd) * 1000.0)
        if self._run:
            floor = max(floor, max(self._run[-self.streak :]) * 1000.0 + self.margin_ms)
        return floor

    def record(self, trial: TrialTiming) -> None:
        """Learn from one trial and move the scan time (see the module doc)."""
        if trial.rt_s is not None:
            check_reaction_time(trial.rt_s)
        before = self._ms
        if trial.kind == "early":
            self._said = [phrase("explain.cal.early", s=_s(before))]
            return
        if trial.kind == "late":
            self._late(trial.rt_s, before)
            return
        if trial.rt_s is not None:
            self._rts.append(trial.rt_s)
        target = self.rule_target_ms()
        if trial.kind == "no_press":
            self._run.clear()
            self._ms = self._clamp(max(before * self.no_press_step, target or 0.0))
            self._said = [phrase("explain.cal.no_press", s=_s(self._ms))]
        else:
            self._correct(trial, before, target)

    def _late(self, rt_s: float | None, before: float) -> None:
        """A press after the highlight had left the target: slow down at once, enough
        for this press, however few or quick the presses before it were."""
        self._run.clear()
        if rt_s is None:  # late, but not measurable (over a loop late): as a no-press
            self._ms = self._clamp(max(before * self.no_press_step, self.rule_target_ms() or 0))
            self._said = [phrase("explain.cal.late", s=_s(self._ms))]
            return
        self._rts.append(rt_s)
        own_ms = rt_s * 1000.0 / RULE_65  # the .65 rule on this press alone
        target = self.rule_target_ms() or 0.0
        self._ms = self._clamp(max(before, rt_s * 1000.0 + self.margin_ms, own_ms, target))
        late = phrase(
            "explain.cal.late_rt", s=_s(self._ms), rt=f"{rt_s:.2f}", rule=RULE_65, own=_s(own_ms)
        )
        self._said = [
            late,
            phrase("explain.cal.late_need", n=len(self._rts), need=_s(target))
            if target > own_ms
            else phrase("explain.end"),
        ]

    def _correct(self, trial: TrialTiming, before: float, target: float | None) -> None:
        if trial.rt_s is not None:
            self._run.append(trial.rt_s)
        if target is None:
            self._said = [
                phrase(
                    "explain.cal.measuring", s=_s(before), n=len(self._rts), need=self.min_samples
                )
            ]
            return
        mean = statistics.fmean(self._rts)
        rule = {"mean": f"{mean:.2f}", "rule": str(RULE_65), "target": f"{mean / RULE_65:.2f}"}
        if target > before:
            self._ms = target
            self._said = [phrase("explain.cal.slowed", s=_s(target), **rule)]
            return
        if len(self._run) < self.streak:
            self._said = [
                phrase("explain.cal.streak", s=_s(before), run=len(self._run), streak=self.streak)
            ]
            return
        floor = self._floor_ms()
        self._ms = self._clamp(max(target, before * (1 - self.max_speedup), floor, self.min_ms))
        if self._ms >= before:
            self._ms = before
            self._said = [phrase("explain.cal.floor", s=_s(before), floor=_s(floor))]
            return
        self._said = [
            phrase(
                "explain.cal.sped",
                s=_s(self._ms),
                streak=self.streak,
                pct=f"{self.max_speedup:.0%}",
                floor=_s(floor),
                **rule,
            )
        ]

    def explain(self) -> str:
        """The last change of the scan time, in words."""
        return say(self._said)

    def explain_phrases(self) -> list[Phrase]:
        """The same as phrases (``explain.cal.*``; accessibility.explained)."""
        return list(self._said)
