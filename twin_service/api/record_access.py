"""Who may read which record: instructors read all; a learner token reads its own.

An instructor asking for an id that has no record gets 404 with the reason. Anyone else
gets the same 403 for "no such id" and "not yours", so ids are not disclosed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request

from twin_service.api.deps import client_address, may_open, principal_of, refusal_exception
from twin_service.api.errors import CodedError
from twin_service.auth.admission import NOT_YOUR_SESSION, Principal, Refusal
from twin_service.auth.tokens import bearer
from twin_service.records.base import EventRow, SessionRow
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.views import recorded_report
from twin_service.runtime import Runtime
from twin_service.sessions.manager import Session
from twin_service.sessions.report import report_json

LEARNER_ROLE = frozenset({"learner"})
REPORT_ROLES = frozenset({"learner", "report"})  # a report link opens the report only
MAX_LEARNER_SESSIONS = 1_000  # newest first; the learner's list and token check read these


@dataclass(frozen=True, slots=True)
class SessionAccess:
    live: Session | None  # running in this process
    row: SessionRow | None  # its record, when it is not running here
    instructor: bool


def records_away(exc: RecordsUnavailableError) -> HTTPException:
    return CodedError(503, "records_unavailable", f"records unavailable: {exc}")


def _token(request: Request) -> str | None:
    return bearer(request.headers.get("authorization")) or request.query_params.get("token")


def _admit(
    request: Request, runtime: Runtime, session_id: str | None, digests: list[bytes]
) -> Principal:
    """Who the caller is: the guard's answer, else the one admission rule asked with the
    recorded sessions' token digests (a refusal is counted and raised)."""
    principal = principal_of(request)
    if principal is not None:
        return principal
    outcome = runtime.admission.recorded(
        session_id, _token(request), client_address(request), digests
    )
    if isinstance(outcome, Refusal):
        raise refusal_exception(outcome, session=True)
    return outcome


def _refuse(request: Request, runtime: Runtime) -> HTTPException:
    refusal = runtime.admission.refuse(client_address(request), NOT_YOUR_SESSION)
    return refusal_exception(refusal, session=True)


def _in_force(runtime: Runtime, row: SessionRow) -> bool:
    """A recorded session's learner token is in force as a live one is (not revoked, and
    until ``learner_token_grace_s`` after it finished)."""
    return runtime.sessions.recorded_token_in_force(row.finished_at, row.token_digest)


async def open_session(
    request: Request,
    runtime: Runtime,
    session_id: str,
    roles: frozenset[str] = LEARNER_ROLE,
) -> SessionAccess:
    live = runtime.sessions.get(session_id)
    row = None
    if live is None:
        try:
            row = await runtime.records.session(session_id)
        except RecordsUnavailableError as exc:
            raise records_away(exc) from None
    digests = [row.token_digest] if row is not None and _in_force(runtime, row) else []
    principal = _admit(request, runtime, session_id, digests)
    if live is None and row is None:
        if principal.is_instructor:
            raise CodedError(404, "no_such_session", f"no such session: {session_id}")
        raise _refuse(request, runtime)
    if not may_open(principal, session_id, roles):
        raise _refuse(request, runtime)
    return SessionAccess(live, row, principal.is_instructor)


async def open_learner(request: Request, runtime: Runtime, learner_id: str) -> list[SessionRow]:
    """The learner's recorded sessions (newest first), if the caller may read them."""
    try:
        rows = await runtime.records.sessions_of(learner_id, MAX_LEARNER_SESSIONS)
        known = bool(rows) or await runtime.profiles.load(learner_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    live = [s for s in runtime.sessions.all() if s.learner_id == learner_id]
    token = _token(request)
    if any(runtime.sessions.learner_may_open(s, token) for s in live):
        return rows  # the token of one of the learner's live sessions
    live_ids = {s.id for s in live}
    digests = [
        r.token_digest for r in rows if r.session_id not in live_ids and _in_force(runtime, r)
    ]
    principal = _admit(request, runtime, None, digests)
    if principal.is_instructor:
        if not known and not live:
            raise CodedError(404, "no_such_learner", f"no such learner: {learner_id}")
        return rows
    if principal.role != "learner" or principal.session_id is not None:
        raise _refuse(request, runtime)  # a session's learner or a report link: not here
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
