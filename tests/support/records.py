"""Drive a session on a running service for the records tests: create it, answer a step."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from websockets.sync.client import connect

from tests.support.service import ServiceProcess


@dataclass
class DrivenSession:
    session_id: str
    token: str
    feedback: list[dict[str, Any]] = field(default_factory=list)  # as the learner got them


def start_session(
    service: ServiceProcess, learner: str, scenario: str = "vitals", kit: str = "k1"
) -> DrivenSession:
    created = httpx.post(
        service.base_url + "/api/v1/sessions",
        headers=service.headers,
        json={"learner_id": learner, "lab": "ward", "kit": kit, "scenario": scenario},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return DrivenSession(body["session_id"], body["learner_token"])


def answer(service: ServiceProcess, session: DrivenSession, choices: list[str]) -> None:
    """Over the learner's websocket: a switch press, then each choice in turn, each after
    the prompt that offers it (feedback frames are kept in ``session.feedback``)."""
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{session.session_id}?token={session.token}"
    with connect(url) as ws:
        pending = list(choices)
        press = {"type": "switch", "switch": "next", "ts": time.time()}
        ws.send(json.dumps({**press, "state": "down"}))
        ws.send(json.dumps({**press, "state": "up"}))
        deadline = time.monotonic() + 20
        while pending and time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if frame["type"] != "feedback":
                continue
            if frame["id"] not in {f["id"] for f in session.feedback}:
                session.feedback.append(frame)
            offered = {c["id"] for c in frame.get("choices", [])}
            if pending[0] in offered:
                ws.send(json.dumps({"type": "choose", "choice": pending.pop(0)}))
        assert not pending, f"choices {pending} never offered"
        # The feedback the last choice brought (explanation, next prompt).
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                frame = json.loads(ws.recv(timeout=max(0.01, end - time.monotonic())))
            except TimeoutError:
                break
            if frame["type"] == "feedback" and frame["id"] not in {
                f["id"] for f in session.feedback
            }:
                session.feedback.append(frame)
