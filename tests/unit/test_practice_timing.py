"""Switch practice proposes debounce and hold from the learner's own presses, and the
instructor accepts them into the profile (docs/switch-scanning.md)."""

from __future__ import annotations

import uuid

from accessibility.press_timing import PressTimer
from gateway.identifiers import KitRef
from tests.support.app import app_client
from twin_service.sessions.manager import Session, SessionManager

TOKEN = "practice-timing-" + uuid.uuid4().hex
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def press(timer: PressTimer, t: float, length: float, *, meant: bool = False) -> float:
    timer.event("select", "down", t)
    timer.event("select", "up", t + length)
    if meant:
        timer.intended(t)
    return t + length


def test_hold_between_brushes_and_intended_presses_debounce_above_bounce() -> None:
    timer = PressTimer()
    t = 0.0
    for i, length in enumerate((0.25, 0.32, 0.4, 0.3, 0.28)):
        up = press(timer, t, length, meant=True)
        press(timer, up + 0.02 + 0.005 * i, 0.01)  # a bounce 20-40 ms after the release
        press(timer, up + 1.0, 0.04 + 0.005 * i)  # a brush of 40-60 ms
        t += 3.0
    got = timer.propose(100, 0)
    assert (got.bounces, got.brushes, got.intended) == (5, 5, 5)
    assert got.longest_bounce_gap_ms == 40 and got.longest_brush_ms == 60
    assert got.shortest_intended_ms == 250
    assert got.debounce_ms == 70  # 40 ms + 30 ms margin
    assert got.hold_ms == 90  # 60 ms + 30 ms, under 80 % of 250 ms
    assert "hold 90 ms" in got.explained and "debounce 70 ms" in got.explained


def test_no_brush_no_hold_and_no_bounce_keeps_the_debounce() -> None:
    timer = PressTimer()
    for i in range(5):
        press(timer, i * 3.0, 0.3, meant=True)
    got = timer.propose(120, 200)
    assert (got.debounce_ms, got.hold_ms) == (120, 0)


def test_touches_as_long_as_the_presses_keep_hold_below_the_presses() -> None:
    timer = PressTimer()
    for i in range(4):
        press(timer, i * 3.0, 0.2, meant=True)
        press(timer, i * 3.0 + 1.0, 0.09)  # under half the median: a brush
    assert timer.propose(100, 0).hold_ms == 120  # 90 + 30
    timer2 = PressTimer()
    press(timer2, 0.0, 0.1, meant=True)
    press(timer2, 3.0, 1.0, meant=True)
    for i in range(3):
        press(timer2, 6.0 + i, 0.27)  # under half the 0.55 s median
    assert timer2.propose(100, 0).hold_ms == 80  # capped at 80 % of the 100 ms press


def practise(manager: SessionManager, session: Session) -> None:
    """20 trials: at each the learner presses 0.5 s after the target lights, for 300 ms,
    the switch bounces 30 ms after the release, and every 4th trial a 50 ms brush first."""
    scan, t = session.scan, session.created_at
    for trial in range(20):
        policy = session.policy
        target = policy.target_index()  # type: ignore[union-attr]
        if trial % 4 == 3:  # a brush, off the target: it selects what is lit (hold is 0)
            while scan.highlighted == target:
                t = max(t, scan.next_deadline() or t)
                manager.tick(t)
            t += 0.2
            manager.on_switch(session, "select", "down", t)
            manager.on_switch(session, "select", "up", t + 0.05)
            t += 0.3
            target = policy.target_index()  # type: ignore[union-attr]
        while scan.highlighted != target:
            deadline = scan.next_deadline()
            assert deadline is not None
            t = max(t, deadline)
            manager.tick(t)
        t += 0.5
        manager.on_switch(session, "select", "down", t)
        manager.on_switch(session, "select", "up", t + 0.3)
        manager.on_switch(session, "select", "down", t + 0.33)  # bounce
        manager.on_switch(session, "select", "up", t + 0.34)
        t += 1.0
    assert session.policy.finished


async def test_the_instructor_accepts_the_proposal_into_the_profile() -> None:
    async with app_client(TOKEN, headers=AUTH) as (runtime, client):
        sessions: SessionManager = runtime.sessions
        session, _ = sessions.create("pt1", KitRef("lab", "k"), "switch-practice")
        running = (await client.get(f"/api/v1/sessions/{session.id}")).json()
        assert "timing" not in running  # only once the practice is finished
        practise(sessions, session)
        summary = (await client.get(f"/api/v1/sessions/{session.id}")).json()
        timing = summary["timing"]
        assert timing["current"] == {"debounce_ms": 100, "hold_ms": 0}
        assert timing["proposed"] == {"debounce_ms": 60, "hold_ms": 80}, timing
        assert timing["measured"]["bounces"] == 20 and timing["measured"]["brushes"] >= 4
        assert timing["accepted"] is False
        report = (await client.get(f"/api/v1/sessions/{session.id}/report")).json()
        assert report["timing"]["proposed"] == timing["proposed"]

        url = f"/api/v1/sessions/{session.id}/timing/accept"
        assert (await client.post(url, headers={"Authorization": "Bearer nope"})).status_code == 401
        accepted = await client.post(url)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["timing"]["accepted"] is True
        profile = (await client.get("/api/v1/learners/pt1/profile")).json()
        assert (profile["debounce_ms"], profile["hold_ms"]) == (60, 80)
        events = (await client.get(f"/api/v1/sessions/{session.id}/events")).json()["events"]
        action = [e for e in events if e["kind"] == "instructor"]
        assert action and action[-1]["action"] == "timing.accept"
        assert (action[-1]["debounce_ms"], action[-1]["hold_ms"]) == (60, 80)
        # The next session of this learner scans with them.
        nxt, _ = sessions.create("pt1", KitRef("lab", "k"), "vitals")
        assert (nxt.scan.settings.debounce_ms, nxt.scan.settings.acceptance_ms) == (60, 80)

        other, _ = sessions.create("pt2", KitRef("lab", "k2"), "vitals")
        refused = await client.post(f"/api/v1/sessions/{other.id}/timing/accept")
        assert refused.status_code == 409
