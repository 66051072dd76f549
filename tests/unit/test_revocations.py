"""Revoked learner tokens (issue 17 gap): kept in memory for admission, written to the
records, and dropped in both once the token has expired by itself."""

from __future__ import annotations

import asyncio

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from gateway.identifiers import KitRef
from twin_service.auth.revocations import Revocation, RevokedLearnerTokens
from twin_service.auth.tokens import digest
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.records.base import SessionRow
from twin_service.records.metrics import RecordsMetrics
from twin_service.records.recorder import SessionRecorder
from twin_service.records.sql import SqlRecords
from twin_service.records.writer import RecordsWriter
from twin_service.sessions.manager import SessionManager

KIT = KitRef("ward", "k1")


def test_a_revocation_is_dropped_only_once_its_session_finished_past_the_grace() -> None:
    revoked = RevokedLearnerTokens()
    revoked.add(Revocation(b"a", "s-a", 10.0))  # session still running
    revoked.add(Revocation(b"b", "s-b", 10.0, finished_at=20.0))
    assert revoked.prune(now=1_000.0, grace_s=600) == 1
    assert revoked.revoked(b"a")
    assert not revoked.revoked(b"b")
    revoked.finished("s-a", 500.0)
    assert revoked.prune(now=1_100.0, grace_s=600) == 0  # 600 s after finishing: in force
    assert revoked.prune(now=1_100.5, grace_s=600) == 1
    assert len(revoked) == 0


def test_the_manager_asks_the_revocations_and_tells_the_observer() -> None:
    metrics = ServiceMetrics()
    records_metrics = RecordsMetrics(metrics.registry)
    writer = RecordsWriter(SqlRecords("sqlite://"), records_metrics)
    now = [1_000.0]
    revocations = RevokedLearnerTokens()
    manager = SessionManager(
        {"vitals": load_scenario("vitals")},
        Hub(metrics),
        lambda _: LearnerProfile(),
        clock=lambda: now[0],
        observer=SessionRecorder(writer, records_metrics, "owner-1"),
        revocations=revocations,
    )
    session, token = manager.create("l1", KIT, "vitals")
    assert manager.recorded_token_in_force(None, digest(token))
    manager.revoke_learner_token(session)
    assert revocations.revoked(digest(token))
    assert not manager.learner_opens(session.id, token)
    assert not manager.recorded_token_in_force(None, digest(token))
    written = [w for w in writer._queue if isinstance(w, Revocation)]
    assert written == [Revocation(digest(token), session.id, 1_000.0)]
    manager.revoke_learner_token(session)  # once is enough
    assert len([w for w in writer._queue if isinstance(w, Revocation)]) == 1
    # A fresh manager that loaded the revocation (a restart) refuses the token too.
    restarted = SessionManager(
        {"vitals": load_scenario("vitals")},
        Hub(metrics),
        lambda _: LearnerProfile(),
        revocations=RevokedLearnerTokens(),
    )
    restarted.revocations.load(written)
    resumed = restarted.resume(session.id, "l1", KIT, "vitals", digest(token), 1_000.0, [])
    assert not restarted.learner_opens(resumed.id, token)


def _row(session_id: str, token: str, finished_at: float | None) -> SessionRow:
    return SessionRow(
        session_id=session_id,
        learner_id="l1",
        lab="ward",
        kit="k1",
        scenario="vitals",
        state="finished" if finished_at is not None else "running",
        owner="o",
        created_at=0.0,
        token_digest=digest(token),
        profile={},
        finished_at=finished_at,
    )


def test_the_records_keep_revocations_until_the_token_expired() -> None:
    async def run() -> tuple[list[Revocation], list[Revocation]]:
        records = SqlRecords("sqlite://")
        await records.open()
        await records.write(
            [
                _row("running", "t-running", None),
                _row("recent", "t-recent", 900.0),
                _row("old", "t-old", 100.0),
                Revocation(digest("t-running"), "running", 50.0),
                Revocation(digest("t-recent"), "recent", 950.0),
                Revocation(digest("t-old"), "old", 150.0),
                Revocation(digest("t-old"), "old", 160.0),  # twice: kept once
            ]
        )
        first = await records.revocations(now=1_000.0, grace_s=600)
        later = await records.revocations(now=1_000.0, grace_s=10_000)  # deleted stays gone
        await records.close()
        return first, later

    first, later = asyncio.run(run())
    expected = [
        Revocation(digest("t-running"), "running", 50.0, None),
        Revocation(digest("t-recent"), "recent", 950.0, 900.0),
    ]
    assert sorted(first, key=lambda r: r.session_id) == sorted(expected, key=lambda r: r.session_id)
    assert sorted(later, key=lambda r: r.session_id) == sorted(expected, key=lambda r: r.session_id)
