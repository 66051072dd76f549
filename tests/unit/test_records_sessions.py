"""Sessions and their records, without a database: the running-session limit, finished
sessions leaving memory, what the recorder writes, resume by replaying choices."""

from __future__ import annotations

import asyncio

import pytest

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from gateway.identifiers import KitRef
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.records.base import EventRow, OutboxWrite, SessionRow
from twin_service.records.metrics import RecordsMetrics
from twin_service.records.recorder import SessionRecorder
from twin_service.records.sql import SqlRecords
from twin_service.records.writer import RecordsWriter
from twin_service.sessions import manager as manager_module
from twin_service.sessions.manager import SessionManager

KIT = KitRef("ward", "k1")


def make(
    max_sessions: int = 1_000, xapi: str | None = None
) -> tuple[SessionManager, RecordsWriter]:
    metrics = ServiceMetrics()
    records_metrics = RecordsMetrics(metrics.registry)
    writer = RecordsWriter(SqlRecords("sqlite://"), records_metrics)
    recorder = SessionRecorder(writer, records_metrics, "owner-1", xapi_base_url=xapi)
    manager = SessionManager(
        {"vitals": load_scenario("vitals"), "cpr": load_scenario("cpr")},
        Hub(metrics),
        lambda _: LearnerProfile(),
        max_sessions=max_sessions,
        observer=recorder,
    )
    return manager, writer


def queued(writer: RecordsWriter) -> list[object]:
    return list(writer._queue)


def test_the_limit_is_on_running_sessions_only() -> None:
    manager, _ = make(max_sessions=2)
    one, _ = manager.create("a", KIT, "vitals")
    manager.create("b", KIT, "vitals")
    with pytest.raises(OverflowError, match="limit"):
        manager.create("c", KIT, "vitals")
    manager.stop(one, 1.0)
    manager.create("c", KIT, "vitals")  # the finished one does not count
    assert manager.running == 2


def test_finished_sessions_leave_memory_past_the_linger_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(manager_module, "LINGER_MAX", 3)
    manager, _ = make()
    for i in range(10):
        session, _ = manager.create(f"l{i}", KIT, "vitals")
        manager.stop(session, float(i))
    assert len(manager.all()) == 3  # the newest finished ones linger, the rest are gone
    assert manager.running == 0


def test_recorder_writes_rows_events_and_fixed_statements() -> None:
    manager, writer = make(xapi="http://svc.test")
    session, _ = manager.create("lrn", KIT, "vitals")
    manager.choose(session, "concerned", 2.0)
    manager.stop(session, 3.0)
    items = queued(writer)
    events = [i for i in items if isinstance(i, EventRow)]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    kinds = [e.kind for e in events]
    assert kinds[0] == "session.created"
    assert "choice" in kinds and "feedback" in kinds and "instructor" in kinds
    assert kinds[-1] == "session.finished"
    rows = [i for i in items if isinstance(i, SessionRow)]
    assert rows[-1].state == "finished" and rows[-1].report is not None
    statements = [i for i in items if isinstance(i, OutboxWrite)]
    assert len(statements) == 5  # initialized, answered, scored, completed, terminated
    assert len({s.statement_id for s in statements}) == 5


def test_resume_replays_the_recorded_choices() -> None:
    manager, _ = make()
    session, _ = manager.create("lrn", KIT, "vitals")
    manager.choose(session, "concerned", 2.0)
    assert session.policy.step_id == "recognise"
    other, _ = make()
    resumed = other.resume(
        session.id, "lrn", KIT, "vitals", session.token_digest, session.created_at,
        [("choice", "concerned", 2.0)],
    )  # fmt: skip
    assert resumed.policy.step_id == "recognise"
    assert resumed.policy.score().decisions[0].step == "observe"
    with pytest.raises(ValueError, match="running"):
        other.resume(session.id, "lrn", KIT, "vitals", session.token_digest, 0.0, [])


def test_writer_commits_to_an_in_memory_database_and_reads_back() -> None:
    async def run() -> list[EventRow]:
        manager, writer = make()
        task = asyncio.create_task(writer.run())
        await asyncio.sleep(0)  # the writer task runs
        session, _ = manager.create("lrn", KIT, "vitals")
        manager.choose(session, "concerned", 2.0)
        assert await writer.flush(10)
        events = await writer.store.events(session.id, 1_000)
        task.cancel()
        return events

    events = asyncio.run(run())
    assert "session.created" in {e.kind for e in events}
    assert any(e.kind == "choice" and e.data["choice"] == "concerned" for e in events)
