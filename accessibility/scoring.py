"""Session scores: QCPR-style CPR quality and decision-making, with a time series for charts.

CPR (Laerdal QCPR pattern; AHA 2020 targets, DOMAIN.md "CPR quality"). The basis is
**time**, not samples: each TwinView seen during the scored step holds until the next one,
for at most ``max_gap_s`` (the rest of a longer silence counts as hands-off time).

* compressing: ``cpr_rate`` is present, fresh (``stale_after_s``) and > 0;
* ``rate_in_target_pct``: % of compressing time with ``cpr_rate`` in ``rate`` (100-120/min);
* ``depth_in_target_pct``: % of compressing time (with a fresh depth) with ``cpr_depth_mm``
  in ``depth_mm`` (50-60 mm);
* ``recoil_pct``: time-weighted mean of ``cpr_recoil_pct`` while compressing, an estimate
  of the % of compressions with full recoil;
* ``ccf_pct``: compressing time / observed time (chest compression fraction).

``score = 100 * sum(w_k * c_k) / sum(w_k)`` with ``c`` = rate/100, depth/100, recoil/100
and ``min(1, ccf_pct / ccf_target_pct)``; default weights 0.3, 0.3, 0.2, 0.2 and CCF target
80 % (AHA: >= 60 %, ideally >= 80 %). A component without data is left out of both sums;
the score is 0 when the learner never compressed.

Decisions: for each decision step, credit = 1 / attempts when it was eventually answered
correctly (1 first try, 0.5 second, ...), else 0; ``score = 100 * mean(credit)``.
``time_to_recognise_s`` runs from the first firing of ``alarm_rule`` to the correct answer
in ``recognise_step`` (0 if the learner recognised it before the alarm).

Grades: >= 90 "Excellent", >= 75 "Good", >= 50 "Fair", else "Needs practice".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from accessibility.model import TwinView

WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"rate": 0.3, "depth": 0.3, "recoil": 0.2, "ccf": 0.2}
)
GRADES = ((90.0, "Excellent"), (75.0, "Good"), (50.0, "Fair"), (0.0, "Needs practice"))
CPR_FORMULA = (
    "time-weighted; score = 100 * sum(w*c) / sum(w) over components with data;"
    " c = rate%/100, depth%/100, recoil%/100, min(1, ccf%/ccf_target);"
    " defaults w = 0.3 rate, 0.3 depth, 0.2 recoil, 0.2 ccf; ccf_target = 80"
)
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


def _pct(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 1) if whole > 0 else None


class CprScorer:
    """Accumulates CPR quality over views in O(1) per view."""

    def __init__(
        self,
        cfg: CprScoring,
        *,
        stale_after_s: float = 5.0,
        max_gap_s: float = 2.0,
        series_every_s: float = 1.0,
    ) -> None:
        self.cfg = cfg
        self._stale, self._max_gap, self._every = stale_after_s, max_gap_s, series_every_s
        self._prev_t: float | None = None
        self._state: tuple[bool, bool, bool | None, float | None] = (False, False, None, None)
        # observed, compressing, rate ok, depth seen, depth ok, recoil seen, recoil sum (s)
        self._t = [0.0] * 7
        self._series: list[tuple[float, float]] = []

    def _fresh(self, view: TwinView, name: str) -> float | None:
        v = view.values.get(name)
        if v is None or view.now - view.value_ts.get(name, view.now) > self._stale:
            return None
        return v

    def add(self, view: TwinView) -> None:
        now, t = view.now, self._t
        if self._prev_t is not None:
            gap = now - self._prev_t
            if gap < 0:
                return  # older than what was already scored: ignore
            dt = min(gap, self._max_gap)
            comp, rate_ok, depth_ok, recoil = self._state
            t[0] += gap
            if comp and dt > 0:
                t[1] += dt
                t[2] += dt if rate_ok else 0.0
                if depth_ok is not None:
                    t[3] += dt
                    t[4] += dt if depth_ok else 0.0
                if recoil is not None:
                    t[5] += dt
                    t[6] += dt * recoil
        self._prev_t = now
        rate = self._fresh(view, "cpr_rate")
        depth = self._fresh(view, "cpr_depth_mm")
        lo, hi = self.cfg.rate
        dlo, dhi = self.cfg.depth_mm
        self._state = (
            rate is not None and rate > 0,
            rate is not None and lo <= rate <= hi,
            None if depth is None else dlo <= depth <= dhi,
            self._fresh(view, "cpr_recoil_pct"),
        )
        if not self._series or now - self._series[-1][0] >= self._every:
            self._series.append((now, round(self.score_now(), 1)))

    def components(self) -> dict[str, float | None]:
        t = self._t
        return {
            "rate": _pct(t[2], t[1]),
            "depth": _pct(t[4], t[3]),
            "recoil": round(t[6] / t[5], 1) if t[5] > 0 else None,
            "ccf": _pct(t[1], t[0]),
        }

    def score_now(self) -> float:
        if self._t[1] <= 0:
            return 0.0
        parts = self.components()
        ccf = parts["ccf"] or 0.0
        parts["ccf"] = 100.0 * min(1.0, ccf / self.cfg.ccf_target_pct)
        w = self.cfg.weights
        used = [(w[k], v) for k, v in parts.items() if v is not None]
        total = sum(wk for wk, _ in used)
        return sum(wk * v for wk, v in used) / total if total > 0 else 0.0

    def report(self, scenario_id: str) -> ScoreReport:
        c, score = self.components(), round(self.score_now(), 1)
        metrics: dict[str, float | int | None] = {
            "rate_in_target_pct": c["rate"],
            "depth_in_target_pct": c["depth"],
            "recoil_pct": c["recoil"],
            "ccf_pct": c["ccf"],
            "compressing_s": round(self._t[1], 1),
            "observed_s": round(self._t[0], 1),
        }
        series = list(self._series)
        if self._prev_t is not None and (not series or series[-1][0] < self._prev_t):
            series.append((self._prev_t, score))
        return ScoreReport(
            scenario_id, "cpr", score, grade(score), CPR_FORMULA, metrics, series=tuple(series)
        )


def score_cpr(views: Iterable[TwinView], cfg: CprScoring, scenario_id: str = "cpr") -> ScoreReport:
    """Score a recorded sequence of views (all of them belong to the compressions step)."""
    scorer = CprScorer(cfg)
    for view in views:
        scorer.add(view)
    return scorer.report(scenario_id)


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

    def record(self, step: str, choice_id: str, correct: bool, now: float) -> None:
        if step not in self._chosen or step in self._correct:
            return
        self._chosen[step].append(choice_id)
        if correct:
            self._correct.add(step)
            if step == self.cfg.recognise_step and self._recognised_at is None:
                self._recognised_at = now
        self._series.append((now, round(self.score_now(), 1)))

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
