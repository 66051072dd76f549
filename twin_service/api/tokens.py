"""Instructor tokens at run time: list them, revoke one (a contract addition).

``GET /api/v1/tokens`` names each configured token by the first 12 hex characters of its
SHA-256 digest; ``POST /api/v1/tokens/revoke`` with ``{"token": …}`` or ``{"digest": …}``
(that digest, in full or its first 12 or more characters) revokes one for this process:
REST answers 401 and websockets close 1008 to it from then on, and websockets already
open with it are closed (1008, "token revoked") by :class:`CloseSocketsOnRevoke`.
The last token in force cannot be revoked (409). Revocation does not outlive the process:
remove the token from ``ACCESSTWIN_API_TOKEN`` before the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from twin_service.api.deps import Instructor, TokensDep
from twin_service.api.guard import socket_token
from twin_service.auth.tokens import (
    DIGEST_SHOWN,
    InstructorTokens,
    LastTokenError,
    UnknownTokenError,
)

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], dependencies=[Instructor])

POLICY_VIOLATION = 1008
REVOKED_REASON = "token revoked"


class RevokeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    token: str | None = Field(None, min_length=1, max_length=1_024)
    digest: str | None = Field(
        None,
        pattern=f"^[0-9a-fA-F]{{{DIGEST_SHOWN},64}}$",
        description="SHA-256 hex digest of the token, or at least its first 12 characters",
    )

    @model_validator(mode="after")
    def exactly_one_of_token_or_digest(self) -> RevokeRequest:
        if (self.token is None) == (self.digest is None):
            raise ValueError("give exactly one of token or digest")
        return self


@router.get("")
async def list_tokens(tokens: TokensDep) -> list[dict[str, Any]]:
    return [{"digest": t.digest_prefix, "revoked": t.revoked} for t in tokens.listing()]


@router.post("/revoke")
async def revoke_token(body: RevokeRequest, tokens: TokensDep) -> dict[str, Any]:
    """Revoke an instructor token for this process (it must also leave
    ``ACCESSTWIN_API_TOKEN`` before the next start)."""
    try:
        known = tokens.find(token=body.token, hex_digest=body.digest)
        closed = tokens.revoke_digest(known)
    except UnknownTokenError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except LastTokenError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    shown = known.hex()[:DIGEST_SHOWN]
    log.warning(
        "instructor token %s… revoked for this process (%d open websockets closed);"
        " remove it from ACCESSTWIN_API_TOKEN before the next start",
        shown,
        closed,
    )
    return {"digest": shown, "revoked": True, "websockets_closed": closed}


class CloseSocketsOnRevoke:
    """ASGI middleware: a websocket opened with an instructor token (``?token=`` or the
    ``bearer.`` subprotocol, :func:`~twin_service.api.guard.socket_token`) is
    closed with 1008 when that token is revoked; what the endpoint sends after that is
    dropped. Other connections pass through untouched."""

    def __init__(self, app: ASGIApp, tokens: InstructorTokens) -> None:
        self.app = app
        self._tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket" or not self._tokens.enabled:
            await self.app(scope, receive, send)
            return
        token = socket_token(scope)
        if not token or not self._tokens.check(token):
            await self.app(scope, receive, send)  # the endpoint refuses it (or a learner's)
            return
        guard = _RevocableSocket(send)
        unwatch = self._tokens.watch(token, guard.revoke)
        try:
            await self.app(scope, receive, guard.send)
        finally:
            unwatch()
            await guard.settle()


class _RevocableSocket:
    def __init__(self, send: Send) -> None:
        self._send = send
        self._accepted = self._closed = self._revoked = False
        self._closing: asyncio.Task[None] | None = None

    async def send(self, message: Message) -> None:
        if self._closed:
            return  # closed because revoked: the endpoint learns it from receive()
        if message["type"] == "websocket.close":
            self._closed = True
        await self._send(message)
        if message["type"] == "websocket.accept":
            self._accepted = True
            if self._revoked:
                await self._close()

    def revoke(self) -> None:
        """Called (on the event loop) by the request that revoked the token."""
        self._revoked = True
        if self._accepted and not self._closed and self._closing is None:
            self._closing = asyncio.get_running_loop().create_task(self._close())

    async def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # The server answers with a websocket.disconnect on receive(), so the endpoint's
        # reader ends and it cleans up as for any client that went away (ASGI spec).
        with contextlib.suppress(OSError, RuntimeError):
            await self._send(
                {"type": "websocket.close", "code": POLICY_VIOLATION, "reason": REVOKED_REASON}
            )

    async def settle(self) -> None:
        if self._closing is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._closing
