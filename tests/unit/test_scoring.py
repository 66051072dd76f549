"""QCPR-style CPR scores and decision scores against cases whose answer is known."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.model import TwinView
from accessibility.scoring import (
    CprScorer,
    CprScoring,
    DecisionScorer,
    DecisionScoring,
    grade,
    score_cpr,
)

CFG = CprScoring(step="compressions")
GOOD = {"cpr_rate": 110.0, "cpr_depth_mm": 55.0, "cpr_recoil_pct": 100.0}


def views(duration_s: float, dt: float = 0.5, **overrides: object) -> list[TwinView]:
    """Views every dt from 0 to duration_s inclusive; overrides map name -> value or f(t)."""
    out = []
    for i in range(round(duration_s / dt) + 1):
        t = i * dt
        values = dict(GOOD)
        for name, v in overrides.items():
            value = v(t) if callable(v) else v
            if value is None:
                values.pop(name, None)
            else:
                assert isinstance(value, float)
                values[name] = value
        out.append(TwinView(now=t, values=values, value_ts=dict.fromkeys(values, t)))
    return out


def test_perfect_cpr_scores_at_least_90_with_everything_in_target() -> None:
    report = score_cpr(views(120.0), CFG)
    assert report.score >= 90 and report.score == 100.0 and report.grade == "Excellent"
    m = report.metrics
    assert m["rate_in_target_pct"] == m["depth_in_target_pct"] == m["recoil_pct"] == 100.0
    assert m["ccf_pct"] == 100.0 and m["compressing_s"] == m["observed_s"] == 120.0


def test_too_shallow_half_the_time_gives_depth_about_50_pct() -> None:
    shallow = lambda t: 40.0 if int(t // 10) % 2 else 55.0  # noqa: E731 - 10 s blocks
    report = score_cpr(views(120.0, cpr_depth_mm=shallow), CFG)
    assert report.metrics["depth_in_target_pct"] == pytest.approx(50.0, abs=1.0)
    assert report.metrics["rate_in_target_pct"] == 100.0
    # known formula: 100 * (0.3 * 1 + 0.3 * 0.5 + 0.2 * 1 + 0.2 * 1)
    assert report.score == pytest.approx(85.0, abs=0.5)
    assert report.grade == "Good"


def test_ccf_term_counts_pauses_against_the_80_pct_target() -> None:
    # 30 s compressing, then 10 s with the rate at 0 (stopped): CCF = 75 %
    report = score_cpr(views(40.0, cpr_rate=lambda t: 110.0 if t < 30 else 0.0), CFG)
    assert report.metrics["ccf_pct"] == 75.0
    assert report.score == pytest.approx(100 * (0.3 + 0.3 + 0.2 + 0.2 * 75 / 80), abs=0.06)


def test_known_mixture_with_custom_weights() -> None:
    cfg = CprScoring(
        "compressions", weights=MappingProxyType({"rate": 1, "depth": 1, "recoil": 0, "ccf": 0})
    )
    # rate too slow for the first 30 of 120 s, recoil poor throughout (ignored by weight 0)
    report = score_cpr(
        views(120.0, cpr_rate=lambda t: 90.0 if t < 30 else 110.0, cpr_recoil_pct=50.0), cfg
    )
    assert report.metrics["rate_in_target_pct"] == 75.0
    assert report.metrics["recoil_pct"] == 50.0
    assert report.score == pytest.approx((75 + 100) / 2)


def test_components_without_data_are_left_out() -> None:
    report = score_cpr(views(60.0, cpr_recoil_pct=None), CFG)
    assert report.metrics["recoil_pct"] is None and report.score == 100.0


def test_never_compressing_scores_zero() -> None:
    report = score_cpr(views(60.0, cpr_rate=0.0), CFG)
    assert report.score == 0.0 and report.grade == "Needs practice"
    assert report.metrics["ccf_pct"] == 0.0 and report.metrics["rate_in_target_pct"] is None
    assert score_cpr([], CFG).score == 0.0


def test_silence_and_stale_values_are_hands_off_time() -> None:
    scorer = CprScorer(CFG, max_gap_s=2.0)
    scorer.add(TwinView(now=0.0, values=GOOD, value_ts=dict.fromkeys(GOOD, 0.0)))
    scorer.add(TwinView(now=10.0, values=GOOD, value_ts=dict.fromkeys(GOOD, 0.0)))  # stale
    scorer.add(TwinView(now=12.0, values=GOOD, value_ts=dict.fromkeys(GOOD, 12.0)))
    m = scorer.report("cpr").metrics
    assert m["observed_s"] == 12.0 and m["compressing_s"] == 2.0
    scorer.add(TwinView(now=5.0, values=GOOD))  # out of order: ignored
    assert scorer.report("cpr").metrics["observed_s"] == 12.0


def test_report_series_and_json() -> None:
    shallow = lambda t: 40.0 if t >= 60 else 55.0  # noqa: E731
    report = score_cpr(views(120.0, cpr_depth_mm=shallow), CFG)
    ts = [t for t, _ in report.series]
    assert ts == sorted(ts) and ts[0] == 0.0 and ts[-1] == 120.0
    assert len(ts) == 121  # one point a second
    assert report.series[-1][1] == report.score
    assert report.series[60][1] == 100.0 and report.series[-1][1] < 100.0
    doc = json.loads(report.to_json())
    assert doc["kind"] == "cpr" and doc["metrics"]["depth_in_target_pct"] == 50.0
    assert doc["series"][0] == [0.0, 0.0] and "formula" in doc


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(0.01, 3.0),
            st.floats(0, 200),
            st.floats(0, 100),
            st.floats(0, 100),
        ),
        max_size=60,
    )
)
def test_scores_stay_between_0_and_100(samples: list[tuple[float, float, float, float]]) -> None:
    t, scorer = 0.0, CprScorer(CFG)
    for dt, rate, depth, recoil in samples:
        t += dt
        values = {"cpr_rate": rate, "cpr_depth_mm": depth, "cpr_recoil_pct": recoil}
        scorer.add(TwinView(now=t, values=values, value_ts=dict.fromkeys(values, t)))
    report = scorer.report("cpr")
    assert 0.0 <= report.score <= 100.0
    for key in ("rate_in_target_pct", "depth_in_target_pct", "recoil_pct", "ccf_pct"):
        value = report.metrics[key]
        assert value is None or 0.0 <= value <= 100.0


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
