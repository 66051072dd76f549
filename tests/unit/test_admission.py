"""The one admission rule (twin_service/auth/admission.py) and the ASGI guard that asks it
before a request body is read (twin_service/api/guard.py)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from twin_service.api.guard import AdmissionGuard, learner_session
from twin_service.auth.admission import INSTRUCTOR, Admission, Principal, Refusal
from twin_service.auth.tokens import FailureLimiter, InstructorTokens, digest
from twin_service.ops.metrics import ServiceMetrics

TOKEN = "admission-" + uuid.uuid4().hex
LEARNER = "learner-" + uuid.uuid4().hex


def admission(max_failures: int = 20) -> Admission:
    return Admission(
        InstructorTokens([TOKEN]),
        FailureLimiter(max_failures=max_failures),
        lambda session_id, token: session_id == "s1" and token == LEARNER,
    )


def test_an_instructor_token_admits_the_instructor_everywhere() -> None:
    rule = admission()
    assert rule.instructor(TOKEN, "10.0.0.1") == INSTRUCTOR
    assert rule.session("s1", TOKEN, "10.0.0.1") == INSTRUCTOR
    assert rule.session("nope", TOKEN, "10.0.0.1") == INSTRUCTOR


def test_a_learner_token_opens_its_own_session_only() -> None:
    rule = admission()
    assert rule.session("s1", LEARNER, "10.0.0.1") == Principal("learner", "s1")
    assert isinstance(rule.session("s2", LEARNER, "10.0.0.1"), Refusal)
    assert isinstance(rule.instructor(LEARNER, "10.0.0.1"), Refusal)


def test_each_refusal_is_counted_against_the_address() -> None:
    rule = admission(max_failures=3)
    for _ in range(3):
        assert rule.instructor("wrong", "10.0.0.1") == Refusal("missing or wrong bearer token")
    assert rule.instructor("wrong", "10.0.0.1").throttled  # type: ignore[union-attr]
    assert rule.instructor(None, "10.0.0.2") == Refusal("missing or wrong bearer token")


@pytest.mark.parametrize(
    ("method", "path", "session_id"),
    [
        ("GET", "/api/v1/sessions/s1", "s1"),
        ("GET", "/api/v1/sessions/s1/report", "s1"),
        ("GET", "/api/v1/sessions/s1/speech/abc.wav", "s1"),
        ("GET", "/api/v1/sessions/s1/events", "s1"),
        ("POST", "/api/v1/sessions/s1/stop", None),
        ("POST", "/api/v1/sessions/s1/advance", None),
        ("GET", "/api/v1/sessions", None),
        ("PUT", "/api/v1/sessions/s1", None),
        ("GET", "/api/v1/sessions/s1/other", None),
    ],
)
def test_only_a_learners_reads_of_its_session_are_learner_routes(
    method: str, path: str, session_id: str | None
) -> None:
    assert learner_session(method, path) == session_id


class _App:
    """The app behind the guard: records the principal it was given, reads the body."""

    def __init__(self) -> None:
        self.principal: object = None
        self.called = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.called = True
        self.principal = scope.get("state", {}).get("principal")
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def call(
    guard: AdmissionGuard, method: str, path: str, headers: dict[str, str], query: str = ""
) -> tuple[int, dict[str, Any] | None, bool]:
    body_read = False
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal body_read
        body_read = True
        return {"type": "http.request", "body": b"x" * 1024, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("10.0.0.9", 1234),
    }
    await guard(scope, receive, send)
    status = sent[0]["status"]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return status, (json.loads(body) if status != 200 else None), body_read


async def test_the_guard_refuses_a_request_without_a_valid_token_before_reading_its_body() -> None:
    app = _App()
    guard = AdmissionGuard(app, admission(), ServiceMetrics())
    status, body, body_read = await call(guard, "PUT", "/api/v1/twins/w/k/desired", {})
    assert (status, body, body_read, app.called) == (
        401,
        {"detail": "missing or wrong bearer token"},
        False,
        False,
    )
    learner = {"Authorization": f"Bearer {LEARNER}"}
    status, body, body_read = await call(guard, "PUT", "/api/v1/sessions/s2", learner)
    assert (status, body_read, app.called) == (401, False, False)


async def test_a_learner_route_read_the_guard_cannot_decide_reaches_the_route_unadmitted() -> None:
    # The token may be a recorded session's: the route's dependency asks Admission.recorded.
    app = _App()
    guard = AdmissionGuard(app, admission(), ServiceMetrics())
    learner = {"Authorization": f"Bearer {LEARNER}"}
    status, _, _ = await call(guard, "GET", "/api/v1/sessions/s2", learner)
    assert (status, app.called, app.principal) == (200, True, None)


async def test_an_address_that_failed_too_often_is_throttled_on_learner_routes_too() -> None:
    app = _App()
    rule = admission(max_failures=1)
    rule.refuse("10.0.0.9", "x")
    guard = AdmissionGuard(app, rule, ServiceMetrics())
    status, _, _ = await call(guard, "GET", "/api/v1/learners/l1/sessions", {})
    assert (status, app.called) == (429, False)


def test_a_recorded_sessions_token_is_admitted_by_its_digest() -> None:
    rule = admission()
    recorded = digest("recorded-learner-token-0123456789")
    outcome = rule.recorded("s9", "recorded-learner-token-0123456789", "10.0.0.1", [recorded])
    assert outcome == Principal("learner", "s9")
    assert rule.recorded("s9", TOKEN, "10.0.0.1", [recorded]) == INSTRUCTOR
    assert isinstance(rule.recorded("s9", "wrong", "10.0.0.1", [recorded]), Refusal)


async def test_the_guard_hands_the_admitted_principal_to_the_app() -> None:
    app = _App()
    guard = AdmissionGuard(app, admission(), ServiceMetrics())
    bearer = {"Authorization": f"Bearer {TOKEN}"}
    assert (await call(guard, "PUT", "/api/v1/twins/w/k/desired", bearer))[0] == 200
    assert app.principal == INSTRUCTOR
    assert (await call(guard, "GET", "/api/v1/sessions/s1/report", {}, f"token={LEARNER}"))[
        0
    ] == 200
    assert app.principal == Principal("learner", "s1")


async def test_pages_and_preflights_pass_the_guard_untouched() -> None:
    app = _App()
    guard = AdmissionGuard(app, admission(), ServiceMetrics())
    for method, path in [("GET", "/labs/w1"), ("GET", "/healthz"), ("OPTIONS", "/api/v1/twins")]:
        app.called = False
        assert (await call(guard, method, path, {}))[0] == 200
        assert app.called and app.principal is None


def test_a_valid_token_is_admitted_from_an_address_that_failed_too_often() -> None:
    rule = admission(max_failures=20)
    for _ in range(20):
        assert isinstance(rule.instructor("stale-page-token", "10.0.0.1"), Refusal)
    assert rule.instructor("stale-page-token", "10.0.0.1") == Refusal(
        "too many failed attempts", throttled=True
    )
    assert rule.instructor(TOKEN, "10.0.0.1") == INSTRUCTOR
    assert rule.session("s1", LEARNER, "10.0.0.1") == Principal("learner", "s1")


async def test_twenty_failed_tries_from_one_address_do_not_stop_a_valid_instructor_token() -> None:
    from tests.support.app import app_client

    async with app_client(TOKEN) as (_, client):
        for _ in range(20):
            wrong = await client.get("/api/v1/twins", headers={"Authorization": "Bearer stale"})
            assert wrong.status_code == 401
        throttled = await client.get("/api/v1/twins", headers={"Authorization": "Bearer stale"})
        assert throttled.status_code == 429
        good = await client.get("/api/v1/twins", headers={"Authorization": f"Bearer {TOKEN}"})
        assert good.status_code == 200, good.text
