"""Switch scanning over the current choices: a pure state machine
(docs/domain.md "Switch scanning").

Time is always passed in (seconds, same clock as switch events); nothing here reads a clock.
Switch events come from a kit's big buttons or the keyboard, in the same form.

Modes:
- ``auto``: the highlight moves on by itself every scan interval (the first item gets
  ``first_item_extra_ms`` more); ``select`` picks the highlighted item, ``next`` moves it
  at once. After ``loops`` passes without a choice scanning stops (``paused``); the next
  accepted press restarts it at the first item without choosing anything.
- ``step``: two switches, no timing: ``next`` moves, ``select`` picks.
- ``dwell`` (single-switch step scan): nothing is highlighted until the first press;
  each accepted press of either switch moves the highlight on; when the switch has been
  left released for the dwell time (the scan interval; more on the first item) the
  highlighted item is chosen. Holding the switch stops the dwell clock.

A press starts at ``down``; it counts once held ``acceptance_ms`` (at once when 0) and
acts on the item that was highlighted when it started. A ``down`` within ``debounce_ms``
of the same switch's previous release is bounce and ignored. After a choice the scan
restarts at the first item (nothing highlighted in dwell). Times going backwards are
taken as the latest time seen.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from accessibility.model import (
    DEFAULT_SCAN_INTERVAL_MS,
    MAX_SCAN_INTERVAL_MS,
    MIN_SCAN_INTERVAL_MS,
    Choice,
    LearnerProfile,
    ScanMode,
    SwitchName,
    SwitchState,
)

RULE_65: Final = 0.65  # Simpson, Koester & LoPresti 2006/2007: delay = mean RT / 0.65
MIN_HUMAN_RT_S: Final = 0.15  # no simple reaction is faster
# A press in the first 40 % of an item's time may be a late press meant for the item
# before: it is not used as a reaction-time sample (see AdaptiveInterval).
CARRY_OVER_SHARE: Final = 0.4

OutcomeKind = Literal["selected", "restarted", "paused", "moved", "ignored", "none"]
IgnoreReason = Literal["debounce", "acceptance", "no_choices", "no_press"]
_RANK: Final[dict[OutcomeKind, int]] = {
    "none": 0, "ignored": 1, "moved": 2, "paused": 3, "restarted": 4, "selected": 5,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    kind: OutcomeKind
    highlighted: int | None  # after the event
    choice: Choice | None = None  # when kind == "selected"
    reason: IgnoreReason | None = None  # when kind == "ignored"
    pressed_at: float | None = None  # when kind == "selected": when the press went down


@dataclass(frozen=True, slots=True)
class ScanSettings:
    mode: ScanMode = "auto"
    interval_ms: int = DEFAULT_SCAN_INTERVAL_MS  # scan time per item; dwell time in dwell mode
    first_item_extra_ms: int = 700  # docs/domain.md: 0.7-1 s extra on the first item
    loops: int | None = 3  # auto scan passes before pausing; None = never pause
    debounce_ms: int = 100
    acceptance_ms: int = 0
    adaptive: bool = False
    min_interval_ms: int = MIN_SCAN_INTERVAL_MS
    max_interval_ms: int = MAX_SCAN_INTERVAL_MS

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "step", "dwell"):
            raise ValueError(f"unknown scan mode {self.mode!r}")
        if not 0 < self.min_interval_ms <= self.interval_ms <= self.max_interval_ms:
            raise ValueError("need 0 < min_interval_ms <= interval_ms <= max_interval_ms")
        if min(self.first_item_extra_ms, self.debounce_ms, self.acceptance_ms) < 0:
            raise ValueError("first_item_extra_ms, debounce_ms and acceptance_ms must be >= 0")
        if self.loops is not None and self.loops < 1:
            raise ValueError("loops must be >= 1 or None")

    @classmethod
    def from_profile(cls, profile: LearnerProfile) -> ScanSettings:
        """One switch cannot step-scan (nothing to select with): it gets dwell instead.

        Adaptation without known targets never goes faster than the profile's scan time
        (learnt in switch practice, or set by the learner): it cannot tell a late press,
        landing on the next item, from a fast one (docs/switch-scanning.md).
        """
        one_step = profile.switch_count == 1 and profile.scan_mode == "step"
        mode: ScanMode = "dwell" if one_step else profile.scan_mode
        interval = min(max(profile.scan_interval_ms, MIN_SCAN_INTERVAL_MS), MAX_SCAN_INTERVAL_MS)
        return cls(
            mode,
            interval,
            debounce_ms=profile.debounce_ms,
            acceptance_ms=profile.hold_ms,
            adaptive=profile.adaptive_scan,
            min_interval_ms=interval if profile.adaptive_scan else MIN_SCAN_INTERVAL_MS,
        )


class AdaptiveInterval:
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
        if not 0 < min_ms <= max_ms or not 1 <= min_samples <= window or not 0 < max_change < 1:
            raise ValueError("bad AdaptiveInterval bounds")
        self.min_ms, self.max_ms, self.min_samples = min_ms, max_ms, min_samples
        self.max_change, self.margin_ms = max_change, margin_ms
        self._ms = self._clamp(initial_ms)
        self._rts: deque[float] = deque(maxlen=window)

    def _clamp(self, ms: float) -> float:
        return min(max(ms, self.min_ms), self.max_ms)

    @property
    def interval_ms(self) -> int:
        return round(self._ms)

    @property
    def samples(self) -> tuple[float, ...]:
        return tuple(self._rts)

    def _stats(self) -> tuple[float, float, float] | None:
        """(mean RT s, floor ms = p90 by nearest rank + margin, target ms), once adapting."""
        if len(self._rts) < self.min_samples:
            return None
        mean, ranked = sum(self._rts) / len(self._rts), sorted(self._rts)
        floor = ranked[math.ceil(0.9 * len(ranked)) - 1] * 1000.0 + self.margin_ms
        return mean, floor, self._clamp(max(mean * 1000.0 / RULE_65, floor))

    def target_ms(self) -> float | None:
        stats = self._stats()
        return None if stats is None else stats[2]

    def record(self, rt_s: float) -> None:
        """Add one reaction time (seconds) and adjust the interval."""
        if not math.isfinite(rt_s) or rt_s <= 0:
            raise ValueError(f"reaction time must be a positive number, got {rt_s!r}")
        self._rts.append(rt_s)
        if (stats := self._stats()) is not None:
            lo, hi = self._ms * (1 - self.max_change), self._ms * (1 + self.max_change)
            self._ms = self._clamp(max(min(max(stats[2], lo), hi), stats[1]))

    def explain(self) -> str:
        now_s, n, stats = self._ms / 1000, len(self._rts), self._stats()
        if stats is None:
            return (
                f"Scan time {now_s:.1f} s: measuring your presses "
                f"({n} of {self.min_samples} needed before it adapts)."
            )
        mean, floor, target = stats
        text = (
            f"Scan time {now_s:.1f} s: your last {n} presses averaged {mean:.2f} s; "
            f"scan time = average ÷ {RULE_65} = {mean / RULE_65:.2f} s"
        )
        if target == floor > mean * 1000 / RULE_65:
            text += f", raised to {floor / 1000:.2f} s to stay slower than 9 in 10 of your presses"
        if target in (self.min_ms, self.max_ms):
            text += f", kept within {self.min_ms / 1000:g}-{self.max_ms / 1000:g} s"
        if abs(target - self._ms) >= 0.5:
            text += f"; it moves there by at most {self.max_change:.0%} at a time"
        return text + "."


@dataclass(slots=True)
class _Press:
    down: float
    index: int | None  # highlighted when the press started
    arrived: float  # when the highlight reached that item
    ignored: bool = False
    done: bool = False


class ScanMachine:
    """One learner's scanning over the current choices (see the module doc for the modes)."""

    def __init__(self, settings: ScanSettings, adaptive: AdaptiveInterval | None = None) -> None:
        self.settings = settings
        if adaptive is None and settings.adaptive:
            adaptive = AdaptiveInterval(
                settings.interval_ms,
                min_ms=settings.min_interval_ms,
                max_ms=settings.max_interval_ms,
            )
        self.adaptive = adaptive  # may be shared across machines of one learner
        self._choices: tuple[Choice, ...] = ()
        self.highlighted: int | None = None
        self._arrived = 0.0
        self._deadline: float | None = None  # next timed move (auto) or acceptance (dwell)
        self._loops_left = settings.loops
        self.paused = False
        self._now = -math.inf
        self._presses: dict[SwitchName, _Press] = {}
        self._released: dict[SwitchName, float] = {}
        self._arrivals: dict[int, list[float]] = {}  # since the choices were set

    @property
    def interval_ms(self) -> int:
        return self.adaptive.interval_ms if self.adaptive else self.settings.interval_ms

    @property
    def choices(self) -> tuple[Choice, ...]:
        return self._choices

    def set_interval(self, interval_ms: int) -> None:
        """The learner's own scan time (WCAG 2.2.1); adaptation, if on, restarts from it."""
        s = self.settings
        ms = min(max(int(interval_ms), MIN_SCAN_INTERVAL_MS), s.max_interval_ms)
        # The learner's own choice is the new floor of adaptation, up or down.
        floor = ms if s.adaptive else min(s.min_interval_ms, ms)
        self.settings = s = replace(s, interval_ms=ms, min_interval_ms=floor)
        if self.adaptive is not None:
            self.adaptive = AdaptiveInterval(ms, min_ms=s.min_interval_ms, max_ms=s.max_interval_ms)

    def _dwell_s(self, index: int) -> float:
        extra = self.settings.first_item_extra_ms if index == 0 else 0
        return (self.interval_ms + extra) / 1000.0

    def _clock(self, now: float) -> float:
        if not math.isfinite(now):
            raise ValueError(f"time must be finite, got {now!r}")
        self._now = max(self._now, now)
        return self._now

    def _out(
        self, kind: OutcomeKind, choice: Choice | None = None, reason: IgnoreReason | None = None
    ) -> ScanOutcome:
        return ScanOutcome(kind, self.highlighted, choice, reason)

    def arrivals(self, index: int) -> tuple[float, ...]:
        """When the highlight reached item ``index`` since the choices were set (for
        judging presses against a known target, ``accessibility.scan_calibration``)."""
        return tuple(self._arrivals.get(index, ()))

    def loop_s(self) -> float:
        """One pass over all the current items at the current scan time."""
        return sum(self._dwell_s(i) for i in range(len(self._choices)))

    def _arrive(self, index: int | None, now: float) -> None:
        self.highlighted, self._arrived = index, now
        if index is not None:
            times = self._arrivals.setdefault(index, [])
            times.append(now)
            del times[:-8]  # the last few passes are all a judgement needs
        timed = index is not None and self.settings.mode != "step"
        self._deadline = now + self._dwell_s(index) if timed and index is not None else None

    def _restart(self, now: float) -> None:
        self._loops_left, self.paused = self.settings.loops, False
        empty = not self._choices or self.settings.mode == "dwell"
        self._arrive(None if empty else 0, now)

    def set_choices(self, choices: Sequence[Choice], now: float) -> None:
        """New choices: scanning restarts at the first item; a press in progress is dropped."""
        now = self._clock(now)
        self._choices = tuple(choices)
        for press in self._presses.values():
            press.ignored = True
        self._arrivals.clear()
        self._restart(now)

    def next_deadline(self) -> float | None:
        """When ``tick`` must be called next (None: only switch events can change anything)."""
        times = [p.down + self.settings.acceptance_ms / 1000.0 for p in self._pending()]
        if self._deadline is not None:
            times.append(self._deadline)
        return min(times, default=None)

    def _pending(self) -> list[_Press]:
        return [p for p in self._presses.values() if not (p.ignored or p.done)]

    def tick(self, now: float) -> ScanOutcome:
        """Apply every timed event due by ``now`` (moves, pauses, dwell choices, holds)."""
        return self._advance(self._clock(now))

    def _advance(self, now: float) -> ScanOutcome:
        out = self._out("none")
        acc_s = self.settings.acceptance_ms / 1000.0
        while True:
            due = [(p.down + acc_s, p) for p in self._pending() if p.down + acc_s <= now]
            press = min(due, key=lambda d: d[0], default=None)
            deadline = None if self._deadline is None or self._deadline > now else self._deadline
            if press is not None and (deadline is None or press[0] <= deadline):
                switch = next(s for s, p in self._presses.items() if p is press[1])
                press[1].done = True
                new = self._act(switch, press[1], press[0])
            elif deadline is not None:
                new = self._on_deadline(deadline)
            else:
                return replace(out, highlighted=self.highlighted)
            out = new if _RANK[new.kind] >= _RANK[out.kind] else out

    def _on_deadline(self, t: float) -> ScanOutcome:
        index, n = self.highlighted, len(self._choices)
        if index is None:
            self._deadline = None
            return self._out("none")
        if self.settings.mode == "dwell":
            if self._presses:  # held: the dwell clock restarts on release
                self._deadline = None
                return self._out("none")
            return self._choose(index, t)
        if index + 1 < n:
            self._arrive(index + 1, t)
            return self._out("moved")
        if self._loops_left is not None:
            self._loops_left -= 1
            if self._loops_left <= 0:
                self.paused = True
                self._arrive(None, t)
                return self._out("paused")
        self._arrive(0, t)
        return self._out("moved")

    def _choose(self, index: int, t: float, pressed_at: float | None = None) -> ScanOutcome:
        choice = self._choices[index]
        self._restart(t)
        out = self._out("selected", choice=choice)
        return replace(out, pressed_at=t if pressed_at is None else pressed_at)

    def _act(self, switch: SwitchName, press: _Press, t: float) -> ScanOutcome:
        mode, n = self.settings.mode, len(self._choices)
        if n == 0:
            return self._out("ignored", reason="no_choices")
        if self.paused:
            self._restart(t)
            return self._out("restarted")
        if mode == "dwell" or switch == "next" or press.index is None:
            if mode == "dwell" and press.index is not None:
                self._record(press.down - press.arrived, carry_over=0.0)
            current = self.highlighted
            self._arrive(0 if current is None else (current + 1) % n, t)
            return self._out("moved")
        if mode == "auto":
            limit = CARRY_OVER_SHARE * self._dwell_s(press.index)
            self._record(press.down - press.arrived, carry_over=limit)
        return self._choose(press.index, t, press.down)

    def _record(self, rt_s: float, carry_over: float) -> None:
        if self.adaptive is not None and rt_s >= max(MIN_HUMAN_RT_S, carry_over):
            self.adaptive.record(rt_s)

    def on_switch(self, switch: SwitchName, state: SwitchState, now: float) -> ScanOutcome:
        """One switch event. Timed events due by ``now`` are applied first."""
        if switch not in ("select", "next") or state not in ("down", "up"):
            raise ValueError(f"unknown switch event {switch!r} {state!r}")
        now = self._clock(now)
        before = self._advance(now)
        out = self._down(switch, now) if state == "down" else self._up(switch, now)
        chosen = before if _RANK[before.kind] > _RANK[out.kind] else out
        return replace(chosen, highlighted=self.highlighted)

    def _down(self, switch: SwitchName, now: float) -> ScanOutcome:
        press = _Press(now, self.highlighted, self._arrived)
        self._presses[switch] = press
        last_up = self._released.get(switch)
        if last_up is not None and now - last_up < self.settings.debounce_ms / 1000.0:
            press.ignored = True
            return self._out("ignored", reason="debounce")
        if not self._choices:
            press.ignored = True
            return self._out("ignored", reason="no_choices")
        if self.settings.acceptance_ms > 0:
            return self._out("none")  # counts once held long enough (tick or release)
        press.done = True
        return self._act(switch, press, now)

    def _up(self, switch: SwitchName, now: float) -> ScanOutcome:
        press = self._presses.pop(switch, None)
        if press is None:
            return self._out("ignored", reason="no_press")
        if not press.ignored:
            self._released[switch] = now
        if self.settings.mode == "dwell" and self.highlighted is not None and not self._presses:
            self._deadline = now + self._dwell_s(self.highlighted)
        if press.ignored or press.done:
            return self._out("none")
        return self._out("ignored", reason="acceptance")  # released before acceptance_ms

    def state_for_frame(self) -> dict[str, object]:
        """The ``scan`` block of a feedback frame."""
        return {
            "mode": self.settings.mode,
            "interval_ms": self.interval_ms,
            "highlighted": self.highlighted,
            "loops_left": self._loops_left if self.settings.mode == "auto" else None,
            "paused": self.paused,
            "adaptive": self.adaptive is not None,
        }

    def explain(self) -> str:
        if self.adaptive is not None:
            return self.adaptive.explain()
        return f"Scan time {self.interval_ms / 1000:.1f} s, as set in your profile."
