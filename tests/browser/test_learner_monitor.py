"""The learner's own view of the twin on /learn/{session_id}, in a real Chromium: the patient
monitor (live over the session websocket, stale and offline marked, history after a
reconnect), "Read the vitals", and the dashboard's "learner view" link."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.browser.driver import Browser, api
from tests.browser.helpers import Kit, check_clean, record, session_summary, shoot
from tests.browser.learner_view import LEARNER, MONITOR, make_session, open_page, start
from tests.support.mqtt import Publisher
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

STALE_AFTER_S = 10.0  # the service's default (ACCESSTWIN_STALE_AFTER_S)


def watch_monitor(browser: Browser, page: str, *needles: str) -> None:
    """A MutationObserver that notes (Date.now()) when the region first holds every needle."""
    browser.js(
        page,
        f"""(() => {{
          const region = {MONITOR};
          const needles = {json.dumps(list(needles))};
          window.__seen = null;
          const check = () => {{
            const all = needles.every((n) => region.textContent.includes(n));
            if (window.__seen === null && all) window.__seen = Date.now();
          }};
          new MutationObserver(check)
            .observe(region, {{ subtree: true, childList: true, characterData: true }});
          check();
        }})()""",
    )


def row_text(browser: Browser, page: str, name: str) -> str:
    return str(
        browser.js(
            page, f"({MONITOR}).querySelector('.vital[data-name={json.dumps(name)}]')?.textContent"
        )
    )


def test_monitor_shows_published_vitals_within_a_second_and_marks_them_stale(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = make_session(web, "mon-1", "wardM", "k1", "vitals", scan_interval_ms=3000)
    kit = Kit(publisher, web, "wardM", "k1")
    page = "monitor-live"
    open_page(browser, page, body["learner_url"])
    # Before the kit has reported anything: "waiting for the kit", every vital "no reading".
    state = browser.js(page, f"({MONITOR}).textContent")
    assert "Waiting for the kit" in state, state
    assert "Heart rate" in state and "no reading yet" in state, state
    start(browser, page)
    kit.status("online")
    watch_monitor(browser, page, "77", "93")
    t_publish = kit.send({"hr": 77, "spo2": 93})
    seen = browser.wait(page, "window.__seen", timeout=5)
    latency_ms = seen - t_publish
    assert latency_ms <= 1000, f"hr 77 / spo2 93 shown {latency_ms:.0f} ms after the publish"
    hr, spo2 = row_text(browser, page, "hr"), row_text(browser, page, "spo2")
    assert "Heart rate" in hr and "77" in hr and "bpm" in hr, hr
    assert "SpO2" in spo2 and "93" in spo2 and "%" in spo2, spo2
    # 93 % is NEWS2 score 2: out of range, said in words and shape (▼ low), not colour alone.
    assert "Out of range: low" in spo2, spo2
    assert "In range" in hr, hr
    assert browser.js(
        page, f"({MONITOR}).querySelector('.vital[data-name=\"spo2\"]').dataset.state"
    ) == ("out_of_range")
    assert "Live from kit k1" in browser.js(
        page, "document.getElementById('monitor-state').textContent"
    )
    # No newer value: the hr row is marked stale (word + shape) within the stale time.
    browser.wait(
        page,
        f"({MONITOR}).querySelector('.vital[data-name=\"hr\"]').classList.contains('is-stale')",
        timeout=STALE_AFTER_S + 5,
    )
    stale_after_s = time.time() - t_publish / 1000
    assert stale_after_s <= STALE_AFTER_S + 1.5, stale_after_s
    assert "stale" in row_text(browser, page, "hr")
    record(
        "monitor-latency", {"publish_to_text_ms": latency_ms, "stale_marked_after_s": stale_after_s}
    )
    shoot(browser, page, screenshots / "learn-monitor-stale.png")
    check_clean(browser, page)
    browser.call("close", name=page)


def test_monitor_trend_offline_and_recovery_with_history(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = make_session(web, "mon-2", "wardM", "k2", "vitals", scan_interval_ms=3000)
    kit = Kit(publisher, web, "wardM", "k2")
    kit.status("online")
    page = "monitor-trend"
    open_page(browser, page, body["learner_url"], route_ws=True)
    now = time.time()
    # A minute of a rising heart rate (device times of the last minute), live.
    for i in range(13):
        kit.send(
            {"hr": 80 + 3 * i, "spo2": 97, "temp_c": 37.0, "resp_rate": 16, "sbp": 120, "dbp": 80},
            ts=now - 60 + 5 * i,
        )
    browser.wait(
        page, f"({MONITOR}).querySelector('.vital[data-name=\"hr\"]')?.textContent.includes('116')"
    )
    hr = row_text(browser, page, "hr")
    assert "rising" in hr and "ALARM" not in hr, hr  # 116 bpm: NEWS2 2, out of range (high)
    assert "Out of range: high" in hr, hr
    # The kit goes offline: said in the monitor, values marked stale (kit offline).
    kit.status("offline")
    browser.wait(page, "document.getElementById('monitor-state').dataset.state === 'offline'")
    assert "Kit offline" in browser.js(page, "document.getElementById('monitor-state').textContent")
    assert "stale: kit offline" in row_text(browser, page, "hr")
    # The page loses its connection; meanwhile the kit comes back and reports an alarm value.
    browser.call("ws_cut", name=page)
    browser.wait(page, "document.getElementById('monitor-state').dataset.state === 'reconnecting'")
    kit.status("online")
    kit.send({"hr": 135, "spo2": 97, "temp_c": 37.0, "resp_rate": 16, "sbp": 120, "dbp": 80})
    browser.call("ws_allow", name=page)
    browser.wait(page, f"{LEARNER}.connected", timeout=20)
    browser.wait(
        page, f"({MONITOR}).querySelector('.vital[data-name=\"hr\"]')?.textContent.includes('135')"
    )
    hr = row_text(browser, page, "hr")
    assert "ALARM: high" in hr and "rising" in hr, (
        hr
    )  # the trend from the history the twin frame carried
    shoot(browser, page, screenshots / "learn-monitor-alarm.png")
    assert browser.js(page, "document.getElementById('monitor-state').dataset.state") == "live"
    points = browser.js(page, f"{LEARNER}.monitor.points.hr.length")
    assert points >= 10, points
    check_clean(browser, page)
    browser.call("close", name=page)


def test_read_the_vitals_speaks_them_at_the_learners_rate(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = make_session(web, "mon-3", "wardM", "k3", "vitals", speech_rate_wpm=120)
    kit = Kit(publisher, web, "wardM", "k3")
    kit.status("online")
    kit.send({"hr": 77, "spo2": 93})
    page = "monitor-read"
    open_page(browser, page, body["learner_url"])
    start(browser, page)
    browser.wait(page, f"{LEARNER}.state.stats.played >= 1", timeout=20)  # the prompt
    # One switch: "Read the vitals" is scanned with the answers; Space on it reads them.
    read = "document.querySelector('.choice.is-scanned')?.dataset.choice === '_read_vitals'"
    browser.wait(page, read, timeout=20)
    browser.call("key", name=page, key="Space")
    said = browser.wait(page, "document.getElementById('vitals-read').textContent")
    assert said.startswith("Heart rate 77 beats a minute. Oxygen saturation 93 percent, out of")
    assert browser.js(page, f"{LEARNER}.state.choices.length") == 3  # the question stays
    summary = session_summary(web, body["session_id"])
    assert summary["step"] == "observe", summary
    # The same from the monitor's own button (pointer or keyboard users), a second later
    # (the service reads them out at most once a second).
    time.sleep(1.1)
    browser.js(page, "document.getElementById('vitals-read').textContent = ''")
    browser.call("click", name=page, selector="#read-vitals")
    browser.wait(page, "document.getElementById('vitals-read').textContent")
    sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    assert {"type": "read_vitals"} in sent
    # Its audio (the server's WAV at the learner's 120 wpm) is fetched with the token and played.
    browser.wait(page, f"{LEARNER}.state.stats.lastAudio.includes('/speech/')", timeout=20)
    url = browser.js(page, f"{LEARNER}.state.stats.lastAudio")
    with api(web) as client:
        wav = client.get(url.split("?")[0])
        assert wav.status_code == 200 and wav.content[:4] == b"RIFF", wav.status_code
    check_clean(browser, page)
    browser.call("close", name=page)


def test_dashboard_learner_view_link_opens_the_learners_page_without_a_token_in_the_url(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = make_session(web, "mon-4", "wardV", "k1", "vitals", scan_interval_ms=3000)
    Kit(publisher, web, "wardV", "k1").send({"hr": 77, "spo2": 93})
    page = "dash-view"
    browser.call("open", name=page, url=f"{web.base_url}/labs/wardV?token={TOKEN}")
    selector = f'tr[data-session="{body["session_id"]}"] a[data-action="learner-view"]'
    link = f"document.querySelector({json.dumps(selector)})"
    href = browser.wait(page, f"{link}?.getAttribute('href')", timeout=10)
    assert href == f"/learn/{body['session_id']}"  # no token in any URL the page builds
    browser.call(
        "click",
        name=page,
        selector=f'tr[data-session="{body["session_id"]}"] a[data-action="learner-view"]',
    )
    browser.wait(page, f"location.pathname === '/learn/{body['session_id']}'")
    assert "token" not in browser.js(page, "location.href")
    browser.wait(page, f"{LEARNER} && {LEARNER}.connected")
    assert browser.js(page, "document.getElementById('watching').hidden") is False
    browser.wait(page, f"({MONITOR}).textContent.includes('77')")
    # The instructor watches: a key press starts the page but sends no switch frame, and
    # "Read the vitals" does not make the learner's page speak (it sent read_vitals once).
    browser.call("key", name=page, key="Space")
    browser.call("key", name=page, key="Space")
    browser.call("click", name=page, selector="#read-vitals")
    time.sleep(0.3)
    # Its help line does not tell the instructor to press anything.
    help_text = browser.js(page, "document.getElementById('scan-help').textContent")
    assert help_text.startswith("You are watching"), help_text
    sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    assert not [f for f in sent if f.get("type") in ("switch", "choose", "read_vitals")], sent
    check_clean(browser, page)
    browser.call("close", name=page)
