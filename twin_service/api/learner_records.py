"""A learner's record: sessions and progress across them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from accessibility.languages import negotiate
from gateway.identifiers import IDENTIFIER_PATTERN
from twin_service.api.deps import RuntimeDep
from twin_service.api.record_access import open_learner, records_away
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.progress import (
    PROGRESS_SESSIONS,
    progress_html,
    progress_json,
    session_progress,
)
from twin_service.sessions.learners import profile_json

router = APIRouter(tags=["records"])

LearnerId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$")]


@router.get("/api/v1/learners/{learner_id}/sessions")
async def learner_sessions(
    learner_id: LearnerId, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """The learner's sessions, newest first (the newest 1,000)."""
    rows = await open_learner(request, runtime, learner_id)
    return {"learner_id": learner_id, "sessions": [r.listing() for r in rows]}


@router.get("/api/v1/learners/{learner_id}/progress", response_model=None)
async def learner_progress(
    learner_id: LearnerId,
    request: Request,
    runtime: RuntimeDep,
    format: Annotated[str, Query(pattern="^(json|html)$")] = "json",
) -> dict[str, Any] | HTMLResponse:
    """Scores, % in target, reaction and scan time over the newest 30 sessions. The HTML
    is in the language the request's Accept-Language prefers (English when none)."""
    rows = await open_learner(request, runtime, learner_id)
    per_session = []
    try:
        for row in rows[:PROGRESS_SESSIONS]:
            events = await runtime.records.events(
                row.session_id, runtime.settings.records_max_session_events
            )
            per_session.append(session_progress(row, events))
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    data = progress_json(learner_id, per_session)
    if format == "html":
        profile = profile_json(runtime.profiles.get(learner_id))
        lang = negotiate(request.headers.get("accept-language"))
        return HTMLResponse(
            progress_html(learner_id, data, profile, lang),
            headers={"Vary": "Accept-Language", "Content-Language": lang},
        )
    return data
