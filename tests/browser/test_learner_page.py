"""The learner page /learn/{session_id} in a real Chromium: accessibility (axe-core, normal
and forced colours), one-switch and two-switch operation with the keyboard alone, speech,
timing controls, reconnection, and screenshots in artifacts/screenshots."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from accessibility.contrast import AAA_TEXT, UI_MIN, contrast_ratio, relative_luminance
from accessibility.scenario import load_scenario
from tests.browser.driver import Browser, DriverError, api
from tests.browser.helpers import (
    DETERIORATING,
    MOTION,
    Kit,
    answer_explanation,
    check_axe,
    check_clean,
    correct_choice,
    focused,
    new_session,
    record,
    session_summary,
    shoot,
    step_after,
    wait_for_step,
)
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]

LEARNER = "window.accesstwinLearner.state"


def highlighted_id(browser: Browser, page: str) -> str | None:
    return browser.js(page, "document.querySelector('.choice.is-scanned')?.dataset.choice ?? null")


def open_learner(browser: Browser, page: str, url: str, **kw: object) -> None:
    opened = browser.call("open", name=page, url=url, **kw)
    # The token is moved to sessionStorage and removed from the address bar.
    assert "token=" not in opened["url"]
    browser.wait(page, "window.accesstwinLearner && window.accesstwinLearner.connected")
    browser.wait(page, "document.querySelectorAll('.choice').length > 0")


def start(browser: Browser, page: str) -> None:
    """The first press is the Start gesture (browsers allow audio only after one)."""
    assert browser.js(page, "document.getElementById('start-area').hidden") is False
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{LEARNER}.started && document.getElementById('start-area').hidden")


def test_learner_page_rejects_bad_ids_and_serves_the_page(web: ServiceProcess) -> None:
    assert httpx.get(f"{web.base_url}/learn/bad.id", timeout=5).status_code == 404
    ok = httpx.get(f"{web.base_url}/learn/abc123", timeout=5)
    assert ok.status_code == 200
    assert "learn.js" in ok.text
    assert "default-src 'self'" in ok.headers["content-security-policy"]


def test_learner_page_is_accessible_speaks_and_shows_alerts(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = new_session(web, "lp-axe", "wardL", "k1", scan_interval_ms=3000)
    kit = Kit(publisher, web, "wardL", "k1")
    kit.status("online")
    page = "learn-axe"
    open_learner(browser, page, body["learner_url"])
    token_key = f"accesstwin.learn.{body['session_id']}"
    assert (
        browser.js(page, f"sessionStorage.getItem({json.dumps(token_key)})")
        == body["learner_token"]
    )
    shoot(browser, page, screenshots / "learn-before-start.png")
    start(browser, page)
    # Warning/critical feedback lands in the role=alert region, info in role=status.
    # (Sent once the page is connected: alerts are not replayed to a page that joins later.)
    kit.send(DETERIORATING)
    browser.wait(page, "document.getElementById('msg-alert').textContent.includes('Critical')")
    assert browser.js(page, "document.getElementById('msg-alert').getAttribute('role')") == "alert"
    assert browser.js(page, "document.getElementById('msg-status').getAttribute('role')") == (
        "status"
    )
    status = browser.js(page, "document.getElementById('msg-status').textContent")
    assert "New question" in status
    assert "How is this patient?" in status  # read out in full, shown in full below
    # Speech: the prompt's WAV was fetched with the learner's token and played.
    browser.wait(page, f"{LEARNER}.stats.played >= 1", timeout=20)
    assert "token=" in browser.js(page, f"{LEARNER}.stats.lastAudio")
    browser.wait(page, "document.querySelector('.choice.is-scanned') !== null")

    sizes = browser.js(
        page,
        "[...document.querySelectorAll('button:not([hidden]), [role=option]')]"
        ".filter((b) => b.offsetParent)"
        ".map((b) => { const r = b.getBoundingClientRect(); return [r.width, r.height]; })",
    )
    assert sizes
    assert all(w >= 44 and h >= 44 for w, h in sizes), sizes
    highlight = browser.js(page, HIGHLIGHT_STYLE)
    assert highlight["width"] >= 4, highlight
    assert highlight["style"] == "solid"
    assert highlight["contrast"] >= 3, highlight  # WCAG 1.4.11 against the page behind it
    assert browser.js(page, MOTION) == [], "transitions or animations found"

    results = {"normal": check_axe(browser, page, "learner page, normal")}
    shoot(browser, page, screenshots / "learn-normal.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    forced = browser.js(page, HIGHLIGHT_STYLE)
    assert forced["width"] >= 4
    assert forced["style"] == "solid", forced
    results["forced-colors"] = check_axe(browser, page, "learner page, forced colours")
    record("axe-learner", results)
    shoot(browser, page, screenshots / "learn-forced-colors.png")
    browser.call("emulate", name=page, forced_colors="none", reduced_motion="reduce")
    assert browser.js(page, MOTION) == []
    check_clean(browser, page)
    browser.call("close", name=page)


# The page's own colours in use: body background, and the status colours of common.css.
PAGE_COLOURS = """(() => {
  const root = getComputedStyle(document.documentElement);
  const v = (n) => root.getPropertyValue(n).trim();
  return { theme: document.documentElement.dataset.theme ?? null,
           body_bg: getComputedStyle(document.body).backgroundColor,
           vars: Object.fromEntries(['--bg', '--page', '--text', '--muted', '--border', '--focus',
      '--highlight', '--ok', '--bad', '--warn', '--info', '--bad-bg'].map((n) => [n, v(n)])) };
})()"""


def rgb_luminance(css: str) -> float:
    """Relative luminance (WCAG) of a computed ``rgb(r, g, b)`` colour."""
    r, g, b = (float(x) for x in re.findall(r"[\d.]+", css)[:3])
    return relative_luminance(f"#{int(r):02x}{int(g):02x}{int(b):02x}")


def test_dark_theme_from_the_profile_is_dark_and_passes_aaa(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = new_session(web, "lp-dark", "wardL", "k6", scan_interval_ms=3000, theme="dark")
    kit = Kit(publisher, web, "wardL", "k6")
    kit.status("online")
    page = "learn-dark"
    open_learner(browser, page, body["learner_url"])
    start(browser, page)
    kit.send(DETERIORATING)
    browser.wait(page, "document.getElementById('msg-alert').textContent.includes('Critical')")
    browser.wait(page, "document.querySelector('.choice.is-scanned') !== null")

    colours = browser.js(page, PAGE_COLOURS)
    assert colours["theme"] == "dark-aaa", colours
    assert rgb_luminance(colours["body_bg"]) < 0.02, colours  # a dark page
    css = colours["vars"]
    for bg in ("--bg", "--page"):
        assert relative_luminance(css[bg]) < 0.02, colours
        for text in ("--text", "--muted", "--focus", "--ok", "--bad", "--warn", "--info"):
            assert contrast_ratio(css[text], css[bg]) >= AAA_TEXT, (text, bg, colours)
        for ui in ("--border", "--highlight"):
            assert contrast_ratio(css[ui], css[bg]) >= UI_MIN, (ui, bg, colours)
    assert contrast_ratio(css["--bad"], css["--bad-bg"]) >= AAA_TEXT, colours
    highlight = browser.js(page, HIGHLIGHT_STYLE)
    assert highlight["style"] == "solid" and highlight["width"] >= 4, highlight
    assert highlight["contrast"] >= UI_MIN, highlight  # WCAG 1.4.11 against the dark card

    results = {"normal": check_axe(browser, page, "learner page, dark")}
    shoot(browser, page, screenshots / "learn-dark.png")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    forced = browser.js(page, HIGHLIGHT_STYLE)
    assert forced["style"] == "solid" and forced["width"] >= 4, forced
    results["forced-colors"] = check_axe(browser, page, "learner page, dark, forced colours")
    record("axe-learner-dark", results)
    shoot(browser, page, screenshots / "learn-dark-forced-colors.png")
    browser.call("emulate", name=page, forced_colors="none")
    check_clean(browser, page)
    browser.call("close", name=page)


# Outline of the highlighted choice and its contrast against the page background (WCAG formula).
HIGHLIGHT_STYLE = """(() => {
  const el = document.querySelector('.choice.is-scanned');
  const cs = getComputedStyle(el);
  const bg = getComputedStyle(el.closest('.question')).backgroundColor;
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const [a, b] = [lum(cs.outlineColor), lum(bg)].sort((x, y) => y - x);
  return { width: parseFloat(cs.outlineWidth), style: cs.outlineStyle,
           color: cs.outlineColor, bg, contrast: (a + 0.05) / (b + 0.05) };
})()"""

WIDER_THAN_VIEWPORT = """[...document.querySelectorAll('body *')].filter((el) => {
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.right > document.documentElement.clientWidth + 0.5;
}).map((el) => `${el.tagName}#${el.id}.${el.className} ${el.getBoundingClientRect().right}`)"""


def test_one_switch_auto_scan_completes_a_step_with_space_only(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(web, "lp-one", "wardL", "k2", scan_interval_ms=1500, adaptive_scan=False)
    Kit(publisher, web, "wardL", "k2").send(DETERIORATING)
    page = "learn-one"
    open_learner(browser, page, body["learner_url"], viewport={"width": 900, "height": 500})
    start(browser, page)
    assert browser.js(page, f"{LEARNER}.mode") == "auto"
    target = correct_choice("observe")
    browser.wait(
        page,
        f"document.querySelector('.choice.is-scanned')?.dataset.choice === {json.dumps(target)}",
        timeout=20,
    )
    scrolled = browser.js(page, "window.scrollY")
    browser.call("key", name=page, key="Space")  # one switch: select the highlighted answer
    wait_for_step(web, body["session_id"], "recognise")
    following = step_after("observe")
    browser.wait(
        page,
        "document.getElementById('prompt-text').textContent === " + json.dumps(following.prompt),
    )
    browser.wait(page, "document.getElementById('msg-status').textContent.includes('Which sign')")
    assert browser.js(page, "window.scrollY") == scrolled, "Space scrolled the page"
    assert browser.js(page, "document.documentElement.scrollHeight > innerHeight")
    check_clean(browser, page)
    browser.call("close", name=page)


def test_two_switches_step_scan_with_space_and_enter(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = new_session(web, "lp-two", "wardL", "k3", switch_count=2)
    assert session_summary(web, body["session_id"])["profile"]["scan_mode"] == "step"
    kit = Kit(publisher, web, "wardL", "k3")
    kit.send(DETERIORATING)
    page = "learn-two"
    open_learner(browser, page, body["learner_url"], viewport={"width": 900, "height": 500})
    start(browser, page)
    browser.wait(page, f"{LEARNER}.mode === 'step' && {LEARNER}.highlighted === 0")
    # A held key auto-repeats: that is still one press, so the highlight moves once.
    browser.call("key", name=page, key="Space", action="down")
    for _ in range(3):
        browser.call("key", name=page, key="Space", action="down")  # repeat: true
    browser.call("key", name=page, key="Space", action="up")
    browser.wait(page, f"{LEARNER}.highlighted === 1")
    sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    downs = [f for f in sent if f.get("type") == "switch" and f["state"] == "down"]
    assert [(f["switch"], f["state"]) for f in downs] == [("next", "down")]
    # The whole scenario, step by step, with Space (next) and Enter (select) only.
    for step in ("observe", "recognise", "act"):
        following = step_after(step)
        target = correct_choice(step)
        browser.wait(page, f"document.querySelector('.choice[data-choice={json.dumps(target)}]')")
        # After an answer an undo choice leads the list for 6 s; when it goes the scan
        # starts over, so the test moves the highlight only once it has gone.
        if browser.js(page, "document.querySelector('.choice[data-choice=undo]') !== null"):
            time.sleep(6.5)
            kit.send(DETERIORATING)  # the service judges the kit's data: the undo window closes
            browser.wait(page, "!document.querySelector('.choice[data-choice=undo]')")
        time.sleep(0.3)
        if browser.js(page, f"{LEARNER}.groups !== null"):  # 7 choices: a group first
            open_group_of(browser, page, target)
        for _ in range(8):
            if highlighted_id(browser, page) == target:
                break
            before = browser.js(page, f"{LEARNER}.highlighted")
            browser.call("key", name=page, key="Space")  # next
            browser.wait(page, f"{LEARNER}.highlighted !== {before}")
        assert highlighted_id(browser, page) == target
        already = len(browser.call("seen", name=page)["wsSent"])
        browser.call("key", name=page, key="Enter")  # select
        wait_for_step(web, body["session_id"], following.id)
        sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"][already:]]
        assert [(f["type"], f["switch"], f["state"]) for f in sent][:1] == [
            ("switch", "select", "down")
        ]
        # The next feedback frame (the next step's prompt) is on the page.
        browser.wait(
            page,
            "document.getElementById('prompt-text').textContent === "
            + json.dumps(following.prompt),
        )
        explain = answer_explanation("recognise")
        assert explain
        if step == "recognise":  # the answer's explanation stays beside the next question
            status = browser.js(page, "document.getElementById('msg-status').textContent")
            assert explain in status
            assert "New question" in status
    assert session_summary(web, body["session_id"])["finished"] is True
    browser.wait(page, "!document.getElementById('done').hidden")
    assert browser.js(page, "document.getElementById('choices').hidden") is True
    # The last answer emptied the list under the focus: it went home, not to <body> (where
    # the switch keys reach nothing and no outline shows).
    assert browser.js(page, "document.activeElement.id") == "main", focused(browser, page)
    # Earlier messages: the scenario's earlier questions and the answer's explanation,
    # newest first; the final message (on screen above) is not repeated there.
    assert browser.js(page, "document.getElementById('no-history').hidden") is True
    history = browser.js(
        page, "[...document.querySelectorAll('#history-list li')].map((li) => li.textContent)"
    )
    steps = load_scenario("vitals").steps
    questions = [x for x in history if x.startswith("? Question: ")]
    assert [q.removeprefix("? Question: ").rsplit(" ", 1)[0] for q in questions] == [
        s.prompt for s in reversed(steps[:3])
    ], history
    assert any(explain in x for x in history), history
    assert not any(steps[-1].prompt in x for x in history), history
    status = browser.js(page, "document.getElementById('msg-status').textContent")
    assert "Finished" in status and explain not in status, status
    assert browser.js(page, "window.scrollY") == 0
    shoot(browser, page, screenshots / "learn-finished.png")
    check_clean(browser, page)
    browser.call("close", name=page)


def open_group_of(browser: Browser, page: str, target: str) -> None:
    """Two switches, a group-scanned step: Space to the row holding ``target``, Enter.
    Tried again when the step's prompt came again meanwhile (the undo choice leaving, 6 s
    after the last answer, restarts the scan at the groups)."""
    holds = (
        f"document.querySelector('.group-row.is-scanned .choice[data-choice={json.dumps(target)}]')"
    )
    opened = f"{LEARNER}.level === 'items' && {LEARNER}.highlighted !== null"
    for _ in range(3):
        for _ in range(4):
            if browser.js(page, f"{holds} !== null"):
                break
            before = browser.js(page, f"{LEARNER}.group")
            browser.call("key", name=page, key="Space")  # next group
            browser.wait(page, f"{LEARNER}.group !== {before}")
        time.sleep(0.3)  # never within debounce_ms (100) of the last Enter
        browser.call("key", name=page, key="Enter")  # open it: its first answer is highlighted
        try:
            browser.wait(page, opened, timeout=3)
        except DriverError:
            continue
        time.sleep(0.3)  # the next Enter must not come within debounce_ms of this one
        if browser.js(page, opened):
            return
    raise AssertionError(f"could not open the group holding {target}")


def test_timing_and_speech_controls_with_large_text_on_a_narrow_screen(
    browser: Browser, web: ServiceProcess, screenshots: Path
) -> None:
    body = new_session(
        web, "lp-set", "wardL", "k4", scan_interval_ms=1000, adaptive_scan=False, text_scale=2.0
    )
    page = "learn-set"
    open_learner(browser, page, body["learner_url"], viewport={"width": 400, "height": 800})
    start(browser, page)
    # text_scale 2 doubles the root font size; nothing needs sideways scrolling (WCAG 1.4.10).
    assert browser.js(page, "parseFloat(getComputedStyle(document.documentElement).fontSize)") == 32
    shoot(browser, page, screenshots / "learn-large-text-narrow.png")
    wide = browser.js(page, WIDER_THAN_VIEWPORT)
    assert wide == [], wide
    browser.wait(page, "document.getElementById('scan-speed').textContent.includes('1 s')")
    browser.call("click", name=page, selector="#scan-slower")
    sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    assert {"type": "settings", "scan_interval_ms": 1500} in sent
    # The server applies it and confirms with a scan frame at the new interval; the page
    # says so (a refusal or no answer would be a different note, and fails here).
    note = browser.wait(
        page,
        "(() => { const t = document.getElementById('scan-speed-note').textContent;"
        " return !t.startsWith('Asked') && t; })()",
    )
    assert note == "Scan time is now 1.5 s per answer.", note
    assert browser.js(page, f"{LEARNER}.intervalMs") == 1500
    assert "1.5 s" in browser.js(page, "document.getElementById('scan-speed').textContent")
    # The session runs at the new scan time, and the learner's profile keeps it.
    assert session_summary(web, body["session_id"])["profile"]["scan_interval_ms"] == 1500
    with api(web) as client:
        profile = client.get("/api/v1/learners/lp-set/profile")
        assert profile.status_code == 200, profile.text
        assert profile.json()["scan_interval_ms"] == 1500
    # The focus went back to the page after a pointer click: Space is a switch again.
    assert browser.js(page, "document.activeElement.tagName") != "BUTTON"
    rate = browser.js(page, f"{LEARNER}.speechFactor")
    browser.call("click", name=page, selector="#speech-slower")
    assert browser.js(page, f"{LEARNER}.speechFactor") < rate
    assert browser.js(page, f"{LEARNER}.audio.rate") < rate
    assert "words a minute" in browser.js(
        page, "document.getElementById('speech-speed').textContent"
    )
    browser.call("click", name=page, selector="#speech-toggle")
    assert browser.js(page, "document.getElementById('speech-toggle').ariaPressed") == "false"
    check_clean(browser, page)
    browser.call("close", name=page)


def test_reconnects_by_itself_and_shows_offline(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(web, "lp-net", "wardL", "k5", scan_interval_ms=2000)
    page = "learn-net"
    open_learner(browser, page, body["learner_url"], route_ws=True)
    start(browser, page)
    first_prompt = browser.js(page, "document.getElementById('prompt-text').textContent")
    assert browser.call("ws_cut", name=page)["cut"] == 1
    browser.wait(page, "document.getElementById('conn').dataset.state === 'reconnecting'")
    browser.wait(page, "document.getElementById('conn').dataset.state === 'offline'", timeout=15)
    assert "Offline" in browser.js(page, "document.getElementById('conn').textContent")
    browser.call("ws_allow", name=page)
    browser.wait(page, "window.accesstwinLearner.connected", timeout=20)
    assert browser.js(page, "document.getElementById('prompt-text').textContent") == first_prompt
    # The resent prompt is not announced twice.
    assert browser.js(page, "document.getElementById('history-list').children.length") == 0
    check_clean(browser, page)
    browser.call("close", name=page)
