"""Switch scanning over the current choices: a pure state machine
(docs/domain.md "Switch scanning", docs/switch-scanning.md).

Time is always passed in (seconds, same clock as switch events); nothing here reads a clock.
Switch events come from a kit's big buttons, the keyboard or a gamepad, in the same form.

Modes:
- ``auto``: the highlight moves on by itself every scan interval (the first item gets
  ``first_item_extra_ms`` more); ``select`` picks the highlighted item, ``next`` moves it
  at once. After ``loops`` passes without a choice scanning stops (``paused``); the next
  accepted press (or ``resume``, the page's Start) restarts it at the first item without
  choosing anything.
- ``step``: two switches, no timing: ``next`` moves, ``select`` picks.
- ``dwell`` (single-switch step scan): nothing is highlighted until the first press;
  each accepted press of either switch moves the highlight on; when the switch has been
  left released for the dwell time (the scan interval; more on the first item) the
  highlighted item is chosen. Holding the switch stops the dwell clock.

Group (row/column) scanning (``accessibility.scan_groups``): a step of more than 6
choices (or more than 2 when the profile asks) is scanned by groups first. Picking a group
opens it (its first item highlighted; in dwell mode nothing until a press); its items are
scanned and then a "back" item, which returns to the groups. In auto mode an open group
scanned ``loops`` times without a choice returns to the groups by itself.

A press starts at ``down``; it counts once held ``acceptance_ms`` (at once when 0) and
acts on the item that was highlighted when it started. A ``down`` within ``debounce_ms``
of the same switch's previous release is bounce and ignored, and so is any ``down``
within ``post_select_ms`` of a choice or of the release of the press that chose (the
post-selection delay: a tremor's bounce or a second press does not answer the next
question with its first item). After a choice the scan
restarts at the first item (of the groups, when grouped; nothing highlighted in dwell).
Times going backwards are taken as the latest time seen.

Auditory scanning: ``set_clips`` gives the length of each spot's spoken clip; a spot's
scan time is then at least its clip + ``CLIP_PAD_MS``, so each label is heard whole.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from accessibility.adaptive_interval import RULE_65, AdaptiveInterval
from accessibility.explained import Phrase, phrase, say
from accessibility.model import (
    DEFAULT_POST_SELECT_MS,
    DEFAULT_SCAN_INTERVAL_MS,
    MAX_SCAN_INTERVAL_MS,
    MIN_SCAN_INTERVAL_MS,
    Choice,
    LearnerProfile,
    ScanMode,
    SwitchName,
    SwitchState,
)
from accessibility.scan_groups import Groups, Spot, group_layout, line_of

__all__ = ["RULE_65", "AdaptiveInterval", "ScanMachine", "ScanOutcome", "ScanSettings", "Spot"]

MIN_HUMAN_RT_S: Final = 0.15  # no simple reaction is faster
# A press in the first 40 % of an item's time may be a late press meant for the item
# before: it is not used as a reaction-time sample (see AdaptiveInterval).
CARRY_OVER_SHARE: Final = 0.4
CLIP_PAD_MS: Final = 300  # auditory scanning: a spot's time >= its clip + this

OutcomeKind = Literal[
    "selected", "restarted", "paused", "closed", "opened", "moved", "ignored", "none"
]
IgnoreReason = Literal["debounce", "acceptance", "no_choices", "no_press", "post_select"]
Level = Literal["groups", "items"]
_RANK: Final[dict[OutcomeKind, int]] = {
    "none": 0, "ignored": 1, "moved": 2, "opened": 3, "closed": 3, "paused": 4,
    "restarted": 5, "selected": 6,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    kind: OutcomeKind
    highlighted: int | None  # after the event: the highlighted choice (None: a group, back)
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
    post_select_ms: int = DEFAULT_POST_SELECT_MS  # presses this soon after a choice: ignored
    adaptive: bool = False
    min_interval_ms: int = MIN_SCAN_INTERVAL_MS
    max_interval_ms: int = MAX_SCAN_INTERVAL_MS
    group_scan: bool = False  # the profile asks for groups from 3 choices on

    def __post_init__(self) -> None:
        if self.mode not in ("auto", "step", "dwell"):
            raise ValueError(f"unknown scan mode {self.mode!r}")
        if not 0 < self.min_interval_ms <= self.interval_ms <= self.max_interval_ms:
            raise ValueError("need 0 < min_interval_ms <= interval_ms <= max_interval_ms")
        if min(self.first_item_extra_ms, self.debounce_ms, self.acceptance_ms) < 0:
            raise ValueError("first_item_extra_ms, debounce_ms and acceptance_ms must be >= 0")
        if self.post_select_ms < 0:
            raise ValueError("post_select_ms must be >= 0")
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
            post_select_ms=profile.post_select_ms,
            adaptive=profile.adaptive_scan,
            min_interval_ms=interval if profile.adaptive_scan else MIN_SCAN_INTERVAL_MS,
            group_scan=profile.group_scan,
        )


@dataclass(slots=True)
class _Press:
    down: float
    spot: Spot | None  # highlighted when the press started
    arrived: float  # when the highlight reached that spot
    span_s: float  # that spot's scan time when the press started
    ignored: bool = False
    done: bool = False
    bounce: bool = False  # ignored as bounce: its release does not restart the debounce


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
        self._groups: Groups | None = None
        self._open: int | None = None  # the open group (level items)
        self._line: tuple[Spot, ...] = ()  # the spots scanned at the current level
        self._at: int | None = None  # highlighted: an index into _line
        self._arrived = 0.0
        self._deadline: float | None = None  # next timed move (auto) or acceptance (dwell)
        self._loops_left = settings.loops
        self.paused = False
        self._now = -math.inf
        self._presses: dict[SwitchName, _Press] = {}
        self._released: dict[SwitchName, float] = {}
        # Post-selection delay: no press counts before this (set by a choice, and pushed on
        # when the press that chose is released).
        self._quiet_until = -math.inf
        self._selected_at: float | None = None
        self._arrivals: dict[int, list[float]] = {}  # choice index -> times, since set
        self._clips: dict[Spot, float] = {}  # auditory scanning: clip seconds per spot
        self._group_rt: float | None = None  # the open group's press, kept until a choice

    @property
    def interval_ms(self) -> int:
        return self.adaptive.interval_ms if self.adaptive else self.settings.interval_ms

    @property
    def choices(self) -> tuple[Choice, ...]:
        return self._choices

    @property
    def groups(self) -> Groups | None:
        return self._groups

    @property
    def spot(self) -> Spot | None:
        """What is highlighted (a choice, a group or back), or None."""
        return None if self._at is None else self._line[self._at]

    @property
    def highlighted(self) -> int | None:
        """The highlighted choice (index into ``choices``); None on a group, back or nothing."""
        spot = self.spot
        return spot.index if spot is not None and spot.kind == "choice" else None

    def leads_to(self, index: int) -> bool:
        """Whether selecting now gets closer to choice ``index``: it is highlighted, or its
        group is (a simulated learner presses then), or back out of a group without it."""
        spot = self.spot
        if spot is None:
            return False
        if spot.kind == "choice":
            return spot.index == index
        groups = self._groups or ()
        inside = index in groups[spot.index]
        return inside if spot.kind == "group" else not inside

    @property
    def level(self) -> Level | None:
        if self._groups is None:
            return None
        return "groups" if self._open is None else "items"

    def set_interval(self, interval_ms: int) -> None:
        """The learner's own scan time (WCAG 2.2.1); adaptation, if on, restarts from it."""
        s = self.settings
        ms = min(max(int(interval_ms), MIN_SCAN_INTERVAL_MS), s.max_interval_ms)
        # The learner's own choice is the new floor of adaptation, up or down.
        floor = ms if s.adaptive else min(s.min_interval_ms, ms)
        self.settings = s = replace(s, interval_ms=ms, min_interval_ms=floor)
        if self.adaptive is not None:
            self.adaptive = AdaptiveInterval(ms, min_ms=s.min_interval_ms, max_ms=s.max_interval_ms)

    def set_clips(self, clips: Mapping[Spot, float]) -> None:
        """Auditory scanning: each spot's clip length (s); its scan time becomes at least
        the clip + CLIP_PAD_MS (the highlighted spot's running time included)."""
        self._clips = {s: float(v) for s, v in clips.items() if math.isfinite(v) and v > 0}
        if self._at is not None and self._deadline is not None and self.settings.mode != "step":
            self._deadline = max(self._deadline, self._arrived + self._dwell_s(self._at))

    def _dwell_s(self, at: int) -> float:
        extra = self.settings.first_item_extra_ms if at == 0 else 0
        base = float(self.interval_ms)
        clip = self._clips.get(self._line[at]) if at < len(self._line) else None
        if clip is not None:
            base = max(base, clip * 1000.0 + CLIP_PAD_MS)
        return (base + extra) / 1000.0

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
        """When the highlight reached choice ``index`` since the choices were set (for
        judging presses against a known target, ``accessibility.scan_calibration``)."""
        return tuple(self._arrivals.get(index, ()))

    def loop_s(self) -> float:
        """One pass over the spots of the current level at the current scan time."""
        return sum(self._dwell_s(i) for i in range(len(self._line)))

    def _arrive(self, at: int | None, now: float) -> None:
        self._at, self._arrived = at, now
        spot = self.spot
        if spot is not None and spot.kind == "choice":
            times = self._arrivals.setdefault(spot.index, [])
            times.append(now)
            del times[:-8]  # the last few passes are all a judgement needs
        timed = at is not None and self.settings.mode != "step"
        self._deadline = now + self._dwell_s(at) if timed and at is not None else None

    def _enter(self, open_group: int | None, now: float) -> None:
        """Scan a level from its start: the groups (None) or an open group's items."""
        self._open, self._loops_left, self.paused = open_group, self.settings.loops, False
        self._line = line_of(len(self._choices), self._groups, open_group)
        if open_group is None:
            self._group_rt = None
        empty = not self._line or self.settings.mode == "dwell"
        self._arrive(None if empty else 0, now)

    def _restart(self, now: float) -> None:
        self._enter(None, now)

    def set_choices(self, choices: Sequence[Choice], now: float) -> None:
        """New choices: scanning restarts at the first item; a press in progress is dropped.
        Clips given before are dropped too (they belong to the old choices)."""
        now = self._clock(now)
        self._choices = tuple(choices)
        self._groups = group_layout(len(self._choices), asked=self.settings.group_scan)
        for press in self._presses.values():
            press.ignored = True
        self._arrivals.clear()
        self._clips = {}
        self._restart(now)

    def resume(self, now: float) -> ScanOutcome:
        """The learner is at the page (its Start): a paused scan restarts at the first item
        without choosing anything, as a press while paused does; otherwise nothing changes
        (timed events due by ``now`` are applied first)."""
        now = self._clock(now)
        before = self._advance(now)
        if not (self.paused and self._choices):
            return replace(before, highlighted=self.highlighted)
        self._restart(now)
        return self._out("restarted")

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
        at, n = self._at, len(self._line)
        if at is None:
            self._deadline = None
            return self._out("none")
        if self.settings.mode == "dwell":
            if self._presses:  # held: the dwell clock restarts on release
                self._deadline = None
                return self._out("none")
            return self._pick(self._line[at], t)
        if at + 1 < n:
            self._arrive(at + 1, t)
            return self._out("moved")
        if self._loops_left is not None:
            self._loops_left -= 1
            if self._loops_left <= 0:
                if self._open is not None:  # an open group timed out: back to the groups
                    self._enter(None, t)
                    return self._out("closed")
                self.paused = True
                self._arrive(None, t)
                return self._out("paused")
        self._arrive(0, t)
        return self._out("moved")

    def _pick(self, spot: Spot, t: float, pressed_at: float | None = None) -> ScanOutcome:
        """Select ``spot``: choose a choice, open a group, or go back to the groups."""
        if spot.kind == "group":
            self._enter(spot.index, t)
            return self._out("opened")
        if spot.kind == "back":
            self._enter(None, t)
            return self._out("closed")
        choice = self._choices[spot.index]
        self._selected_at = t
        self._quiet_until = t + self.settings.post_select_ms / 1000.0
        self._restart(t)
        out = self._out("selected", choice=choice)
        return replace(out, pressed_at=t if pressed_at is None else pressed_at)

    def _act(self, switch: SwitchName, press: _Press, t: float) -> ScanOutcome:
        mode = self.settings.mode
        if not self._choices:
            return self._out("ignored", reason="no_choices")
        if self.paused:
            self._restart(t)
            return self._out("restarted")
        if mode == "dwell" or switch == "next" or press.spot is None:
            if mode == "dwell" and press.spot is not None:
                self._record(press.down - press.arrived, carry_over=0.0)
            current, n = self._at, len(self._line)
            self._arrive(0 if current is None else (current + 1) % n, t)
            return self._out("moved")
        if mode == "auto":
            self._sample(press)
        return self._pick(press.spot, t, press.down)

    def _sample(self, press: _Press) -> None:
        """Which auto-scan presses teach the adaptive scan time (docs/switch-scanning.md):
        a choice's press; a group's press only once a choice is made in that group (a group
        left by "back" or by timing out was most likely a late press that landed on the
        next group, whose short "reaction" would speed the scan wrongly); never "back"."""
        assert press.spot is not None
        rt, limit = press.down - press.arrived, CARRY_OVER_SHARE * press.span_s
        if press.spot.kind == "group":
            self._group_rt = rt
        elif press.spot.kind == "choice":
            if self._group_rt is not None:
                self._record(self._group_rt, carry_over=limit)
            self._record(rt, carry_over=limit)

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
        span = self._dwell_s(self._at) if self._at is not None else 0.0
        press = _Press(now, self.spot, self._arrived, span)
        self._presses[switch] = press
        last_up = self._released.get(switch)
        if last_up is not None and now - last_up < self.settings.debounce_ms / 1000.0:
            press.ignored = press.bounce = True
            return self._out("ignored", reason="debounce")
        if now < self._quiet_until:
            press.ignored = True  # a second press or a tremor's bounce, not a new answer
            return self._out("ignored", reason="post_select")
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
        if not press.bounce:  # a press dropped by new choices was still a real release
            self._released[switch] = now
        if self._selected_at is not None and press.down <= self._selected_at:
            # The press that chose: its bounce comes after its release, however long it was held.
            self._quiet_until = max(self._quiet_until, now + self.settings.post_select_ms / 1000.0)
        if self.settings.mode == "dwell" and self._at is not None and not self._presses:
            self._deadline = now + self._dwell_s(self._at)
        if press.ignored or press.done:
            return self._out("none")
        return self._out("ignored", reason="acceptance")  # released before acceptance_ms

    def state_for_frame(self) -> dict[str, object]:
        """The ``scan`` block of a feedback frame (docs/switch-scanning.md, "Frames")."""
        spot, level = self.spot, self.level
        group: int | None = self._open
        if level == "groups" and spot is not None:
            group = spot.index
        return {
            "mode": self.settings.mode,
            "interval_ms": self.interval_ms,
            "highlighted": self.highlighted,
            "loops_left": self._loops_left if self.settings.mode == "auto" else None,
            "paused": self.paused,
            "adaptive": self.adaptive is not None,
            "groups": None if self._groups is None else [list(g) for g in self._groups],
            "level": level,
            "group": group,
            "back": spot is not None and spot.kind == "back",
        }

    def explain(self) -> str:
        return say(self.explain_phrases())

    def explain_phrases(self) -> list[Phrase]:
        if self.adaptive is not None:
            return self.adaptive.explain_phrases()
        return [phrase("explain.scan.fixed", s=f"{self.interval_ms / 1000:.1f}")]
