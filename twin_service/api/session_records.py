"""A session's record: its event timeline (JSON, CSV), bookmarks, resume, the debrief."""

from __future__ import annotations

import math
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from accessibility.languages import negotiate
from accessibility.scenario_i18n import scenario_in
from accesstwin_contract.quantities import unit_of_value
from gateway.identifiers import IDENTIFIER_PATTERN, KitRef
from twin_service.api.deps import Instructor, RuntimeDep
from twin_service.api.errors import CodedError
from twin_service.api.record_access import open_session, records_away, session_report
from twin_service.records.base import EventRow
from twin_service.records.charts import Series
from twin_service.records.debrief import debrief_html, sensors_for
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.views import events_csv, events_json, merge_events
from twin_service.runtime import Runtime
from twin_service.store.base import BucketWidth

router = APIRouter(tags=["records"])

SessionId = Annotated[str, Path(pattern=f"^{IDENTIFIER_PATTERN}$")]
MAX_NOTE_CHARS = 500


class BookmarkCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=MAX_NOTE_CHARS)
    ts: float | None = Field(default=None, description="Unix seconds (default: now)")


async def session_events(runtime: Runtime, session_id: str) -> list[EventRow]:
    """Committed events and those still waiting for a commit, in time order."""
    try:
        committed = await runtime.records.events(
            session_id, runtime.settings.records_max_session_events
        )
    except RecordsUnavailableError:
        if runtime.sessions.get(session_id) is None:
            raise
        committed = []  # running here: what is queued is all there is to show
    return merge_events(committed, runtime.records_writer.pending_events(session_id))


@router.get("/api/v1/sessions/{session_id}/events", response_model=None)
async def get_events(
    session_id: SessionId,
    request: Request,
    runtime: RuntimeDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> dict[str, Any] | Response:
    await open_session(request, runtime, session_id)
    try:
        events = await session_events(runtime, session_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    if format == "csv":
        return Response(
            events_csv(events),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="session-{session_id}.csv"'},
        )
    return {"session_id": session_id, "events": events_json(events)}


@router.post("/api/v1/sessions/{session_id}/bookmarks", dependencies=[Instructor], status_code=201)
async def add_bookmark(
    session_id: SessionId, body: BookmarkCreate, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    access = await open_session(request, runtime, session_id)
    ts = time.time() if body.ts is None else body.ts
    if not math.isfinite(ts) or ts <= 0:
        raise CodedError(422, "invalid_time", "ts: Unix seconds, finite")
    data = {"note": body.note.strip() or "Bookmark"}
    if access.live is not None:
        runtime.recorder.event(access.live, "bookmark", data, ts)
    else:
        try:
            seq = await runtime.records.last_seq(session_id) + 1
        except RecordsUnavailableError as exc:
            raise records_away(exc) from None
        runtime.records_writer.enqueue([EventRow(session_id, seq, ts, "bookmark", data)])
    durable = await runtime.records_writer.flush()
    return {"session_id": session_id, "ts": ts, **data, "durable": durable}


@router.post("/api/v1/sessions/{session_id}/resume", dependencies=[Instructor])
async def resume_session(
    session_id: SessionId, request: Request, runtime: RuntimeDep
) -> dict[str, Any]:
    """Bring an interrupted session back (its recorded choices are replayed)."""
    access = await open_session(request, runtime, session_id)
    row = access.row
    if access.live is not None or row is None:
        detail = "the session is running in this service"
        raise CodedError(409, "session_running_here", detail)
    if row.state != "interrupted":
        detail = f"only an interrupted session can resume; this one is {row.state}"
        raise CodedError(409, "not_interrupted", detail, {"state": row.state})
    try:
        events = await session_events(runtime, session_id)
        await runtime.profiles.load(row.learner_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    replay = [
        ("choice", str(e.data["choice"]), e.ts) if e.kind == "choice" else ("advance", "", e.ts)
        for e in events
        if (e.kind == "choice" and e.data.get("accepted", True))
        or (e.kind == "instructor" and e.data.get("action") == "advance")
    ]
    runtime.recorder.continue_from(session_id, max((e.seq for e in events), default=0))
    try:
        session = runtime.sessions.resume(
            session_id,
            row.learner_id,
            KitRef(row.lab, row.kit),
            row.scenario,
            row.token_digest,
            row.created_at,
            replay,
        )
    except OverflowError as exc:
        raise CodedError(409, "too_many_sessions", str(exc)) from None
    except (KeyError, ValueError) as exc:
        raise CodedError(409, "resume_refused", str(exc)) from None
    runtime.set_desired(session.kit, dict(session.scenario.desired))
    await runtime.records_writer.flush()
    return session.summary()


@router.get("/api/v1/sessions/{session_id}/debrief", response_class=HTMLResponse)
async def get_debrief(session_id: SessionId, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    """The debrief as an HTML fragment (the page ``/sessions/{id}/debrief`` shows it), in
    the language the request's Accept-Language prefers (English when none)."""
    access = await open_session(request, runtime, session_id)
    try:
        events = await session_events(runtime, session_id)
    except RecordsUnavailableError as exc:
        raise records_away(exc) from None
    report, title = session_report(runtime, access, events)
    vitals = await _vitals(runtime, report)
    lang = negotiate(request.headers.get("accept-language"))
    scenario = runtime.sessions.scenarios.get(str(report["scenario"]))
    if scenario is not None:
        title = scenario_in(scenario, lang).title
    return HTMLResponse(
        debrief_html(report, title, events, vitals, lang),
        headers={"Vary": "Accept-Language", "Content-Language": lang},
    )


CHART_BUCKETS = 400  # the debrief's charts: means over this many buckets of the session


async def _vitals(runtime: Runtime, report: dict[str, Any]) -> dict[str, Series]:
    """The kit's history over the session: each sensor the scenario is about."""
    kit = KitRef(report["lab"], report["kit"])
    start = float(report["created_at"])
    end = float(report.get("finished_at") or time.time())
    width = min(max((end - start) / CHART_BUCKETS, BucketWidth.MIN_S), BucketWidth.MAX_S)
    every = BucketWidth(round(width * 1e9))
    out: dict[str, Series] = {}
    for sensor in sensors_for(report["scenario"]):
        points = await runtime.store.history_means(kit, sensor, start, end, every, CHART_BUCKETS)
        if points:
            out[sensor] = Series(sensor, unit_of_value(sensor), [(p[0], p[1]) for p in points])
    return out
