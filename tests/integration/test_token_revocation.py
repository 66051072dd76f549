"""Issue 7: an instructor token revoked at run time, against the running service.

Two instructor tokens (``ACCESSTWIN_API_TOKEN`` comma-separated). Revoking one through
``POST /api/v1/tokens/revoke`` refuses it at once on REST (401) and on both websockets
(1008), closes the sockets already open with it (1008, "token revoked"), and leaves the
other token's and the learner's sockets open.
"""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.support.mqtt import Publisher
from tests.support.records import start_session
from tests.support.service import TOKEN, ServiceProcess
from tests.support.ws import next_frame

pytestmark = pytest.mark.integration

SECOND = "second-token-" + uuid.uuid4().hex


@pytest.fixture
def two_token_service(mqtt_url: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={"ACCESSTWIN_API_TOKEN": f"{TOKEN},{SECOND}"},
    )
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


def bearer_protocols(token: str) -> list[Subprotocol]:
    encoded = base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")
    return [Subprotocol("accesstwin"), Subprotocol(f"bearer.{encoded}")]


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def close_of(ws: ClientConnection, timeout: float = 5.0) -> tuple[int, str]:
    """Read until the server closes the socket; its close code and reason."""
    deadline = time.monotonic() + timeout
    with pytest.raises(ConnectionClosed) as closed:  # noqa: PT012 - frames may come first
        while True:
            ws.recv(timeout=max(0.01, deadline - time.monotonic()))
    assert closed.value.rcvd is not None, "closed without a close frame from the server"
    return closed.value.rcvd.code, closed.value.rcvd.reason


def assert_open(ws: ClientConnection) -> None:
    assert ws.ping().wait(5), "no pong: the socket is not open"


def test_a_revoked_token_is_refused_everywhere_and_its_open_sockets_are_closed(
    two_token_service: ServiceProcess, mqtt_url: str
) -> None:
    svc = two_token_service
    api = httpx.Client(base_url=svc.base_url, timeout=10)
    created = api.post(
        "/api/v1/sessions",
        json={"learner_id": "L1", "lab": "wardR", "kit": "k1", "scenario": "cpr"},
        headers=auth(TOKEN),
    )
    assert created.status_code == 201, created.text
    session_id, learner_token = created.json()["session_id"], created.json()["learner_token"]
    ws_base = f"ws://127.0.0.1:{svc.port}"
    lab_path, session_path = "/ws/labs/wardR", f"/ws/sessions/{session_id}"
    publisher = Publisher(mqtt_url)
    with (
        # The dashboard's way: the token as a subprotocol, not in the URL (issue 17), and
        # batch_ms: served by the frame-once broadcaster (live.fanout), not a pump.
        connect(
            f"{ws_base}{lab_path}?batch_ms=50", subprotocols=bearer_protocols(TOKEN)
        ) as lab_first,
        connect(f"{ws_base}{session_path}?token={TOKEN}") as session_first,
        connect(f"{ws_base}{lab_path}?token={SECOND}") as lab_second,
        connect(f"{ws_base}{session_path}?token={learner_token}") as learner,
    ):
        next_frame(lab_first, "snapshot")
        assert lab_first.subprotocol == "accesstwin"
        next_frame(lab_second, "snapshot")
        next_frame(session_first, "session")
        next_frame(learner, "session")

        revoked = api.post("/api/v1/tokens/revoke", json={"token": TOKEN}, headers=auth(SECOND))
        assert revoked.status_code == 200, revoked.text
        assert revoked.json()["websockets_closed"] == 2

        assert close_of(lab_first) == (1008, "token revoked")
        assert close_of(session_first) == (1008, "token revoked")
        assert_open(learner)
        assert_open(lab_second)
        try:  # the other token's socket still gets live updates
            publisher.send(
                f"{svc.prefix}/wardR/k1/telemetry",
                {"ts": time.time(), "seq": 1, "readings": {"hr": 71}},
            )
            publisher.flush()
            delta = next_frame(lab_second, "twin.delta")
        finally:
            publisher.close()
        assert delta["reported"]["hr"]["value"] == 71

    # Refused at once for anything new.
    assert api.get("/api/v1/twins", headers=auth(TOKEN)).status_code == 401
    assert api.get("/api/v1/twins", headers=auth(SECOND)).status_code == 200
    for path in (lab_path, session_path):
        with connect(f"{ws_base}{path}?token={TOKEN}") as ws:
            assert close_of(ws)[0] == 1008
    # The last token in force stays.
    last = api.post("/api/v1/tokens/revoke", json={"token": SECOND}, headers=auth(SECOND))
    assert last.status_code == 409
    listing = api.get("/api/v1/tokens", headers=auth(SECOND)).json()
    assert [t["revoked"] for t in listing] == [True, False]
    api.close()


def test_revoking_a_learner_token_closes_its_open_page_and_refuses_it(
    service: ServiceProcess,
) -> None:
    created = httpx.post(
        service.base_url + "/api/v1/sessions",
        json={"learner_id": "l1", "lab": "ward", "kit": "k1", "scenario": "vitals"},
        headers=service.headers,
        timeout=10,
    ).json()
    path = f"/ws/sessions/{created['session_id']}?token={created['learner_token']}"
    url = f"ws://127.0.0.1:{service.port}{path}"
    with (
        connect(url) as learner,
        connect(service.ws_url(f"/ws/sessions/{created['session_id']}")) as teacher,
    ):
        next_frame(learner, "session")
        next_frame(teacher, "session")
        revoked = httpx.post(
            f"{service.base_url}/api/v1/sessions/{created['session_id']}/learner-token/revoke",
            headers=service.headers,
            timeout=10,
        )
        assert revoked.json()["websockets_closed"] == 1
        assert close_of(learner) == (1008, "token revoked")
        assert_open(teacher)
    with connect(url) as again:
        assert close_of(again)[0] == 1008


def _refusal(service: ServiceProcess, session_id: str, token: str) -> tuple[int, str]:
    """How the learner's own session route answers ``token``: status and reason."""
    got = httpx.get(
        f"{service.base_url}/api/v1/sessions/{session_id}", params={"token": token}, timeout=10
    )
    return got.status_code, got.json().get("detail", "") if got.status_code != 200 else ""


def _revoked_gauge(service: ServiceProcess) -> float:
    text = httpx.get(service.base_url + "/metrics", timeout=10).text
    line = next(x for x in text.splitlines() if x.startswith("accesstwin_learner_tokens_revoked "))
    return float(line.split()[1])


@pytest.mark.slow
def test_a_revoked_learner_token_stays_refused_after_a_restart(
    mqtt_url: str, tmp_path: Path, records_url: str
) -> None:
    """Issue 17 gap: the revocation is in the records (SQLite and PostgreSQL), loaded at
    start: after SIGKILL and a restart the token is refused with the same reason, on the
    recorded session and, once the instructor resumes it, on its websocket; a finished
    session's revocation is dropped once its token has expired by itself."""
    service = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={"ACCESSTWIN_RECORDS": records_url, "ACCESSTWIN_LEARNER_TOKEN_GRACE_S": "2"},
    )
    service.start()
    api = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    try:
        revoked, kept, expiring, later = (start_session(service, f"l{i}") for i in range(4))
        assert _refusal(service, revoked.session_id, revoked.token) == (200, "")
        ws_path = f"/ws/sessions/{revoked.session_id}?token={revoked.token}"
        ws_url = f"ws://127.0.0.1:{service.port}{ws_path}"
        with connect(ws_url) as page:
            next_frame(page, "session")
            answer = api.post(f"/api/v1/sessions/{revoked.session_id}/learner-token/revoke")
            assert answer.status_code == 200, answer.text
            assert answer.json()["durable"] is True  # committed before the answer
            assert close_of(page) == (1008, "token revoked")
        refused_rest = _refusal(service, revoked.session_id, revoked.token)
        assert refused_rest[0] == 403
        with connect(ws_url) as again:
            refused_ws = close_of(again)
        assert refused_ws[0] == 1008
        api.post(f"/api/v1/sessions/{expiring.session_id}/stop").raise_for_status()
        api.post(f"/api/v1/sessions/{expiring.session_id}/learner-token/revoke").raise_for_status()
        assert _revoked_gauge(service) == 2
        time.sleep(2.5)  # the finished session's token expires by itself

        service.kill()  # nothing is written at a clean stop that a crash would lose
        service.start()

        assert _refusal(service, revoked.session_id, revoked.token) == refused_rest
        assert _refusal(service, kept.session_id, kept.token) == (200, "")  # the rule holds
        assert _revoked_gauge(service) == 1  # the expired one was dropped at load
        # An interrupted session (not running here, only recorded) can be revoked too.
        assert _refusal(service, later.session_id, later.token) == (200, "")
        answer = api.post(f"/api/v1/sessions/{later.session_id}/learner-token/revoke")
        assert answer.status_code == 200 and answer.json()["websockets_closed"] == 0, answer.text
        assert _refusal(service, later.session_id, later.token) == refused_rest
        assert _revoked_gauge(service) == 2
        for sid in (revoked.session_id, kept.session_id):
            assert api.post(f"/api/v1/sessions/{sid}/resume").status_code == 200
        with connect(ws_url) as resumed:
            assert close_of(resumed) == refused_ws
        assert _refusal(service, revoked.session_id, revoked.token) == refused_rest
        kept_url = f"ws://127.0.0.1:{service.port}/ws/sessions/{kept.session_id}"
        with connect(f"{kept_url}?token={kept.token}") as page:
            next_frame(page, "session")
            assert_open(page)
        events = api.get(f"/api/v1/sessions/{revoked.session_id}/events").json()["events"]
        assert any(e.get("action") == "revoke_learner_token" for e in events)
    finally:
        api.close()
        service.stop()
