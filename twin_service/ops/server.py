"""Run the app under uvicorn with our own signal handling (SIGINT/SIGTERM → clean stop)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import Callable, Generator

import uvicorn
from fastapi import FastAPI

from twin_service.ops.ws_protocol import FanoutWebSocketProtocol, PlainFanoutWebSocketProtocol


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        # Signals are handled by ``install_stop_signals``; uvicorn must not re-raise them.
        yield


# The largest websocket frame a client may send; learner frames are JSON under 4 KiB.
WS_MAX_FRAME_BYTES = 16 * 1024

_TOKEN_IN_QUERY = re.compile(r"([?&]token=)[^&\s\"']+")


class RedactTokens(logging.Filter):
    """Keep ``?token=…`` out of logs: uvicorn logs each websocket's path with its query."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(
                _TOKEN_IN_QUERY.sub(r"\1[redacted]", a) if isinstance(a, str) else a for a in args
            )
        if isinstance(record.msg, str) and "token=" in record.msg:
            record.msg = _TOKEN_IN_QUERY.sub(r"\1[redacted]", record.msg)
        return True


def make_server(
    app: FastAPI, host: str, port: int, log_level: str = "info", ws_deflate: bool = False
) -> uvicorn.Server:
    for name in ("uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactTokens) for f in logger.filters):
            logger.addFilter(RedactTokens())
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        lifespan="on",
        # uvicorn's websockets-sansio protocol, plus a frame sink for batched fan-out
        # (and, with ws_deflate, permessage-deflate on batched lab sockets only).
        ws=FanoutWebSocketProtocol if ws_deflate else PlainFanoutWebSocketProtocol,
        access_log=False,
        # No deflate by default: compressing each frame for each client costs more CPU
        # than it saves. Batched lab sockets negotiate it in FanoutWebSocketProtocol,
        # where each batch is compressed once for all its clients (live/fanout.py).
        ws_per_message_deflate=False,
        # Checked by the protocol as the frame arrives: a bigger one closes the connection
        # (1009) before it is read whole (uvicorn's default is 16 MiB).
        ws_max_size=WS_MAX_FRAME_BYTES,
    )
    return _Server(config)


def install_stop_signals(on_stop: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, on_stop)
