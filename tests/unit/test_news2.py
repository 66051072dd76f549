"""NEWS2 sub-scores, the vitals thresholds that must agree with them, and choices judged
against the twin at the moment they are made (issue 12)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from accessibility.feedback import UNDO, FeedbackPolicy
from accessibility.model import TwinView
from accessibility.news2 import most_concerning, sub_score
from accessibility.scenario import Check, Group, load_scenario

# Edges of every band of the NEWS2 chart (RCP 2017), value -> score.
EDGES = {
    "resp_rate": {8: 3, 9: 1, 11: 1, 12: 0, 20: 0, 21: 2, 24: 2, 25: 3},
    "spo2": {91: 3, 92: 2, 93: 2, 94: 1, 95: 1, 96: 0, 100: 0},
    "sbp": {90: 3, 91: 2, 100: 2, 101: 1, 110: 1, 111: 0, 219: 0, 220: 3},
    "hr": {40: 3, 41: 1, 50: 1, 51: 0, 90: 0, 91: 1, 110: 1, 111: 2, 130: 2, 131: 3},
    "temp_c": {35.0: 3, 35.1: 1, 36.0: 1, 36.1: 0, 38.0: 0, 38.1: 1, 39.0: 1, 39.1: 2},
}


@pytest.mark.parametrize("name", sorted(EDGES))
def test_sub_scores_at_every_band_edge(name: str) -> None:
    for value, score in EDGES[name].items():
        assert sub_score(name, value) == score, (name, value)
    assert sub_score("spo2", 95.5) == 0  # shown as 96 %
    assert sub_score("temp_c", 38.05) == 1  # shown as 38.1 C


def _entry(cond: Check | Group) -> list[Check]:
    return [cond] if isinstance(cond, Check) else [c for x in cond.items for c in _entry(x)]


# The normal band of each parameter (NEWS2 scores 0 inside it): a rule that fires "below"
# speaks for the low side, "above" for the high side.
NORMAL = {"resp_rate": (12, 20), "spo2": (96, 101), "sbp": (111, 219), "hr": (51, 90),
          "temp_c": (36.1, 38.0)}  # fmt: skip
GRIDS = {"spo2": (80, 100), "sbp": (70, 240), "hr": (30, 160), "resp_rate": (4, 32),
         "temp_c": (33, 41)}  # fmt: skip


def test_vitals_thresholds_are_the_news2_bands() -> None:
    """Every vitals warning fires exactly where NEWS2 scores on its side of the normal band,
    the alarm exactly where one parameter scores 3; and every score, low or high, is told
    (a slow breathing rate of 7 once gave no alert at all: only the high side had rules).
    Checked on a 0.01 grid over each range."""
    rules = {r.id: r for r in load_scenario("vitals").rules}
    told: dict[str, set[float]] = {name: set() for name in GRIDS}
    alarmed: dict[str, set[float]] = {name: set() for name in GRIDS}
    for rule in rules.values():
        want = 3 if rule.id == "deteriorating" else 1
        for check in _entry(rule.when.cond):
            lo, hi = GRIDS[check.value]
            low, high = NORMAL[check.value]
            for v in np.round(np.arange(lo, hi, 0.01), 2):
                fires = v < check.enter if check.op == "below" else v > check.enter
                side = v < low if check.op == "below" else v > high
                news = sub_score(check.value, float(v))
                assert fires == (news >= want and side), (rule.id, check.value, float(v), news)
                if fires:
                    (alarmed if want == 3 else told)[check.value].add(float(v))
    for name, (lo, hi) in GRIDS.items():
        for v in np.round(np.arange(lo, hi, 0.01), 2):
            news = sub_score(name, float(v))
            if news >= 1:
                assert float(v) in told[name] | alarmed[name], (name, float(v), news)
            if news == 3:
                assert float(v) in alarmed[name], (name, float(v))


def view(t: float, values: dict[str, float]) -> TwinView:
    return TwinView(now=t, values=values, value_ts=dict.fromkeys(values, t))


def at_recognise(undo_window_s: float | None = None) -> FeedbackPolicy:
    policy = FeedbackPolicy(load_scenario("vitals"), undo_window_s=undo_window_s)
    policy.start(0.0)
    policy.choose("concerned", 1.0)
    return policy


def test_the_most_concerning_sign_is_judged_on_the_twin_at_that_moment() -> None:
    # Low oxygen is NOT always the answer: here the blood pressure scores 3, SpO2 1.
    policy = at_recognise()
    policy.update(view(2.0, {"spo2": 95.0, "sbp": 88.0, "hr": 105.0, "temp_c": 37.0}))
    explain, _ = policy.choose("spo2", 3.0)
    assert "Systolic blood pressure 88 mmHg (NEWS2 3)" in explain.text
    assert policy.step_id == "recognise"
    out = policy.choose("sbp", 4.0)
    assert "Yes" in out[0].text and policy.step_id == "act"
    # Another moment, another answer: SpO2 89 % now scores 3 and the pressure recovered.
    policy = at_recognise()
    policy.update(view(2.0, {"spo2": 89.0, "sbp": 118.0, "hr": 105.0}))
    policy.choose("spo2", 3.0)
    assert policy.step_id == "act"
    assert most_concerning({"spo2": 97.0, "hr": 70.0}) == frozenset()
    policy = at_recognise()
    policy.update(view(2.0, {"spo2": 97.0, "hr": 70.0, "sbp": 120.0}))
    policy.choose("none", 3.0)
    assert policy.step_id == "act"


def test_stale_values_do_not_count_when_judging() -> None:
    policy = at_recognise()
    policy.update(TwinView(now=30.0, values={"sbp": 80.0, "spo2": 93.0},
                           value_ts={"sbp": 1.0, "spo2": 30.0}))  # fmt: skip
    policy.choose("spo2", 30.5)  # sbp is 29 s old: only SpO2 (score 2) counts
    assert policy.step_id == "act"


def test_undo_within_the_window_takes_the_choice_back_and_out_of_the_score() -> None:
    policy = at_recognise(undo_window_s=5.0)
    policy.update(view(2.0, {"spo2": 88.0}))
    out = policy.choose("hr", 3.0)  # a slip: the switch landed one item late
    assert out[-1].choices[0] == UNDO
    back = policy.choose("undo", 4.0)
    assert back[-1].choices[0].id == "spo2" and UNDO not in back[-1].choices
    policy.choose("spo2", 5.0)
    policy.choose("escalate", 6.0)
    report = policy.score()
    assert report.score == 100.0  # the slip is not an attempt
    assert report.metrics["undone"] == 1 and report.metrics["attempts"] == 3


def test_undo_closes_after_its_window() -> None:
    policy = at_recognise(undo_window_s=5.0)
    policy.update(view(2.0, {"spo2": 88.0}))
    policy.choose("spo2", 3.0)  # right: now at "act", undo offered
    again = policy.update(view(9.0, {"spo2": 88.0}))
    assert again and UNDO not in again[-1].choices
    assert policy.choose("undo", 9.5) == [] and policy.step_id == "act"


def test_undo_is_said_in_the_learners_language() -> None:
    from accessibility.scenario_i18n import scenario_in

    for lang, script in (("ar", r"[\u0600-\u06ff]"), ("zh", r"[\u4e00-\u9fff]")):
        policy = FeedbackPolicy(scenario_in(load_scenario("vitals"), lang), undo_window_s=5.0)
        policy.start(0.0)
        policy.choose("concerned", 1.0)
        policy.update(view(2.0, {"spo2": 88.0}))
        assert re.search(script, policy.choose("hr", 3.0)[-1].choices[0].label)
        note = policy.choose("undo", 4.0)[0]
        assert note.text == policy.scenario.undone and re.search(script, note.text), note.text


NORMAL_VITALS = {"spo2": 98.0, "sbp": 120.0, "hr": 75.0, "resp_rate": 16.0, "temp_c": 37.0}


@pytest.mark.parametrize(
    ("values", "severity", "text"),
    [
        ({"resp_rate": 7.0}, "critical", "Monitor alarm - this patient is getting worse"),
        ({"hr": 38.0}, "critical", "Monitor alarm - this patient is getting worse"),
        ({"temp_c": 34.8}, "critical", "Monitor alarm - this patient is getting worse"),
        ({"sbp": 225.0}, "critical", "Monitor alarm - this patient is getting worse"),
        ({"resp_rate": 10.0}, "warning", "Breathing rate is slow"),
        ({"hr": 45.0}, "warning", "Heart rate is low"),
        ({"temp_c": 35.8}, "warning", "Temperature is low"),
        ({"hr": 120.0}, "warning", "Heart rate is high"),
    ],
)
def test_a_low_reading_is_told_as_a_high_one_is(
    values: dict[str, float], severity: str, text: str
) -> None:
    """A simulated learner's patient with a breathing rate of 7 got no alert at all."""
    policy = FeedbackPolicy(load_scenario("vitals"))
    policy.start(0.0)
    assert policy.update(view(1.0, NORMAL_VITALS)) == []
    frames = policy.update(view(2.0, {**NORMAL_VITALS, **values}))
    assert [(f.severity, f.text) for f in frames] == [(severity, text)]
