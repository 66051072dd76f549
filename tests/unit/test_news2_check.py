"""The ``news2-check`` scenario: one step of 8 choices (the seven NEWS2 parameters and
"none"), judged against the twin when answered; the two bedside parameters (consciousness,
air or oxygen) are given by the step and score with the measured ones."""

from __future__ import annotations

import pytest

from accessibility.feedback import FeedbackPolicy
from accessibility.model import TwinView
from accessibility.news2 import NEWS2_SIGNS, most_concerning, observed_scores
from accessibility.scan_groups import group_layout
from accessibility.scenario import ScenarioError, load_scenario, parse_scenario


def view(now: float, values: dict[str, float]) -> TwinView:
    return TwinView(now=now, values=values, value_ts=dict.fromkeys(values, now))


def started() -> FeedbackPolicy:
    policy = FeedbackPolicy(load_scenario("news2-check"))
    policy.start(0.0)
    return policy


def test_the_step_names_every_news2_parameter_and_none_and_is_group_scanned() -> None:
    step = load_scenario("news2-check").step("assess")
    assert len(step.choices) == 8
    assert {c.sign for c in step.choices} == {*NEWS2_SIGNS, "none"}
    assert len(NEWS2_SIGNS) == 7
    assert dict(step.observed) == {"consciousness": "alert", "oxygen": "air"}
    assert group_layout(len(step.choices)) is not None  # more than 6: groups first


@pytest.mark.parametrize(
    ("values", "right"),
    [
        ({"resp_rate": 26.0, "spo2": 94.0, "hr": 80.0}, "resp"),  # 3 beats 1
        ({"spo2": 91.0, "sbp": 105.0}, "spo2"),
        ({"sbp": 88.0, "spo2": 95.0, "hr": 105.0}, "sbp"),
        ({"hr": 135.0, "resp_rate": 22.0}, "pulse"),
        ({"temp_c": 39.4, "hr": 95.0}, "temp"),
        ({"spo2": 98.0, "hr": 70.0, "sbp": 120.0, "resp_rate": 14.0, "temp_c": 37.0}, "none"),
    ],
)
def test_the_answer_follows_the_twin_at_that_moment(values: dict[str, float], right: str) -> None:
    policy = started()
    policy.update(view(1.0, values))
    for wrong in ("oxygen", "consciousness"):  # alert, room air: never the answer
        explain = policy.choose(wrong, 2.0)[0]
        assert policy.step_id == "assess", explain.text
    if right != "none":
        policy.choose("none", 2.5)
        assert policy.step_id == "assess"
    out = policy.choose(right, 3.0)
    assert policy.step_id == "done", [f.text for f in out]
    assert "Yes" in out[0].text


def test_observed_parameters_score_alongside_measured_ones() -> None:
    assert observed_scores({"consciousness": "voice", "oxygen": "oxygen"}) == {
        "consciousness": 3, "oxygen": 2,
    }  # fmt: skip
    assert most_concerning({"spo2": 93.0}, {"consciousness": "pain"}) == {"consciousness"}
    assert most_concerning({"spo2": 93.0}, {"oxygen": "oxygen"}) == {"spo2", "oxygen"}
    assert most_concerning({"spo2": 97.0}, {"consciousness": "alert"}) == frozenset()


def test_a_new_confusion_makes_consciousness_the_answer() -> None:
    yaml_text = NEWS2_YAML.replace("consciousness: alert", "consciousness: confusion")
    policy = FeedbackPolicy(parse_scenario(yaml_text))
    policy.start(0.0)
    policy.update(view(1.0, {"spo2": 94.0, "hr": 95.0}))
    policy.choose("spo2", 2.0)
    assert policy.step_id == "assess"
    policy.choose("consciousness", 3.0)
    assert policy.step_id == "done"


def test_a_bedside_sign_needs_its_observation() -> None:
    with pytest.raises(ScenarioError, match="needs the step's observed"):
        parse_scenario(
            NEWS2_YAML.replace("    observed: {consciousness: alert, oxygen: air}\n", "")
        )
    with pytest.raises(ScenarioError, match="must be one of"):
        parse_scenario(NEWS2_YAML.replace("oxygen: air}", "oxygen: lots}"))


NEWS2_YAML = """
id: t
title: T
summary: T
desired: {scenario: t}
steps:
  - id: assess
    prompt: Which?
    judge: news2
    observed: {consciousness: alert, oxygen: air}
    choices:
      - {id: spo2, label: SpO2, sign: spo2}
      - {id: consciousness, label: Consciousness, sign: consciousness}
      - {id: none, label: None, sign: none}
  - id: done
    prompt: Done.
rules: []
scoring: {kind: decisions}
"""
