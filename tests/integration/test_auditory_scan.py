"""Issue 15: auditory scanning against the real service and espeak-ng: each choice's clip,
each group's and back's, are short WAVs served to the learner's token, and the scan waits
for a clip to be said (its time at least the clip + 300 ms)."""

from __future__ import annotations

import io
import itertools
import json
import time
import wave
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.programs import require_program
from tests.support.service import ServiceProcess
from twin_service.speech.espeak import speech_available

pytestmark = pytest.mark.integration


def seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as parsed:
        return parsed.getnframes() / parsed.getframerate()


def test_clips_are_short_wavs_and_the_scan_waits_for_them(service: ServiceProcess) -> None:
    require_program("espeak-ng", speech_available(), "apt-get install espeak-ng")
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=30)
    profile = {"auditory_scan": True, "scan_interval_ms": 300, "adaptive_scan": False}
    assert client.put("/api/v1/learners/ears/profile", json=profile).status_code == 200
    body = client.post(
        "/api/v1/sessions",
        json={"learner_id": "ears", "lab": "ward", "kit": "ka", "scenario": "news2-check"},
    ).json()
    sid, token = body["session_id"], body["learner_token"]
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{sid}?token={token}"
    moves: list[tuple[float, Any]] = []
    with connect(url) as ws:
        deadline = time.monotonic() + 30
        prompt: dict[str, Any] | None = None
        while time.monotonic() < deadline and len(moves) < 4:
            frame = json.loads(ws.recv(timeout=30))
            if frame["type"] == "feedback" and frame["choices"]:
                prompt = frame
            elif frame["type"] == "scan" and frame.get("level") == "groups":
                moves.append((time.monotonic(), frame["group"]))
    assert prompt is not None
    scan = prompt["scan"]
    urls = [c["audio_url"] for c in prompt["choices"]]
    urls += [*scan["group_audio_urls"], scan["back_audio_url"]]
    lengths = {}
    for clip in urls:
        got = httpx.get(service.base_url + clip, params={"token": token}, timeout=60)
        assert got.status_code == 200 and got.headers["content-type"].startswith("audio/")
        lengths[clip] = seconds(got.content)
    assert all(0.2 < s < 6.0 for s in lengths.values()), lengths
    # A group stays lit about its clip + 300 ms (the estimate until the clip is rendered
    # ahead), far longer than the 300 ms scan time.
    groups = scan["group_audio_urls"]
    lit = [(b[0] - a[0], a[1]) for a, b in itertools.pairwise(moves) if a[1] != 0]
    assert lit, moves
    for gap, group in lit:
        assert gap >= 1.0 and gap >= 0.8 * (lengths[groups[group]] + 0.3), (lit, lengths)
