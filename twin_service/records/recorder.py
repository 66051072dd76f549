"""``SessionRecorder``: a session's happenings become rows for the records writer.

Each event gets the session's next sequence number; the session's row is written whole
when its state changes. With xAPI on, the statements an event stands for are written in
the same batch (the same transaction), so the outbox never misses one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from twin_service.auth.revocations import Revocation
from twin_service.records.base import EventRow, SessionRow, SessionState, Write
from twin_service.records.metrics import RecordsMetrics
from twin_service.records.writer import RecordsWriter
from twin_service.records.xapi import SessionContext, outbox_writes
from twin_service.sessions.learners import profile_json
from twin_service.sessions.manager import Session
from twin_service.sessions.report import report_json

log = logging.getLogger(__name__)

SCORE_EVERY_S = 5.0  # a changing score is recorded at most this often (and at each step)


class SessionRecorder:
    def __init__(
        self,
        writer: RecordsWriter,
        metrics: RecordsMetrics,
        owner: str,
        *,
        max_events_per_session: int = 20_000,
        xapi_base_url: str | None = None,
        on_statements: Callable[[], None] | None = None,
    ) -> None:
        self.writer = writer
        self.metrics = metrics
        self.owner = owner
        self.max_events = max_events_per_session
        self._xapi_base = xapi_base_url
        self._on_statements = on_statements
        self._seq: dict[str, int] = {}
        self._score_at: dict[str, tuple[float, float, str | None]] = {}  # ts, score, step

    def continue_from(self, session_id: str, last_seq: int) -> None:
        """A resumed session numbers its events after the recorded ones."""
        self._seq[session_id] = last_seq

    def _row(
        self, session: Session, state: SessionState, report: dict[str, Any] | None
    ) -> SessionRow:
        return SessionRow(
            session_id=session.id,
            learner_id=session.learner_id,
            lab=session.kit.lab,
            kit=session.kit.kit,
            scenario=session.scenario.id,
            state=state,
            owner=self.owner,
            created_at=session.created_at,
            token_digest=session.token_digest,
            profile=profile_json(session.profile),
            finished_at=session.finished_at,
            score=session.policy.score().to_dict(),
            report=report,
        )

    def _event(self, session: Session, kind: str, data: dict[str, Any], ts: float) -> list[Write]:
        seq = self._seq.get(session.id, 0) + 1
        if seq > self.max_events and not kind.startswith("session."):
            self.metrics.dropped.labels("session_events").inc()
            return []
        self._seq[session.id] = seq
        event = EventRow(session.id, seq, ts, kind, data)
        out: list[Write] = [event]
        if self._xapi_base is not None:
            ctx = SessionContext(
                self._xapi_base,
                session.id,
                session.learner_id,
                session.kit.lab,
                session.kit.kit,
                session.scenario.id,
                session.scenario.title,
            )
            statements = outbox_writes(ctx, event)
            out.extend(statements)
            if statements and self._on_statements is not None:
                self._on_statements()
        return out

    def started(self, session: Session, now: float) -> None:
        data = {
            "learner_id": session.learner_id,
            "lab": session.kit.lab,
            "kit": session.kit.kit,
            "scenario": session.scenario.id,
        }
        self.writer.enqueue(
            [
                self._row(session, "running", None),
                *self._event(session, "session.created", data, now),
            ]
        )

    def event(self, session: Session, kind: str, data: dict[str, Any], ts: float) -> None:
        self.writer.enqueue(self._event(session, kind, data, ts))

    def score(self, session: Session, now: float, *, force: bool = False) -> None:
        last = self._score_at.get(session.id)
        step = session.policy.step_id
        if not force and last is not None and last[2] == step and now - last[0] < SCORE_EVERY_S:
            return
        report = session.policy.score()
        if not force and last is not None and last[1] == report.score and last[2] == step:
            return
        self._score_at[session.id] = (now, report.score, step)
        summary = report.to_dict()  # a CPR/vitals score or a switch-practice report
        data = {
            "step": step,
            "score": report.score,
            "grade": summary.get("grade"),
            "metrics": dict(summary.get("metrics") or {}),
        }
        self.writer.enqueue(
            [self._row(session, "running", None), *self._event(session, "score", data, now)]
        )

    def finished(self, session: Session, now: float) -> None:
        report = report_json(session)
        report["state"] = "finished"
        data = {"score": report.get("score")}
        self.writer.enqueue(
            [
                *self._event(session, "session.finished", data, now),
                self._row(session, "finished", report),
            ]
        )

    def resumed(self, session: Session, now: float) -> None:
        self.writer.enqueue(
            [self._row(session, "running", None), *self._event(session, "session.resumed", {}, now)]
        )

    def revoked(self, session: Session, revocation: Revocation) -> None:
        """The revocation and an instructor event, in one batch (the route flushes it
        before answering)."""
        data = {"action": "revoke_learner_token", "step": session.policy.step_id}
        self.writer.enqueue(
            [revocation, *self._event(session, "instructor", data, revocation.revoked_at)]
        )

    def forget(self, session_id: str) -> None:
        self._seq.pop(session_id, None)
        self._score_at.pop(session_id, None)
