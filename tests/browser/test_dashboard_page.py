"""The instructor dashboard /labs/{lab} in a real Chromium: accessibility (axe-core, normal
and forced colours), live telemetry within 1 s of the publish, offline kits, the sessions
table and start form (keyboard only), desired state pushed from a kit card, screenshots."""

from __future__ import annotations

import itertools
import json
import statistics
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from accesstwin_contract.quantities import SENSORS
from tests.browser.driver import Browser, api
from tests.browser.helpers import (
    DETERIORATING,
    MOTION,
    Kit,
    check_axe,
    check_clean,
    focused,
    new_session,
    record,
    session_summary,
    shoot,
    small_targets,
    type_keys,
    wait_for_step,
)
from tests.support.mqtt import Collector, Publisher
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAB = "wardD"


def reading(kit: str, label: str) -> str:
    """JS: the text of one reading's value on a kit's card (null when not shown)."""
    return f"""([...document.querySelectorAll('[data-kit={json.dumps(kit)}] .reading')]
      .find((r) => r.querySelector('dt').textContent === {json.dumps(label)})
      ?.querySelector('.value').textContent ?? null)"""


def stale_marks(kit: str) -> str:
    """JS: the visible stale marks of a kit's readings: text, value underline, mark border."""
    return f"""[...document.querySelectorAll('[data-kit={json.dumps(kit)}] .reading')]
      .filter((r) => r.querySelector('.stale-mark').getClientRects().length)
      .map((r) => ({{ text: r.querySelector('.stale-mark').textContent,
        underline: getComputedStyle(r.querySelector('.value')).textDecorationStyle,
        border: getComputedStyle(r.querySelector('.stale-mark')).borderTopStyle }}))"""


KIT_EVENTS_REGION = """(() => { const e = document.getElementById('kit-events');
  return [e.getAttribute('role'), e.getAttribute('aria-live'), e.textContent]; })()"""

# JS: note when the first alert and the first session row appear.
WATCH_ALERT_AND_ROW = """(() => {
  window.__alertAt = window.__rowAt = null;
  const has = (sel) => document.querySelector(sel) !== null;
  new MutationObserver(() => {
    if (!window.__alertAt && has('#alert-list li')) window.__alertAt = performance.now();
    if (!window.__rowAt && has('tr[data-session]')) window.__rowAt = performance.now();
  }).observe(document.body, { subtree: true, childList: true });
  return true;
})()"""


def watch_for(kit: str, label: str, text: str) -> str:
    """JS: note the wall-clock time at which a reading first shows ``text``."""
    return f"""(() => {{
      window.__seenAt = null;
      const look = () => {{
        if (window.__seenAt === null && {reading(kit, label)} === {json.dumps(text)})
          window.__seenAt = Date.now();
      }};
      const obs = new MutationObserver(look);
      obs.observe(document.body, {{ subtree: true, childList: true, characterData: true }});
      look();
      return window.__seenAt === null;
    }})()"""


def test_dashboard_live_numbers_offline_kits_and_accessibility(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    k1, k2 = Kit(publisher, web, LAB, "k1"), Kit(publisher, web, LAB, "k2")
    for kit in (k1, k2):
        kit.status("online")
        kit.send({"hr": 72, "spo2": 97.5, "temp_c": 36.8, "resp_rate": 14, "sbp": 120, "dbp": 80})
    page = "dash"
    opened = browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB}?token={TOKEN}")
    assert "token=" not in opened["url"]
    # The polite live region for kit online/offline changes is there (empty) before any change.
    assert browser.js(page, KIT_EVENTS_REGION) == ["status", "polite", ""]
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    browser.wait(
        page, f"{reading('k1', 'Heart rate')} === '72' && {reading('k2', 'SpO2')} === '97.5'"
    )

    # A telemetry message changes the numbers on the page within 1 s of its publish.
    latencies = []
    for i, hr in enumerate((81, 93, 104, 77, 88, 99, 66, 110)):
        assert browser.js(page, watch_for("k1", "Heart rate", str(hr))), "already shown"
        t0 = k1.send({"hr": hr, "spo2": 97 - i * 0.5})
        seen = browser.wait(page, "window.__seenAt", timeout=5)
        latencies.append(seen - t0)
    record("dashboard-latency", {"ms": latencies, "median_ms": statistics.median(latencies)})
    assert max(latencies) < 1000, latencies

    # A kit taken offline (its retained status topic) is shown as offline, in words too.
    assert browser.js(page, stale_marks("k2")) == [], "values of an online kit marked stale"
    k2.status("offline")
    browser.wait(
        page,
        "document.querySelector('[data-kit=\"k2\"]').classList.contains('is-offline') && "
        "document.querySelector('[data-kit=\"k2\"] .kit-status').textContent.includes('Offline')",
        timeout=5,
    )
    assert "Online" in browser.js(
        page, "document.querySelector('[data-kit=\"k1\"] .kit-status').textContent"
    )
    # ... and every value it showed is marked as not current: a word, a boxed mark and a
    # dashed underline (not colour alone), plus a note on the card; k1's values are live.
    marks = browser.wait(
        page, f"(() => {{ const m = {stale_marks('k2')}; return m.length && m; }})()"
    )
    assert len(marks) == 5 and all(m["text"].startswith("◷ stale (received ") for m in marks)
    assert all(m["underline"] == "dashed" and m["border"] != "none" for m in marks), marks
    assert "Kit offline" in browser.js(
        page, "document.querySelector('[data-kit=\"k2\"] .offline-note:not([hidden])').textContent"
    )
    assert browser.js(page, stale_marks("k1")) == []
    # The change is said in the polite live region.
    browser.wait(
        page, "document.getElementById('kit-events').textContent.includes('Kit k2 went offline')"
    )

    # Feedback of a learner's session reaches the alert list (and a critical one the alert region);
    # the sessions table lists the session named by the first feedback frame at once.
    browser.js(page, WATCH_ALERT_AND_ROW)
    new_session(web, "dash-learner", LAB, "k1")
    k1.send(DETERIORATING)
    browser.wait(page, "document.getElementById('critical').textContent.includes('Critical')")
    browser.wait(page, "document.querySelectorAll('#alert-list li').length >= 2")
    alert_at, row_at = browser.wait(page, "window.__rowAt && [window.__alertAt, window.__rowAt]")
    assert row_at - alert_at < 400, (alert_at, row_at)
    assert browser.js(page, "document.getElementById('no-sessions').hidden") is True
    browser.js(page, "document.querySelector('[data-kit=\"k1\"] details').open = true")

    results = {"normal": check_axe(browser, page, "dashboard, normal")}
    shoot(browser, page, screenshots / "dashboard-normal.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    results["forced-colors"] = check_axe(browser, page, "dashboard, forced colours")
    shoot(browser, page, screenshots / "dashboard-forced-colors.png")
    record("axe-dashboard", results)
    check_clean(browser, page)
    browser.call("close", name=page)


LAB2 = "wardE"
CONTROLS = (
    "#sessions button, #sessions a, #sessions input, #sessions select, .kit summary, .kit button"
)


# JS: milliseconds since the newest GET /api/v1/sessions of the page started.
SINCE_LAST_POLL = """(() => {
  const polls = performance.getEntriesByType('resource')
    .filter((r) => r.name.endsWith('/api/v1/sessions'));
  return polls.length ? performance.now() - polls[polls.length - 1].startTime : Infinity;
})()"""


def key(browser: Browser, page: str, name: str) -> None:
    browser.call("key", name=page, key=name)


def row(session_id: str) -> str:
    return f"document.querySelector('tr[data-session={json.dumps(session_id)}]')"


def desired_version(
    mqtt_url: str, svc: ServiceProcess, lab: str, kit: str, want: dict[str, Any]
) -> int:
    """The version of the kit's retained desired message once it holds ``want``."""
    collector = Collector(mqtt_url, f"{svc.prefix}/{lab}/{kit}/desired")
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            got = [json.loads(p) for _, p in collector.messages]
            if got and got[-1]["desired"] == want:
                return int(got[-1]["version"])
            time.sleep(0.05)
        raise AssertionError(f"no retained desired {want} for {lab}/{kit}")
    finally:
        collector.close()


def delta_state(card: str) -> str:
    return f"{card}.querySelector('.delta-line').dataset.state"


def test_dashboard_sessions_and_desired_state(
    browser: Browser,
    web: ServiceProcess,
    publisher: Publisher,
    mqtt_url: str,
    screenshots: Path,
) -> None:
    k1, k2 = Kit(publisher, web, LAB2, "k1"), Kit(publisher, web, LAB2, "k2")
    for kit in (k1, k2):
        kit.status("online")
        kit.send({"hr": 80, "spo2": 97, "temp_c": 37.0, "resp_rate": 15, "sbp": 118, "dbp": 76})
    page = "sessions"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB2}?token={TOKEN}")
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    browser.wait(
        page,
        "[...document.querySelectorAll('#start-kit option')].map((o) => o.value).join() === 'k1,k2'"
        " && document.querySelector('#start-scenario option[value=vitals]')",
    )
    assert browser.js(page, "document.getElementById('no-sessions').hidden") is False

    # Keyboard only: skip link → the Sessions section → the learner id field.
    key(browser, page, "Tab")
    key(browser, page, "Tab")
    assert "Skip to sessions" in focused(browser, page)
    key(browser, page, "Enter")
    key(browser, page, "Tab")
    assert focused(browser, page).startswith("input#learner-id"), focused(browser, page)

    # A learner id outside [A-Za-z0-9_-]{1,64} is refused here, with a message tied to the field.
    type_keys(browser, page, "bad id!")
    key(browser, page, "Enter")
    browser.wait(page, "document.getElementById('learner-error').textContent.includes('letters')")
    assert (
        browser.js(page, "document.getElementById('learner-id').getAttribute('aria-invalid')")
        == "true"
    )
    assert focused(browser, page).startswith("input#learner-id")
    key(browser, page, "Control+A")
    type_keys(browser, page, "kb-learner_1")
    assert browser.js(page, "document.getElementById('learner-error').textContent") == ""

    # Kit k2 and the vitals scenario, chosen with the arrow keys; then "Start session".
    key(browser, page, "Tab")
    assert focused(browser, page).startswith("select#start-kit")
    key(browser, page, "ArrowDown")
    assert browser.js(page, "document.getElementById('start-kit').value") == "k2"
    key(browser, page, "Tab")
    assert focused(browser, page).startswith("select#start-scenario")
    for _ in range(5):
        if browser.js(page, "document.getElementById('start-scenario').value") == "vitals":
            break
        key(browser, page, "ArrowDown")
    assert browser.js(page, "document.getElementById('start-scenario').value") == "vitals"
    assert "deteriorat" in browser.js(
        page, "document.getElementById('scenario-summary').textContent"
    )
    key(browser, page, "Tab")
    assert "Start session" in focused(browser, page)
    key(browser, page, "Enter")
    browser.wait(
        page, "document.getElementById('start-result').textContent.includes('Session started')"
    )
    link = browser.js(page, "document.getElementById('learner-link').value")
    assert "/learn/" in link and "token=" in link, link
    key(browser, page, "Tab")
    assert focused(browser, page).startswith("input#learner-link")
    key(browser, page, "Tab")
    assert "Copy" in focused(browser, page)
    key(browser, page, "Enter")
    browser.wait(page, "document.getElementById('copy-status').textContent.trim()")

    # The new session is in the table (this lab's only one); its id is the link's.
    session_id = link.split("/learn/")[1].split("?")[0]
    browser.wait(page, row(session_id))
    cells = browser.js(page, f"[...{row(session_id)}.cells].map((c) => c.textContent.trim())")
    assert cells[:5] == [
        "kb-learner_1",
        "k2",
        "Deteriorating patient",
        "observe",
        "▶\ufe0e Running",
    ], cells

    # Tab on to the row's "Next step": the session advances.
    key(browser, page, "Tab")
    if not focused(browser, page).startswith("button"):  # the table box, when it scrolls sideways
        key(browser, page, "Tab")
    assert "[next] Next step" in focused(browser, page), focused(browser, page)
    key(browser, page, "Enter")
    wait_for_step(web, session_id, "recognise")
    browser.wait(
        page, "document.getElementById('sessions-status').textContent.includes('recognise')"
    )
    browser.wait(page, f"{row(session_id)}.cells[3].textContent === 'recognise'")

    # "Stop" asks first; Escape takes it back, "Yes, stop" stops; focus is never lost.
    key(browser, page, "Tab")
    assert "[stop] Stop" in focused(browser, page)
    key(browser, page, "Enter")
    assert "[confirm-stop] Yes, stop" in focused(browser, page)
    key(browser, page, "Escape")
    assert "[stop] Stop" in focused(browser, page)
    assert session_summary(web, session_id)["finished"] is False
    key(browser, page, "Enter")
    key(browser, page, "Tab")
    assert "[cancel-stop] Cancel" in focused(browser, page)
    key(browser, page, "Shift+Tab")
    key(browser, page, "Enter")
    browser.wait(
        page, f"{row(session_id)}.querySelector('.run-state').textContent.includes('Finished')"
    )
    assert session_summary(web, session_id)["finished"] is True
    assert "[report] Report" in focused(browser, page), focused(browser, page)
    assert "Stopped the session of kb-learner_1" in browser.js(
        page, "document.getElementById('sessions-status').textContent"
    )
    # The link holds no token (issue 17); a click opens a short-lived report-only link.
    report = browser.js(page, f"{row(session_id)}.querySelector('a[data-action=report]').href")
    assert report == f"{web.base_url}/api/v1/sessions/{session_id}/report?format=html"
    with api(web) as client:
        link = client.post(f"/api/v1/sessions/{session_id}/report-link").json()["url"]
    assert "token=" not in link
    got = httpx.get(web.base_url + link, timeout=10)
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/html")

    # The kit card shows the desired state the session set, not yet reported by the kit.
    with api(web) as client:
        wanted = client.get(f"/api/v1/twins/{LAB2}/k2").json()["desired"]
    assert wanted == {"scenario": "vitals", "patient": "deteriorating"}
    k2_card = "document.querySelector('[data-kit=\"k2\"]')"
    browser.wait(page, f"{k2_card}.querySelector('.delta-line').dataset.state === 'pending'")
    assert "patient = deteriorating" in browser.js(
        page, f"{k2_card}.querySelector('.delta-list').textContent"
    )
    browser.js(page, f"{k2_card}.querySelector('.desired-edit').open = true")
    assert json.loads(browser.js(page, f"{k2_card}.querySelector('textarea').value")) == wanted
    # The kit reports the names as the desired version that set them (the server's rule):
    # one of two reached, then both; the server's delta agrees.
    version = desired_version(mqtt_url, web, LAB2, "k2", wanted)
    k2.send({"scenario": version})
    browser.wait(
        page,
        f"{k2_card}.querySelector('.delta-list').textContent.trim() === 'patient = deteriorating'",
    )
    assert browser.js(page, delta_state(k2_card)) == "pending"
    k2.send({"patient": version})
    browser.wait(page, f"{delta_state(k2_card)} === 'ok'")
    assert "reports every desired value" in browser.js(
        page, f"{k2_card}.querySelector('.delta-line').textContent"
    )
    with api(web) as client:
        assert client.get(f"/api/v1/twins/{LAB2}/k2").json()["delta"] == {}

    # Push desired state to k1 from its card: bad JSON is refused here, good JSON reaches the twin.
    k1_card = "document.querySelector('[data-kit=\"k1\"]')"
    browser.js(page, f"{k1_card}.querySelector('.desired-edit summary').focus()")
    key(browser, page, "Enter")
    assert json.loads(browser.js(page, f"{k1_card}.querySelector('textarea').value")) == {}
    key(browser, page, "Tab")
    assert focused(browser, page).startswith("textarea")
    key(browser, page, "Control+A")
    type_keys(browser, page, '{"metronome_bpm": 100,}')
    key(browser, page, "Tab")
    key(browser, page, "Enter")
    browser.wait(
        page, f"{k1_card}.querySelector('.field-error').textContent.includes('not valid JSON')"
    )
    assert focused(browser, page).startswith("textarea")
    assert (
        browser.js(page, f"{k1_card}.querySelector('textarea').getAttribute('aria-invalid')")
        == "true"
    )
    key(browser, page, "Control+A")
    type_keys(browser, page, '{"scenario": "cpr", "metronome_bpm": 100}')
    key(browser, page, "Tab")
    key(browser, page, "Enter")
    browser.wait(page, f"{k1_card}.querySelector('.push-result').textContent.includes('Pushed')")
    result = browser.js(page, f"{k1_card}.querySelector('.push-result').textContent")
    assert "twin version" in result and "metronome_bpm" in result, result
    with api(web) as client:
        twin = client.get(f"/api/v1/twins/{LAB2}/k1").json()
    assert twin["desired"] == {"scenario": "cpr", "metronome_bpm": 100}
    assert twin["delta"] == twin["desired"]
    browser.wait(
        page, f"{k1_card}.querySelector('.delta-list').textContent.includes('metronome_bpm = 100')"
    )
    # Once the kit reports a desired value it leaves the delta, and the push line follows.
    k1.send({"metronome_bpm": 100})
    browser.wait(
        page, f"!{k1_card}.querySelector('.delta-list').textContent.includes('metronome_bpm')"
    )
    assert "scenario = cpr" in browser.js(
        page, f"{k1_card}.querySelector('.delta-list').textContent"
    )
    push_line = f"{k1_card}.querySelector('.push-result').textContent"
    browser.wait(page, f"{push_line}.endsWith('Not yet reported by the kit: scenario.')")
    k1.send({"scenario": desired_version(mqtt_url, web, LAB2, "k1", twin["desired"])})
    browser.wait(page, f"{delta_state(k1_card)} === 'ok'")
    browser.wait(page, f"{push_line}.endsWith('The kit reports every desired value.')")
    # The desired state changes elsewhere: the push line of the old one goes.
    with api(web) as client:
        put = client.put(f"/api/v1/twins/{LAB2}/k1/desired", json={"metronome_bpm": 110})
        assert put.status_code == 200, put.text
    browser.wait(page, f"{push_line} === '' && {delta_state(k1_card)} === 'pending'")
    assert browser.js(page, f"{k1_card}.querySelector('.delta-list').textContent").strip() == (
        "metronome_bpm = 110"
    )

    # A session started elsewhere shows up by itself: its first feedback frame triggers a
    # refresh, well before the next 5-second poll (started just after one, at most 300 ms ago).
    browser.wait(page, f"{SINCE_LAST_POLL} < 300", timeout=8)
    other = new_session(web, "other-learner", LAB2, "k1")["session_id"]
    browser.wait(page, row(other), timeout=3)
    # Its Stop confirm stays open for the accessibility checks and the screenshots.
    browser.js(page, f"{row(other)}.querySelector('[data-action=stop]').click()")
    assert "[confirm-stop]" in focused(browser, page)

    assert small_targets(browser, page, CONTROLS) == []
    results = {"normal": check_axe(browser, page, "dashboard sessions, normal")}
    shoot(browser, page, screenshots / "dashboard-sessions-normal.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    results["forced-colors"] = check_axe(browser, page, "dashboard sessions, forced colours")
    shoot(browser, page, screenshots / "dashboard-sessions-forced-colors.png")
    record("axe-dashboard-sessions", results)
    check_clean(browser, page)
    browser.call("close", name=page)


LAB3 = "wardF"
CARD = "document.querySelector('[data-kit=\"k1\"]')"
HR_LINE = f"{CARD}.querySelector('polyline.series-hr')"
# JS: the [x, y] points of k1's heart-rate line.
HR_XY = f"""{HR_LINE}.getAttribute('points').trim().split(/\\s+/).filter(Boolean)
  .map((p) => p.split(',').map(Number))"""
# JS: the data table alternative: [device ts, time text, value text] per row, newest first.
TABLE_ROWS = f"""[...{CARD}.querySelectorAll('.chart-data tbody tr')].map((tr) =>
  [Number(tr.dataset.ts), tr.cells[0].textContent, tr.cells[1].textContent])"""


def expect_rows(browser: Browser, page: str, points: list[tuple[float, float]]) -> list[Any]:
    """Wait until the chart's line has exactly these points and its table their newest 10."""
    want = sorted(points, reverse=True)[:10]
    browser.wait(page, f"{HR_XY}.length === {len(points)}", timeout=5)
    browser.wait(page, f"{TABLE_ROWS}.length === {len(want)}", timeout=5)
    rows = browser.js(page, TABLE_ROWS)
    assert [(round(ts, 3), value) for ts, _, value in rows] == [
        (round(ts, 3), f"{v:g}") for ts, v in want
    ], rows
    return list(rows)


def test_dashboard_charts_backfill_history_and_plot_device_time(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    k1 = Kit(publisher, web, LAB3, "k1")
    k1.status("online")
    # 3.5 s of heart rate before the page opens, several readings in one second.
    t0 = time.time() - 5
    before = [(t0 + dt, 70 + 2 * i) for i, dt in enumerate((0, 0.3, 0.6, 1.0, 1.4, 2.0, 2.8, 3.5))]
    for ts, hr in before:
        k1.send({"hr": hr}, ts=ts)
    page = "charts"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB3}?token={TOKEN}")
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    browser.wait(page, f"{CARD} !== null")  # drawn once the snapshot (and catalogue) are in
    browser.js(page, f"{CARD}.querySelector('.chart-data').open = true")
    # On load the chart is filled from the history API, one point per reading (device time).
    rows = expect_rows(browser, page, before)
    # Device time to the tenth of a second, so that readings in one second stay apart.
    assert [text[-2:] for _, text, _ in rows] == [
        f".{int((ts % 1) * 10 + 1e-6)}" for ts, _, _ in rows
    ]
    xs = [x for x, _ in browser.js(page, HR_XY)]
    assert xs == sorted(xs) and len(set(xs)) == len(xs), xs
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    assert gaps[0] < gaps[-2], gaps  # placed by device time: 0.3 s apart vs 0.8 s apart
    # Live readings add to it, again one point each, three within one second (a kit sends
    # about 5 a second; the page takes 50 ms batches, each with a kit's newest state).
    live = []
    for hr in (101.0, 103.0, 105.0):
        live.append((time.time(), hr))
        k1.send({"hr": hr}, ts=live[-1][0])
        time.sleep(0.2)
    expect_rows(browser, page, before + live)
    label = browser.js(page, f"{CARD}.querySelector('svg.chart').getAttribute('aria-label')")
    assert "Heart rate now 105 bpm, rising from 70 (range 70 to 105)" in label, label
    ys = [y for _, y in browser.js(page, HR_XY)]
    assert ys[-1] == pytest.approx(100 - 105 / 2, abs=0.1), ys  # fixed scale 0-200 bpm
    check_axe(browser, page, "dashboard charts")
    shoot(browser, page, screenshots / "dashboard-charts.png")
    check_clean(browser, page)
    browser.call("close", name=page)


LAB4 = "wardG"
CONN = "document.getElementById('conn')"


def test_dashboard_reconnects_by_itself_with_fresh_data_and_calm_motion(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    k1 = Kit(publisher, web, LAB4, "k1")
    k1.status("online")
    k1.send({"hr": 61, "spo2": 98})
    page = "reconnect"
    browser.call(
        "open",
        name=page,
        url=f"{web.base_url}/labs/{LAB4}?token={TOKEN}",
        route_ws=True,
        reduced_motion="reduce",
    )
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    browser.wait(page, f"{reading('k1', 'Heart rate')} === '61'")
    # Nothing on the dashboard moves (no animations or transitions), with or without the
    # reduced-motion preference.
    assert browser.js(page, "matchMedia('(prefers-reduced-motion: reduce)').matches") is True
    assert browser.js(page, MOTION) == []
    browser.call("emulate", name=page, reduced_motion="no-preference")
    assert browser.js(page, MOTION) == []

    # The network goes away: the page says so, first "Reconnecting…", then "Offline".
    cut_at = time.monotonic()
    assert browser.call("ws_cut", name=page)["cut"] == 1
    browser.wait(page, f"{CONN}.dataset.state === 'reconnecting'", timeout=5)
    assert "Reconnecting" in browser.js(page, f"{CONN}.textContent")
    assert browser.js(page, "window.accesstwinDashboard.connected") is False
    # Meanwhile the kit goes on sending; the page cannot know, and keeps the old numbers.
    sent = []
    for hr in (62, 63, 64):
        ts = time.time()
        k1.send({"hr": hr, "spo2": 97}, ts=ts)
        sent.append((ts, float(hr)))
        time.sleep(0.2)
    browser.wait(page, f"{CONN}.dataset.state === 'offline'", timeout=15)
    k1.send({"hr": 65, "spo2": 97})
    assert "Offline — last update" in browser.js(page, f"{CONN}.textContent")
    assert browser.js(page, reading("k1", "Heart rate")) == "61"
    kit_status = "document.querySelector('[data-kit=\"k1\"] .kit-status').textContent"
    assert "Online (last known: this page is not connected)" in browser.js(page, kit_status)
    # Values not renewed for 10 s are marked stale, though the kit was online when last heard.
    marks = browser.wait(
        page, f"(() => {{ const m = {stale_marks('k1')}; return m.length && m; }})()"
    )
    assert len(marks) == 2 and time.monotonic() - cut_at < 15, marks
    shoot(browser, page, screenshots / "dashboard-offline.png")

    # The network is back: the page reconnects by itself and shows the fresh data.
    browser.call("ws_allow", name=page)
    browser.wait(page, "window.accesstwinDashboard.connected", timeout=20)
    browser.wait(page, f"{reading('k1', 'Heart rate')} === '65'")
    assert browser.js(page, f"{CONN}.textContent").strip().endswith("Live")
    assert browser.js(page, kit_status).strip().endswith("Online")
    # The chart has the readings sent while the page was away (history, after the reconnect).
    browser.js(page, f"{CARD}.querySelector('.chart-data').open = true")
    browser.wait(page, f"{TABLE_ROWS}.length === 5", timeout=5)
    rows = browser.js(page, TABLE_ROWS)
    assert [v for _, _, v in rows] == ["65", "64", "63", "62", "61"], rows
    # Live again: a new reading is shown at once, not marked stale.
    k1.send({"hr": 70, "spo2": 96})
    browser.wait(page, f"{reading('k1', 'Heart rate')} === '70'")
    browser.wait(page, f"{stale_marks('k1')}.length === 0")
    check_axe(browser, page, "dashboard after reconnect")
    check_clean(browser, page)
    browser.call("close", name=page)


LAB5 = "wardV"
CARD_ROWS = """[...document.querySelectorAll('[data-kit="k1"] .reading')].map((r) =>
  [r.querySelector('dt').textContent, r.querySelector('.unit').textContent])"""


def test_dashboard_lists_each_sensor_of_the_vocabulary_with_its_label_and_unit(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    # The page lists no sensors of its own (tests/unit/test_vocabulary_agreement.py): it
    # shows the table it is served, so a sensor added there is shown with its label and unit.
    readings = {s.name: s.minimum for s in SENSORS.values() if not s.waveform}
    kit = Kit(publisher, web, LAB5, "k1")
    kit.status("online")
    kit.send(readings)
    page = "dash-vocabulary"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB5}?token={TOKEN}")
    expected = {s.label: s.unit for s in SENSORS.values() if s.shown and s.name in readings} | {
        "Blood pressure": "mmHg"
    }
    del expected[SENSORS["sbp"].label], expected[SENSORS["dbp"].label]
    rows = browser.wait(
        page, f"(() => {{ const r = {CARD_ROWS}; return r.length >= {len(expected)} && r; }})()"
    )
    assert dict(rows) == expected


PAGE_WIDER_THAN_VIEWPORT = """(() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('body *')].filter((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.right > width + 0.5 && !el.closest('.table-wrap');
  }).map((el) => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`);
  return { scroll: document.documentElement.scrollWidth, width, wide };
})()"""


@pytest.mark.parametrize("text_scale", [1, 2])
def test_dashboard_reflows_at_400_px_and_b_bookmarks_only_from_a_sessions_row(
    browser: Browser, web: ServiceProcess, publisher: Publisher, text_scale: int
) -> None:
    lab, kit = f"wardR{text_scale}", "k1"
    Kit(publisher, web, lab, kit).status("online")
    Kit(publisher, web, lab, kit).send(DETERIORATING)
    body = new_session(web, f"reflow-{text_scale}", lab, kit)
    page = f"dash-narrow-{text_scale}"
    browser.call(
        "open",
        name=page,
        url=f"{web.base_url}/labs/{lab}?token={TOKEN}",
        viewport={"width": 400, "height": 800},
    )
    row = f'#sessions-body tr[data-session="{body["session_id"]}"]'
    browser.wait(page, f"document.querySelector('{row}')", timeout=15)
    if text_scale != 1:  # 200 % text (WCAG 1.4.4 with 1.4.10)
        browser.js(page, f"document.documentElement.style.fontSize = '{100 * text_scale}%'")
    # WCAG 1.4.10: no sideways scrolling of the page; only the sessions table scrolls in its
    # own box (the buttons' hidden texts once widened the page to 853 px).
    layout = browser.js(page, PAGE_WIDER_THAN_VIEWPORT)
    assert layout["scroll"] <= layout["width"] and layout["wide"] == [], layout
    # B with the focus outside every session's row does nothing (WCAG 2.1.4).
    browser.js(page, "document.getElementById('learner-id').blur(); document.body.focus()")
    browser.call("key", name=page, key="b")
    time.sleep(0.5)
    assert browser.js(page, "document.getElementById('bookmark-status').textContent") == ""
    with api(web) as client:
        events = client.get(f"/api/v1/sessions/{body['session_id']}/events").json()["events"]
    assert [e for e in events if e["kind"] == "bookmark"] == []
    check_clean(browser, page)
    browser.call("close", name=page)
