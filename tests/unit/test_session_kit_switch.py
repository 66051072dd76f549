"""Kit switch events reach a session's scanning machine only while they are live.

A kit spools its ``input`` events like telemetry; after a broker outage it may deliver
presses made long ago. Such an event (device ``ts`` far behind the service clock) must not
select anything; a fresh one does, also from a kit whose clock is seconds off.
"""

from __future__ import annotations

import logging
import time

import pytest

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from gateway.identifiers import KitRef
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import STALE_SWITCH_S, Session, SessionManager
from twin_service.twins.twin import Twin, ValueEntry

KIT = KitRef("lab", "kit-switch")


def start() -> tuple[SessionManager, Session]:
    manager = SessionManager(
        {"vitals": load_scenario("vitals")}, Hub(ServiceMetrics()), lambda _: LearnerProfile()
    )
    session, _ = manager.create("learner-1", KIT, "vitals")
    assert session.policy.step_id == "observe"
    return manager, session


def open_choices(session: Session) -> list[str]:
    prompt = session.policy.current_prompt()
    assert prompt is not None
    return [c.id for c in prompt.choices]


def press(manager: SessionManager, ts: float | None) -> list[bool]:
    return [
        manager.on_kit_switch(KIT, "select", "down", ts),
        manager.on_kit_switch(KIT, "select", "up", None if ts is None else ts + 0.1),
    ]


def test_a_press_replayed_from_a_kit_spool_selects_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    manager, session = start()
    before = (open_choices(session), len(session.log))
    with caplog.at_level(logging.WARNING, logger="twin_service.sessions.manager"):
        assert press(manager, time.time() - 60.0) == [False, False]  # a minute old
    assert (open_choices(session), len(session.log)) == before
    assert manager.stale_switch_events == 2
    assert "not applied" in caplog.text  # said once (rate-limited), not per event
    assert caplog.text.count("not applied") == 1


@pytest.mark.parametrize("age_s", [0.0, 0.5, STALE_SWITCH_S - 0.5])
def test_a_fresh_press_selects_the_highlighted_choice(age_s: float) -> None:
    manager, session = start()
    assert open_choices(session) == ["normal", "concerned"]
    assert press(manager, time.time() - age_s) == [True, True]
    # The first item was highlighted: "Vitals look normal" is wrong, explained and removed;
    # an undo choice comes first for a few seconds (a slip of the switch can be taken back).
    assert open_choices(session) == ["undo", "concerned"]
    assert manager.stale_switch_events == 0


def test_an_event_without_a_device_time_is_applied_as_before() -> None:
    manager, session = start()
    assert press(manager, None) == [True, True]
    assert open_choices(session) == ["undo", "concerned"]


@pytest.mark.parametrize("skew", [-8.0, 8.0])
def test_a_kit_whose_clock_is_off_has_live_presses_and_stale_replays(skew: float) -> None:
    """The kit's clock offset, learnt from its telemetry, puts a press on the service clock."""
    now = [time.time()]
    manager = SessionManager(
        {"vitals": load_scenario("vitals")},
        Hub(ServiceMetrics()),
        lambda _: LearnerProfile(),
        clock=lambda: now[0],
    )
    session, _ = manager.create("learner-1", KIT, "vitals")
    twin = Twin(KIT, online=True)
    for _ in range(10):  # telemetry every 0.2 s, the kit's clock ``skew`` s off
        now[0] += 0.2
        twin.reported["hr"] = ValueEntry(80.0, "bpm", now[0] + skew - 0.01, now[0])
        manager.on_twin_change(twin)
    now[0] += 1.0
    assert press(manager, now[0] + skew - 60.0) == [False, False]  # a replayed press
    assert open_choices(session) == ["normal", "concerned"]
    # Scanning starts over, so the press lands on the first answer (after 3 s of auto scan
    # the highlight would be on the third item, "Read the vitals", which removes no answer).
    session.scan.set_choices(session.scan.choices, now[0])
    assert press(manager, now[0] + skew - 0.1) == [True, True]  # a live one
    assert open_choices(session) == ["undo", "concerned"]
    assert manager.stale_switch_events == 2
