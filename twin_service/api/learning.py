"""Learners, scenarios and sessions (docs/interface.md, "Learners and sessions")."""

from __future__ import annotations

import time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request, status
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, field_validator

from gateway.identifiers import IDENTIFIER_PATTERN, KitRef, is_reserved_lab
from twin_service.api.deps import (
    RESERVED_LAB_MESSAGE,
    AdmissionDep,
    CallerSessionDep,
    Instructor,
    ProfilesDep,
    ReportSessionDep,
    SessionsDep,
    SetDesiredDep,
    SpeechDep,
)
from twin_service.sessions.learners import ProfileUpdate, profile_json
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.report import report_html, report_json
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
    learner_id: LearnerId, update: ProfileUpdate, profiles: ProfilesDep
) -> dict[str, Any]:
    try:
        profile = profiles.update(learner_id, update)
    except ValueError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    return {"learner_id": learner_id, **profile_json(profile)}


@router.get("/api/v1/learners/{learner_id}/profile", dependencies=[Instructor])
async def get_profile(learner_id: LearnerId, profiles: ProfilesDep) -> dict[str, Any]:
    return {"learner_id": learner_id, **profile_json(profiles.get(learner_id))}


@router.get("/api/v1/scenarios", dependencies=[Instructor])
async def list_scenarios(sessions: SessionsDep) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "title": s.title, "summary": s.summary, "desired": dict(s.desired)}
        for s in sessions.scenarios.values()
    ]


@router.post("/api/v1/sessions", dependencies=[Instructor], status_code=201)
async def create_session(
    body: SessionCreate, request: Request, sessions: SessionsDep, set_desired: SetDesiredDep
) -> dict[str, Any]:
    kit = KitRef(body.lab, body.kit)
    try:
        session, token = sessions.create(body.learner_id, kit, body.scenario)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc.args[0])) from None
    except OverflowError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    set_desired(kit, dict(session.scenario.desired))
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
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such session")
    return session


@router.post("/api/v1/sessions/{session_id}/learner-token/revoke", dependencies=[Instructor])
async def revoke_learner_token(session_id: str, sessions: SessionsDep) -> dict[str, Any]:
    """Refuse the session's learner token from now on (its open page is disconnected);
    the instructor still sees the session and its report."""
    session = _instructor_session(sessions, session_id)
    closed = sessions.revoke_learner_token(session)
    return {"session_id": session.id, "learner_token_revoked": True, "websockets_closed": closed}


@router.post("/api/v1/sessions/{session_id}/report-link", dependencies=[Instructor])
async def report_link(
    session_id: str, sessions: SessionsDep, admission: AdmissionDep
) -> dict[str, Any]:
    """A link that opens this session's HTML report, and nothing else, for a minute: what
    the dashboard opens in a new tab instead of a URL holding the instructor token."""
    session = _instructor_session(sessions, session_id)
    ticket, expires_at = admission.report_tickets.issue(session.id)
    query = urlencode({"format": "html", "ticket": ticket})
    return {"url": f"/api/v1/sessions/{session.id}/report?{query}", "expires_at": expires_at}


@router.get("/api/v1/sessions/{session_id}")
async def get_session(session: CallerSessionDep) -> dict[str, Any]:
    return {
        **session.summary(),
        "prompt": session.prompt_frame,
        "profile": profile_json(session.profile),
    }


@router.get("/api/v1/sessions/{session_id}/report", response_model=None)
async def get_report(
    session: ReportSessionDep,
    request: Request,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> dict[str, Any] | HTMLResponse:
    wants_html = format == "html" or "text/html" in request.headers.get("accept", "")
    if wants_html:
        return HTMLResponse(report_html(session))
    return report_json(session)


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
