"""The server's websocket connections offer a frame sink (twin_service.ops.ws_protocol)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import pytest
from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect

from benchmarks.broker import free_port
from twin_service.live.fanout import deflated_text_frame, frame_sink, text_frame
from twin_service.ops.server import make_server
from twin_service.ops.ws_protocol import SERVER_WINDOW_BITS, shares_deflated_frames


async def test_a_frame_written_to_the_sink_arrives_after_the_asgi_frames() -> None:
    app = FastAPI()
    late: list[bool] = []
    ended = asyncio.Event()

    @app.websocket("/ws/x")
    async def endpoint(websocket: WebSocket) -> None:
        await websocket.accept()
        sink = frame_sink(websocket.scope)
        await websocket.send_text("asgi" if sink is None else "sink offered")
        if sink is not None:
            assert not sink.backed_up()
            assert sink.write_frame(text_frame('{"raw": "é"}'))
        with contextlib.suppress(WebSocketDisconnect):
            await websocket.receive_text()  # until the client goes
        if sink is not None:
            late.append(sink.write_frame(text_frame("late")))
        ended.set()

    port = free_port()
    server = make_server(app, "127.0.0.1", port, log_level="warning")
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(2_000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        # The client offers permessage-deflate; the server declines it, so frames are plain.
        async with connect(f"ws://127.0.0.1:{port}/ws/x", compression="deflate") as ws:
            assert await ws.recv() == "sink offered"
            assert await ws.recv() == '{"raw": "é"}'
        await asyncio.wait_for(ended.wait(), 10)
        assert late == [False]  # a closed connection takes nothing more
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def _serving(app: FastAPI, ws_deflate: bool) -> tuple[int, Any, asyncio.Task[None]]:
    port = free_port()
    server = make_server(app, "127.0.0.1", port, log_level="warning", ws_deflate=ws_deflate)
    serving = asyncio.create_task(server.serve())
    for _ in range(2_000):
        if server.started:
            break
        await asyncio.sleep(0.01)
    return port, server, serving


def _deflate_app(bits_seen: list[int | None]) -> FastAPI:
    app = FastAPI()

    @app.websocket("/ws/labs/{lab}")
    async def endpoint(websocket: WebSocket, lab: str) -> None:
        await websocket.accept()
        sink = frame_sink(websocket.scope)
        assert sink is not None
        bits_seen.append(sink.deflate_bits)
        text = '{"type":"batch","frames":[' + ",".join(['{"kit":"k1","hr":72}'] * 50) + "]}"
        if sink.deflate_bits is None:
            sink.write_frame(text_frame(text))
        else:
            sink.write_frame(deflated_text_frame(text, sink.deflate_bits))
        with contextlib.suppress(WebSocketDisconnect):
            await websocket.receive_text()

    return app


async def test_batched_lab_sockets_negotiate_shared_frame_deflate_when_enabled() -> None:
    bits_seen: list[int | None] = []
    port, server, serving = await _serving(_deflate_app(bits_seen), ws_deflate=True)
    try:
        url = f"ws://127.0.0.1:{port}/ws/labs/a"
        async with connect(url + "?batch_ms=50", compression="deflate") as ws:
            offered = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            assert "permessage-deflate" in offered and "server_no_context_takeover" in offered
            assert json.loads(await ws.recv())["frames"][49] == {"kit": "k1", "hr": 72}
        # Not batched: no deflate, plain frames through the same sink.
        async with connect(url, compression="deflate") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            assert len(json.loads(await ws.recv())["frames"]) == 50
        # A client that does not offer deflate still gets the sink, uncompressed.
        async with connect(url + "?batch_ms=50", compression=None) as ws:
            assert len(json.loads(await ws.recv())["frames"]) == 50
        assert bits_seen == [SERVER_WINDOW_BITS, None, None]
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


async def test_without_ws_deflate_batched_lab_sockets_stay_plain() -> None:
    bits_seen: list[int | None] = []
    port, server, serving = await _serving(_deflate_app(bits_seen), ws_deflate=False)
    try:
        url = f"ws://127.0.0.1:{port}/ws/labs/a?batch_ms=50"
        async with connect(url, compression="deflate") as ws:
            assert "Sec-WebSocket-Extensions" not in ws.response.headers
            assert len(json.loads(await ws.recv())["frames"]) == 50
        assert bits_seen == [None]
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, 10)


@pytest.mark.parametrize(
    ("path", "shared"),
    [
        ("/ws/labs/a?batch_ms=50", True),
        ("/ws/labs/a?token=x&batch_ms=1", True),
        ("/ws/labs/a?batch_ms=50&batch_ms=0", False),  # the endpoint reads the last one
        ("/ws/labs/a?batch_ms=0", False),
        ("/ws/labs/a?batch_ms=x", False),
        ("/ws/labs/a", False),
        ("/ws/sessions/s?batch_ms=50", False),
    ],
)
def test_which_requests_share_deflated_frames(path: str, shared: bool) -> None:
    assert shares_deflated_frames(path) is shared
