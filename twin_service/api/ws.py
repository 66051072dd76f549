"""Websocket endpoints: ``/ws/labs/{lab}`` (snapshot, then ordered deltas)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.websockets import WebSocketState

from gateway.identifiers import is_identifier
from twin_service.pipeline import lab_group
from twin_service.runtime import Runtime

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
    group = lab_group(lab)
    # Subscribe before the snapshot is taken: the loop does not switch tasks between
    # the two, so no delta can fall between snapshot and queue.
    queue = runtime.hub.subscribe(group)
    now = time.time()
    snapshot = {
        "type": "snapshot",
        "twins": [
            t.to_json(now, runtime.settings.stale_after_s) for t in runtime.twins.in_lab(lab)
        ],
    }
    pump = asyncio.create_task(runtime.hub.pump(queue, websocket.send_text))
    try:
        await websocket.send_text(json.dumps(snapshot))
        reader = asyncio.create_task(_drain_client(websocket))
        done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        for task in (pump, reader):
            task.cancel()
        for task in done:
            if not task.cancelled() and isinstance(task.exception(), TimeoutError):
                await _close(websocket, 1013, "client too slow")
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
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
