"""FeedbackPolicy driven by synthetic TwinView sequences (device time, no clock)."""

from __future__ import annotations

import itertools

import pytest

from accessibility.feedback import FeedbackPolicy
from accessibility.model import Feedback, TwinView
from accessibility.scenario import load_scenario, parse_scenario

GOOD = {
    "cpr_compression_depth_mm": 55.0,
    "cpr_recent_rate": 110.0,
    "cpr_recent_depth_mm": 55.0,
    "cpr_recent_recoil_pct": 95.0,
}
Log = list[tuple[float, Feedback]]


def view(t: float, values: dict[str, float], *, online: bool = True) -> TwinView:
    return TwinView(now=t, values=values, value_ts=dict.fromkeys(values, t), online=online)


def cpr_policy(**kwargs: float) -> FeedbackPolicy:
    policy = FeedbackPolicy(load_scenario("cpr"), **kwargs)
    policy.start(0.0)
    policy.choose("ready", 0.0)
    assert policy.step_id == "compressions"
    return policy


def drive(policy: FeedbackPolicy, t0: float, t1: float, dt: float = 0.5, **values: float) -> Log:
    """Feed views from t0 (inclusive) to t1 (exclusive) every dt with GOOD overridden by values."""
    out: Log = []
    n = round((t1 - t0) / dt)
    for i in range(n):
        t = t0 + i * dt
        out += [(t, f) for f in policy.update(view(t, {**GOOD, **values}))]
    return out


def with_word(log: Log, word: str) -> Log:
    return [(t, f) for t, f in log if word in f.text.lower()]


def test_start_gives_the_first_prompt_with_its_choice() -> None:
    policy = FeedbackPolicy(load_scenario("cpr"))
    assert policy.current_prompt() is None and policy.step_id is None
    (prompt,) = policy.start(0.0)
    assert [c.label for c in prompt.choices] == ["I'm ready"]
    assert policy.current_prompt() == prompt and policy.step_id == "ready"
    assert not policy.finished
    assert policy.update(view(1.0, GOOD)) == []  # no rules in "ready"


@pytest.mark.parametrize(
    ("values", "word", "topic"),
    [
        ({"cpr_recent_rate": 90.0}, "faster", "cpr.rate"),
        ({"cpr_recent_rate": 130.0}, "slow down", "cpr.rate"),
        ({"cpr_recent_depth_mm": 42.0}, "deeper", "cpr.depth"),
        ({"cpr_recent_depth_mm": 66.0}, "too deep", "cpr.depth"),
        ({"cpr_recent_recoil_pct": 60.0}, "let the chest rise", "cpr.recoil"),
    ],
)
def test_each_correction_is_a_warning_repeated_while_it_lasts(
    values: dict[str, float], word: str, topic: str
) -> None:
    log = drive(cpr_policy(), 0.5, 30.0, **values)
    assert [f.text.lower() for _, f in log if f.severity != "info"] == [
        f.text.lower() for _, f in with_word(log, word)
    ]
    hits = with_word(log, word)
    assert [t for t, _ in hits] == [0.5, 12.5, 24.5]  # at once, then every 12 s
    assert all(f.severity == "warning" and f.topic == topic for _, f in hits)
    assert hits[0][1].speech_text and hits[0][1].icon


def stopped(policy: FeedbackPolicy, t0: float, t1: float, last: float, **values: float) -> Log:
    """Views every 0.5 s from t0 to t1 in which the last compression was at ``last``."""
    out: Log = []
    for i in range(round((t1 - t0) / 0.5)):
        t, v = t0 + i * 0.5, {**GOOD, **values}
        out += [(t, f) for f in policy.update(TwinView(t, v, dict.fromkeys(v, last)))]
    return out


def test_stopped_gives_a_critical_resume() -> None:
    policy = cpr_policy()
    drive(policy, 0.5, 10.0)  # the last compression at 9.5
    log = stopped(policy, 10.0, 15.0, 9.5)
    assert [(t, f.severity) for t, f in with_word(log, "resume")] == [(13.5, "critical")]
    assert len(log) == 1


def test_no_cpr_data_for_3_s_after_starting_gives_a_critical_resume() -> None:
    policy = cpr_policy()
    log = drive(policy, 0.5, 12.0)  # compressing; the last rate is dated 11.5
    for i in range(24, 40):  # the twin keeps the last values; only hr is new
        t, stamps = i * 0.5, {**dict.fromkeys(GOOD, 11.5), "hr": i * 0.5}
        log += [(t, f) for f in policy.update(TwinView(t, {**GOOD, "hr": 80.0}, stamps))]
    ((t, fb),) = with_word(log, "resume")
    assert fb.severity == "critical" and t == 15.5  # 4 s after the last compression


def no_cpr(policy: FeedbackPolicy, t1: float, **values: float) -> Log:
    """Views every 0.5 s from 0.5 to t1 with no compressions (only ``values``)."""
    out: Log = []
    for i in range(1, round(t1 / 0.5)):
        t = i * 0.5
        out += [(t, f) for f in policy.update(view(t, {"hr": 80.0, **values}))]
    return out


# The compressions step's spoken prompt: "Start compressions now. Push hard and fast, and let
# the chest rise after each one." (15 words); the displayed one has 20 words.
@pytest.mark.parametrize(
    ("rate_wpm", "first_at"),
    [(150.0, 11.0), (80.0, 16.5), (450.0, 7.0), (None, 13.0)],  # 15*60/wpm + 5 s; None: read
)
def test_nothing_yet_gets_a_gentle_start_once_the_prompt_was_said(
    rate_wpm: float | None, first_at: float
) -> None:
    policy = FeedbackPolicy(load_scenario("cpr"), speech_rate_wpm=rate_wpm)
    policy.start(0.0)
    policy.choose("ready", 0.0)
    log = no_cpr(policy, 40.0)
    assert with_word(log, "resume") == []  # never "resume": nothing was started
    starts = with_word(log, "start compressions now")
    assert [t for t, _ in starts] == [t for t in (first_at, first_at + 15, first_at + 30) if t < 40]
    assert all(f.severity == "warning" and f.topic == "cpr.activity" for _, f in starts)
    assert [f for _, f in log if f.severity == "critical"] == []


def test_a_rate_of_zero_before_any_compression_is_not_a_stop() -> None:
    # E.g. the rate gauge fell to 0 after practice compressions in the "ready" step.
    log = no_cpr(cpr_policy(), 30.0, cpr_recent_rate=0.0)
    assert with_word(log, "resume") == []
    assert [t for t, _ in with_word(log, "start compressions now")] == [11.0, 26.0]


def test_a_learner_starting_after_the_prompt_is_neither_told_to_start_nor_resume() -> None:
    policy = cpr_policy()
    log = no_cpr(policy, 8.0) + drive(policy, 8.0, 40.0)
    assert with_word(log, "start compressions") == [] and with_word(log, "resume") == []
    assert with_word(log, "good compressions")


def test_started_then_stopped_after_the_start_reminder_is_told_to_resume() -> None:
    policy = cpr_policy()
    log = no_cpr(policy, 12.0)
    assert [t for t, _ in with_word(log, "start compressions now")] == [11.0]
    log = drive(policy, 12.0, 20.0) + stopped(policy, 20.0, 24.5, 19.5)
    assert with_word(log, "start compressions") == []
    assert [(t, f.severity) for t, f in with_word(log, "resume")] == [(23.5, "critical")]


def test_stale_values_count_as_missing() -> None:
    policy = cpr_policy()
    drive(policy, 0.5, 5.0)
    stale = TwinView(now=9.0, values=GOOD, value_ts=dict.fromkeys(GOOD, 5.0))
    assert [f.severity for f in policy.update(stale)] == ["critical"]


def test_values_oscillating_around_a_threshold_do_not_flap() -> None:
    policy = cpr_policy()
    log: Log = []
    for i in range(1, 121):  # 60 s, alternating every 0.5 s
        t = i * 0.5
        rate = 99.5 if i % 2 else 100.5
        log += [(t, f) for f in policy.update(view(t, {**GOOD, "cpr_recent_rate": rate}))]
    # Below 100 enters, only above 102 leaves: one correction all along, repeated every
    # 12 s, never "Rate is good now" in between.
    rate_msgs = [(t, f.text) for t, f in log if f.topic == "cpr.rate"]
    assert [t for t, _ in rate_msgs] == [0.5, 12.5, 24.5, 36.5, 48.5]
    assert {text for _, text in rate_msgs} == {"Too slow - push faster, 100 to 120 a minute"}
    assert len(log) == len(rate_msgs)


def test_same_warning_is_not_repeated_within_min_repeat_s() -> None:
    policy = cpr_policy(min_repeat_s=8.0)
    log: Log = []
    t = 0.5
    for _ in range(6):  # 3 s slow, 3 s good, repeatedly
        log += drive(policy, t, t + 3.0, cpr_recent_rate=90.0)
        log += drive(policy, t + 3.0, t + 6.0)
        t += 6.0
    times = [t for t, _ in with_word(log, "faster")]
    assert len(times) >= 2
    assert all(b - a >= 8.0 for a, b in itertools.pairwise(times))


def test_resolved_message_when_a_warning_clears() -> None:
    policy = cpr_policy()
    log = drive(policy, 0.5, 5.0, cpr_recent_rate=90.0) + drive(policy, 5.0, 15.0)
    assert [f.text for _, f in log if f.topic == "cpr.rate"] == [
        "Too slow - push faster, 100 to 120 a minute",
        "Rate is good now",
    ]
    resolved = next(t for t, f in log if f.text == "Rate is good now")
    assert resolved == 7.0  # after resolve_hold_s of good values


def test_critical_preempts_a_recent_warning() -> None:
    policy = cpr_policy()
    log = drive(policy, 0.5, 1.0, cpr_recent_depth_mm=40.0)
    assert [f.severity for _, f in log] == ["warning"]
    # No compression since 1.0: stopped at 5.0, while the shallow warning is still fresh.
    log = stopped(policy, 1.0, 5.5, 1.0, cpr_recent_depth_mm=40.0)
    assert [(t, f.severity) for t, f in log] == [(5.0, "critical")]


def test_at_most_one_critical_per_update_newest_wins() -> None:
    text = """
id: two
title: Two alarms
summary: Test.
desired: {scenario: two}
steps:
  - {id: watch, prompt: Watch., choices: [{id: ok, label: OK, correct: true}]}
  - {id: end, prompt: End.}
rules:
  - {id: a, steps: [watch], topic: a, severity: critical, priority: 5, text: Alarm A,
     when: {value: hr, above: 120}}
  - {id: b, steps: [watch], topic: b, severity: critical, priority: 1, text: Alarm B,
     when: {value: spo2, below: 90}}
  - {id: c, steps: [watch], topic: c, severity: warning, text: Warning C,
     when: {value: sbp, below: 100}}
scoring: {kind: decisions}
"""
    policy = FeedbackPolicy(parse_scenario(text, "two.yaml"))
    policy.start(0.0)
    both = {"hr": 130.0, "spo2": 85.0, "sbp": 80.0}
    assert [f.text for f in policy.update(view(5.0, both))] == ["Alarm A"]  # higher priority
    assert policy.update(view(5.5, both)) == []  # spoken gap between criticals
    assert [f.text for f in policy.update(view(8.0, both))] == ["Alarm B"]
    assert policy.update(view(20.0, both)) == []  # the warning waits while criticals are on
    policy = FeedbackPolicy(parse_scenario(text, "two.yaml"))
    policy.start(0.0)
    policy.update(view(5.0, {"hr": 130.0}))
    assert [f.text for f in policy.update(view(9.0, both))] == ["Alarm B"]  # newest critical


def test_positive_reinforcement_is_rate_limited_and_waits_for_warnings() -> None:
    log = drive(cpr_policy(), 0.5, 60.0)
    times = [t for t, f in log if f.topic == "cpr.good"]
    assert times and "keep going" in log[0][1].text.lower()
    assert all(b - a >= 20.0 for a, b in itertools.pairwise(times))
    assert len(times) <= 3
    shallow = drive(cpr_policy(), 0.5, 60.0, cpr_recent_depth_mm=45.0)
    assert not [f for _, f in shallow if f.severity == "info"]


def test_offline_kit_gets_no_corrections() -> None:
    policy = cpr_policy()
    assert policy.update(view(10.0, {}, online=False)) == []


def test_compressions_end_after_two_minutes_or_when_the_instructor_stops() -> None:
    policy = cpr_policy()
    log = drive(policy, 0.5, 121.0)
    assert policy.finished and policy.step_id == "done"
    assert log[-1][1].topic == "prompt" and log[-1][0] == 120.0
    assert policy.update(view(130.0, {"cpr_recent_rate": 0.0})) == []
    early = cpr_policy()
    (prompt,) = early.advance(30.0)
    assert early.finished and prompt == early.current_prompt()


def test_feedback_ids_are_unique_and_name_the_step() -> None:
    policy = cpr_policy()
    log = drive(policy, 0.5, 20.0, cpr_recent_rate=90.0) + drive(
        policy, 20.0, 40.0, cpr_recent_rate=0.0
    )
    log += drive(policy, 40.0, 125.0)
    ids = [f.id for _, f in log]
    assert len(ids) == len(set(ids)) and all(i.startswith("compressions-") for i in ids[:-1])


def test_unknown_choice_is_ignored_with_a_reason() -> None:
    policy = FeedbackPolicy(load_scenario("vitals"))
    assert policy.choose("concerned", 0.0) == []
    assert policy.last_rejection and "concerned" in policy.last_rejection
    prompt = policy.start(0.0)[0]
    assert policy.choose("teleport", 1.0) == []
    assert policy.last_rejection and "teleport" in policy.last_rejection
    assert policy.current_prompt() == prompt and policy.step_id == "observe"


def run_vitals(choices: list[str]) -> FeedbackPolicy:
    policy = FeedbackPolicy(load_scenario("vitals"))
    policy.start(0.0)
    t = 0.0
    for choice in choices:
        t += 5.0
        # the recognise step is judged on these values (NEWS2: spo2 and sbp score 3)
        policy.update(view(t - 1.0, {"hr": 128.0, "spo2": 88.0, "sbp": 85.0}))
        assert policy.choose(choice, t), choice
    return policy


def test_vitals_completed_by_choices_with_one_wrong_answer() -> None:
    perfect = run_vitals(["concerned", "spo2", "escalate"])
    assert perfect.finished and perfect.score().score == 100.0
    policy = FeedbackPolicy(load_scenario("vitals"))
    policy.start(0.0)
    policy.choose("concerned", 1.0)
    policy.update(view(1.5, {"hr": 128.0, "spo2": 88.0, "sbp": 100.0, "temp_c": 38.5}))
    explain, again = policy.choose("temp", 2.0)
    assert explain.severity == "info" and "SpO2 88 % (NEWS2 3)" in explain.text
    assert policy.step_id == "recognise"
    # A judged step keeps every choice: which one is right can change with the patient.
    assert [c.id for c in again.choices] == ["spo2", "sbp", "hr", "resp", "temp", "none"]
    assert policy.current_prompt() == again
    policy.choose("spo2", 3.0)
    (prompt,) = policy.choose("escalate", 4.0)
    assert policy.finished and prompt.text.startswith("Well done")
    report = policy.score()
    assert report.score < perfect.score().score
    assert report.metrics["first_try_correct"] == 2 and report.metrics["attempts"] == 4


def test_vitals_worst_case_still_finishes() -> None:
    # hr 128 scores 2, spo2 88 and sbp 85 score 3: spo2 and sbp are both right answers.
    order = ["normal", "concerned", "temp", "hr", "resp", "none", "sbp"]
    order += ["recheck", "paracetamol", "document", "escalate"]
    policy = run_vitals(order)
    assert policy.finished and policy.score().score == pytest.approx(
        100 * (0.5 + 0.2 + 0.25) / 3, abs=0.1
    )


def test_vitals_alarm_is_critical_and_times_recognition() -> None:
    policy = FeedbackPolicy(load_scenario("vitals"))
    policy.start(0.0)
    normal = {"hr": 80.0, "spo2": 97.0, "sbp": 120.0, "resp_rate": 14.0, "temp_c": 36.8}
    assert policy.update(view(5.0, normal)) == []
    fired = policy.update(view(10.0, {**normal, "spo2": 90.0, "hr": 101.0}))
    assert [f.severity for f in fired] == ["critical"]
    assert policy.update(view(14.0, {**normal, "spo2": 90.0, "hr": 101.0})) == []
    policy.choose("concerned", 25.0)
    assert policy.score().metrics["time_to_recognise_s"] == 15.0


def test_values_no_rule_reads_do_not_change_the_feedback() -> None:
    # The cost of ``update`` is measured by ``accesstwin bench feedback``, not here.
    plain, extra = cpr_policy(), cpr_policy()
    seen: list[tuple[list[str], list[str]]] = []
    for i in range(2000):
        t, rate = 0.5 + i * 0.05, (90.0 if 400 <= i < 600 else 110.0)
        a = plain.update(view(t, {**GOOD, "cpr_recent_rate": rate}))
        b = extra.update(view(t, {**GOOD, "cpr_recent_rate": rate, "cpr_ccf": 90.0, "hr": 80.0}))
        seen.append(([f.text for f in a], [f.text for f in b]))
    assert all(x == y for x, y in seen)
    assert any("faster" in text for texts, _ in seen for text in texts)


def test_advance_when_held_and_branching_wrong_choice() -> None:
    text = """
id: flow
title: Flow
summary: Test.
desired: {scenario: flow}
steps:
  - id: warm
    prompt: Warm up.
    advance_when: {value: cpr_rate, above: 100, exit_below: 95, for_s: 5}
  - id: quiz
    prompt: Ready?
    choices:
      - {id: go, label: Go, correct: true, explain: Good.}
      - {id: skip, label: Skip, correct: false, next: end}
  - {id: end, prompt: End.}
scoring: {kind: decisions}
rules: [{id: r, steps: [warm], topic: t, severity: info, text: Hi, when: {value: hr, above: 1}}]
"""
    policy = FeedbackPolicy(parse_scenario(text, "flow.yaml"))
    policy.start(0.0)
    for t in (1.0, 4.0, 5.5, 8.0):  # condition broken at 5.5: the hold restarts
        policy.update(view(t, {"cpr_rate": 110.0 if t != 5.5 else 90.0}))
    assert policy.step_id == "warm"
    (prompt,) = policy.update(view(13.0, {"cpr_rate": 110.0}))
    assert policy.step_id == "quiz" and [c.id for c in prompt.choices] == ["go", "skip"]
    explain, end = policy.choose("skip", 14.0)
    assert explain.icon == "cross" and policy.finished and end.text == "End."
    assert policy.score().score == 0.0


@pytest.mark.parametrize(("rate_wpm", "second_at"), [(150.0, 3.5), (80.0, 4.5), (None, 5.5)])
def test_the_next_message_waits_until_the_last_one_was_said_at_the_learners_rate(
    rate_wpm: float | None, second_at: float
) -> None:
    # "Too slow. Push faster": 4 words, 3 s at 80 wpm, + 1 s; at 150 wpm the 3 s gap rules;
    # speech off: its 9 displayed words read at 150 wpm, + 1 s.
    policy = FeedbackPolicy(load_scenario("cpr"), speech_rate_wpm=rate_wpm)
    policy.start(0.0)
    policy.choose("ready", 0.0)
    log = drive(policy, 0.5, 10.0, cpr_recent_rate=90.0, cpr_recent_depth_mm=42.0)
    assert [(t, f.topic) for t, f in log][:2] == [(0.5, "cpr.rate"), (second_at, "cpr.depth")]
