"""Shared steps of the browser tests: sessions, telemetry, axe and page checks."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from accessibility.judge import judge_choice
from accessibility.model import TwinView
from accessibility.news2 import most_concerning
from accessibility.scenario import load_scenario
from tests.browser.driver import SCREENSHOTS, Browser, api
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

# axe-core: WCAG 2.0/2.1/2.2 A and AA, plus the AAA contrast rule (7:1, our learner default).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]
AXE_RULES = {"color-contrast-enhanced": True}

# axe results it cannot decide ("incomplete") fail a test, except this kind: the contrast of
# an icon glyph hidden from assistive technology (a <span aria-hidden="true"> of one to three
# characters, beside words that carry the meaning), which axe cannot judge.
ICON_INCOMPLETE_RULES = frozenset({"color-contrast", "color-contrast-enhanced"})
ICON_INCOMPLETE_REASON = "Element content contains only non-text characters"
ICON_NODE = re.compile(r'^<span\b[^>]*\baria-hidden="true"[^>]*>[^<]{1,3}</span>$')

# A deteriorating patient (NEWS2 bands, accessibility/scenarios/vitals.yaml): the alarm fires.
DETERIORATING: dict[str, float] = {
    "hr": 124,
    "spo2": 90.5,
    "temp_c": 38.6,
    "resp_rate": 26,
    "sbp": 88,
    "dbp": 52,
}


def correct_choice(step_id: str) -> str:
    """The right choice of a vitals step while the kit shows DETERIORATING (a judged step
    is right for the sign with the highest NEWS2 sub-score: accessibility/judge.py)."""
    step = next(s for s in load_scenario("vitals").steps if s.id == step_id)
    top = most_concerning(DETERIORATING)
    return next(c.id for c in step.choices if c.correct or (step.judge and c.sign in top))


def answer_explanation(step_id: str) -> str | None:
    """What the service says about the right choice of ``step_id`` (DETERIORATING values)."""
    step = next(s for s in load_scenario("vitals").steps if s.id == step_id)
    spec = next(c for c in step.choices if c.id == correct_choice(step_id))
    view = TwinView(now=0.0, values=dict(DETERIORATING), value_ts=dict.fromkeys(DETERIORATING, 0.0))
    return judge_choice(step, spec, view, stale_after_s=5.0)[1]


def step_after(step_id: str) -> Any:
    steps = load_scenario("vitals").steps
    index = next(i for i, s in enumerate(steps) if s.id == step_id)
    return steps[index + 1]


def new_session(
    svc: ServiceProcess, learner: str, lab: str, kit: str, **profile: Any
) -> dict[str, Any]:
    with api(svc) as client:
        if profile:
            put = client.put(f"/api/v1/learners/{learner}/profile", json=profile)
            assert put.status_code == 200, put.text
        created = client.post(
            "/api/v1/sessions",
            json={"learner_id": learner, "lab": lab, "kit": kit, "scenario": "vitals"},
        )
        assert created.status_code == 201, created.text
        return dict(created.json())


def session_summary(svc: ServiceProcess, session_id: str) -> dict[str, Any]:
    with api(svc) as client:
        return dict(client.get(f"/api/v1/sessions/{session_id}").json())


def wait_for_step(svc: ServiceProcess, session_id: str, step: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    summary: dict[str, Any] = {}
    while time.monotonic() < deadline:
        summary = session_summary(svc, session_id)
        if summary["step"] == step:
            return
        time.sleep(0.05)
    raise AssertionError(f"session still at step {summary.get('step')!r}, wanted {step!r}")


class Kit:
    """Telemetry of one kit, with increasing ``seq`` and current device time."""

    def __init__(self, pub: Publisher, svc: ServiceProcess, lab: str, kit: str) -> None:
        self.pub, self.base, self.seq = pub, f"{svc.prefix}/{lab}/{kit}", 0

    def status(self, text: str) -> None:
        self.pub.send(f"{self.base}/status", text, retain=True)
        self.pub.flush()

    def send(self, readings: dict[str, float], ts: float | None = None) -> float:
        """Publish (device time ``ts``, default now) and wait for the PUBACK; return the
        wall-clock time (ms) of the publish."""
        self.seq += 1
        t0 = time.time()
        body = {"ts": t0 if ts is None else ts, "seq": self.seq, "readings": readings}
        self.pub.send(f"{self.base}/telemetry", body)
        self.pub.flush()
        return t0 * 1000


def unexpected_incomplete(result: dict[str, Any]) -> list[str]:
    """axe's incomplete results outside the icon allow-list, one line per node."""
    out = []
    for rule in result["incomplete"]:
        for node in rule["nodes"]:
            if (
                rule["id"] in ICON_INCOMPLETE_RULES
                and node["reason"] == ICON_INCOMPLETE_REASON
                and ICON_NODE.match(node["html"])
            ):
                continue
            out.append(f"{rule['id']}: {node['target']}: {node['reason']} {node['html']}")
    return out


def check_axe(browser: Browser, page: str, label: str) -> dict[str, Any]:
    result = browser.call("axe", name=page, tags=AXE_TAGS, rules=AXE_RULES)
    ran = result["passes"] + [r["id"] for r in result["violations"] + result["incomplete"]]
    assert "color-contrast-enhanced" in ran, "axe did not run color-contrast-enhanced"
    assert result["violations"] == [], f"{label}: " + json.dumps(result["violations"], indent=1)
    unsure = unexpected_incomplete(result)
    assert unsure == [], f"{label}: axe could not decide:\n" + "\n".join(unsure)
    return dict(result)


def check_clean(browser: Browser, page: str, allow_http: tuple[str, ...] = ()) -> None:
    """No script errors, CSP refusals or unexpected HTTP errors in the page."""
    seen = browser.call("seen", name=page)
    assert seen["pageErrors"] == [], seen["pageErrors"]
    assert seen["console"] == [], seen["console"]
    http = [e for e in seen["httpErrors"] if not any(a in e for a in allow_http)]
    assert http == [], http


def shoot(browser: Browser, page: str, path: Path) -> None:
    browser.call("screenshot", name=page, path=str(path))
    assert path.stat().st_size > 1000


def record(name: str, data: object) -> None:
    """Keep a measurement for the report: artifacts/browser/{name}.json."""
    out = SCREENSHOTS.parent / "browser"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{name}.json").write_text(json.dumps(data, indent=1))


# JS: elements that move (a CSS animation, or a transition longer than 0 s).
MOTION = """[...document.querySelectorAll('*')].filter((el) => {
  const cs = getComputedStyle(el);
  return cs.animationName !== 'none' ||
    cs.transitionDuration.split(',').some((d) => parseFloat(d) > 0);
}).map((el) => el.tagName)"""


def type_keys(browser: Browser, page: str, text: str) -> None:
    """Type ``text`` one key press at a time (the keyboard, not a value set by script)."""
    for ch in text:
        browser.call("key", name=page, key="Space" if ch == " " else ch, delay=0)


def focused(browser: Browser, page: str) -> str:
    """A short description of the focused element: tag#id[data-action] and its text."""
    return str(
        browser.js(
            page,
            """(() => {
              const e = document.activeElement;
              if (!e) return '';
              const action = e.dataset.action ?? '';
              return `${e.tagName.toLowerCase()}#${e.id}[${action}] ${e.textContent.trim()}`;
            })()""",
        )
    )


def small_targets(browser: Browser, page: str, selector: str, min_px: float = 44) -> list[str]:
    """Visible controls matching ``selector`` smaller than ``min_px`` × ``min_px`` CSS px."""
    found = browser.js(
        page,
        f"""[...document.querySelectorAll({json.dumps(selector)})]
          .filter((e) => e.getClientRects().length)
          .map((e) => {{ const r = e.getBoundingClientRect();
            return [e.outerHTML.slice(0, 80), r.width, r.height]; }})""",
    )
    return [f"{html} {w:.0f}×{hgt:.0f}" for html, w, hgt in found if w < min_px or hgt < min_px]
