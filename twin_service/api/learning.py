"""Learners, scenarios and sessions (docs/interface.md, "Learners and sessions")."""

from __future__ import annotations

import contextlib
import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from accessibility.languages import negotiate
from accessibility.scenario_i18n import scenario_in
from gateway.identifiers import IDENTIFIER_PATTERN, KitRef, is_reserved_lab
from twin_service.api.deps import (
    RESERVED_LAB_MESSAGE,
    CallerSessionDep,
    Instructor,
    RuntimeDep,
    SessionsDep,
    SpeechDep,
    principal_of,
)
from twin_service.api.errors import CodedError
from twin_service.api.record_access import (
    REPORT_ROLES,
    open_learner,
    open_session,
    records_away,
    session_report,
)
from twin_service.api.session_records import SessionId, session_events
from twin_service.records.base import EventRow
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.views import recorded_summary
from twin_service.sessions.learners import ProfileUpdate, profile_json
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.report import report_page
from twin_service.speech.espeak import SpeechError

router = APIRouter(tags=["learning"])

LearnerId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$")]


class SessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    learner_id: str = Field(pattern=f"^{IDENTIFIER_PATTERN}$")
    lab: str = Field(pattern=f"^{IDENTIFIER_PATTERN}$")
    kit: str = Field(pattern=f"^{IDENTIFIER_PATTERN}$")
    scenario: str = Field(pattern=f"^{IDENTIFIER_PATTERN}$")

    @field_validator("lab")
    @classmethod
    def _not_reserved(cls, lab: str) -> str:
        if is_reserved_lab(lab):
            raise ValueError(RESERVED_LAB_MESSAGE)
        return lab


@router.put("/api/v1/learners/{learner_id}/profile", dependencies=[Instructor])
async def put_profile(
    learner_id: LearnerId, update: ProfileUpdate, runtime: RuntimeDep, response: Response
) -> dict[str, Any]:
    try:
        await runtime.profiles.load(learner_id)  # fields left out keep their recorded value
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    try:
        profile = runtime.profiles.update(learner_id, update)
    except ValueError as exc:
        raise CodedError(409, "profile_refused", str(exc)) from None
    if not await runtime.records_writer.flush():
        response.headers["X-Records"] = "queued"  # the records database is away
    return {"learner_id": learner_id, **profile_json(profile)}


@router.get("/api/v1/learners/{learner_id}/profile")
async def get_profile(
    learner_id: LearnerId, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """The whole profile (instructor token, or a token of one of the learner's sessions).
    A learner with no profile recorded has the defaults (CONTRACT: ``{}`` means defaults)."""
    try:
        await runtime.profiles.load(learner_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    caller = principal_of(request)
    if caller is None or not caller.is_instructor:
        await open_learner(request, runtime, learner_id)  # a learner reads only their own
    return {"learner_id": learner_id, **profile_json(runtime.profiles.get(learner_id))}


@router.get("/api/v1/scenarios", dependencies=[Instructor])
async def list_scenarios(
    sessions: SessionsDep, request: Request, response: Response
) -> list[dict[str, Any]]:
    """The scenarios, their title and summary in the language the caller's Accept-Language
    prefers (English when none of its languages is supported), as the dashboard shows them."""
    lang = negotiate(request.headers.get("accept-language"))
    response.headers["Vary"] = "Accept-Language"
    shown = (scenario_in(s, lang) for s in sessions.scenarios.values())
    return [
        {
            "id": s.id,
            "title": s.title,
            "summary": s.summary,
            "desired": dict(s.desired),
            "lang": lang,
        }
        for s in shown
    ]


@router.post("/api/v1/sessions", dependencies=[Instructor], status_code=201)
async def create_session(
    body: SessionCreate, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    kit = KitRef(body.lab, body.kit)
    # With the records away the session starts with the cached (or default) profile.
    with contextlib.suppress(RecordsUnavailableError):
        await runtime.profiles.load(body.learner_id)
    try:
        session, token = runtime.sessions.create(body.learner_id, kit, body.scenario)
    except KeyError as exc:
        values = {"scenario": body.scenario}
        raise CodedError(404, "unknown_scenario", str(exc.args[0]), values) from None
    except OverflowError as exc:
        raise CodedError(409, "too_many_sessions", str(exc)) from None
    runtime.set_desired(kit, dict(session.scenario.desired))
    runtime.records_metrics.running_sessions.set(runtime.sessions.running)
    await runtime.records_writer.flush()
    base = str(request.base_url).rstrip("/")
    return {
        "session_id": session.id,
        "learner_token": token,
        "learner_url": f"{base}/learn/{session.id}?token={token}",
    }


@router.get("/api/v1/sessions", dependencies=[Instructor])
async def list_sessions(sessions: SessionsDep) -> list[dict[str, Any]]:
    return [s.summary() for s in sessions.all()]


@router.post("/api/v1/sessions/{session_id}/advance", dependencies=[Instructor])
async def advance_session(session_id: str, sessions: SessionsDep) -> dict[str, Any]:
    """Move the session to its current step's next step (e.g. end CPR compressions)."""
    session = _instructor_session(sessions, session_id)
    sessions.advance(session, time.time())
    return session.summary()


@router.post("/api/v1/sessions/{session_id}/stop", dependencies=[Instructor])
async def stop_session(session_id: str, sessions: SessionsDep) -> dict[str, Any]:
    """End the session now; the report keeps what was scored so far."""
    session = _instructor_session(sessions, session_id)
    sessions.stop(session, time.time())
    return session.summary()


def _instructor_session(sessions: SessionManager, session_id: str) -> Session:
    session = sessions.get(session_id)
    if session is None:
        raise CodedError(404, "no_such_session", "no such session")
    return session


@router.post("/api/v1/sessions/{session_id}/learner-token/revoke", dependencies=[Instructor])
async def revoke_learner_token(
    session_id: SessionId, runtime: RuntimeDep, response: Response
) -> dict[str, Any]:
    """Refuse the session's learner token from now on, also after a restart (its open
    page is disconnected); the instructor still sees the session and its report. A
    recorded session (interrupted, or finished and no longer in memory) can be revoked too.
    The revocation is committed to the records before the answer (``durable``)."""
    sessions = runtime.sessions
    session = sessions.get(session_id)
    closed = 0
    if session is not None:
        closed = sessions.revoke_learner_token(session)
    else:
        try:
            row = await runtime.records.session(session_id)
            seq = await runtime.records.last_seq(session_id) + 1 if row is not None else 0
        except RecordsUnavailableError as exc:
            raise records_away(exc) from None
        if row is None:
            raise CodedError(404, "no_such_session", "no such session")
        revocation = sessions.revoke_recorded(row.session_id, row.token_digest, row.finished_at)
        if revocation is not None:
            data = {"action": "revoke_learner_token", "step": None}
            event = EventRow(session_id, seq, revocation.revoked_at, "instructor", data)
            runtime.records_writer.enqueue([revocation, event])
    runtime.records_metrics.revoked_tokens.set(len(sessions.revocations))
    durable = await runtime.records_writer.flush()
    if not durable:
        response.headers["X-Records"] = "queued"  # the records database is away
    return {
        "session_id": session_id,
        "learner_token_revoked": True,
        "websockets_closed": closed,
        "durable": durable,
    }


@router.post("/api/v1/sessions/{session_id}/report-link", dependencies=[Instructor])
async def report_link(session_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """A link that opens this session's HTML report (live or recorded), and nothing else,
    for a minute: what the dashboard opens in a new tab instead of a URL holding the
    instructor token."""
    await open_session(request, runtime, session_id)  # 404 when neither live nor recorded
    ticket, expires_at = runtime.admission.report_tickets.issue(session_id)
    query = urlencode({"format": "html", "ticket": ticket})
    return {"url": f"/api/v1/sessions/{session_id}/report?{query}", "expires_at": expires_at}


@router.get("/api/v1/sessions/{session_id}")
async def get_session(session_id: str, request: Request, runtime: RuntimeDep) -> dict[str, Any]:
    """A running session here, or any session's record (finished, interrupted, or running
    in another replica)."""
    access = await open_session(request, runtime, session_id)
    if access.live is not None:
        session = access.live
        return {
            **session.summary(),
            "prompt": session.prompt_frame,
            "profile": profile_json(session.profile),
        }
    assert access.row is not None
    try:
        events = await session_events(runtime, session_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    return {**recorded_summary(access.row, events), "prompt": None, "profile": access.row.profile}


@router.get("/api/v1/sessions/{session_id}/report", response_model=None)
async def get_report(
    session_id: str,
    request: Request,
    runtime: RuntimeDep,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> dict[str, Any] | HTMLResponse:
    access = await open_session(request, runtime, session_id, REPORT_ROLES)
    try:
        events = [] if access.live is not None else await session_events(runtime, session_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    report, title = session_report(runtime, access, events)
    wants_html = format == "html" or "text/html" in request.headers.get("accept", "")
    if wants_html:
        return HTMLResponse(report_page(report, title, str(report.get("lang") or "en")))
    return report


@router.get("/api/v1/sessions/{session_id}/speech/{key}.wav")
async def get_speech(session: CallerSessionDep, key: str, speech_engine: SpeechDep) -> Response:
    speech = session.speech.get(key)
    if speech is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such audio in this session")
    try:
        audio = await speech_engine.synthesize(speech)
    except SpeechError as exc:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, f"speech unavailable: {exc}"
        ) from None
    return Response(
        audio, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"}
    )
