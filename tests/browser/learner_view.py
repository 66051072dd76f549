"""Steps shared by the learner-page browser tests of the monitor, the gauge and the cues:
a session of any scenario, the page opened and connected, the CPR step reached."""

from __future__ import annotations

from typing import Any

from tests.browser.driver import Browser, api
from tests.support.service import ServiceProcess

LEARNER = "window.accesstwinLearner"
# The region named "Patient monitor" (by aria-label or by the element aria-labelledby names).
MONITOR = """[...document.querySelectorAll('section, [role="region"]')].find((s) => {
  const by = s.getAttribute('aria-labelledby');
  const name = s.getAttribute('aria-label') ?? (by ? document.getElementById(by)?.textContent : '');
  return (name ?? '').trim() === 'Patient monitor';
})"""


def make_session(
    svc: ServiceProcess, learner: str, lab: str, kit: str, scenario: str, **profile: Any
) -> dict[str, Any]:
    with api(svc) as client:
        if profile:
            put = client.put(f"/api/v1/learners/{learner}/profile", json=profile)
            assert put.status_code == 200, put.text
        created = client.post(
            "/api/v1/sessions",
            json={"learner_id": learner, "lab": lab, "kit": kit, "scenario": scenario},
        )
        assert created.status_code == 201, created.text
        return dict(created.json())


def open_page(browser: Browser, page: str, url: str, **kw: object) -> None:
    opened = browser.call("open", name=page, url=url, **kw)
    assert "token=" not in opened["url"]
    browser.wait(page, f"{LEARNER} && {LEARNER}.connected")
    browser.wait(page, f"{LEARNER}.monitor.shown !== undefined && ({MONITOR}) !== undefined")


def start(browser: Browser, page: str) -> None:
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{LEARNER}.state.started")


def choose_ready(browser: Browser, page: str) -> None:
    """One switch: Start, then Space on the highlighted "I'm ready" (the step's only choice)."""
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{LEARNER}.state.started")
    browser.wait(page, "document.querySelector('.choice.is-scanned') !== null", timeout=20)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{LEARNER}.state.step === 'compressions'", timeout=20)
