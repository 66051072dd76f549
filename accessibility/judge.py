"""Choices judged against the twin at the moment they are made (issue 12).

A scenario step with ``judge: news2`` asks a question whose right answer depends on the
patient: "which sign is the most concerning right now?" is right when the chosen sign has
the highest NEWS2 sub-score (``accessibility.news2``) among the twin's fresh values at that
moment; the ``none`` choice is right when every sign scores 0 (or none is shown). The
step's bedside observations (``observed``: consciousness, air or oxygen) score alongside.
"""

from __future__ import annotations

from accessibility.model import TwinView
from accessibility.news2 import (
    describe,
    describe_observed,
    most_concerning,
    observed_scores,
    sub_scores,
)
from accessibility.scenario import NO_SIGN, ChoiceSpec, Step


def fresh_values(view: TwinView | None, stale_after_s: float) -> dict[str, float]:
    if view is None:
        return {}
    return {
        name: value
        for name, value in view.values.items()
        if view.now - view.value_ts.get(name, view.now) <= stale_after_s
    }


def judge_choice(
    step: Step, spec: ChoiceSpec, view: TwinView | None, stale_after_s: float
) -> tuple[bool, str | None]:
    """(right?, the reason in words) for a choice; a step without ``judge`` keeps its own."""
    if step.judge != "news2":
        return spec.correct, spec.explain
    values, observed = fresh_values(view, stale_after_s), dict(step.observed)
    top = most_concerning(values, observed)
    scores = sub_scores(values) | observed_scores(observed)

    def said(name: str) -> str:
        return (
            describe_observed(name, observed[name])
            if name in observed
            else describe(name, values[name])
        )

    if spec.sign == NO_SIGN:
        if not top:
            return True, "Yes - no sign scores on NEWS2 right now."
        worst = ", ".join(said(n) for n in sorted(top))
        return False, f"Look again: {worst}. Try again."
    if spec.sign in top:
        return True, f"Yes - {said(spec.sign)} is the highest now."
    if not top:
        return False, "Every sign is in the normal NEWS2 band right now. Try again."
    worst = ", ".join(said(n) for n in sorted(top))
    mine = (
        said(spec.sign)
        if spec.sign is not None and spec.sign in scores
        else "that sign is not on the monitor"
    )
    return False, f"Not the most concerning now: {mine}; {worst}. Try again."
