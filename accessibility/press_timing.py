"""Debounce and hold (acceptance) times proposed from a learner's own presses in switch
practice (docs/switch-scanning.md, "Practice proposes timing").

docs/domain.md, "Switch scanning": acceptance (hold) time filters brief accidental touches,
debounce filters bounces; products ship debounce 0-400 ms and acceptance 0-500 ms. So,
from every raw switch event of the practice (before the scan machine filters any):

* a **bounce** is a ``down`` within ``BOUNCE_WINDOW_MS`` of the same switch's release; its
  gap (release -> down) is what debounce must cover: proposed debounce = the longest gap
  seen + ``MARGIN_MS``, rounded up to 10 ms (no bounce seen: the current value is kept);
* an **intended** press is one that selected the trial's known target (its down time is the
  selection's); its length (down -> up) is what hold must stay under;
* a **brush** is any other press (not a bounce) shorter than half the learner's median
  intended press: too short to be meant. Proposed hold: 0 when there is no brush (a hold
  time only delays every press); else the longest brush + ``MARGIN_MS``, but at most
  ``HOLD_SHARE`` of the shortest intended press, so the learner's own presses still count.

Both are clamped to the profile's bounds (debounce 0-500, hold 0-1000). Pure: times are
passed in (seconds).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Final

from accessibility.explained import Phrase, phrase, phrases_json, say
from accessibility.model import MAX_DEBOUNCE_MS, MAX_HOLD_MS, SwitchName, SwitchState

BOUNCE_WINDOW_MS: Final = 250  # a down this soon after a release is a bounce
MARGIN_MS: Final = 30
HOLD_SHARE: Final = 0.8  # hold at most this share of the shortest intended press
BRUSH_SHARE: Final = 0.5  # a press under half the median intended press is a brush


@dataclass(slots=True)
class Press:
    switch: SwitchName
    down: float
    up: float | None = None
    bounce_gap_ms: float | None = None  # when it is a bounce: release -> this down

    @property
    def length_ms(self) -> float | None:
        return None if self.up is None else (self.up - self.down) * 1000.0


@dataclass(frozen=True, slots=True)
class TimingProposal:
    debounce_ms: int
    hold_ms: int
    presses: int
    intended: int
    shortest_intended_ms: int | None
    median_intended_ms: int | None
    brushes: int
    longest_brush_ms: int | None
    bounces: int
    longest_bounce_gap_ms: int | None
    explained: str
    phrases: tuple[Phrase, ...] = ()  # the same, for the reader's language (``explain.*``)

    def to_dict(self) -> dict[str, object]:
        return {
            "proposed": {"debounce_ms": self.debounce_ms, "hold_ms": self.hold_ms},
            "measured": {
                "presses": self.presses, "intended": self.intended,
                "shortest_intended_ms": self.shortest_intended_ms,
                "median_intended_ms": self.median_intended_ms, "brushes": self.brushes,
                "longest_brush_ms": self.longest_brush_ms, "bounces": self.bounces,
                "longest_bounce_gap_ms": self.longest_bounce_gap_ms,
            },
            "explained": self.explained,
            "explained_phrases": phrases_json(self.phrases),
        }  # fmt: skip


def _up10(ms: float) -> int:
    return int(math.ceil(ms / 10.0 - 1e-6) * 10)  # 90.000001 ms (float) is 90


@dataclass
class PressTimer:
    """Every raw press of a practice, and the proposal drawn from them."""

    presses: list[Press] = field(default_factory=list)
    _open: dict[str, Press] = field(default_factory=dict)
    _released: dict[str, float] = field(default_factory=dict)
    _intended: set[float] = field(default_factory=set)
    max_presses: int = 2_000  # bounded: a practice has 20 trials

    def event(self, switch: SwitchName, state: SwitchState, t: float) -> None:
        if state == "down":
            if switch in self._open or len(self.presses) >= self.max_presses:
                return
            last = self._released.get(switch)
            gap = None if last is None else (t - last) * 1000.0
            bounce = gap if gap is not None and 0 <= gap < BOUNCE_WINDOW_MS else None
            press = Press(switch, t, bounce_gap_ms=bounce)
            self.presses.append(press)
            self._open[switch] = press
        elif switch in self._open:
            self._open.pop(switch).up = t
            self._released[switch] = t

    def intended(self, pressed_at: float) -> None:
        """The press that went down at ``pressed_at`` selected the known target."""
        self._intended.add(pressed_at)

    def propose(self, current_debounce_ms: int, current_hold_ms: int) -> TimingProposal:
        done = [p for p in self.presses if p.length_ms is not None]
        bounces = [p for p in done if p.bounce_gap_ms is not None]
        meant = sorted(p.length_ms or 0.0 for p in done if p.down in self._intended)
        median = statistics.median(meant) if meant else None
        brushes = sorted(
            p.length_ms or 0.0
            for p in done
            if p.bounce_gap_ms is None and p.down not in self._intended
            and median is not None and (p.length_ms or 0.0) < BRUSH_SHARE * median
        )  # fmt: skip
        gap = max((p.bounce_gap_ms or 0.0 for p in bounces), default=None)
        why: list[Phrase] = []
        if gap is None:
            debounce = current_debounce_ms
            why.append(phrase("explain.timing.no_bounce", debounce=debounce))
        else:
            debounce = min(_up10(gap + MARGIN_MS), MAX_DEBOUNCE_MS)
            why.append(
                phrase(
                    "explain.timing.bounces",
                    n=len(bounces),
                    longest=f"{gap:.0f}",
                    debounce=debounce,
                )
            )
        if not meant:
            hold = current_hold_ms
            why.append(phrase("explain.timing.no_target", True, hold=hold))
        elif not brushes:
            hold = 0
            why.append(phrase("explain.timing.no_brush", True, shortest=f"{meant[0]:.0f}"))
        else:
            cap = HOLD_SHARE * meant[0]
            hold = min(_up10(brushes[-1] + MARGIN_MS), int(cap // 10 * 10), MAX_HOLD_MS)
            why.append(
                phrase(
                    "explain.timing.brushes", True, n=len(brushes), brush=f"{brushes[-1]:.0f}",
                    shortest=f"{meant[0]:.0f}", hold=hold,
                )
            )  # fmt: skip
            if brushes[-1] + MARGIN_MS <= cap:
                why.append(phrase("explain.timing.below"))
            else:
                why.append(phrase("explain.timing.capped", pct=f"{HOLD_SHARE:.0%}"))
        return TimingProposal(
            debounce, max(0, hold), len(done), len(meant),
            round(meant[0]) if meant else None, round(median) if median is not None else None,
            len(brushes), round(brushes[-1]) if brushes else None, len(bounces),
            round(gap) if gap is not None else None, say(why), tuple(why),
        )  # fmt: skip
