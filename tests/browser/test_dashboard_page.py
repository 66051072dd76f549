"""The instructor dashboard /labs/{lab} in a real Chromium: accessibility (axe-core, normal
and forced colours), live telemetry within 1 s of the publish, offline kits, screenshots."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from tests.browser.driver import Browser
from tests.browser.helpers import (
    DETERIORATING,
    Kit,
    check_axe,
    check_clean,
    new_session,
    record,
    shoot,
)
from tests.support.mqtt import Publisher
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAB = "wardD"


def reading(kit: str, label: str) -> str:
    """JS: the text of one reading's value on a kit's card (null when not shown)."""
    return f"""([...document.querySelectorAll('[data-kit={json.dumps(kit)}] .reading')]
      .find((r) => r.querySelector('dt').textContent === {json.dumps(label)})
      ?.querySelector('.value').textContent ?? null)"""


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

    # Feedback of a learner's session reaches the alert list (and a critical one the alert region).
    new_session(web, "dash-learner", LAB, "k1")
    k1.send(DETERIORATING)
    browser.wait(page, "document.getElementById('critical').textContent.includes('Critical')")
    browser.wait(page, "document.querySelectorAll('#alert-list li').length >= 2")
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
