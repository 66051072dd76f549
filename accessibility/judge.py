"""Choices judged against the twin at the moment they are made (issue 12).

A scenario step with ``judge: news2`` asks a question whose right answer depends on the
patient: "which sign is the most concerning right now?" is right when the chosen sign has
the highest NEWS2 sub-score (``accessibility.news2``) among the twin's fresh values at that
moment; the ``none`` choice is right when every sign scores 0 (or none is shown). The
explanation is in the scenario's language (its ``news2`` texts; docs/languages.md). The
step's bedside observations (``observed``: consciousness, air or oxygen) score alongside.
"""

from __future__ import annotations

from collections.abc import Mapping

from accessibility.languages import DEFAULT_LANGUAGE, language
from accessibility.model import TwinView
from accessibility.news2 import (
    NEWS2_TEXTS,
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
    step: Step,
    spec: ChoiceSpec,
    view: TwinView | None,
    stale_after_s: float,
    texts: Mapping[str, str] = NEWS2_TEXTS,
    lang: str = DEFAULT_LANGUAGE,
) -> tuple[bool, str | None]:
    """(right?, the reason in words) for a choice; a step without ``judge`` keeps its own.
    The reason is in the words of ``texts`` (the scenario's ``news2`` texts, in ``lang``)."""
    if step.judge != "news2":
        return spec.correct, spec.explain
    values, observed = fresh_values(view, stale_after_s), dict(step.observed)
    top = most_concerning(values, observed)
    scores = sub_scores(values) | observed_scores(observed)

    def said(name: str) -> str:
        if name in observed:
            return describe_observed(name, observed[name], texts)
        return describe(name, values[name], texts)

    separator = language(lang).list_separator
    worst = separator.join(said(n) for n in sorted(top))
    if spec.sign == NO_SIGN:
        if not top:
            return True, texts["none_right"]
        return False, texts["none_wrong"].format(worst=worst)
    if spec.sign in top:
        return True, texts["sign_right"].format(sign=said(spec.sign))
    if not top:
        return False, texts["all_normal"]
    mine = said(spec.sign) if spec.sign is not None and spec.sign in scores else texts["not_shown"]
    return False, texts["sign_wrong"].format(mine=mine, worst=worst)
