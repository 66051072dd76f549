"""ASGI layer: request bodies over ``ACCESSTWIN_MAX_BODY_BYTES`` (default 1 MiB) get 413.

A declared ``Content-Length`` over the bound is answered at once, before any of the body is
read. A body without one (chunked) is counted as the app reads it: the chunk that crosses
the bound is not handed over, and the request is answered 413 (raised as an
``HTTPException`` from ``receive``, which FastAPI's body reader passes on as it is). Either
way at most the bound, plus one chunk the server already buffered, is ever held. Each
refusal is counted (``accesstwin_http_requests_refused{reason="limit"}``).
"""

from __future__ import annotations

from fastapi import HTTPException, status
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin_service.ops.metrics import ServiceMetrics

LIMIT = "limit"


class BodyTooLargeError(HTTPException):
    def __init__(self, max_bytes: int) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"{LIMIT}: request body over {max_bytes} bytes (ACCESSTWIN_MAX_BODY_BYTES)",
        )


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int, metrics: ServiceMetrics) -> None:
        self.app = app
        self._max = max_bytes
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self._max):
            self._metrics.http_refused.labels(LIMIT).inc()
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self._max:
                    self._metrics.http_refused.labels(LIMIT).inc()
                    raise BodyTooLargeError(self._max)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted_receive, watched_send)
        except BodyTooLargeError:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        error = BodyTooLargeError(self._max)
        response = JSONResponse({"detail": error.detail}, status_code=error.status_code)
        await response(scope, receive, send)
