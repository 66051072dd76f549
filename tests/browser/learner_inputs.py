"""Steps shared by the learner-input browser tests: a fake game controller (an init
script in place of ``navigator.getGamepads``), the page opened and connected, presses of
its buttons, the highlight and the switch frames the page sent."""

from __future__ import annotations

import json
import time

from tests.browser.driver import Browser
from tests.browser.helpers import session_summary
from tests.support.service import ServiceProcess

LEARNER = "window.accesstwinLearner"
STATE = f"{LEARNER}.state"
CONCERNED = ".choice[data-choice='concerned']"

# A standard-mapping pad of 17 buttons whose buttons the test sets: __pad.set(i, down),
# __pad.hold(i, ms) (timed in the page, so the press lasts what it says).
FAKE_PAD = """(() => {
  const buttons = Array.from({ length: 17 }, () => ({ pressed: false, touched: false, value: 0 }));
  const pad = { id: 'Test switch interface (STANDARD GAMEPAD)', index: 0, connected: true,
                mapping: 'standard', timestamp: 0, axes: [0, 0, 0, 0], buttons };
  window.__pad = {
    set(i, down) { buttons[i] = { pressed: down, touched: down, value: down ? 1 : 0 };
                   pad.timestamp = performance.now(); },
    hold(i, ms) { this.set(i, true); setTimeout(() => this.set(i, false), ms); },
  };
  Object.defineProperty(Navigator.prototype, 'getGamepads',
    { configurable: true, value: () => [pad, null, null, null] });
})();"""


def highlighted(browser: Browser, page: str) -> str | None:
    return browser.js(page, "document.querySelector('.choice.is-scanned')?.dataset.choice ?? null")


def open_learner(browser: Browser, page: str, url: str, **kw: object) -> None:
    opened = browser.call("open", name=page, url=url, **kw)
    assert "token=" not in opened["url"]
    browser.wait(page, f"{LEARNER} && {LEARNER}.connected")
    browser.wait(page, "document.querySelectorAll('.choice').length > 0")


def pad_press(browser: Browser, page: str, button: int, ms: int = 200) -> None:
    """A press of ``ms`` (a learner's press lasts 250 ms typically; 60 ms was missed once by
    the page's animation-frame poll on a loaded CI machine, and the page never started)."""
    browser.js(page, f"window.__pad.hold({button}, {ms})")
    time.sleep(ms / 1000 + 0.1)  # released and seen by the page's animation-frame poll


def wait_highlight(browser: Browser, page: str, choice: str, timeout: float = 20) -> None:
    browser.wait(
        page,
        f"document.querySelector('.choice.is-scanned')?.dataset.choice === {json.dumps(choice)}",
        timeout=timeout,
    )


def sent_switches(browser: Browser, page: str) -> list[tuple[str, str]]:
    frames = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    return [(f["switch"], f["state"]) for f in frames if f.get("type") == "switch"]


def step_of(svc: ServiceProcess, session_id: str) -> str:
    return str(session_summary(svc, session_id)["step"])
