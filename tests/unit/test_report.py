"""The session report: its printable HTML charts have text alternatives that print."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from accessibility.model import LearnerProfile, TwinView
from accessibility.scenario import load_scenario
from accessibility.signals import Compression
from gateway.identifiers import KitRef
from tests.support.report_html import check_report_charts, parse
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.report import MAX_TABLE_ROWS, report_html, report_json, table_indices

CSS = Path(__file__).resolve().parents[2] / "twin_service" / "static" / "report.css"


def cpr_session(seconds: int) -> Session:
    """A CPR session whose learner compresses well, then too shallow, for ``seconds``."""
    manager = SessionManager(
        {"cpr": load_scenario("cpr")}, Hub(ServiceMetrics()), lambda _: LearnerProfile()
    )
    session, _ = manager.create("learner-r", KitRef("lab", "kit-r"), "cpr")
    t0 = time.time()
    session.policy.choose("ready", t0)
    for k in range(seconds * 5):  # a twin update every 0.2 s, a compression every 0.6 s
        now = t0 + 0.2 * (k + 1)
        depth = 55.0 if k < seconds * 5 // 2 else 35.0
        values = {"cpr_rate": 110.0, "cpr_depth_mm": depth, "cpr_recoil_pct": 100.0}
        values["cpr_ccf"] = 90.0
        session.policy.update(TwinView(now=now, values=values, value_ts=dict.fromkeys(values, now)))
        if k % 3 == 2:
            session.policy.add_compressions([Compression(now, depth, 0.0, 0.6, 110.0)], now)
    return session


@pytest.mark.parametrize("seconds", [10, 60])
def test_chart_is_labelled_captioned_and_its_table_matches_the_json(seconds: int) -> None:
    session = cpr_session(seconds)
    report = report_json(session)
    series = report["score"]["series"]
    assert len(series) >= seconds - 1
    # 10 s: every point listed; 60 s: 21 evenly spaced ones including the last.
    assert (len(series) > MAX_TABLE_ROWS) == (seconds == 60)
    page = report_html(session)
    [figure] = check_report_charts(page, report)
    assert figure.attrs["id"] == "chart-1"
    scores = {s for _, s in series}
    assert max(scores) > min(scores)  # the chart shows the drop after the shallow phase


def test_no_chart_without_a_series_and_ids_stay_unique() -> None:
    manager = SessionManager(
        {"vitals": load_scenario("vitals")}, Hub(ServiceMetrics()), lambda _: LearnerProfile()
    )
    session, _ = manager.create("learner-v", KitRef("lab", "kit-v"), "vitals")
    page = report_html(session)
    check_report_charts(page, report_json(session))
    assert "Score over time: not enough data for a chart yet." in page
    assert parse(page).find_all("svg") == []


def test_table_indices_keep_first_and_last_evenly() -> None:
    assert table_indices(5) == [0, 1, 2, 3, 4]
    picked = table_indices(1000)
    assert len(picked) == MAX_TABLE_ROWS and picked[0] == 0 and picked[-1] == 999
    gaps = {b - a for a, b in itertools.pairwise(picked)}
    assert max(gaps) - min(gaps) <= 1


def test_print_css_hides_nothing_of_the_charts() -> None:
    css = CSS.read_text()
    assert "display:none" not in css.replace(" ", "")
    assert "@media print" in css and "forced-colors" in css
