"""CPR feedback end to end: a simulated learner's depth trace, chunk by chunk, through
``DerivedSignals`` and the CPR scenario's ``FeedbackPolicy`` (device time, no clock).

The policy sees what a session sees: the newest derived values with their device ``ts``,
evaluated after every 0.2 s chunk, as a kit sends them, and each completed compression.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from accessibility.derived import DerivedSignals
from accessibility.feedback import FeedbackPolicy
from accessibility.model import Feedback, TwinView
from accessibility.scenario import load_scenario
from devices.simulation import CprLearner

RATE_HZ = 50.0
CHUNK = 10  # 0.2 s per message, as the simulated kits send
T0 = 1_764_060_000.0
Log = list[tuple[float, Feedback]]


def run(learner: CprLearner, seconds: float, *, offset_mm: float = 0.0, rest_s: float = 0.0) -> Log:
    """Start the CPR scenario at T0 and feed ``seconds`` of the learner's compressions, after
    ``rest_s`` of the chest at rest, as a kit whose 0 is ``offset_mm`` off sees them."""
    policy = FeedbackPolicy(load_scenario("cpr"))
    policy.start(T0)
    policy.choose("ready", T0)
    assert policy.step_id == "compressions"
    engine = DerivedSignals()
    values: dict[str, float] = {}
    stamps: dict[str, float] = {}
    log: Log = []
    noise = np.random.default_rng(0)
    for i in range(round(rest_s * RATE_HZ / CHUNK)):
        rest = noise.normal(offset_mm, 1.0, CHUNK).tolist()
        engine.add_chunk("depth_mm", T0 - rest_s + i * CHUNK / RATE_HZ, RATE_HZ, rest)
    for i in range(round(seconds * RATE_HZ / CHUNK)):
        ts = T0 + i * CHUNK / RATE_HZ
        samples = (learner.chunk(ts, CHUNK, RATE_HZ) + offset_mm).tolist()
        for v in engine.add_chunk("depth_mm", ts, RATE_HZ, samples):
            values[v.name], stamps[v.name] = v.value, v.ts
        now = ts + CHUNK / RATE_HZ
        view = TwinView(now=now, values=dict(values), value_ts=dict(stamps))
        log += [(now - T0, f) for f in policy.update(view)]
        done = engine.take_compressions()
        log += [(now - T0, f) for f in policy.add_compressions(done, now)]
    return log


def said(log: Log, words: str) -> Log:
    return [(t, f) for t, f in log if words in f.text.lower()]


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_a_good_learner_starting_compressions_gets_no_resume_alarm(seed: int) -> None:
    log = run(CprLearner(seed), 30.0)
    assert said(log, "resume") == []
    assert [f.text for _, f in log if f.severity == "critical"] == []
    assert said(log, "good compressions")  # and the good run is recognised


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_five_second_pause_mid_way_gets_the_resume_correction(seed: int) -> None:
    # 12 s of compressions, then 5 s hands off, then compressions again.
    log = run(CprLearner(seed, pause_every_s=12.0, pause_len_s=5.0), 30.0)
    resume = said(log, "resume compressions")
    assert resume, [f.text for _, f in log]
    (t, first), *_ = resume
    assert first.severity == "critical"
    assert 12.0 < t < 18.0  # during the pause, not at the start
    assert said(log, "compressions resumed")  # and it clears once they restart


@pytest.mark.parametrize(
    ("kind", "words", "topic"),
    [
        ({"rate_per_min": 80.0}, "push faster", "cpr.rate"),
        ({"depth_mm": 38.0}, "push deeper", "cpr.depth"),
        ({"recoil_residual_mm": 12.0, "lean_prob": 0.7}, "let the chest rise", "cpr.recoil"),
    ],
    ids=["slow", "shallow", "leaning"],
)
def test_poor_compressions_get_their_correction(
    kind: dict[str, float], words: str, topic: str
) -> None:
    log = run(CprLearner(7, **kind), 20.0)
    hits = said(log, words)
    assert hits, [f.text for _, f in log]
    assert hits[0][1].severity == "warning" and hits[0][1].topic == topic
    assert said(log, "resume") == []


def test_shallow_compressions_are_told_deeper_within_three_and_again_while_they_last() -> None:
    # 42 mm at 95/min for 120 s: "deeper" at once, and at least every 15 s all along.
    log = run(CprLearner(11, rate_per_min=95.0, depth_mm=42.0, drift=False), 120.0)
    deeper = [t for t, _ in said(log, "deeper")]
    assert deeper and deeper[0] <= 3 * 60 / 95 + 0.6  # within three compressions
    assert all(b - a <= 15.0 for a, b in itertools.pairwise([*deeper, 120.0]))
    assert said(log, "faster")  # 95/min is too slow as well


def test_weak_presses_are_named_too_shallow_not_start() -> None:
    log = run(CprLearner(12, depth_mm=9.0, drift=False), 60.0)
    assert said(log, "too shallow")
    assert said(log, "start compressions") == [] and said(log, "resume") == []


def test_slow_compressions_are_named_too_slow_not_stopped() -> None:
    log = run(CprLearner(13, rate_per_min=26.0, drift=False), 60.0)
    assert said(log, "too slow")
    assert said(log, "resume") == [] and said(log, "start compressions") == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_one_second_hesitation_gets_no_rate_prompt(seed: int) -> None:
    # Steady 110/min with one 1 s hesitation every 12 s.
    learner = CprLearner(seed, drift=False, pause_every_s=12.0, pause_len_s=1.0)
    log = run(learner, 60.0)
    assert [f.text for _, f in log if f.topic == "cpr.rate"] == []
    assert said(log, "resume") == []


def score_of(learner: CprLearner) -> tuple[float, dict[str, float | int | None]]:
    policy = FeedbackPolicy(load_scenario("cpr"))
    policy.start(T0)
    policy.choose("ready", T0)
    engine = DerivedSignals()
    for i in range(round(120 * RATE_HZ / CHUNK)):
        ts = T0 + i * CHUNK / RATE_HZ
        engine.add_chunk("depth_mm", ts, RATE_HZ, learner.chunk(ts, CHUNK, RATE_HZ).tolist())
        now = ts + CHUNK / RATE_HZ
        policy.update(TwinView(now=now))
        policy.add_compressions(engine.take_compressions(), now)
    report = policy.score()
    return report.score, dict(report.metrics)


def test_uneven_depth_scores_well_below_a_steady_learner() -> None:
    steady_score, steady = score_of(CprLearner(21, depth_mm=55.0, drift=False))
    uneven_score, uneven = score_of(CprLearner(21, drift=False, depth_cycle_mm=(40.0, 70.0)))
    assert steady["depth_in_target_pct"] is not None and steady["depth_in_target_pct"] >= 90
    assert steady_score >= 85
    assert uneven["depth_in_target_pct"] is not None and uneven["depth_in_target_pct"] <= 10
    assert uneven_score <= steady_score - 25


@pytest.mark.parametrize("offset_mm", [-6.0, 6.0])
def test_a_kit_whose_zero_is_6_mm_off_gets_no_depth_prompt_for_good_compressions(
    offset_mm: float,
) -> None:
    log = run(CprLearner(14, depth_mm=55.0, drift=False), 30.0, offset_mm=offset_mm, rest_s=3.0)
    assert [f.text for _, f in log if f.topic == "cpr.depth"] == []
    assert said(log, "good compressions")
