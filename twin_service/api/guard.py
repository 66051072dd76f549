"""ASGI guard: every ``/api/`` request is admitted before anything reads its body.

FastAPI reads (and parses) a request's body before it runs the route's dependencies, so
a token checked in a dependency comes too late: an anonymous 64 MiB PUT would be read
whole before its 401. This guard runs first, on the headers alone. It asks the one
admission rule (:mod:`twin_service.auth.admission`): a learner's routes
(``LEARNER_ROUTES``) take that session's learner token or an instructor token, in the
``Authorization: Bearer`` header or ``?token=`` (an ``<audio>`` element sets no header);
a report also takes a report link's ``?ticket=`` (``twin_service.auth.report_links``);
every other ``/api/`` path takes an instructor token in the header. The admitted
:class:`~twin_service.auth.admission.Principal` goes into the request's state for the
route's dependencies; a refusal is answered at once (401, 403 or 429) and the body is
never read. ``OPTIONS`` passes through, so a CORS preflight still gets its plain 405.
"""

from __future__ import annotations

import base64
import re

from fastapi import HTTPException
from fastapi.responses import JSONResponse
from starlette.datastructures import Headers, QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from twin_service.api.deps import refusal_exception
from twin_service.auth.admission import NOT_YOUR_SESSION, Admission, Principal, Refusal
from twin_service.auth.tokens import bearer
from twin_service.ops.metrics import ServiceMetrics

API_PREFIX = "/api/"
# The routes a learner token opens: its own session, its report, its speech.
LEARNER_ROUTES = re.compile(
    r"^/api/v1/sessions/(?P<session_id>[^/]+)(?:/report|/events|/debrief|/speech/[^/]+)?$"
    r"|^/api/v1/learners/(?P<learner_id>[^/]+)/(?:profile|sessions|progress)$"
)
_READS = frozenset({"GET", "HEAD"})


WS_PROTOCOL = "accesstwin"
BEARER_PROTOCOL = "bearer."
"""A websocket client may present its token as a subprotocol, ``bearer.<base64url of the
token>`` offered beside ``accesstwin``, instead of ``?token=`` (a page cannot set headers
on a websocket, and a URL is kept in logs and history); the server then answers with the
``accesstwin`` subprotocol."""


def socket_token(scope: Scope) -> str | None:
    """The token a websocket presents: ``?token=``, else a ``bearer.…`` subprotocol."""
    token = QueryParams(scope.get("query_string", b"")).get("token")
    if token:
        return token
    for offered in scope.get("subprotocols", ()):
        if isinstance(offered, str) and offered.startswith(BEARER_PROTOCOL):
            encoded = offered[len(BEARER_PROTOCOL) :]
            try:
                return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            except (ValueError, UnicodeDecodeError):
                return None
    return None


def socket_protocol(scope: Scope) -> str | None:
    """The subprotocol to answer with: ``accesstwin`` when the client offered it."""
    return WS_PROTOCOL if WS_PROTOCOL in scope.get("subprotocols", ()) else None


def learner_session(method: str, path: str) -> str | None:
    """The session id if ``method path`` is a session's route a learner token may open."""
    return learner_route(method, path)[1]


def learner_route(method: str, path: str) -> tuple[bool, str | None]:
    """Whether ``method path`` is a route a learner token may open, and its session id
    (None for a learner's own record: ``/api/v1/learners/{id}/…``)."""
    if method not in _READS:
        return False, None
    match = LEARNER_ROUTES.match(path)
    return (True, match["session_id"]) if match else (False, None)


class AdmissionGuard:
    def __init__(self, app: ASGIApp, admission: Admission, metrics: ServiceMetrics) -> None:
        self.app = app
        self._admission = admission
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or not scope["path"].startswith(API_PREFIX)
            or scope["method"] == "OPTIONS"
        ):
            await self.app(scope, receive, send)
            return
        client = scope["client"][0] if scope.get("client") else "?"
        token = bearer(Headers(scope=scope).get("authorization"))
        learner, session_id = learner_route(scope["method"], scope["path"])
        outcome: Principal | Refusal | None
        if not learner:
            outcome = self._admission.instructor(token, client)
        else:
            query = QueryParams(scope.get("query_string", b""))
            ticket = query.get("ticket")
            if ticket is not None and token is None and scope["path"].endswith("/report"):
                outcome = self._admission.report(session_id or "", ticket, client)
            else:
                outcome = self._admission.known(session_id, token or query.get("token"))
                if outcome is None and self._admission.failures.blocked(client):
                    outcome = self._admission.refuse(client, NOT_YOUR_SESSION)
                # Otherwise not decided here: the token may be a recorded session's (the
                # records are read by the route's dependency, which asks the same rule,
                # ``Admission.recorded``). Learner routes are reads: there is no body.
        if isinstance(outcome, Refusal):
            self._metrics.http_refused.labels("throttled" if outcome.throttled else "auth").inc()
            refused = refusal_exception(outcome, session=learner)
            await _answer(refused)(scope, receive, send)
            return
        if outcome is not None:
            scope.setdefault("state", {})["principal"] = outcome
        await self.app(scope, receive, send)


def _answer(refused: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"detail": refused.detail}, status_code=refused.status_code, headers=refused.headers
    )
