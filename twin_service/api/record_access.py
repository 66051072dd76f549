"""Who may read which record: instructors read all; a learner token reads its own.

An instructor asking for an id that has no record gets 404 with the reason. Anyone else
gets the same 403 for "no such id" and "not yours", so ids are not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request, status

from twin_service.api.deps import RuntimeDep, client_address
from twin_service.auth.tokens import bearer, matches
from twin_service.records.base import EventRow, SessionRow
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.views import recorded_report
from twin_service.runtime import Runtime
from twin_service.sessions.manager import Session
from twin_service.sessions.report import report_json

MAX_LEARNER_SESSIONS = 1_000  # newest first; the learner's list and token check read these


@dataclass(frozen=True, slots=True)
class SessionAccess:
    live: Session | None  # running in this process
    row: SessionRow | None  # its record, when it is not running here
    instructor: bool


def records_away(exc: RecordsUnavailableError) -> HTTPException:
    return HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, f"records unavailable: {exc}")


def _token(request: Request) -> str | None:
    return bearer(request.headers.get("authorization")) or request.query_params.get("token")


def _caller(request: Request, runtime: Runtime) -> tuple[str, str | None, bool]:
    client = client_address(request)
    if runtime.auth_failures.blocked(client):
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, "too many failed attempts")
    token = _token(request)
    instructor = not runtime.instructors.enabled or runtime.instructors.check(token)
    return client, token, instructor


def _refuse(runtime: Runtime, client: str) -> HTTPException:
    runtime.auth_failures.failed(client)
    return HTTPException(status.HTTP_403_FORBIDDEN, "no such record for this token")


async def open_session(request: Request, runtime: RuntimeDep, session_id: str) -> SessionAccess:
    client, token, instructor = _caller(request, runtime)
    live = runtime.sessions.get(session_id)
    row = None
    if live is None:
        try:
            row = await runtime.records.session(session_id)
        except RecordsUnavailableError as exc:
            raise records_away(exc) from None
    if live is None and row is None:
        if instructor:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such session: {session_id}")
        raise _refuse(runtime, client)
    digest = live.token_digest if live is not None else row.token_digest  # type: ignore[union-attr]
    if not instructor and not matches(token, [digest]):
        raise _refuse(runtime, client)
    return SessionAccess(live, row, instructor)


async def open_learner(request: Request, runtime: RuntimeDep, learner_id: str) -> list[SessionRow]:
    """The learner's recorded sessions (newest first), if the caller may read them."""
    client, token, instructor = _caller(request, runtime)
    try:
        rows = await runtime.records.sessions_of(learner_id, MAX_LEARNER_SESSIONS)
        known = bool(rows) or await runtime.profiles.load(learner_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    live = [s for s in runtime.sessions.all() if s.learner_id == learner_id]
    if instructor:
        if not known and not live:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such learner: {learner_id}")
        return rows
    if not matches(token, [r.token_digest for r in rows] + [s.token_digest for s in live]):
        raise _refuse(runtime, client)
    return rows


def session_report(
    runtime: Runtime, access: SessionAccess, events: list[EventRow]
) -> tuple[dict[str, Any], str]:
    """The session's report (live, or from its record) and its scenario's title."""
    if access.live is not None:
        return report_json(access.live), access.live.scenario.title
    row = access.row
    assert row is not None
    scenario = runtime.sessions.scenarios.get(row.scenario)
    return recorded_report(row, events), scenario.title if scenario else row.scenario
