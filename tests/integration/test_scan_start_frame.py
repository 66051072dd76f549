"""The learner page's Start (``{"type": "start"}`` on the session websocket) restarts a
scan that paused before the learner arrived, choosing nothing (docs/interface.md)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests.support.service import ServiceProcess
from tests.support.ws import next_frame

pytestmark = pytest.mark.integration


def wait_paused(ws: ClientConnection, timeout: float = 30.0) -> dict[str, Any]:
    """The scan frame saying the scan stopped (loops passes, about 5 s at 250 ms)."""
    while True:
        frame = next_frame(ws, "scan", timeout=timeout)
        if frame["paused"]:
            return frame


def test_start_restarts_a_paused_scan_without_choosing(service: ServiceProcess) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    client.put("/api/v1/learners/late-1/profile", json={"scan_interval_ms": 250})
    created = client.post(
        "/api/v1/sessions",
        json={"learner_id": "late-1", "lab": "ward", "kit": "k1", "scenario": "vitals"},
    ).json()
    session_id = created["session_id"]
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{session_id}?token={created['learner_token']}"
    with connect(url) as ws:
        step = next_frame(ws, "session")["step"]
        paused = wait_paused(ws)
        assert paused["highlighted"] is None
        ws.send(json.dumps({"type": "start"}))
        restarted = next_frame(ws, "scan")
        assert (restarted["paused"], restarted["highlighted"]) == (False, 0)
        moved = next_frame(ws, "scan", timeout=10)  # it moves on by itself again
        assert (moved["paused"], moved["highlighted"]) == (False, 1)
        ws.send(json.dumps({"type": "start"}))  # while scanning: nothing changes (recorded
        ws.send(json.dumps({"type": "nonsense"}))  # below); its error: the start was read
        next_frame(ws, "error")
    summary = client.get(f"/api/v1/sessions/{session_id}").json()
    assert summary["step"] == step
    events = client.get(f"/api/v1/sessions/{session_id}/events").json()["events"]
    kinds = [e["kind"] for e in events]
    assert "choice" not in kinds
    assert kinds.count("scan.restarted") == 1
