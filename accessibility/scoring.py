"""Session scores: QCPR-style CPR quality and decision-making, with a time series for charts.

CPR: scored per compression by ``accessibility.compression_score.CompressionScorer``
(its docstring and docs/cpr-scoring.md give the formula); this module holds its settings
(:class:`CprScoring`) and the report type.

Decisions: for each decision step, credit = 1 / attempts when it was eventually answered
correctly (1 first try, 0.5 second, ...), else 0; ``score = 100 * mean(credit)``.
``time_to_recognise_s`` runs from the first firing of ``alarm_rule`` to the correct answer
in ``recognise_step`` (0 if the learner recognised it before the alarm).

Grades: >= 90 "Excellent", >= 75 "Good", >= 50 "Fair", else "Needs practice".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Literal

WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"rate": 0.3, "depth": 0.3, "recoil": 0.2, "ccf": 0.2}
)
GRADES = ((90.0, "Excellent"), (75.0, "Good"), (50.0, "Fair"), (0.0, "Needs practice"))
DECISION_FORMULA = (
    "score = 100 * mean over decision steps of (1/attempts if answered correctly else 0)"
)


@dataclass(frozen=True, slots=True)
class CprScoring:
    step: str  # the scenario step whose views are scored
    rate: tuple[float, float] = (100.0, 120.0)  # /min, AHA 2020
    depth_mm: tuple[float, float] = (50.0, 60.0)  # AHA 2020
    ccf_target_pct: float = 80.0
    weights: Mapping[str, float] = field(default_factory=lambda: WEIGHTS)


@dataclass(frozen=True, slots=True)
class DecisionScoring:
    alarm_rule: str | None = None
    recognise_step: str | None = None


@dataclass(frozen=True, slots=True)
class DecisionResult:
    step: str
    attempts: int
    correct: bool
    first_try: bool
    chosen: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScoreReport:
    scenario: str
    kind: Literal["cpr", "decisions"]
    score: float  # 0-100
    grade: str
    formula: str
    metrics: Mapping[str, float | int | None]
    decisions: tuple[DecisionResult, ...] = ()
    series: tuple[tuple[float, float], ...] = ()  # (device ts, score so far)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "kind": self.kind,
            "score": self.score,
            "grade": self.grade,
            "formula": self.formula,
            "metrics": dict(self.metrics),
            "decisions": [{**asdict(d), "chosen": list(d.chosen)} for d in self.decisions],
            "series": [[ts, s] for ts, s in self.series],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), allow_nan=False)


def grade(score: float) -> str:
    return next(label for floor, label in GRADES if score >= floor)


class DecisionScorer:
    """Attempts per decision step and time to recognise the deterioration."""

    def __init__(self, cfg: DecisionScoring, steps: Sequence[str]) -> None:
        self.cfg = cfg
        self._chosen: dict[str, list[str]] = {s: [] for s in steps}
        self._correct: set[str] = set()
        self._alarm_at: float | None = None
        self._recognised_at: float | None = None
        self._series: list[tuple[float, float]] = []

    def alarm(self, now: float) -> None:
        """The alarm rule fired; only the first call counts."""
        if self._alarm_at is None:
            self._alarm_at = now

    def record(self, step: str, choice_id: str, correct: bool, now: float) -> bool:
        """Count one attempt; False when the step is not scored or already answered."""
        if step not in self._chosen or step in self._correct:
            return False
        self._chosen[step].append(choice_id)
        if correct:
            self._correct.add(step)
            if step == self.cfg.recognise_step and self._recognised_at is None:
                self._recognised_at = now
        self._series.append((now, round(self.score_now(), 1)))
        return True

    def withdraw(self, step: str, choice_id: str) -> None:
        """Take back the last attempt (the learner undid a slip of the switch)."""
        chosen = self._chosen.get(step)
        if not chosen or chosen[-1] != choice_id:
            return
        chosen.pop()
        if step in self._correct:
            self._correct.discard(step)
            if step == self.cfg.recognise_step:
                self._recognised_at = None
        if self._series:
            self._series.pop()

    def score_now(self) -> float:
        if not self._chosen:
            return 0.0
        credit = sum(1.0 / len(self._chosen[s]) for s in self._correct)
        return 100.0 * credit / len(self._chosen)

    def report(self, scenario_id: str) -> ScoreReport:
        results = tuple(
            DecisionResult(
                s, len(c), s in self._correct, s in self._correct and len(c) == 1, tuple(c)
            )
            for s, c in self._chosen.items()
        )
        ttr: float | None = None
        if self._alarm_at is not None and self._recognised_at is not None:
            ttr = round(max(0.0, self._recognised_at - self._alarm_at), 1)
        metrics: dict[str, float | int | None] = {
            "decision_steps": len(results),
            "first_try_correct": sum(r.first_try for r in results),
            "answered_correctly": sum(r.correct for r in results),
            "attempts": sum(r.attempts for r in results),
            "time_to_recognise_s": ttr,
        }
        score = round(self.score_now(), 1)
        return ScoreReport(
            scenario_id,
            "decisions",
            score,
            grade(score),
            DECISION_FORMULA,
            metrics,
            results,
            tuple(self._series),
        )
