"""The ``switch-practice`` scenario: known-target trials that also calibrate the scan time.

docs/interface.md, "Switch practice": ``trials`` trials (20), each showing ``choices``
(4) items drawn from the practice step's pool, one of them the ``target`` named in the
prompt (and in the frame's ``"target"``). One selection per trial: a wrong one is an
error and the next trial follows; a scan that ends with no press is an error too. The
score is the share of trials right; ``score.decisions`` lists every trial in order with
``step``, ``chosen``, ``correct``, ``first_try`` and ``rt_ms`` (press time after the
highlight last reached the target, when measurable). The scan time is learnt by the
session from the same trials (``accessibility.scan_calibration``).

Pure, with the same interface as ``FeedbackPolicy`` as far as a session uses it.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from accessibility.model import Choice, Feedback, TwinView
from accessibility.scoring import grade

if TYPE_CHECKING:  # scenario.py imports PracticeScoring from here
    from accessibility.scenario import Scenario

PRACTICE_FORMULA = "score = 100 * trials right / trials (one selection per trial)"
# What the practice says to the learner, in English; a translation gives them as the
# scenario's ``messages.practice.*`` (accessibility/scenario_i18n.py), same placeholders.
PRACTICE_TEXTS: Mapping[str, str] = MappingProxyType(
    {
        "trial": "Trial {n} of {trials}: select {target}.",
        "right": "Right.",
        "no_press": "No press that time. The target was {target}.",
        "wrong": "That was {chosen}; the target was {target}.",
        "score": "{right} of {done} right.",
        "scan_kept": "Your scan time is now {s} s, kept in your profile.",
    }
)


def practice_text(texts: Mapping[str, str], key: str, **values: object) -> str:
    """One of :data:`PRACTICE_TEXTS` (or its translation) with its values put in."""
    text = texts.get(key, PRACTICE_TEXTS[key])
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m[1], m[0])), text)


@dataclass(frozen=True, slots=True)
class PracticeScoring:
    step: str  # the step whose choices are the pool of practice items
    trials: int = 20
    choices: int = 4


@dataclass(frozen=True, slots=True)
class PracticeDecision:
    step: str  # "trial-1" ...
    target: str
    chosen: str | None  # None: the scan ended with no press
    correct: bool
    first_try: bool
    rt_ms: int | None
    attempts: int = 1


@dataclass(frozen=True, slots=True)
class PracticeReport:
    scenario: str
    score: float
    decisions: tuple[PracticeDecision, ...]
    trials: int
    series: tuple[tuple[float, float], ...]

    def to_dict(self) -> dict[str, Any]:
        right = sum(d.correct for d in self.decisions)
        rts = [d.rt_ms for d in self.decisions if d.correct and d.rt_ms is not None]
        return {
            "scenario": self.scenario,
            "kind": "practice",
            "score": self.score,
            "grade": grade(self.score),
            "formula": PRACTICE_FORMULA,
            "metrics": {
                "trials": self.trials,
                "done": len(self.decisions),
                "right": right,
                "wrong": len(self.decisions) - right,
                "no_press": sum(d.chosen is None for d in self.decisions),
                "mean_rt_ms": round(sum(rts) / len(rts)) if rts else None,
            },
            "decisions": [asdict(d) for d in self.decisions],
            "series": [[ts, s] for ts, s in self.series],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


class PracticePolicy:
    """Trials of one switch-practice session (see the module doc)."""

    def __init__(self, scenario: Scenario, *, seed: int | None = None) -> None:
        if not isinstance(scenario.scoring, PracticeScoring):
            raise ValueError(f"{scenario.id}: not a practice scenario")
        self.scenario = scenario
        self.cfg = scenario.scoring
        step = scenario.step(self.cfg.step)
        self._pool = tuple(Choice(c.id, c.label) for c in step.choices)
        self._practice = step
        self._done = next(s for s in scenario.steps if s.terminal)
        self._rng = random.Random(seed)
        self._step_id: str | None = None
        self._trial = 0
        self._shown: tuple[Choice, ...] = ()
        self.target: Choice | None = None
        self._decisions: list[PracticeDecision] = []
        self._series: list[tuple[float, float]] = []
        self._prompt: Feedback | None = None
        self._counter = 0
        self.last_rejection: str | None = None
        self.closing_note = ""  # said with the final prompt (the session adds the scan time)

    @property
    def step_id(self) -> str | None:
        return self._step_id

    @property
    def finished(self) -> bool:
        return self._step_id == self._done.id

    @property
    def trial(self) -> int:
        """The current trial, 1-based (0 before the start)."""
        return self._trial

    def current_prompt(self) -> Feedback | None:
        return self._prompt

    def standing_topics(self) -> tuple[set[str], frozenset[str]]:
        """As ``FeedbackPolicy.standing_topics``: practice has no rules."""
        return set(), frozenset()

    def target_index(self) -> int | None:
        if self.target is None:
            return None
        return self._shown.index(self.target)

    def start(self, now: float) -> list[Feedback]:
        if self._step_id is not None:
            return [self._prompt] if self._prompt else []
        return self._next_trial(now)

    def advance(self, now: float) -> list[Feedback]:
        """The instructor skips the trial (not scored)."""
        if self._step_id is None or self.finished:
            return []
        return self._next_trial(now)

    def update(self, view: TwinView) -> list[Feedback]:
        return []  # practice does not read the twin

    def add_compressions(self, compressions: Sequence[object], now: float) -> list[Feedback]:
        return []  # nor the compressions

    def choose(self, choice_id: str, now: float, *, rt_ms: int | None = None) -> list[Feedback]:
        """One selection: right or wrong, the next trial follows."""
        chosen = next((c for c in self._shown if c.id == choice_id), None)
        if self.finished or self.target is None or chosen is None:
            self.last_rejection = f"choice {choice_id!r} is not available"
            return []
        self.last_rejection = None
        return self._record(chosen, now, rt_ms)

    def no_press(self, now: float) -> list[Feedback]:
        """The scan ended with no press: an error, and the next trial."""
        if self.finished or self.target is None:
            return []
        return self._record(None, now, None)

    def _record(self, chosen: Choice | None, now: float, rt_ms: int | None) -> list[Feedback]:
        assert self.target is not None
        right = chosen == self.target
        self._decisions.append(
            PracticeDecision(f"trial-{self._trial}", self.target.id,
                             None if chosen is None else chosen.id, right, right, rt_ms)
        )  # fmt: skip
        self._series.append((now, self._score()))
        words = self.scenario.practice
        if right:
            text = practice_text(words, "right")
        elif chosen is None:
            text = practice_text(words, "no_press", target=self.target.label)
        else:
            text = practice_text(words, "wrong", chosen=chosen.label, target=self.target.label)
        icon = "check" if right else "cross"
        note = Feedback(self._new_id("explain"), "explain", "info", text, text, icon, ts=now)
        return [note, *self._next_trial(now)]

    def _next_trial(self, now: float) -> list[Feedback]:
        if self._trial >= self.cfg.trials:
            self._step_id, self.target, self._shown = self._done.id, None, ()
            right = sum(d.correct for d in self._decisions)
            said = practice_text(
                self.scenario.practice, "score", right=right, done=len(self._decisions)
            )
            text = f"{self._done.prompt} {said}"
            text = f"{text} {self.closing_note}".strip()
            self._prompt = Feedback(self._new_id("prompt"), "prompt", "info", text, text,
                                    self._done.icon, ts=now)  # fmt: skip
            return [self._prompt]
        self._trial += 1
        self._step_id = self._practice.id
        shown = self._rng.sample(self._pool, min(self.cfg.choices, len(self._pool)))
        self._shown = tuple(shown)
        self.target = self._rng.choice(self._shown)
        text = practice_text(
            self.scenario.practice,
            "trial",
            n=self._trial,
            trials=self.cfg.trials,
            target=self.target.label,
        )
        self._prompt = Feedback(
            self._new_id("prompt"), "prompt", "info", text, text, self._practice.icon, 0,
            self._shown, now, target=self.target.id,
        )  # fmt: skip
        return [self._prompt]

    def _score(self) -> float:
        if not self._decisions:
            return 0.0
        return round(100.0 * sum(d.correct for d in self._decisions) / len(self._decisions), 1)

    def score(self) -> PracticeReport:
        return PracticeReport(
            self.scenario.id, self._score(), tuple(self._decisions), self.cfg.trials,
            tuple(self._series),
        )  # fmt: skip

    def _new_id(self, topic: str) -> str:
        self._counter += 1
        return f"{self._step_id}-{topic}-{self._counter}"
