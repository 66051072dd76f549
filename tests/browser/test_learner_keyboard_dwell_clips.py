"""Three more ways in on the learner page, in a real Chromium: the APG listbox keys (Up,
Down, Home, End move a cursor of the page's own; Enter or Space chooses) beside switch
scanning, pointer dwell on Start and the page's buttons, and auditory-scan clips that
wait for the speech instead of talking over it. Screenshot: artifacts/screenshots/
learn-dwell-start.png."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.browser.driver import Browser
from tests.browser.helpers import (
    DETERIORATING,
    Kit,
    check_axe,
    check_clean,
    new_session,
    record,
    shoot,
    wait_for_step,
)
from tests.browser.learner_inputs import (
    FAKE_PAD,
    LEARNER,
    STATE,
    open_learner,
    pad_press,
    sent_switches,
    step_of,
    wait_highlight,
)
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess
from tests.support.ws import next_frame

pytestmark = [pytest.mark.browser, pytest.mark.integration]

SHOWN = "document.querySelector('.choice.is-scanned')?.dataset.choice ?? null"
ACTIVE = "document.getElementById('choices').getAttribute('aria-activedescendant')"


def key(browser: Browser, page: str, name: str) -> None:
    browser.call("key", name=page, key=name)


def shown_is(browser: Browser, page: str, choice: str) -> None:
    """The page shows ``choice`` lit, and the listbox names it as its active option."""
    browser.wait(page, f"{SHOWN} === {json.dumps(choice)}")
    active = browser.js(page, ACTIVE)
    lit = browser.js(page, "document.querySelector('.choice.is-scanned').id")
    assert active == lit, (active, lit)


def fresh_scan(browser: Browser, page: str, select: str) -> int:
    """Started, with all the scan's passes ahead: the scan that began when the session was
    made runs its passes and pauses (a loaded machine may open the page late in them), then
    a press of the select key starts the page, whose start frame restarts the scan at the
    first answer. Returns how many switch frames the page has sent."""
    browser.wait(page, f"{STATE}.paused", timeout=40)
    key(browser, page, select)  # the Start gesture: no switch frame, a start frame
    browser.wait(page, f"{STATE}.started")
    browser.wait(page, f"!{STATE}.paused && {STATE}.highlighted !== null")
    return len(sent_switches(browser, page))


def sent(browser: Browser, page: str) -> list[dict[str, Any]]:
    return [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]


def test_arrow_keys_move_the_listbox_cursor_and_enter_chooses(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(web, "kb-arrows", "wardKb", "k1", scan_interval_ms=1000, adaptive_scan=False)
    Kit(publisher, web, "wardKb", "k1").send(DETERIORATING)
    page = "kb-arrows"
    open_learner(browser, page, body["learner_url"], init_script=FAKE_PAD)
    before = fresh_scan(browser, page, "Space")
    browser.wait(page, "document.activeElement.id === 'choices'")
    ids = browser.js(page, "[...document.querySelectorAll('.choice')].map((e) => e.dataset.choice)")
    assert "concerned" in ids and len(ids) >= 3, ids
    key(browser, page, "End")
    shown_is(browser, page, ids[-1])
    # The server's scan goes on unseen: the cursor stays where the keys put it.
    server = {browser.js(page, f"{STATE}.highlighted")}
    deadline = time.monotonic() + 5
    while len(server) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        server.add(browser.js(page, f"{STATE}.highlighted"))
        assert browser.js(page, SHOWN) == ids[-1]
    assert len(server) >= 3, server
    help_text = browser.js(page, "document.getElementById('scan-help').textContent")
    assert "Up and Down move through the answers" in help_text, help_text
    key(browser, page, "Home")
    shown_is(browser, page, ids[0])
    key(browser, page, "ArrowDown")
    shown_is(browser, page, ids[1])
    key(browser, page, "ArrowUp")
    key(browser, page, "ArrowUp")  # no wrap: the first stays
    shown_is(browser, page, ids[0])
    # Chromium's accessibility tree names the cursor's option as the active descendant.
    tree = browser.call("ax_tree", name=page)
    listbox = next(n for n in tree if n["role"] == "listbox")
    cursor = browser.call("dom_node", name=page, selector="#choices .choice.is-scanned")
    assert listbox["props"].get("activedescendant") == [cursor], listbox
    check_axe(browser, page, "the arrow keys' cursor")
    # Escape: the scan is shown again.
    key(browser, page, "Escape")
    browser.wait(page, f"{LEARNER}.listbox.active === null")
    browser.wait(page, f"{SHOWN} === ({STATE}.choices[{STATE}.highlighted]?.id ?? null)")
    # A controller press while the cursor is on only shows the scan again: nothing is sent.
    key(browser, page, "End")
    shown_is(browser, page, ids[-1])
    pad_press(browser, page, 1)
    browser.wait(page, f"{LEARNER}.listbox.active === null")
    assert len(sent_switches(browser, page)) == before
    # Down to "I am concerned", then Enter chooses it (a choose frame, no switch press).
    key(browser, page, "Home")
    for _ in range(ids.index("concerned")):
        key(browser, page, "ArrowDown")
    shown_is(browser, page, "concerned")
    key(browser, page, "Enter")
    wait_for_step(web, body["session_id"], "recognise")
    assert {"type": "choose", "choice": "concerned"} in sent(browser, page)
    assert len(sent_switches(browser, page)) == before
    # The next question: the cursor is on its first answer.
    browser.wait(page, f"{LEARNER}.listbox.active === {STATE}.choices[0].id")
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_learner_whose_switch_is_arrow_down_still_scans_with_it(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web, "kb-switch", "wardKb", "k2", scan_interval_ms=1500, adaptive_scan=False,
        keys={"select": "ArrowDown", "next": "ArrowUp"},
    )  # fmt: skip
    Kit(publisher, web, "wardKb", "k2").send(DETERIORATING)
    page = "kb-switch"
    open_learner(browser, page, body["learner_url"])
    before = fresh_scan(browser, page, "ArrowDown")
    wait_highlight(browser, page, "concerned")
    key(browser, page, "ArrowDown")  # the select switch: the server's highlight is chosen
    wait_for_step(web, body["session_id"], "recognise")
    assert sent_switches(browser, page)[before:] == [("select", "down"), ("select", "up")]
    assert browser.js(page, f"{LEARNER}.listbox") == {"active": None, "moves": 0, "chosen": 0}
    check_clean(browser, page)
    browser.call("close", name=page)


def ring_dash(browser: Browser, page: str, selector: str) -> float:
    return float(
        browser.js(
            page,
            f"parseFloat(document.querySelector({json.dumps(selector + ' .dwell-arc')})"
            ".getAttribute('stroke-dasharray'))",
        )
    )


def dwell_on(browser: Browser, page: str, selector: str) -> None:
    """The pointer away (the last dwell re-arms), then resting on ``selector``."""
    browser.call("mouse", name=page, x=5, y=5)
    browser.js(
        page, f"document.querySelector({json.dumps(selector)}).scrollIntoView({{block: 'center'}})"
    )
    browser.call("mouse", name=page, selector=selector)


def test_dwell_starts_the_session_and_presses_the_page_buttons(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path
) -> None:
    body = new_session(
        web, "kb-dwell", "wardKb", "k3", scan_interval_ms=3000, pointer_dwell_ms=4000
    )
    Kit(publisher, web, "wardKb", "k3").send(DETERIORATING)
    page = "kb-dwell"
    open_learner(browser, page, body["learner_url"])
    browser.call("mouse", name=page, x=5, y=5)
    browser.wait(page, "document.querySelector('#start .dwell-ring') !== null")
    assert "rest the pointer on Start for 4 s" in browser.js(
        page, "document.getElementById('scan-help').textContent"
    )
    # 1 s on Start: its ring fills part way (shown, and clean for axe), nothing starts yet.
    browser.call("mouse", name=page, selector="#start")
    time.sleep(1.0)
    assert 15 <= ring_dash(browser, page, "#start") <= 60
    assert not browser.js(page, f"{STATE}.started")
    shoot(browser, page, screenshots / "learn-dwell-start.png")
    check_axe(browser, page, "dwell ring on Start")
    browser.wait(page, f"{STATE}.started && {STATE}.startedBy === 'dwell'", timeout=10)
    assert browser.js(page, "document.getElementById('start-area').hidden") is True
    assert {"type": "start"} in sent(browser, page)  # a dwell's Start is sent too
    # Whether the prompt could be heard: a resting pointer is no user activation (kept for
    # the report, not judged: browsers differ, docs/learner-page.md).
    sound = f"{STATE}.stats.played + {STATE}.stats.audioErrors > 0 && {STATE}.stats"
    record("dwell-start-sound", browser.wait(page, sound, timeout=15))
    # "Read the vitals" by dwelling: the page asks, the server reads them out.
    dwell_on(browser, page, "#read-vitals")
    browser.wait(page, "document.getElementById('vitals-read').textContent.length > 0", timeout=10)
    assert {"type": "read_vitals"} in sent(browser, page)
    # "Say it again" (the prompt replayed), then a glance at "Slower" that presses nothing.
    dwell_on(browser, page, "#speech-repeat")
    browser.wait(page, f"{LEARNER}.dwell.pressed.includes('speech-repeat')", timeout=10)
    dwell_on(browser, page, "#scan-slower")
    time.sleep(0.5)
    browser.call("mouse", name=page, x=5, y=5)
    time.sleep(1.0)
    assert browser.js(page, f"{LEARNER}.dwell.pressed") == ["start", "read-vitals", "speech-repeat"]
    assert not [f for f in sent(browser, page) if f.get("type") in ("settings", "choose")]
    assert step_of(web, body["session_id"]) == "observe"
    check_clean(browser, page)
    browser.call("close", name=page)


# Every media element's playing spans: [element, src path, "playing" | "pause" | "ended", t].
MEDIA_LOG = """(() => {
  const log = []; window.__media = log;
  const known = new WeakMap(); let n = 0;
  const play = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function () {
    if (!known.has(this)) {
      known.set(this, ++n);
      const note = (ev) => log.push([known.get(this), (this.currentSrc || this.src || '')
        .replace(location.origin, '').split('?')[0], ev, performance.now()]);
      for (const ev of ['playing', 'pause', 'ended']) this.addEventListener(ev, () => note(ev));
    }
    return play.call(this);
  };
})();"""


def spans(log: list[list[Any]], now: float) -> list[tuple[str, float, float]]:
    """(src, start, end) of each stretch an element played; one still playing ends ``now``."""
    open_at: dict[int, tuple[str, float]] = {}
    out: list[tuple[str, float, float]] = []
    for element, src, ev, t in log:
        if ev == "playing":
            open_at[element] = (src, t)
        elif element in open_at:
            started_src, t0 = open_at.pop(element)
            out.append((started_src, t0, t))
    out += [(src, t0, now) for src, t0 in open_at.values()]
    return out


def test_auditory_scan_clips_wait_for_the_prompt_and_for_a_replay(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web, "kb-clips", "wardKb", "k4", scan_interval_ms=1000, adaptive_scan=False,
        auditory_scan=True,
    )  # fmt: skip
    Kit(publisher, web, "wardKb", "k4").send(DETERIORATING)
    page = "kb-clips"
    open_learner(browser, page, body["learner_url"], init_script=MEDIA_LOG)
    clips = set(
        browser.js(page, f"{STATE}.choices.map((c) => new URL(c.audio, location.origin).pathname)")
    )
    fresh_scan(browser, page, "Space")  # the prompt is spoken from Start; the clips wait for it
    browser.wait(page, f"{LEARNER}.scanAudio.played >= 2", timeout=30)
    # "Say it again" while the clips go on: the clip playing stops, the prompt is spoken.
    browser.wait(page, f"{LEARNER}.scanAudio.playing", timeout=10)
    browser.call("click", name=page, selector="#speech-repeat")
    played = browser.js(page, f"{LEARNER}.scanAudio.played")
    browser.wait(page, f"{LEARNER}.scanAudio.played > {played}", timeout=30)
    log = browser.js(page, "window.__media")
    now = browser.js(page, "performance.now()")
    stretches = spans(log, now)
    speech = [s for s in stretches if s[0] not in clips]
    heard = [s for s in stretches if s[0] in clips]
    record("clips-after-speech", {"speech": speech, "clips": heard})
    assert len(speech) >= 2 and len(heard) >= 2, stretches
    overlaps = [(c, p) for c in heard for p in speech if c[1] < p[2] and p[1] < c[2]]
    assert overlaps == [], overlaps
    # The order: the prompt, the highlights' clips, the replay, the clips again.
    prompt, replay = speech[0], speech[-1]
    assert min(c[1] for c in heard) >= prompt[2], stretches
    assert any(prompt[2] <= c[1] < replay[1] for c in heard), stretches
    assert any(c[1] >= replay[2] for c in heard), stretches
    check_clean(browser, page)
    browser.call("close", name=page)


def test_start_on_a_page_opened_after_the_scan_paused_restarts_it(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    """A learner who comes late (or takes long over Start) finds the scan stopped: their
    Start restarts it at the first answer, choosing nothing (the start frame)."""
    body = new_session(web, "kb-late", "wardKb", "k5", scan_interval_ms=250, adaptive_scan=False)
    Kit(publisher, web, "wardKb", "k5").send(DETERIORATING)
    url = f"ws://127.0.0.1:{web.port}/ws/sessions/{body['session_id']}"
    with connect(f"{url}?token={body['learner_token']}") as ws:  # see the scan stop first
        while not next_frame(ws, "scan", timeout=30)["paused"]:
            pass
    page = "kb-late"
    open_learner(browser, page, body["learner_url"])
    assert browser.js(page, f"{STATE}.paused") is True
    assert browser.js(page, SHOWN) is None  # nothing lit
    browser.call("click", name=page, selector="#start")
    browser.wait(page, f"{STATE}.started && ({SHOWN}) !== null", timeout=10)
    assert {"type": "start"} in sent(browser, page)
    assert sent_switches(browser, page) == []  # the Start itself is no switch press
    assert step_of(web, body["session_id"]) == "observe"  # and chose nothing
    check_clean(browser, page)
    browser.call("close", name=page)
