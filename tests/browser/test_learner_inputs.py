"""Issue 15 on the learner page in a real Chromium: a game controller (a fake pad put in
place of ``navigator.getGamepads`` by an init script), keys remapped per learner, pointer
dwell with its progress ring, the switch hold time for keys and pad buttons, the APG
listbox read from Chromium's accessibility tree, and axe-core in every new mode.
Screenshots: artifacts/screenshots/learn-*.png."""

from __future__ import annotations

import itertools
import json
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from accessibility.news2 import most_concerning
from accessibility.scenario import load_scenario
from tests.browser.driver import Browser, api
from tests.browser.helpers import (
    DETERIORATING,
    Kit,
    check_axe,
    check_clean,
    new_session,
    session_summary,
    shoot,
    wait_for_step,
)
from tests.browser.learner_inputs import (
    CONCERNED,
    FAKE_PAD,
    LEARNER,
    STATE,
    highlighted,
    open_learner,
    pad_press,
    sent_switches,
    step_of,
    wait_highlight,
)
from tests.browser.learner_view import make_session
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.browser, pytest.mark.integration]


def test_a_gamepad_starts_the_page_and_button_0_answers(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(web, "in-pad", "wardIn", "k1", scan_interval_ms=1500, adaptive_scan=False)
    Kit(publisher, web, "wardIn", "k1").send(DETERIORATING)
    page = "in-pad"
    open_learner(browser, page, body["learner_url"], init_script=FAKE_PAD)
    pad_press(browser, page, 0)  # the first press starts the page (and sends nothing)
    browser.wait(page, f"{STATE}.started && {STATE}.startedBy === 'gamepad'")
    assert sent_switches(browser, page) == []
    assert browser.js(page, f"{LEARNER}.inputs.pads") == 1
    assert "Controller: button 0 chooses" in browser.js(
        page, "document.getElementById('scan-help').textContent"
    )
    wait_highlight(browser, page, "concerned")
    pad_press(browser, page, 0)
    wait_for_step(web, body["session_id"], "recognise")
    assert sent_switches(browser, page) == [("select", "down"), ("select", "up")]
    check_clean(browser, page)
    browser.call("close", name=page)


def test_a_remapped_learner_answers_with_button_3_and_not_button_0(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web,
        "in-pad3",
        "wardIn",
        "k2",
        scan_interval_ms=2500,
        adaptive_scan=False,
        gamepad={"select": 3, "next": 4},
    )
    Kit(publisher, web, "wardIn", "k2").send(DETERIORATING)
    page = "in-pad3"
    open_learner(browser, page, body["learner_url"], init_script=FAKE_PAD)
    pad_press(browser, page, 3)
    browser.wait(page, f"{STATE}.started")
    wait_highlight(browser, page, "concerned")
    pad_press(browser, page, 0)  # not one of this learner's buttons: nothing is sent
    assert sent_switches(browser, page) == []
    assert step_of(web, body["session_id"]) == "observe"
    wait_highlight(browser, page, "concerned")
    pad_press(browser, page, 3)
    wait_for_step(web, body["session_id"], "recognise")
    assert sent_switches(browser, page) == [("select", "down"), ("select", "up")]
    check_clean(browser, page)
    browser.call("close", name=page)


def test_remapped_keys_are_the_switches_and_space_is_not(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web,
        "in-keys",
        "wardIn",
        "k3",
        scan_interval_ms=2500,
        adaptive_scan=False,
        keys={"select": "KeyJ", "next": "KeyF"},
    )
    Kit(publisher, web, "wardIn", "k3").send(DETERIORATING)
    page = "in-keys"
    open_learner(browser, page, body["learner_url"])
    assert "press J or F" in browser.js(page, "document.getElementById('start-hint').textContent")
    browser.call("key", name=page, key="KeyF")  # either of the learner's keys starts
    browser.wait(page, f"{STATE}.started")
    help_text = browser.js(page, "document.getElementById('scan-help').textContent")
    assert "Press J to choose" in help_text, help_text
    wait_highlight(browser, page, "concerned")
    browser.call("key", name=page, key="Space")  # not this learner's key
    assert sent_switches(browser, page) == []
    browser.call("key", name=page, key="KeyF")  # next: the highlight moves on at once
    browser.wait(
        page, "document.querySelector('.choice.is-scanned')?.dataset.choice !== 'concerned'"
    )
    assert sent_switches(browser, page) == [("next", "down"), ("next", "up")]
    wait_highlight(browser, page, "concerned")
    browser.call("key", name=page, key="KeyJ")
    wait_for_step(web, body["session_id"], "recognise")
    assert sent_switches(browser, page)[2:] == [("select", "down"), ("select", "up")]
    check_clean(browser, page)
    browser.call("close", name=page)


def test_hold_ms_300_ignores_short_presses_of_a_key_and_a_pad_button(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web, "in-hold", "wardIn", "k4", scan_interval_ms=4000, adaptive_scan=False, hold_ms=300
    )
    Kit(publisher, web, "wardIn", "k4").send(DETERIORATING)
    page = "in-hold"
    open_learner(browser, page, body["learner_url"], init_script=FAKE_PAD)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.started")
    sid = body["session_id"]
    # A key: 100 ms (too short: nothing chosen), then 400 ms (chosen), while highlighted.
    wait_highlight(browser, page, "concerned")
    browser.call("key", name=page, key="Space", delay=100)
    time.sleep(0.3)
    assert step_of(web, sid) == "observe"
    assert highlighted(browser, page) == "concerned"
    browser.call("key", name=page, key="Space", delay=400)
    wait_for_step(web, sid, "recognise")
    # A pad button on the next step (scanned by groups): 100 ms is ignored, 400 ms opens
    # the highlighted group (a press that counts, without answering anything).
    browser.wait(page, f"{STATE}.level === 'groups' && {STATE}.group === 0", timeout=10)
    pad_press(browser, page, 0, ms=100)
    time.sleep(0.2)
    assert browser.js(page, f"{STATE}.level") == "groups"
    browser.wait(page, f"{STATE}.level === 'groups' && {STATE}.group === 0")
    pad_press(browser, page, 0, ms=400)
    browser.wait(page, f"{STATE}.level === 'items'")
    assert len(wait_chosen(web, sid, want=1)) == 1  # only the first step's answer
    check_clean(browser, page)
    browser.call("close", name=page)


def wait_chosen(svc: ServiceProcess, session_id: str, want: int, timeout: float = 10) -> list[str]:
    """The choices recorded in the session's event timeline, once there are ``want``."""
    deadline = time.monotonic() + timeout
    chosen: list[str] = []
    while time.monotonic() < deadline:
        with api(svc) as client:
            events = client.get(f"/api/v1/sessions/{session_id}/events").json()["events"]
        chosen = [str(e.get("choice")) for e in events if e.get("kind") == "choice"]
        if len(chosen) >= want:
            return chosen
        time.sleep(0.1)
    raise AssertionError(f"fewer than {want} choices recorded: {chosen}")


def ring_state(browser: Browser, page: str) -> Any:
    return browser.js(
        page,
        f"""(() => {{ const el = document.querySelector("{CONCERNED}");
          const arc = el.querySelector('.dwell-arc');
          const ring = el.querySelector('.dwell-ring').getBoundingClientRect();
          return {{ dash: parseFloat(arc.getAttribute('stroke-dasharray')),
                   dwelling: el.classList.contains('is-dwelling'),
                   word: getComputedStyle(el.querySelector('.dwell-word')).visibility,
                   w: ring.width, h: ring.height }}; }})()""",
    )


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_pointer_dwell_1200_selects_after_a_rest_and_not_after_a_glance(
    browser: Browser, web: ServiceProcess, publisher: Publisher, motion: str
) -> None:
    learner = f"in-dwell-{motion[:2]}"
    body = new_session(
        web, learner, "wardIn", f"k5{motion[:2]}", scan_interval_ms=3000, pointer_dwell_ms=1200
    )
    Kit(publisher, web, "wardIn", f"k5{motion[:2]}").send(DETERIORATING)
    page = learner
    open_learner(browser, page, body["learner_url"], reduced_motion=motion)
    browser.call("mouse", name=page, x=5, y=5)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.started")
    sid = body["session_id"]
    assert "rest the pointer on an answer for 1.2 s" in browser.js(
        page, "document.getElementById('scan-help').textContent"
    )
    # Large targets: every answer at least 6 rem high (96 px) when dwell is on.
    heights = browser.js(
        page,
        "[...document.querySelectorAll('.choice')].map((e) => e.getBoundingClientRect().height)",
    )
    assert min(heights) >= 96, heights
    # 0.5 s on "I am concerned", then away: the ring grew, shrinks back, nothing chosen.
    browser.call("mouse", name=page, selector=CONCERNED)
    time.sleep(0.5)
    part = ring_state(browser, page)
    assert 20 <= part["dash"] <= 75, part
    assert part["dwelling"] and part["word"] == "visible", part
    if motion == "reduce":  # still steps: a quarter at a time
        assert part["dash"] in (25, 50, 75), part
    # Away at once: a screenshot here took longer than the 0.7 s left of the dwell under
    # load and answered the step (test_learner_keyboard_dwell_clips shoots a part-filled ring).
    browser.call("mouse", name=page, x=5, y=5)
    browser.wait(
        page, f"!document.querySelector(\"{CONCERNED}\").classList.contains('is-dwelling')"
    )
    assert ring_state(browser, page)["dash"] == 0
    time.sleep(1.0)
    assert step_of(web, sid) == "observe"
    assert [f for f in browser.call("seen", name=page)["wsSent"] if '"choose"' in f] == []
    # 1.2 s on it answers the step.
    browser.call("mouse", name=page, selector=CONCERNED)
    wait_for_step(web, sid, "recognise", timeout=5)
    sent = [json.loads(f) for f in browser.call("seen", name=page)["wsSent"]]
    assert {"type": "choose", "choice": "concerned"} in sent
    # The pointer left resting where it chose does not answer the next question.
    time.sleep(1.6)
    assert step_of(web, sid) == "recognise"
    check_clean(browser, page)
    browser.call("close", name=page)


AX_OPTIONS = """(() => {
  const list = document.getElementById('choices');
  return { role: list.getAttribute('role'), active: list.getAttribute('aria-activedescendant'),
           focused: document.activeElement === list,
           scanned: document.querySelector('.choice.is-scanned')?.id ?? null };
})()"""


def test_the_choices_are_a_listbox_whose_active_option_follows_the_highlight(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(web, "in-ax", "wardIn", "k6", scan_interval_ms=1000, adaptive_scan=False)
    Kit(publisher, web, "wardIn", "k6").send(DETERIORATING)
    page = "in-ax"
    open_learner(browser, page, body["learner_url"])
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.started")
    seen: list[str] = []
    for _ in range(3):  # three highlights in turn: the DOM and Chromium's tree agree each time
        browser.wait(
            page,
            "(() => { const a = document.getElementById('choices')"
            ".getAttribute('aria-activedescendant');"
            f" return a && !{json.dumps(seen)}.includes(a); }})()",
        )
        dom = browser.js(page, AX_OPTIONS)
        assert dom["role"] == "listbox" and dom["focused"], dom
        assert dom["active"] == dom["scanned"], dom
        seen.append(dom["active"])
        tree = browser.call("ax_tree", name=page)
        listbox = [n for n in tree if n["role"] == "listbox"]
        assert len(listbox) == 1, listbox
        lb = listbox[0]
        assert lb["props"].get("focused") is True, lb
        active_dom = browser.call("dom_node", name=page, selector=f"#{dom['active']}")
        assert lb["props"].get("activedescendant") == [active_dom], lb
        options = [n for n in tree if n["role"] == "option"]
        labels = browser.js(
            page, "[...document.querySelectorAll('.choice-label')].map((e) => e.textContent)"
        )
        assert [o["name"] for o in options] == labels, options
        active = next(o for o in options if o["dom"] == active_dom)
        label = browser.js(
            page, f"document.querySelector('#{dom['active']} .choice-label').textContent"
        )
        assert active["name"] == label, (active, label)
        # Chromium exposes the active option of a single-select listbox as its selection.
        assert [o["props"].get("selected") is True for o in options] == [
            o is active for o in options
        ], options
    assert len(set(seen)) == 3, seen
    check_clean(browser, page)
    browser.call("close", name=page)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_axe_finds_nothing_in_the_new_modes(
    browser: Browser, web: ServiceProcess, publisher: Publisher, theme: str
) -> None:
    learner = f"in-axe-{theme}"
    body = new_session(
        web,
        learner,
        "wardIn",
        f"k7{theme}",
        scan_interval_ms=3000,
        theme=theme,
        pointer_dwell_ms=2000,
        gamepad={"select": 2, "next": 5},
        keys={"select": "KeyJ", "next": "KeyF"},
        hold_ms=100,
    )
    Kit(publisher, web, "wardIn", f"k7{theme}").send(DETERIORATING)
    page = learner
    open_learner(browser, page, body["learner_url"], init_script=FAKE_PAD)
    check_axe(browser, page, f"new modes before start, {theme}")
    pad_press(browser, page, 2)
    browser.wait(page, f"{STATE}.started")
    browser.wait(page, "document.querySelector('.choice.is-scanned') !== null")
    browser.call("mouse", name=page, selector=CONCERNED)
    browser.wait(page, f"document.querySelector(\"{CONCERNED}\").classList.contains('is-dwelling')")
    check_axe(browser, page, f"pad, keys and dwell ring, {theme}")
    browser.call("emulate", name=page, forced_colors="active")
    browser.wait(page, "matchMedia('(forced-colors: active)').matches")
    browser.call("mouse", name=page, x=5, y=5)
    check_axe(browser, page, f"new modes, forced colours, {theme}")
    browser.call("emulate", name=page, forced_colors="none")
    check_clean(browser, page)
    browser.call("close", name=page)


# The page's view of group scanning: rows, the words on them, the option the list names.
GROUP_VIEW = """(() => {
  const list = document.getElementById('choices');
  const rows = [...list.querySelectorAll('.group-row')];
  return { rows: rows.length, role: rows[0]?.getAttribute('role') ?? null,
           lit: rows.findIndex((r) => r.classList.contains('is-scanned')),
           open: rows.findIndex((r) => r.classList.contains('is-open')),
           words: rows.map((r) => r.querySelector('.group-head').innerText),
           back: [...list.querySelectorAll('.group-back')].filter((b) => !b.hidden)
             .map((b) => b.id),
           active: list.getAttribute('aria-activedescendant') };
})()"""


def target_in_lit_group(target: str) -> str:
    return (
        f"document.querySelector('.group-row.is-scanned .choice[data-choice={json.dumps(target)}]')"
    )


def right_ids(scenario: str, step: str) -> set[str]:
    """The choices of a NEWS2-judged step that are right while the kit shows DETERIORATING."""
    spec = next(x for x in load_scenario(scenario).steps if x.id == step)
    top = most_concerning(DETERIORATING)
    return {c.id for c in spec.choices if c.sign in top}


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_group_scanning_of_an_8_choice_step_completes_with_one_switch(
    browser: Browser, web: ServiceProcess, publisher: Publisher, screenshots: Path, theme: str
) -> None:
    learner = f"in-grp-{theme}"
    body = make_session(
        web, learner, "wardIn", f"k8{theme}", "news2-check", scan_interval_ms=1500,
        adaptive_scan=False, theme=theme,
    )  # fmt: skip
    Kit(publisher, web, "wardIn", f"k8{theme}").send(DETERIORATING)
    page = learner
    open_learner(browser, page, body["learner_url"])
    browser.js(page, "document.getElementById('start').click()")
    browser.wait(page, f"{STATE}.started")
    sid = body["session_id"]
    right = right_ids("news2-check", "assess")
    # 8 answers + "Read the vitals": scanned by groups, shown as rows.
    browser.wait(page, f"{STATE}.groups !== null && {STATE}.level === 'groups'")
    assert browser.js(page, f"{STATE}.choices.length") == 9
    view = browser.js(page, GROUP_VIEW)
    assert view["rows"] == 3 and view["role"] == "group", view
    lit = view["lit"]
    assert f"Group {lit + 1}\n· highlighted: select it to open" in view["words"][lit], view
    assert view["active"] == f"group-{view['lit']}", view
    shoot(browser, page, screenshots / f"learn-groups-{theme}.png")
    check_axe(browser, page, f"group scanning, groups, {theme}")
    tree = browser.call("ax_tree", name=page)
    roles = {n["id"]: n["role"] for n in tree}
    groups = [n for n in tree if n["role"] == "group" and roles.get(n["parent"]) == "listbox"]
    assert [n["name"] for n in groups] == ["Group 1", "Group 2", "Group 3"], groups
    # One switch: Space on a row holding a right answer, then (after Back once) the answer.
    lit_right = (
        "[...document.querySelectorAll('.group-row.is-scanned .choice')]"
        f".some((c) => {json.dumps(sorted(right))}.includes(c.dataset.choice))"
    )
    browser.wait(page, lit_right, timeout=20)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.level === 'items'")
    view = browser.js(page, GROUP_VIEW)
    assert view["open"] >= 0 and view["back"] == [f"group-{view['open']}-back"], view
    assert "open: choose an answer, or Back" in view["words"][view["open"]], view
    shoot(browser, page, screenshots / f"learn-groups-open-{theme}.png")
    check_axe(browser, page, f"group scanning, an open group, {theme}")
    back = f"document.getElementById('group-{view['open']}-back')"
    browser.wait(page, f"{back}.classList.contains('is-scanned')", timeout=20)
    active = "document.getElementById('choices').getAttribute('aria-activedescendant')"
    assert browser.js(page, active) == f"group-{view['open']}-back"
    browser.call("key", name=page, key="Space")  # back to the groups: nothing chosen
    browser.wait(page, f"{STATE}.level === 'groups'")
    assert step_of(web, sid) == "assess"
    time.sleep(0.3)  # a press within debounce_ms (100) of the last release would be bounce
    browser.wait(page, lit_right, timeout=20)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.level === 'items'")
    lit_choice = "document.querySelector('.choice.is-scanned')?.dataset.choice"
    time.sleep(0.3)  # not within debounce_ms of the press that opened the group
    browser.wait(page, f"{json.dumps(sorted(right))}.includes({lit_choice})", timeout=20)
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.finished", timeout=10)
    assert session_summary(web, sid)["finished"] is True
    sent = {sw for sw, _ in sent_switches(browser, page)}
    assert sent == {"select"}, sent  # one switch only
    check_clean(browser, page)
    browser.call("close", name=page)


CLIPS = f"""(() => {{ const s = {STATE};
  const clip = (u) => (u ? u.split('?')[0] : null);
  return {{ choices: s.choices.map((c) => clip(c.audio)), ...{LEARNER}.scanAudio }}; }})()"""


def test_auditory_scanning_plays_one_clip_per_highlight_and_a_selection_cancels_it(
    browser: Browser, web: ServiceProcess, publisher: Publisher
) -> None:
    body = new_session(
        web, "in-audio", "wardIn", "k9", scan_interval_ms=1000, adaptive_scan=False,
        auditory_scan=True,
    )  # fmt: skip
    Kit(publisher, web, "wardIn", "k9").send(DETERIORATING)
    page = "in-audio"
    open_learner(browser, page, body["learner_url"])
    browser.call("key", name=page, key="Space")
    browser.wait(page, f"{STATE}.started")
    clips = browser.js(page, CLIPS)
    assert all(c and "/speech/" in c for c in clips["choices"]), clips
    assert len(set(clips["choices"])) == len(clips["choices"]), clips  # one clip per answer
    # Scanned in turn: each newly highlighted answer's clip is requested, in scan order.
    n = len(clips["choices"])
    browser.wait(page, f"{LEARNER}.scanAudio.requested.length >= {n + 2}", timeout=30)
    got = browser.js(page, CLIPS)
    keys = [k for k, _ in got["requested"]]
    assert all(k.startswith("c:") for k in keys), got
    order = [int(k[2:]) for k in keys]
    assert all(b == (a + 1) % n for a, b in itertools.pairwise(order)), order  # scan order
    assert [u for _, u in got["requested"]] == [clips["choices"][i] for i in order], got
    # ... and fetched in that order: one clip per highlight (a clip may take two requests,
    # the media element's first and a range request, so repeats in a row count once).
    requests = [urlsplit(u).path for u in browser.call("seen", name=page)["requests"]]
    fetched = [u for u in requests if u in clips["choices"]]
    fetched = [u for i, u in enumerate(fetched) if i == 0 or fetched[i - 1] != u]
    asked = [u for _, u in got["requested"]]
    assert fetched[: len(order)] == asked[: len(order)], (fetched, asked)
    assert got["played"] >= 2, got
    # The next highlight cancels the clip playing: Enter (one switch: next) while one plays.
    browser.wait(page, f"{LEARNER}.scanAudio.playing")
    browser.call("key", name=page, key="Enter")
    browser.wait(page, f"{LEARNER}.scanAudio.superseded >= 1")
    time.sleep(0.3)
    # A selection cancels the clip playing: Space while "I am concerned" is being spoken.
    wait_highlight(browser, page, "concerned")
    browser.wait(page, f"{LEARNER}.scanAudio.playing")
    cancelled = got["cancelled"]
    browser.call("key", name=page, key="Space")
    wait_for_step(web, body["session_id"], "recognise")
    browser.wait(page, f"{LEARNER}.scanAudio.cancelled > {cancelled}")
    assert browser.js(page, f"{LEARNER}.scanAudio.current") in (None, "g:0"), got
    check_clean(browser, page)
    browser.call("close", name=page)
