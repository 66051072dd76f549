"""Issue 15: the switch-timing proposal of a finished practice on the instructor dashboard,
and its "Accept" button (POST /api/v1/sessions/{id}/timing/accept), in a real Chromium."""

from __future__ import annotations

import pytest

from tests.browser.driver import Browser, api
from tests.browser.helpers import Kit, check_axe, check_clean
from tests.support.mqtt import Publisher
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAB = "wardP"
PRACTICE = "document.querySelector('tr[data-session] .practice')"


def test_the_instructor_accepts_the_practice_timing_on_the_dashboard(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    kit = Kit(publisher, web, LAB, "k1")
    kit.status("online")
    kit.send({"hr": 80})
    with api(web) as client:
        client.put("/api/v1/learners/prac1/profile", json={"debounce_ms": 150, "hold_ms": 40})
        created = client.post(
            "/api/v1/sessions",
            json={"learner_id": "prac1", "lab": LAB, "kit": "k1", "scenario": "switch-practice"},
        ).json()
        sid = created["session_id"]
        for _ in range(20):  # the instructor skips every trial: nothing was pressed
            assert client.post(f"/api/v1/sessions/{sid}/advance").status_code == 200
        timing = client.get(f"/api/v1/sessions/{sid}").json()["timing"]
    # No press measured: the proposal keeps both values, and says why.
    assert timing["proposed"] == {"debounce_ms": 150, "hold_ms": 40}
    page = "practice-timing"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB}?token={TOKEN}")
    shown = browser.wait(page, f"{PRACTICE} && !{PRACTICE}.hidden && {PRACTICE}.textContent")
    assert "debounce 150 ms, hold 40 ms" in shown and "No bounce seen" in shown
    button = "tr[data-session] button[data-action=accept-timing]"
    name = browser.js(page, f"document.querySelector('{button}').textContent")
    assert name == "Accept the proposed timing for prac1"  # its accessible name
    check_axe(browser, page, "dashboard with a timing proposal")
    browser.call("click", name=page, selector=button)
    said = browser.wait(
        page, f"{PRACTICE}.querySelector('[role=status]').textContent.includes('Accepted')"
        f" && {PRACTICE}.querySelector('[role=status]').textContent",
    )  # fmt: skip
    assert "profile" in said
    with api(web) as client:
        events = client.get(f"/api/v1/sessions/{sid}/events").json()["events"]
        assert [e["action"] for e in events if e["kind"] == "instructor"][-1] == "timing.accept"
        summary = client.get(f"/api/v1/sessions/{sid}").json()
    assert summary["timing"]["accepted"] is True
    browser.wait(page, f"document.querySelector('{button}').hidden")
    check_clean(browser, page)


def test_the_proposals_reasons_are_in_the_dashboards_language(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    """A Chinese dashboard says why by the proposal's phrases (timing.explained_phrases,
    explain.timing.* in zh), not the English `explained`; axe-core 0 violations."""
    from twin_service.messages import catalogue_file, say_phrases

    lab = "wardPzh"
    kit = Kit(publisher, web, lab, "k1")
    kit.status("online")
    kit.send({"hr": 80})
    with api(web) as client:
        sid = client.post(
            "/api/v1/sessions",
            json={"learner_id": "prac-zh", "lab": lab, "kit": "k1", "scenario": "switch-practice"},
        ).json()["session_id"]
        for _ in range(20):
            assert client.post(f"/api/v1/sessions/{sid}/advance").status_code == 200
        timing = client.get(f"/api/v1/sessions/{sid}").json()["timing"]
    expected = say_phrases("zh", timing["explained_phrases"])
    assert expected is not None and "防抖" in expected
    page = "practice-timing-zh"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{lab}?token={TOKEN}", locale="zh")
    why = f"{PRACTICE}.querySelector('.practice-why')"
    shown = browser.wait(page, f"{PRACTICE} && !{PRACTICE}.hidden && {why}.textContent")
    assert shown == expected, (shown, timing["explained"])
    assert catalogue_file("zh")["dashboard.practice.accept"] in browser.js(
        page, f"{PRACTICE}.textContent"
    )
    check_axe(browser, page, "dashboard with a timing proposal (zh)")
    check_clean(browser, page)
