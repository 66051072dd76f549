"""Websocket frames are judged at the protocol level (issue 17): a binary frame gets an
error and the session goes on; a frame over the server's bound closes the connection
(1009) before it is read whole."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.service import ServiceProcess
from tests.support.ws import next_frame
from twin_service.api.ws import BINARY_REFUSED
from twin_service.ops.server import WS_MAX_FRAME_BYTES

pytestmark = pytest.mark.integration


def drain(ws: ClientConnection) -> None:
    while True:
        ws.recv(timeout=5)


def test_a_binary_frame_is_refused_and_the_session_reader_goes_on(
    service: ServiceProcess,
) -> None:
    created = httpx.post(
        service.base_url + "/api/v1/sessions",
        json={"learner_id": "l1", "lab": "ward", "kit": "k1", "scenario": "vitals"},
        headers=service.headers,
        timeout=10,
    ).json()
    url = (
        f"ws://127.0.0.1:{service.port}/ws/sessions/{created['session_id']}"
        f"?token={created['learner_token']}"
    )
    with connect(url) as ws:
        next_frame(ws, "session")
        ws.send(b"\x00\x01binary")
        assert next_frame(ws, "error")["reason"] == BINARY_REFUSED
        ws.send(json.dumps({"type": "nonsense"}))
        assert "type" in next_frame(ws, "error")["reason"]  # still read and judged
        ws.send("x" * (WS_MAX_FRAME_BYTES + 1))
        with pytest.raises(ConnectionClosed) as closed:
            drain(ws)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


def test_the_dashboard_socket_survives_a_binary_frame(service: ServiceProcess) -> None:
    with connect(service.ws_url("/ws/labs/ward")) as ws:
        next_frame(ws, "snapshot")
        ws.send(b"\xff")
        httpx.put(
            service.base_url + "/api/v1/twins/ward/k1/desired",
            json={"buzzer": True},
            headers=service.headers,
            timeout=10,
        ).raise_for_status()
        assert next_frame(ws, "twin.delta")["kit"] == "k1"


def close_code(url: str) -> int:
    with connect(url) as ws, pytest.raises(ConnectionClosed) as closed:
        drain(ws)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


def test_failed_tries_are_throttled_with_4429_and_a_valid_token_still_gets_in(
    service: ServiceProcess,
) -> None:
    """Issue 17, must show 4 on the websocket: 20 failed tries from one address, then its
    failures close 4429 (not 1008, which the dashboard reads as a bad token), and the
    valid instructor token from the same address is admitted."""
    wrong = f"ws://127.0.0.1:{service.port}/ws/labs/ward?token=stale-page-token"
    assert [close_code(wrong) for _ in range(20)] == [1008] * 20
    assert close_code(wrong) == 4429
    with connect(service.ws_url("/ws/labs/ward")) as ws:
        assert next_frame(ws, "snapshot")["twins"] == []
