"""The per-compression QCPR score and the recent-compression values, on known compressions."""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accessibility.compression_score import CompressionScorer
from accessibility.recent_compressions import RecentCompressions
from accessibility.scoring import CprScoring
from accessibility.signals import Compression

CFG = CprScoring(step="compressions")


def comp(depth: float = 55.0, rate: float | None = 110.0, recoil: float = 0.0) -> Compression:
    interval = None if rate is None else 60.0 / rate
    return Compression(0.0, depth, recoil, interval, rate)


def scored(compressions: list[Compression], cfg: CprScoring = CFG) -> CompressionScorer:
    """Compressions one after another from service time 0, each at its own interval."""
    scorer, t = CompressionScorer(cfg), 0.0
    scorer.observe(t)
    for c in compressions:
        t += c.interval_s or 60.0 / 110.0
        scorer.add(c, t)
    return scorer


def test_steady_good_compressions_score_100_with_every_share_in_target() -> None:
    report = scored([comp(rate=None)] + [comp() for _ in range(219)]).report("cpr")
    assert report.score == 100.0 and report.grade == "Excellent"
    m = report.metrics
    assert m["compressions"] == 220
    assert m["depth_in_target_pct"] == m["rate_in_target_pct"] == 100.0
    assert m["recoil_in_target_pct"] == m["ccf_pct"] == 100.0


def test_uneven_depth_scores_far_below_its_mean() -> None:
    # 40, 70, 40, 70 mm: a mean of 55 mm, and not one compression in 50-60 mm.
    uneven = scored([comp(40.0 if i % 2 else 70.0) for i in range(220)]).report("cpr")
    assert uneven.metrics["depth_in_target_pct"] == 0.0
    assert uneven.metrics["mean_depth_mm"] == 55.0
    # each is 10 mm off: depth quality 0.5; 100 * (0.8 * 0.5 + 0.2 * 1)
    assert uneven.score == pytest.approx(60.0, abs=0.1)
    assert uneven.grade == "Fair"


def test_a_near_miss_costs_less_than_a_far_one() -> None:
    near = scored([comp(48.0)] * 50).report("cpr").score
    far = scored([comp(35.0)] * 50).report("cpr").score
    assert 90.0 < near < 100.0 and far < 75.0
    # 92 % in target with near misses outscores 94 % with far ones (Laerdal's example).
    a = scored([comp()] * 46 + [comp(48.0)] * 4).report("cpr")
    b = scored([comp()] * 47 + [comp(20.0)] * 3).report("cpr")
    assert a.metrics["depth_in_target_pct"] == 92.0 and b.metrics["depth_in_target_pct"] == 94.0
    assert a.score > b.score


def test_rate_and_recoil_shares_and_the_first_compression_without_a_rate() -> None:
    report = scored([comp(rate=None)] + [comp(rate=90.0)] * 2 + [comp(recoil=12.0)] * 2)
    m = report.report("cpr").metrics
    assert m["compressions"] == 5
    assert m["rate_in_target_pct"] == 50.0  # of the 4 with a rate
    assert m["recoil_in_target_pct"] == 60.0


def test_hands_off_time_lowers_the_ccf() -> None:
    scorer = CompressionScorer(CFG)
    scorer.observe(0.0)
    for i in range(30):
        scorer.add(comp(rate=None if i == 0 else 110.0), (i + 1) * 60 / 110)
    scorer.observe(30 * 60 / 110 + 16.36)  # 16.4 s hands off at the end
    m = scorer.report("cpr").metrics
    assert m["ccf_pct"] == pytest.approx(50.0, abs=0.5)
    assert scorer.report("cpr").score == pytest.approx(100 * (0.8 + 0.2 * 50 / 80), abs=0.5)


def test_weights_leave_out_a_component_and_set_the_ccf_share() -> None:
    cfg = CprScoring(
        "compressions",
        weights=MappingProxyType({"rate": 1.0, "depth": 1.0, "recoil": 0.0, "ccf": 0.0}),
    )
    report = scored([comp(recoil=20.0)] * 10, cfg).report("cpr")
    assert report.score == 100.0  # recoil weighs nothing
    assert report.metrics["recoil_in_target_pct"] == 0.0


def test_no_compressions_score_zero_and_the_report_is_json() -> None:
    scorer = CompressionScorer(CFG)
    assert scorer.report("cpr").score == 0.0
    scorer.observe(0.0)
    scorer.observe(30.0)
    report = scorer.report("cpr")
    assert report.score == 0.0 and report.metrics["ccf_pct"] == 0.0
    doc = json.loads(scored([comp()] * 20).report("cpr").to_json())
    assert doc["kind"] == "cpr" and "per compression" in doc["formula"]
    assert doc["series"][-1][1] == doc["score"]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 120), st.one_of(st.none(), st.floats(10, 250)), st.floats(-5, 60)),
        max_size=60,
    )
)
def test_scores_stay_between_0_and_100(rows: list[tuple[float, float | None, float]]) -> None:
    report = scored([comp(d, r, rc) for d, r, rc in rows]).report("cpr")
    assert 0.0 <= report.score <= 100.0
    for key in ("rate_in_target_pct", "depth_in_target_pct", "recoil_in_target_pct", "ccf_pct"):
        value = report.metrics[key]
        assert value is None or 0.0 <= value <= 100.0


def test_recent_values_follow_the_last_few_compressions() -> None:
    recent = RecentCompressions()
    for i, c in enumerate([comp(rate=None), comp(), comp(42.0), comp(42.0)]):
        recent.add(c, float(i))
    assert recent.values["cpr_recent_depth_mm"] == 42.0  # two shallow of the last three
    assert recent.values["cpr_compression_depth_mm"] == 42.0 and recent.ts == 3.0
    assert recent.values["cpr_recent_rate"] == 110.0  # three rates since the first
    assert "cpr_recent_recoil_pct" not in recent.values  # from the 5th compression
    recent.add(comp(recoil=10.0), 4.0)
    recent.add(comp(recoil=10.0), 5.0)
    assert recent.values["cpr_recent_recoil_pct"] == 60.0


def test_one_hesitation_moves_no_rate_and_a_pause_restarts_it() -> None:
    recent = RecentCompressions()
    for i, rate in enumerate([110.0, 110.0, 110.0, 39.0, 110.0, 110.0]):
        recent.add(comp(rate=rate), float(i))
        if i >= 2:
            assert recent.values["cpr_recent_rate"] == 110.0
    recent.add(comp(rate=26.0), 6.0)
    recent.add(comp(rate=26.0), 7.0)
    assert recent.values["cpr_recent_rate"] == 26.0  # slow is slow, not 0
    recent.add(comp(rate=None), 8.0)
    assert "cpr_recent_rate" not in recent.values


def test_the_recent_values_are_named_in_the_vocabulary() -> None:
    from accesstwin_contract.quantities import DERIVED

    recent = RecentCompressions()
    for i in range(5):
        recent.add(comp(rate=None if i == 0 else 110.0), float(i))
    assert len(recent.values) == 4
    assert set(recent.values) <= set(DERIVED)
    assert not any(DERIVED[n].shown for n in recent.values)
