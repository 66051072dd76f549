"""The instructor accepts the debounce and hold times a switch practice proposed
(docs/switch-scanning.md, "Practice proposes timing")."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Response

from twin_service.api.deps import Instructor, RuntimeDep
from twin_service.api.errors import CodedError
from twin_service.api.record_access import records_away
from twin_service.records.errors import RecordsUnavailableError
from twin_service.sessions.learners import ProfileUpdate, profile_json
from twin_service.sessions.practice_timing import timing_summary

router = APIRouter(tags=["learning"])


@router.post("/api/v1/sessions/{session_id}/timing/accept", dependencies=[Instructor])
async def accept_timing(session_id: str, runtime: RuntimeDep, response: Response) -> dict[str, Any]:
    """Write the finished practice's proposed ``debounce_ms`` and ``hold_ms`` into the
    learner's profile; 409 when the session is not a finished switch practice."""
    session = runtime.sessions.get(session_id)
    if session is None:
        raise CodedError(404, "no_such_session", "no such session")
    timing = timing_summary(session)
    if timing is None:
        raise CodedError(409, "not_finished_practice", "not a finished switch practice")
    proposed = timing["proposed"]
    try:
        await runtime.profiles.load(session.learner_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    profile = runtime.profiles.update(session.learner_id, ProfileUpdate.model_validate(proposed))
    session.timing_accepted = True
    runtime.sessions.observer.event(
        session, "instructor",
        {"action": "timing.accept", **proposed, "was": timing["current"]}, time.time(),
    )  # fmt: skip
    if not await runtime.records_writer.flush():
        response.headers["X-Records"] = "queued"
    return {"learner_id": session.learner_id, "timing": {**timing, "accepted": True},
            "profile": profile_json(profile)}  # fmt: skip
