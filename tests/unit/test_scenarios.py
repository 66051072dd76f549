"""Packaged scenarios load; malformed scenario files fail loudly, naming file and field."""

from __future__ import annotations

import copy
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml

from accessibility.scenario import (
    Check,
    Group,
    ScenarioError,
    UnknownScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
    scenario_ids,
)
from accessibility.scoring import CprScoring, DecisionScoring


def _raw(scenario_id: str) -> dict[str, Any]:
    text = resources.files("accessibility").joinpath("scenarios", f"{scenario_id}.yaml").read_text()
    doc = yaml.safe_load(text)
    assert isinstance(doc, dict)
    return doc


def test_the_packaged_scenarios_load() -> None:
    assert scenario_ids() == ("cpr", "news2-check", "switch-practice", "vitals")
    assert [s["id"] for s in list_scenarios()] == [
        "cpr",
        "news2-check",
        "switch-practice",
        "vitals",
    ]
    cpr, vitals = load_scenario("cpr"), load_scenario("vitals")
    assert dict(cpr.desired) == {"scenario": "cpr", "metronome_bpm": 110}
    assert dict(vitals.desired) == {"scenario": "vitals", "patient": "deteriorating"}
    assert [s.id for s in cpr.steps] == ["ready", "compressions", "done"]
    assert [s.id for s in vitals.steps] == ["observe", "recognise", "act", "done"]
    assert cpr.step("compressions").duration_s == 120
    assert isinstance(cpr.scoring, CprScoring)
    assert isinstance(vitals.scoring, DecisionScoring)
    assert vitals.decision_steps == ("observe", "recognise", "act")


@pytest.mark.parametrize("scenario_id", ["cpr", "news2-check", "switch-practice", "vitals"])
def test_every_next_refers_to_a_real_step(scenario_id: str) -> None:
    sc = load_scenario(scenario_id)
    ids = {s.id for s in sc.steps}
    for step in sc.steps:
        assert step.terminal or step.next in ids
        for choice in step.choices:
            assert choice.next is None or choice.next in ids
    for rule in sc.rules:
        assert rule.steps <= ids


def test_cpr_feedback_texts_carry_the_key_words() -> None:
    texts = {r.id: r.text.lower() for r in load_scenario("cpr").rules}
    assert "too slow" in texts["rate_slow"] and "faster" in texts["rate_slow"]
    assert "too shallow" in texts["depth_shallow"] and "deeper" in texts["depth_shallow"]
    assert "let the chest rise" in texts["recoil"]
    assert "resume" in texts["stopped"]
    assert texts["not_started"] == "start compressions now"
    rules = {r.id: r for r in load_scenario("cpr").rules}
    stopped, not_started = rules["stopped"], rules["not_started"]
    assert stopped.severity == "critical" and not_started.severity == "warning"
    # "Stopped" only after compressions were seen; "nothing yet" only after the prompt.
    assert isinstance(stopped.when.cond, Group) and stopped.when.cond.mode == "all"
    # Both read compressions: any compression (a 9 mm one too) is a start.
    seen, rest = stopped.when.cond.items
    assert seen == Check("cpr_compression_depth_mm", "seen", 0.0, 0.0)
    assert rest == Check("cpr_compression_depth_mm", "missing", 4.0, 4.0)
    assert not_started.when.cond == Check("cpr_compression_depth_mm", "unseen", 0.0, 0.0)
    # Corrections repeat while their error lasts (CONTRACT additions: at least every 15 s).
    for rid in ("rate_slow", "rate_fast", "depth_shallow", "depth_deep", "recoil"):
        assert rules[rid].repeat_s is not None and rules[rid].repeat_s <= 15
    assert not_started.when.after_prompt_s == 5.0


def test_vitals_decision_steps_have_their_choices() -> None:
    sc = load_scenario("vitals")
    recognise = sc.step("recognise")
    assert recognise.judge == "news2"  # judged against the twin (tests/unit/test_news2.py)
    assert [c.sign for c in recognise.choices] == ["spo2", "sbp", "hr", "resp_rate", "temp_c",
                                                   "none"]  # fmt: skip
    assert [c.label for c in sc.step("act").choices if c.correct] == [
        "Give oxygen and call the rapid response team"
    ]
    for step in sc.steps:
        wrong = [c for c in step.choices if not c.correct]
        assert step.judge or all(c.explain for c in wrong), step.id


def test_vitals_is_completable_with_choices_alone() -> None:
    """Whatever the live values: every non-terminal step has choices leading onwards."""
    sc = load_scenario("vitals")
    step, seen = sc.steps[0], set()
    while not step.terminal:
        assert step.choices and step.duration_s is None and step.advance_when is None
        assert step.id not in seen
        seen.add(step.id)
        # A judged step has a right choice whatever the values (a sign, or "none").
        correct = next(c for c in step.choices if c.correct or c.sign == "none")
        step = sc.step(correct.next or step.next or "")
    assert step.id == "done"


def test_unknown_or_unsafe_ids_are_rejected() -> None:
    for bad in ("nope", "../cpr", "cpr.yaml", ""):
        with pytest.raises(UnknownScenarioError):
            load_scenario(bad)


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Mutation:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def _delete(path: str) -> Mutation:
    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]

    return apply


MALFORMED: list[tuple[str, Mutation, str]] = [
    ("missing title", _delete("title"), "title: is required"),
    ("unknown top field", _set("colour", "red"), "colour: unknown field"),
    ("typo in step field", _set("steps/0/promt", "x"), "steps[0].promt: unknown field"),
    ("empty prompt", _set("steps/1/prompt", " "), "steps[1].prompt: must be text"),
    ("dangling choice next", _set("steps/0/choices/0/next", "nowhere"), "steps[0].choices[0].next"),
    ("dangling step next", _set("steps/1/next", "nowhere"), "steps[1].next: unknown step"),
    ("no correct choice", _set("steps/0/choices/0/correct", False), "steps[0].choices: needs"),
    ("correct not bool", _set("steps/0/choices/0/correct", "yes"), "steps[0].choices[0].correct"),
    ("negative duration", _set("steps/1/duration_s", -5), "steps[1].duration_s: must be positive"),
    ("duplicate step ids", _set("steps/2/id", "ready"), "steps: step ids must be unique"),
    ("bad severity", _set("rules/2/severity", "loud"), "rules[2].severity"),
    ("unknown value", _set("rules/2/when/value", "cpr_speed"), "rules[2].when.value"),
    (
        "string condition",
        _set("rules/2/when", "cpr_rate < 100"),
        "rules[2].when: must be a mapping",
    ),
    ("bool threshold", _set("rules/2/when/below", True), "rules[2].when.below: must be number"),
    (
        "exit inside band",
        _set("rules/2/when/exit_above", 90),
        "rules[2].when.exit_above: must be >=",
    ),
    (
        "wrong exit side",
        _set("rules/2/when/exit_below", 90),
        "rules[2].when.exit_below: does not go",
    ),
    ("rule in unknown step", _set("rules/2/steps", ["warmup"]), "rules[2].steps[0]: unknown step"),
    (
        "nested bad value",
        _set("rules/7/when/all/1/value", "x y"),
        "rules[7].when.all[1].value",
    ),
    (
        "seen with an exit",
        _set("rules/0/when/all/0/exit_below", 0),
        "rules[0].when.all[0].exit_below: does not go",
    ),
    (
        "two ops",
        _set("rules/2/when/not_seen_above", 0),
        "rules[2].when: needs 'value' and exactly one of",
    ),
    (
        "negative after_prompt_s",
        _set("rules/2/when/after_prompt_s", -1),
        "rules[2].when.after_prompt_s: must be non-negative",
    ),
    ("scoring unknown step", _set("scoring/step", "warmup"), "scoring.step: unknown step"),
    ("scoring bad kind", _set("scoring/kind", "magic"), "scoring.kind"),
    ("negative weight", _set("scoring/weights/rate", -1), "scoring.weights.rate"),
    ("desired mismatch", _set("desired/scenario", "vitals"), "desired.scenario"),
    ("desired nested", _set("desired/extra", {"a": 1}), "desired.extra"),
    ("id mismatch", _set("id", "cpr2"), "id: must match the file name"),
    ("yaml 1.1 boolean id", _set("steps/0/choices/0/id", True), "choices[0].id: must be an ident"),
]


@pytest.mark.parametrize(
    ("mutation", "field"), [m[1:] for m in MALFORMED], ids=[m[0] for m in MALFORMED]
)
def test_malformed_scenario_fails_naming_file_and_field(mutation: Mutation, field: str) -> None:
    doc = copy.deepcopy(_raw("cpr"))
    mutation(doc)
    with pytest.raises(ScenarioError) as err:
        parse_scenario(yaml.safe_dump(doc), "cpr.yaml", expected_id="cpr")
    assert str(err.value).startswith("cpr.yaml: ")
    assert field in str(err.value)
    assert err.value.source == "cpr.yaml"


def test_unmodified_round_trip_parses() -> None:
    for sid in ("cpr", "vitals"):
        sc = parse_scenario(yaml.safe_dump(_raw(sid)), f"{sid}.yaml", expected_id=sid)
        assert sc == load_scenario(sid)


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("id: [unclosed", "<yaml>: not valid YAML"),
        ("id: cpr\nid: cpr\n", "<yaml>: not valid YAML: duplicate key 'id'"),
        ("- just\n- a list\n", "<document>: must be a mapping"),
        ("", "<document>: must be a mapping"),
    ],
)
def test_broken_yaml_fails_with_the_file_name(text: str, field: str) -> None:
    with pytest.raises(ScenarioError, match=r"broken\.yaml") as err:
        parse_scenario(text, "broken.yaml")
    assert field in str(err.value)


def test_last_step_that_can_advance_needs_next() -> None:
    doc = _raw("cpr")
    doc["steps"] = doc["steps"][:2]  # "compressions" (duration_s) is now last
    with pytest.raises(ScenarioError, match=r"steps\[1\]\.next: is required"):
        parse_scenario(yaml.safe_dump(doc), "cpr.yaml")
