"""Issue 17, must show 1 in the browser: after a kit flooded 60,000 new sensor names, the
dashboard of its lab still loads, shows at most the bound's readings for that kit, and
keeps showing another kit's live numbers."""

from __future__ import annotations

import json
import time

import pytest

from tests.browser.driver import Browser
from tests.support.mqtt import Publisher
from tests.support.service import TOKEN, ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LAB = "wardF"
BOUND = 128


def readings_of(kit: str) -> str:
    return f"document.querySelectorAll('[data-kit={json.dumps(kit)}] .reading').length"


def heart_rate(kit: str) -> str:
    return f"""([...document.querySelectorAll('[data-kit={json.dumps(kit)}] .reading')]
      .find((r) => r.querySelector('dt').textContent === 'Heart rate')
      ?.querySelector('.value').textContent ?? null)"""


def test_the_dashboard_of_a_flooded_lab_still_loads(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    started = time.time()
    for seq in range(1, 301):
        names = {f"n{seq}x{i}": 1.0 for i in range(200)}
        publisher.send(
            f"{web.prefix}/{LAB}/flood/telemetry", {"ts": started, "seq": seq, "readings": names}
        )
        time.sleep(0.02)  # within the per-kit rate limit: the bound is what is judged
    publisher.send(
        f"{web.prefix}/{LAB}/calm/telemetry", {"ts": started, "seq": 1, "readings": {"hr": 61}}
    )
    publisher.flush()
    deadline = time.monotonic() + 30
    while len(web.get(f"/api/v1/twins/{LAB}/flood")["reported"]) < BOUND:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    page = "flooded"
    browser.call("open", name=page, url=f"{web.base_url}/labs/{LAB}?token={TOKEN}")
    browser.wait(page, "window.accesstwinDashboard && window.accesstwinDashboard.connected")
    browser.wait(page, f"{heart_rate('calm')} === '61'")
    assert 0 < browser.js(page, readings_of("flood")) <= BOUND
    publisher.send(
        f"{web.prefix}/{LAB}/calm/telemetry",
        {"ts": started + 1, "seq": 2, "readings": {"hr": 62}},
    )
    browser.wait(page, f"{heart_rate('calm')} === '62'", timeout=5)
