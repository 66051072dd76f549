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
from twin_service.api.deps import (
    AdmissionDep,
    FanoutDep,
    HubDep,
    MetricsDep,
    ProfilesDep,
    SessionsDep,
    SettingsDep,
    StoreDep,
    TwinsDep,
    client_address,
)
from twin_service.api.guard import socket_protocol, socket_token
from twin_service.auth.admission import NOT_YOUR_SESSION, THROTTLED_CLOSE, Principal, Refusal
from twin_service.live.fanout import Broadcaster
from twin_service.live.hub import ClientQueue, Hub, frame_text
from twin_service.live.session_twin import twin_frame
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.learners import LearnerProfiles, profile_json
from twin_service.sessions.manager import SessionManager
from twin_service.twins.registry import TwinRegistry

router = APIRouter()

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013  # the close of a client too slow for the fan-out's send_timeout_s


async def _admitted(websocket: WebSocket, outcome: Principal | Refusal) -> bool:
    """Accept the socket; close it at once (1008, with the reason) if it was refused."""
    await websocket.accept(subprotocol=socket_protocol(websocket.scope))
    if isinstance(outcome, Refusal):
        await websocket.close(
            THROTTLED_CLOSE if outcome.throttled else POLICY_VIOLATION, outcome.reason
        )
        return False
    return True


@router.websocket("/ws/labs/{lab}")
async def lab_socket(
    websocket: WebSocket,
    lab: str,
    admission: AdmissionDep,
    hub: HubDep,
    fanout: FanoutDep,
    twins: TwinsDep,
    settings: SettingsDep,
) -> None:
    token = socket_token(websocket.scope)
    if not await _admitted(websocket, admission.instructor(token, client_address(websocket))):
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
    queue = hub.subscribe(group)
    now = time.time()
    snapshot = snapshot_frame([t.to_json(now, settings.stale_after_s) for t in twins.in_lab(lab)])
    await _serve(
        websocket, hub, fanout, group, queue, [snapshot], _drain_client(websocket), batch_ms / 1000
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
    hub: Hub,
    fanout: Broadcaster,
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
            await websocket.send_text(frame_text(frame))
        pump = asyncio.create_task(
            fanout.deliver(queue, websocket.scope, websocket.send_text, batch_interval_s)
        )
        done, _ = await asyncio.wait({pump, reading}, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            if not task.cancelled() and isinstance(task.exception(), TimeoutError):
                await _close(websocket, TRY_AGAIN_LATER, "client too slow")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reading.cancel()
        if pump is not None:
            pump.cancel()
        hub.unsubscribe(group, queue)


BINARY_REFUSED = "binary frames are not accepted: send JSON text"


async def _next_text(websocket: WebSocket) -> str | None:
    """The next text frame, ``BINARY_REFUSED`` for a binary one, None once disconnected.

    A binary frame is a client's mistake, not the end of its session (``receive_text``
    would raise on it and end the reader). Frame size is bounded below this, by the
    server (``WS_MAX_FRAME_BYTES`` in ``twin_service/ops/server.py``): a bigger frame
    closes the connection (1009) before it is read whole.
    """
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    return text if isinstance(text, str) else BINARY_REFUSED


async def _drain_client(websocket: WebSocket) -> None:
    """Read (and ignore) what the dashboard sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while await _next_text(websocket) is not None:
            pass


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    if websocket.application_state == WebSocketState.CONNECTED:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(code, reason)


class _ClientFrame(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    type: Literal["switch", "choose", "ping", "settings", "read_vitals", "start"]
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
async def session_socket(
    websocket: WebSocket,
    session_id: str,
    admission: AdmissionDep,
    hub: HubDep,
    fanout: FanoutDep,
    sessions: SessionsDep,
    profiles: ProfilesDep,
    metrics: MetricsDep,
    twins: TwinsDep,
    store: StoreDep,
    settings: SettingsDep,
) -> None:
    token = socket_token(websocket.scope)
    outcome = admission.session(session_id, token, client_address(websocket))
    session = sessions.get(session_id)
    if session is None and not isinstance(outcome, Refusal):
        outcome = admission.refuse(client_address(websocket), NOT_YOUR_SESSION)
    if not await _admitted(websocket, outcome) or session is None:
        return
    group = session_group(session.id)
    queue = hub.subscribe(group)
    hello = {
        "type": "session",
        **session.summary(),
        "profile": profile_json(session.profile),
        "metronome_bpm": session.scenario.desired.get("metronome_bpm"),
    }
    now = time.time()
    twin = await twin_frame(
        twins, store, session.kit, session.scenario.id, settings.stale_after_s, now
    )
    first: list[Frame] = [hello, twin, *sessions.frames_for_new_page(session, now)]
    reader = _session_input(websocket, sessions, profiles, metrics, twins, session.id)
    closing: list[asyncio.Task[None]] = []
    unwatch = None
    if isinstance(outcome, Principal) and not outcome.is_instructor:

        def revoked() -> None:
            closing.append(
                asyncio.create_task(_close(websocket, POLICY_VIOLATION, "token revoked"))
            )

        unwatch = sessions.watch_learner_token(session, revoked)
    try:
        await _serve(websocket, hub, fanout, group, queue, first, reader)
    finally:
        if unwatch is not None:
            unwatch()


async def _session_input(
    websocket: WebSocket,
    sessions: SessionManager,
    profiles: LearnerProfiles,
    metrics: ServiceMetrics,
    twins: TwinRegistry,
    session_id: str,
) -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            text = await _next_text(websocket)
            session = sessions.get(session_id)
            if text is None or session is None:
                return
            frame = BINARY_REFUSED if text is BINARY_REFUSED else judge_client_frame(text)
            if isinstance(frame, str):
                metrics.messages_rejected.labels("ws_frame").inc()
                await websocket.send_text(json.dumps({"type": "error", "reason": frame}))
            elif frame.type == "switch" and frame.switch and frame.state:
                sessions.on_switch(session, frame.switch, frame.state, time.time())
            elif frame.type == "start":  # the page's Start: a paused scan begins again
                sessions.resume_scan(session, time.time())
            elif frame.type == "choose" and frame.choice:
                sessions.choose(session, frame.choice, time.time())
            elif frame.type == "settings" and frame.scan_interval_ms is not None:
                # WCAG 2.2.1: the learner may slow scanning down (or speed it up) themselves.
                sessions.set_scan_interval(session, frame.scan_interval_ms)
                profiles.remember_scan_interval(session.learner_id, frame.scan_interval_ms)
            elif (
                frame.type == "read_vitals"
                and sessions.read_vitals(session, twins.get(session.kit)) is None
            ):
                metrics.messages_rejected.labels("ws_frame").inc()
                reason = "read_vitals: at most one a second"
                await websocket.send_text(json.dumps({"type": "error", "reason": reason}))
