"""Websocket endpoints: ``/ws/labs/{lab}`` (snapshot, then ordered deltas) and
``/ws/sessions/{id}`` (feedback for one learner; switch and choice frames back)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Coroutine
from typing import Any, Literal

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.websockets import WebSocketState

from accessibility.model import MAX_SCAN_INTERVAL_MS, MIN_SCAN_INTERVAL_MS
from accesstwin_contract.frames import Frame, snapshot_frame
from accesstwin_contract.groups import lab_group, session_group
from gateway.identifiers import RESERVED_LAB_REASON, is_identifier, is_reserved_lab
from twin_service.live.hub import ClientQueue
from twin_service.live.session_twin import twin_frame
from twin_service.runtime import Runtime
from twin_service.sessions.learners import profile_json

router = APIRouter()

POLICY_VIOLATION = 1008


@router.websocket("/ws/labs/{lab}")
async def lab_socket(websocket: WebSocket, lab: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    client = websocket.client.host if websocket.client else "?"
    if runtime.auth_failures.blocked(client):
        await websocket.close(POLICY_VIOLATION, "too many failed attempts")
        return
    if not runtime.instructors.check(websocket.query_params.get("token")):
        runtime.auth_failures.failed(client)
        await websocket.close(POLICY_VIOLATION, "missing or wrong token")
        return
    if not is_identifier(lab):
        await websocket.close(POLICY_VIOLATION, "bad lab identifier")
        return
    if is_reserved_lab(lab):
        await websocket.close(POLICY_VIOLATION, RESERVED_LAB_REASON)
        return
    batch_ms = batch_interval_ms(websocket.query_params.get("batch_ms"))
    if isinstance(batch_ms, str):
        await websocket.close(POLICY_VIOLATION, batch_ms)
        return
    group = lab_group(lab)
    # Subscribe before the snapshot is taken: the loop does not switch tasks between
    # the two, so no delta can fall between snapshot and queue.
    queue = runtime.hub.subscribe(group)
    now = time.time()
    snapshot = snapshot_frame(
        [t.to_json(now, runtime.settings.stale_after_s) for t in runtime.twins.in_lab(lab)]
    )
    await _serve(
        websocket, runtime, group, queue, [snapshot], _drain_client(websocket), batch_ms / 1000
    )


MAX_BATCH_MS = 1_000


def batch_interval_ms(raw: str | None) -> int | str:
    """The ``batch_ms`` query parameter (0 or absent: one frame per message), or why not."""
    if raw is None or raw == "":
        return 0
    if not (len(raw) <= 4 and raw.isascii() and raw.isdigit()) or int(raw) > MAX_BATCH_MS:
        return f"batch_ms must be a whole number of milliseconds from 0 to {MAX_BATCH_MS}"
    return int(raw)


async def _serve(
    websocket: WebSocket,
    runtime: Runtime,
    group: str,
    queue: ClientQueue,
    first: list[Frame],
    reader: Coroutine[Any, Any, None],
    batch_interval_s: float = 0.0,
) -> None:
    """Send ``first``, then pump the client's queue while ``reader`` handles its input.

    The queue was subscribed before ``first`` was built, so nothing falls between them;
    the pump starts only after ``first`` is out, so those frames arrive first.
    """
    reading = asyncio.create_task(reader)
    pump: asyncio.Task[None] | None = None
    try:
        for frame in first:
            await websocket.send_text(json.dumps(frame))
        pump = asyncio.create_task(
            runtime.fanout.deliver(queue, websocket.scope, websocket.send_text, batch_interval_s)
        )
        done, _ = await asyncio.wait({pump, reading}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and isinstance(task.exception(), TimeoutError):
                await _close(websocket, 1013, "client too slow")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reading.cancel()
        if pump is not None:
            pump.cancel()
        runtime.hub.unsubscribe(group, queue)


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the dashboard sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive_text()


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)


class _ClientFrame(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["switch", "choose", "ping", "settings", "read_vitals"]
    switch: Literal["select", "next"] | None = None
    state: Literal["down", "up"] | None = None
    choice: str | None = Field(None, max_length=64)
    ts: float | None = None
    scan_interval_ms: int | None = Field(None, ge=MIN_SCAN_INTERVAL_MS, le=MAX_SCAN_INTERVAL_MS)


def judge_client_frame(text: str) -> _ClientFrame | str:
    """Parse a learner page's frame, or return why it was refused (never raises)."""
    if len(text) > 4_096:
        return "frame too large"
    try:
        frame = _ClientFrame.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "frame"
        return f"{where}: {first['msg']}"
    if frame.type == "switch" and (frame.switch is None or frame.state is None):
        return "a switch frame needs switch and state"
    if frame.type == "choose" and not frame.choice:
        return "a choose frame needs choice"
    if frame.type == "settings" and frame.scan_interval_ms is None:
        return "a settings frame needs scan_interval_ms"
    return frame


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str) -> None:
    runtime: Runtime = websocket.app.state.runtime
    await websocket.accept()
    client = websocket.client.host if websocket.client else "?"
    token = websocket.query_params.get("token")
    session = runtime.sessions.get(session_id)
    allowed = session is not None and (
        runtime.sessions.learner_may_open(session, token) or runtime.instructors.check(token)
    )
    if runtime.auth_failures.blocked(client) or session is None or not allowed:
        runtime.auth_failures.failed(client)
        await websocket.close(POLICY_VIOLATION, "no such session for this token")
        return
    group = session_group(session.id)
    queue = runtime.hub.subscribe(group)
    hello = {
        "type": "session",
        **session.summary(),
        "profile": profile_json(session.profile),
        "metronome_bpm": session.scenario.desired.get("metronome_bpm"),
    }
    now = time.time()
    twin = await twin_frame(
        runtime.twins,
        runtime.store,
        session.kit,
        session.scenario.id,
        runtime.settings.stale_after_s,
        now,
    )
    first: list[Frame] = [hello, twin, *runtime.sessions.frames_for_new_page(session, now)]
    await _serve(
        websocket, runtime, group, queue, first, _session_input(websocket, runtime, session.id)
    )


async def _session_input(websocket: WebSocket, runtime: Runtime, session_id: str) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await websocket.receive_text()
            session = runtime.sessions.get(session_id)
            if session is None:
                return
            frame = judge_client_frame(text)
            if isinstance(frame, str):
                runtime.metrics.messages_rejected.labels("ws_frame").inc()
                await websocket.send_text(json.dumps({"type": "error", "reason": frame}))
            elif frame.type == "switch" and frame.switch and frame.state:
                runtime.sessions.on_switch(session, frame.switch, frame.state, time.time())
            elif frame.type == "choose" and frame.choice:
                runtime.sessions.choose(session, frame.choice, time.time())
            elif frame.type == "settings" and frame.scan_interval_ms is not None:
                # WCAG 2.2.1: the learner may slow scanning down (or speed it up) themselves.
                runtime.sessions.set_scan_interval(session, frame.scan_interval_ms)
                runtime.profiles.remember_scan_interval(session.learner_id, frame.scan_interval_ms)
            elif (
                frame.type == "read_vitals"
                and runtime.sessions.read_vitals(session, runtime.twins.get(session.kit)) is None
            ):
                runtime.metrics.messages_rejected.labels("ws_frame").inc()
                reason = "read_vitals: at most one a second"
                await websocket.send_text(json.dumps({"type": "error", "reason": reason}))
