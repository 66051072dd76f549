"""The switch-practice scenario's trials and report (docs/interface.md)."""

from __future__ import annotations

from accessibility.model import LearnerProfile
from accessibility.practice import PracticePolicy, PracticeScoring
from accessibility.render import render_feedback
from accessibility.scenario import list_scenarios, load_scenario


def test_twenty_known_target_trials_of_four_choices_one_selection_each() -> None:
    sc = load_scenario("switch-practice")
    assert isinstance(sc.scoring, PracticeScoring) and sc.scoring.trials == 20
    assert "switch-practice" in {s["id"] for s in list_scenarios()}
    policy = PracticePolicy(sc, seed=3)
    (prompt,) = policy.start(0.0)
    targets = []
    for trial in range(1, 21):
        assert len(prompt.choices) == 4 and prompt.target in {c.id for c in prompt.choices}
        frame, _ = render_feedback(prompt, LearnerProfile(), {}, "/a")
        assert frame["target"] == prompt.target and len(frame["choices"]) == 4
        assert f"Trial {trial} of 20" in prompt.text
        targets.append(prompt.target)
        wrong = next(c.id for c in prompt.choices if c.id != prompt.target)
        if trial == 5:
            out = policy.no_press(trial * 5.0)
        else:
            pick = wrong if trial % 4 == 0 else prompt.target
            out = policy.choose(pick, trial * 5.0, rt_ms=900 + trial)
        prompt = out[-1]
    assert policy.finished and "14 of 20 right" in prompt.text
    report = policy.score().to_dict()
    decisions = report["decisions"]
    assert [d["step"] for d in decisions] == [f"trial-{i}" for i in range(1, 21)]
    assert all(set(d) >= {"step", "chosen", "correct", "first_try", "rt_ms"} for d in decisions)
    assert [d["correct"] for d in decisions].count(False) == 6
    assert decisions[4]["chosen"] is None and decisions[4]["rt_ms"] is None
    assert decisions[0]["rt_ms"] == 901 and decisions[3]["correct"] is False
    assert report["score"] == 70.0 and report["kind"] == "practice"
    assert len(set(targets)) > 3  # targets vary


def test_a_choice_of_another_trial_is_refused() -> None:
    policy = PracticePolicy(load_scenario("switch-practice"), seed=1)
    (prompt,) = policy.start(0.0)
    outside = next(c for c in load_scenario("switch-practice").step("practice").choices
                   if c.id not in {x.id for x in prompt.choices})  # fmt: skip
    assert policy.choose(outside.id, 1.0) == [] and policy.last_rejection
    assert policy.trial == 1
