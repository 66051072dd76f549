"""The page's Start restarts a paused scan without choosing anything (``ScanMachine.resume``,
``SessionManager.resume_scan``, the ``start`` client frame); a running scan is left alone."""

from __future__ import annotations

from typing import Any

import pytest

from accessibility.model import Choice, LearnerProfile
from accessibility.scanning import ScanMachine, ScanSettings
from accessibility.scenario import load_scenario
from gateway.identifiers import KitRef
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.records.base import EventRow
from twin_service.records.views import event_summary
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.observer import NoObserver

CHOICES = tuple(Choice(f"c{i}", f"Choice {i}") for i in range(3))
KIT = KitRef("lab", "kit-start")


def paused_machine(**kw: Any) -> ScanMachine:
    m = ScanMachine(ScanSettings(loops=1, first_item_extra_ms=0, **kw))
    m.set_choices(CHOICES, 0.0)
    assert m.tick(3.0).kind == "paused"
    return m


def test_resume_restarts_a_paused_scan_at_the_first_item_choosing_nothing() -> None:
    m = paused_machine()
    out = m.resume(50.0)
    assert (out.kind, out.highlighted, out.choice) == ("restarted", 0, None)
    assert m.paused is False
    assert m.state_for_frame()["loops_left"] == 1
    assert m.next_deadline() == pytest.approx(51.0)  # and it moves on by itself again
    assert m.tick(51.0).highlighted == 1


def test_resume_leaves_a_running_scan_alone() -> None:
    m = paused_machine()
    m.resume(50.0)
    assert m.tick(51.5).highlighted == 1
    out = m.resume(51.6)
    assert (out.kind, out.highlighted) == ("none", 1)  # not back at the top
    assert m.next_deadline() == pytest.approx(52.0)


def test_resume_applies_a_pause_that_was_due_then_restarts() -> None:
    m = ScanMachine(ScanSettings(loops=1, first_item_extra_ms=0))
    m.set_choices(CHOICES, 0.0)
    out = m.resume(10.0)  # never ticked: the pause at 3 s is applied first
    assert (out.kind, out.highlighted) == ("restarted", 0)


def test_resume_without_choices_does_nothing() -> None:
    m = ScanMachine(ScanSettings(loops=1))
    assert m.resume(5.0).kind == "none"
    assert m.highlighted is None


class Recorder(NoObserver):
    def __init__(self) -> None:
        self.kinds: list[str] = []

    def event(self, session: Session, kind: str, data: dict[str, Any], ts: float) -> None:
        self.kinds.append(kind)


def paused_session(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[SessionManager, Session, Recorder, list[dict[str, Any]]]:
    hub, recorder = Hub(ServiceMetrics()), Recorder()
    manager = SessionManager(
        {"vitals": load_scenario("vitals")},
        hub,
        lambda _: LearnerProfile(),
        clock=lambda: 1_000.0,
        observer=recorder,
    )
    session, _ = manager.create("learner-1", KIT, "vitals")
    published: list[dict[str, Any]] = []
    monkeypatch.setattr(hub, "publish", lambda _group, frame: published.append(frame))
    manager.tick(1_000.0 + 600.0)  # far past every pass: the scan has paused
    assert session.scan.paused
    published.clear()
    return manager, session, recorder, published


def test_the_manager_restarts_a_paused_scan_and_publishes_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager, session, recorder, published = paused_session(monkeypatch)
    steps_before, choices_before = session.policy.step_id, session.scan.choices
    assert manager.resume_scan(session, 1_700.0) is True
    assert session.scan.highlighted == 0 and not session.scan.paused
    assert [f["type"] for f in published] == ["scan"]
    assert published[0]["highlighted"] == 0
    assert published[0]["paused"] is False
    assert "choice" not in recorder.kinds  # nothing was chosen
    assert recorder.kinds[-1] == "scan.restarted"
    assert (session.policy.step_id, session.scan.choices) == (steps_before, choices_before)


def test_repeated_starts_while_scanning_change_and_record_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager, session, recorder, published = paused_session(monkeypatch)
    assert manager.resume_scan(session, 1_700.0) is True
    published.clear()
    kinds = list(recorder.kinds)
    for i in range(100):
        assert manager.resume_scan(session, 1_700.0 + i * 0.001) is False
    assert published == [] and recorder.kinds == kinds
    assert session.scan.highlighted == 0


def test_every_scan_change_from_the_learner_wakes_the_scan_clock(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Start, a press and a new scan time can each bring the next move sooner than the
    scan clock's sleep (up to 1 s): the manager says so, and the runtime wakes the clock."""
    manager, session, _, _ = paused_session(monkeypatch)
    wakes: list[str] = []
    manager.on_scan_changed = lambda: wakes.append("wake")
    manager.resume_scan(session, 1_700.0)
    assert len(wakes) >= 1, "Start restarted the scan without waking the clock"
    wakes.clear()
    manager.set_scan_interval(session, 600)
    assert len(wakes) >= 1, "a faster scan time did not wake the clock"
    wakes.clear()
    manager.on_switch(session, "select", "down", 1_700.5)
    manager.on_switch(session, "select", "up", 1_700.6)
    assert len(wakes) >= 1, "a press did not wake the clock"


@pytest.mark.parametrize(
    ("lang", "words"),
    [("en", "Scanning restarted by the learner's Start"), ("ar", "«ابدأ»"), ("zh", "“开始”")],
)
def test_the_restart_is_told_in_the_debrief_language(lang: str, words: str) -> None:
    event = EventRow("s1", 3, 1_700.0, "scan.restarted", {"source": "start"})
    assert words in event_summary(event, lang)
