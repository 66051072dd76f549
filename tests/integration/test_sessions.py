"""Issue 3, must-show 3 (service side): a whole session driven only by one switch."""

from __future__ import annotations

import io
import json
import time
import wave
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from accessibility.news2 import most_concerning
from accessibility.scenario import load_scenario
from tests.support.programs import require_program
from tests.support.report_html import check_report_charts
from tests.support.scan import press_for
from tests.support.service import ServiceProcess
from twin_service.speech.espeak import speech_available

pytestmark = pytest.mark.integration


def frames(ws: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        yield json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))


def correct_choice_ids(scenario_id: str) -> set[str]:
    scenario = load_scenario(scenario_id)
    return {c.id for step in scenario.steps for c in step.choices if c.correct}


def judged_right_ids(scenario_id: str, twin: dict[str, Any]) -> set[str]:
    """Choices of judged steps that are right for the twin's values now (NEWS2)."""
    values = {n: e["value"] for n, e in twin.get("reported", {}).items()}
    top = most_concerning(values)
    return {
        c.id
        for step in load_scenario(scenario_id).steps
        if step.judge
        for c in step.choices
        if c.sign in top or (c.sign == "none" and not top)
    }


def test_one_switch_auto_scan_completes_the_vitals_scenario(service: ServiceProcess) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    scenarios = client.get("/api/v1/scenarios")
    assert scenarios.status_code == 200
    assert {s["id"] for s in scenarios.json()} == {
        "cpr",
        "news2-check",
        "switch-practice",
        "vitals",
    }
    assert all(s["title"] and s["desired"]["scenario"] == s["id"] for s in scenarios.json())
    profile = client.put("/api/v1/learners/learner-7/profile", json={"scan_interval_ms": 400})
    assert profile.status_code == 200
    assert profile.json()["switch_count"] == 1
    assert profile.json()["scan_mode"] == "auto"
    created = client.post(
        "/api/v1/sessions",
        json={"learner_id": "learner-7", "lab": "ward", "kit": "k1", "scenario": "vitals"},
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["learner_url"].endswith(
        f"/learn/{body['session_id']}?token={body['learner_token']}"
    )
    # Starting the scenario pushed its desired state to the kit.
    assert client.get("/api/v1/twins/ward/k1").json()["desired"] == load_scenario("vitals").desired

    correct = correct_choice_ids("vitals")
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{body['session_id']}?token={body['learner_token']}"
    presses, grouped = 0, False
    feedback: list[dict[str, Any]] = []
    with connect(url) as ws:
        choices: list[dict[str, str]] = []
        for frame in frames(ws, timeout=90):
            if frame["type"] == "feedback":
                feedback.append(frame)
                assert frame["visual"]["contrast_ratio"] >= 7.0
                if frame["choices"]:
                    choices = frame["choices"]
            twin = client.get("/api/v1/twins/ward/k1")
            right = correct | judged_right_ids("vitals", twin.json() if twin.is_success else {})
            # a 7-choice step (6 + "Read the vitals") is scanned by groups: group, then choice
            if (on := press_for(frame, choices, right)) is not None:
                t = time.time()
                for state in ("down", "up"):
                    press = {"type": "switch", "switch": "select", "state": state, "ts": t}
                    ws.send(json.dumps(press))
                grouped = grouped or on == "group"
                if on == "choice":
                    presses += 1
                    choices = []
            summary = client.get(f"/api/v1/sessions/{body['session_id']}").json()
            if summary["finished"]:
                break
    assert summary["finished"], f"not finished after {presses} presses; step {summary['step']}"
    assert presses == sum(1 for s in load_scenario("vitals").steps if s.choices)
    assert grouped  # the recognise step was group-scanned
    report = client.get(f"/api/v1/sessions/{body['session_id']}/report").json()
    assert report["score"]["score"] == pytest.approx(100, abs=1e-6)
    assert report["feedback"]
    page = client.get(f"/api/v1/sessions/{body['session_id']}/report", params={"format": "html"})
    assert page.status_code == 200
    assert "Score over time" in page.text
    figures = check_report_charts(page.text, report)  # captions, labelling, table == JSON
    assert len(report["score"]["series"]) < 2 or len(figures) == 1

    # Every spoken message is served as a real WAV to the learner's token.
    audio_url = next(f["speech"]["audio_url"] for f in feedback if f["speech"]["audio_url"])
    wav = httpx.get(
        service.base_url + audio_url, params={"token": body["learner_token"]}, timeout=30
    )
    assert wav.status_code == 200
    with wave.open(io.BytesIO(wav.content)) as parsed:
        assert parsed.getnframes() > 0


def test_one_switch_auto_scan_completes_news2_check_by_groups(service: ServiceProcess) -> None:
    """8 choices (+ "Read the vitals") are scanned by groups: the learner selects the group
    holding the right answer for the twin at that moment, then the answer."""
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    assert "news2-check" in {s["id"] for s in client.get("/api/v1/scenarios").json()}
    client.put("/api/v1/learners/learner-n/profile", json={"scan_interval_ms": 400})
    body = client.post(
        "/api/v1/sessions",
        json={"learner_id": "learner-n", "lab": "ward", "kit": "kn", "scenario": "news2-check"},
    ).json()
    sid = body["session_id"]
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{sid}?token={body['learner_token']}"
    kinds: list[str] = []
    groups: list[Any] = []
    with connect(url) as ws:
        choices: list[dict[str, str]] = []
        for frame in frames(ws, timeout=90):
            if frame["type"] == "feedback" and frame["choices"]:
                choices = frame["choices"]
                groups.append(frame["scan"]["groups"])
            twin = client.get("/api/v1/twins/ward/kn")
            right = judged_right_ids("news2-check", twin.json() if twin.is_success else {})
            if (on := press_for(frame, choices, right)) is not None:
                t = time.time()
                for state in ("down", "up"):
                    ws.send(json.dumps({"type": "switch", "switch": "select", "state": state,
                                        "ts": t}))  # fmt: skip
                kinds.append(on)
                if on == "choice":
                    choices = []
            if client.get(f"/api/v1/sessions/{sid}").json()["finished"]:
                break
    assert client.get(f"/api/v1/sessions/{sid}").json()["finished"], kinds
    assert groups[0] == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]  # 8 choices + "Read the vitals"
    assert kinds.count("group") >= 1 and kinds[-1] == "choice"
    report = client.get(f"/api/v1/sessions/{sid}/report").json()
    assert report["score"]["decisions"][0]["correct"] is True


def test_learner_tokens_open_only_their_own_session(service: ServiceProcess) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    one = client.post(
        "/api/v1/sessions", json={"learner_id": "a", "lab": "ward", "kit": "k1", "scenario": "cpr"}
    ).json()
    two = client.post(
        "/api/v1/sessions", json={"learner_id": "b", "lab": "ward", "kit": "k2", "scenario": "cpr"}
    ).json()
    own = httpx.get(
        f"{service.base_url}/api/v1/sessions/{one['session_id']}",
        params={"token": one["learner_token"]},
        timeout=5,
    )
    assert own.status_code == 200
    other = httpx.get(
        f"{service.base_url}/api/v1/sessions/{two['session_id']}",
        params={"token": one["learner_token"]},
        timeout=5,
    )
    assert other.status_code == 403
    lab = f"ws://127.0.0.1:{service.port}/ws/labs/ward?token={one['learner_token']}"
    with connect(lab) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    wrong = f"ws://127.0.0.1:{service.port}/ws/sessions/{two['session_id']}?token={one['learner_token']}"
    with connect(wrong) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    bad = client.post(
        "/api/v1/sessions",
        json={"learner_id": "a", "lab": "ward", "kit": "k1", "scenario": "juggling"},
    )
    assert bad.status_code == 404


def test_malformed_learner_frames_get_a_reason_and_the_session_goes_on(
    service: ServiceProcess,
) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    session = client.post(
        "/api/v1/sessions", json={"learner_id": "c", "lab": "ward", "kit": "k3", "scenario": "cpr"}
    ).json()
    url = f"ws://127.0.0.1:{service.port}/ws/sessions/{session['session_id']}?token={session['learner_token']}"
    with connect(url) as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "session"
        for bad in ("not json", '{"type": "switch"}', '{"type": "fly"}', "[]", "x" * 5000):
            ws.send(bad)
        reasons = []
        for frame in frames(ws, timeout=5):
            if frame["type"] == "error":
                reasons.append(frame["reason"])
            if len(reasons) == 5:
                break
        assert len(reasons) == 5
        assert all(reasons)
        ws.send(json.dumps({"type": "ping"}))
    assert client.get(f"/api/v1/sessions/{session['session_id']}").status_code == 200


def test_the_instructor_can_advance_and_stop_a_session(service: ServiceProcess) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    session = client.post(
        "/api/v1/sessions", json={"learner_id": "d", "lab": "ward", "kit": "k4", "scenario": "cpr"}
    ).json()
    sid = session["session_id"]
    first = client.get(f"/api/v1/sessions/{sid}").json()["step"]
    moved = client.post(f"/api/v1/sessions/{sid}/advance").json()
    assert moved["step"] != first
    stopped = client.post(f"/api/v1/sessions/{sid}/stop").json()
    assert stopped["finished"] is True
    assert stopped["finished_at"] is not None
    assert client.post("/api/v1/sessions/nope/stop").status_code == 404
    learner = httpx.post(
        f"{service.base_url}/api/v1/sessions/{sid}/stop",
        params={"token": session["learner_token"]},
        timeout=5,
    )
    assert learner.status_code == 401


def first_spoken(ws: Any, timeout: float = 10) -> dict[str, Any]:
    for frame in frames(ws, timeout):
        if frame["type"] == "feedback" and frame["speech"]["audio_url"]:
            return dict(frame["speech"])
    raise AssertionError("no spoken feedback frame")


def test_speech_urls_serve_wavs_that_are_longer_for_a_slower_speech_rate(
    service: ServiceProcess,
) -> None:
    """Issue 3 must-show 4 at URL level: two learners whose profiles differ only in
    ``speech_rate_wpm`` hear the same prompt; the slower one's WAV is clearly longer."""
    require_program("espeak-ng", speech_available(), "apt-get install espeak-ng")
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    seconds: dict[int, float] = {}
    texts: set[str] = set()
    for n, wpm in enumerate((100, 200)):
        learner = f"rate-{wpm}"
        put = client.put(f"/api/v1/learners/{learner}/profile", json={"speech_rate_wpm": wpm})
        assert put.status_code == 200 and put.json()["speech_rate_wpm"] == wpm
        session = client.post(
            "/api/v1/sessions",
            json={"learner_id": learner, "lab": "ward", "kit": f"sp{n}", "scenario": "vitals"},
        ).json()
        url = (
            f"ws://127.0.0.1:{service.port}/ws/sessions/{session['session_id']}"
            f"?token={session['learner_token']}"
        )
        with connect(url) as ws:
            speech = first_spoken(ws)
        assert speech["rate_wpm"] == wpm
        texts.add(speech["text"])
        audio_url = speech["audio_url"]
        assert audio_url.startswith(f"/api/v1/sessions/{session['session_id']}/")
        wav = httpx.get(
            service.base_url + audio_url, params={"token": session["learner_token"]}, timeout=60
        )
        assert wav.status_code == 200, wav.text
        assert wav.headers["content-type"].startswith("audio/")
        assert wav.content[:4] == b"RIFF" and wav.content[8:12] == b"WAVE"
        with wave.open(io.BytesIO(wav.content)) as parsed:
            assert parsed.getnchannels() == 1 and parsed.getsampwidth() == 2
            assert parsed.getnframes() > 0
            seconds[wpm] = parsed.getnframes() / parsed.getframerate()
    assert len(texts) == 1, texts  # the same words, only the rate differs
    # Half the rate: espeak-ng takes about twice as long (measured 4.6 s vs 2.2 s).
    assert seconds[100] >= 1.7 * seconds[200], seconds
