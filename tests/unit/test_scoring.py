"""Decision scores against cases whose answer is known (CPR: test_compression_score.py)."""

from __future__ import annotations

import json

import pytest

from accessibility.scoring import DecisionScorer, DecisionScoring, grade


def test_decision_scores() -> None:
    scorer = DecisionScorer(DecisionScoring("alarm", "observe"), ["observe", "recognise", "act"])
    scorer.record("observe", "normal", False, 20.0)
    scorer.alarm(10.0)
    scorer.alarm(30.0)  # only the first firing counts
    scorer.record("observe", "concerned", True, 25.0)
    scorer.record("observe", "again", True, 26.0)  # already answered: ignored
    scorer.record("recognise", "spo2", True, 30.0)
    scorer.record("elsewhere", "x", True, 31.0)  # not a decision step: ignored
    report = scorer.report("vitals")
    assert report.score == pytest.approx(100 * (0.5 + 1.0 + 0.0) / 3, abs=0.05)
    assert report.metrics == {
        "decision_steps": 3,
        "first_try_correct": 1,
        "answered_correctly": 2,
        "attempts": 3,
        "time_to_recognise_s": 15.0,
    }
    assert [(d.step, d.attempts, d.first_try) for d in report.decisions] == [
        ("observe", 2, False),
        ("recognise", 1, True),
        ("act", 0, False),
    ]
    assert [p[0] for p in report.series] == [20.0, 25.0, 30.0]
    assert json.loads(report.to_json())["decisions"][0]["chosen"] == ["normal", "concerned"]


def test_recognised_before_the_alarm_counts_as_zero_delay() -> None:
    scorer = DecisionScorer(DecisionScoring("alarm", "observe"), ["observe"])
    scorer.record("observe", "concerned", True, 5.0)
    assert scorer.report("v").metrics["time_to_recognise_s"] is None  # no alarm yet
    scorer.alarm(9.0)
    assert scorer.report("v").metrics["time_to_recognise_s"] == 0.0
    assert scorer.report("v").score == 100.0


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (100, "Excellent"),
        (90, "Excellent"),
        (89.9, "Good"),
        (75, "Good"),
        (50, "Fair"),
        (0, "Needs practice"),
    ],
)
def test_grades(score: float, label: str) -> None:
    assert grade(score) == label
