"""The server's websocket connections offer a frame sink (twin_service.ops.ws_protocol)."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from websockets.asyncio.client import connect

from benchmarks.broker import free_port
from twin_service.live.fanout import frame_sink, text_frame
from twin_service.ops.server import make_server


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
