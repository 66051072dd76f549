"""Issue 14, must-show 5: the debrief and progress pages in a real Chromium (axe-core:
0 violations, normal and forced colours), bookmarking from the dashboard with one key
(keyboard only), jump to a moment, screenshots in artifacts/screenshots/."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.driver import Browser, api
from tests.browser.helpers import DETERIORATING, Kit, check_axe, check_clean, focused, shoot
from tests.support.mqtt import Publisher
from tests.support.records import answer, start_session
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAB = "ward"  # tests/support/records.py starts sessions in lab "ward"
KIT = "k1"
LEARNER = "rec-learner"


def test_bookmark_from_the_dashboard_then_debrief_and_progress(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    kit = Kit(publisher, web, LAB, KIT)
    kit.status("online")
    # An earlier session of the same learner, stopped after one answer: progress has two.
    earlier = start_session(web, LEARNER, kit=KIT)
    answer(web, earlier, ["normal", "concerned"])
    with api(web) as client:
        assert client.post(f"/api/v1/sessions/{earlier.session_id}/stop").status_code == 200
    session = start_session(web, LEARNER, kit=KIT)
    for i in range(12):  # vitals over the session, for its charts
        kit.send({**DETERIORATING, "hr": 110 + i, "spo2": 94 - i * 0.3})
        time.sleep(0.1)
    answer(web, session, ["concerned"])

    # The dashboard, keyboard only: Tab into the session's row, press B.
    page = "rec-dash"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB}?token={TOKEN}")
    row = f'#sessions-body tr[data-session="{session.session_id}"]'
    browser.wait(page, f"document.querySelector('{row}')", timeout=15)
    for _ in range(80):
        browser.call("key", name=page, key="Tab", delay=0)
        if browser.js(page, f"!!document.activeElement.closest('{row}')"):
            break
    else:
        raise AssertionError(
            f"Tab never reached the session's row; focus on {focused(browser, page)}"
        )
    browser.call("key", name=page, key="b")
    status = "document.getElementById('bookmark-status').textContent"
    said = browser.wait(page, f"(t => t.startsWith('Bookmark saved') && t)({status})")
    assert LEARNER in said
    shoot(browser, page, screenshots / "dashboard-bookmark.png")
    check_clean(browser, page)
    browser.call("close", name=page)
    with api(web) as client:
        events = client.get(f"/api/v1/sessions/{session.session_id}/events").json()["events"]
    bookmarks = [e for e in events if e["kind"] == "bookmark"]
    assert len(bookmarks) == 1 and bookmarks[0]["note"].startswith("Bookmark from the dashboard")

    # The debrief: charts with tables, the bookmark in the timeline, jump to a moment.
    page = "rec-debrief"
    browser.call(
        "open", name=page, url=f"{web.base_url}/sessions/{session.session_id}/debrief?token={TOKEN}"
    )
    browser.wait(page, "document.getElementById('record-status').textContent === 'Record loaded.'")
    assert "token=" not in browser.js(page, "location.href")
    figures = browser.js(
        page,
        """[...document.querySelectorAll('figure.chart')].map((f) => ({
          label: document.getElementById(
            f.querySelector('svg').getAttribute('aria-labelledby')).textContent,
          rows: f.querySelectorAll('table tbody tr').length }))""",
    )
    labels = [f["label"] for f in figures]
    assert "Heart rate" in labels and "Score over time" in labels, labels
    assert all(f["rows"] > 0 for f in figures), figures
    bookmark_row = f"ev-{bookmarks[0]['seq']}"
    assert "Bookmark" in browser.js(page, f"document.getElementById('{bookmark_row}').textContent")
    check_axe(browser, page, "debrief")
    # Keyboard: Tab to the bookmark's jump link, Enter moves the focus to its timeline row.
    link = f"#jump-title ~ ol a[href='#{bookmark_row}']"
    assert browser.js(page, f'!!document.querySelector("{link}")')
    for _ in range(60):
        browser.call("key", name=page, key="Tab", delay=0)
        if browser.js(page, f'document.activeElement === document.querySelector("{link}")'):
            break
    else:
        raise AssertionError("Tab never reached the bookmark's jump link")
    browser.call("key", name=page, key="Enter")
    browser.wait(page, f"document.activeElement.id === '{bookmark_row}'")
    browser.call(
        "screenshot", name=page, path=str(screenshots / "debrief-jump.png"), full_page=False
    )
    browser.js(page, "window.scrollTo(0, 0)")
    browser.call(
        "screenshot", name=page, path=str(screenshots / "debrief-top.png"), full_page=False
    )
    shoot(browser, page, screenshots / "debrief.png")
    browser.call("emulate", name=page, forced_colors="active")
    check_axe(browser, page, "debrief, forced colours")
    shoot(browser, page, screenshots / "debrief-forced-colors.png")
    check_clean(browser, page)
    browser.call("close", name=page)

    # The progress page: both sessions, charts with tables, sentences.
    page = "rec-progress"
    browser.call("open", name=page, url=f"{web.base_url}/learners/{LEARNER}?token={TOKEN}")
    browser.wait(page, "document.getElementById('record-status').textContent === 'Record loaded.'")
    rows = browser.js(page, "document.querySelectorAll('table.sessions tbody tr').length")
    assert rows == 2
    summary = browser.js(
        page, "[...document.querySelectorAll('.summary li')].map((li) => li.textContent)"
    )
    assert any(s.startswith("Score in vitals") for s in summary), summary
    assert browser.js(page, "document.querySelectorAll('figure.chart').length") >= 1
    check_axe(browser, page, "progress")
    shoot(browser, page, screenshots / "progress.png")
    browser.call(
        "screenshot", name=page, path=str(screenshots / "progress-top.png"), full_page=False
    )
    check_clean(browser, page)
    browser.call("close", name=page)

    # A learner's own link opens their progress, not another learner's.
    page = "rec-other"
    browser.call(
        "open", name=page, url=f"{web.base_url}/learners/someone-else?token={session.token}"
    )
    browser.wait(page, "!document.getElementById('token-form').hidden")
    check_axe(browser, page, "progress, refused")
    assert "may not open" in browser.js(
        page, "document.getElementById('record-status').textContent"
    )
    browser.call("close", name=page)
