"""``accesstwin demo`` from a fresh virtual environment: no broker (issue 2), and no system
espeak-ng (issue 11: speech from the bundled library of the espeakng-loader wheel).

Installed as the README says: ``pip install '.[server]' && accesstwin demo``.
"""

from __future__ import annotations

import array
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.broker import free_port
from tests.support.hidden_espeak import can_hide, without_system_espeak
from tests.support.programs import require_program

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("demo-venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "--quiet", f"{REPO}[server]"],
        check=True,
        timeout=900,
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    return venv


@pytest.mark.timeout(900)  # the module's fresh venv is installed in the first test's setup
def test_demo_serves_live_simulated_data_within_15_seconds(
    fresh_venv: Path, tmp_path: Path
) -> None:
    http_port, mqtt_port = free_port(), free_port()  # nothing listens on mqtt_port
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESSTWIN_")}
    env.update(
        ACCESSTWIN_MQTT_URL=f"mqtt://127.0.0.1:{mqtt_port}",
        ACCESSTWIN_HTTP_PORT=str(http_port),
        PYTHONUNBUFFERED="1",
    )
    started = time.monotonic()
    demo = subprocess.Popen(
        [str(fresh_venv / "bin" / "accesstwin"), "demo"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert demo.stdout is not None
        url = None
        while url is None and time.monotonic() - started < 15:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            found = re.search(r"Instructor dashboard: (http://\S+)", line)
            url = found.group(1) if found else None
        assert url, "demo printed no dashboard URL:\n" + "".join(output)
        assert any("embedded MQTT broker" in line for line in output)
        page = httpx.get(url, timeout=5)
        assert page.status_code == 200 and "<html" in page.text.lower()
        token = re.search(r"token=([\w-]+)", url)
        assert token
        ws_url = f"ws://127.0.0.1:{http_port}/ws/labs/demo?token={token.group(1)}"
        kits_live: set[str] = set()
        with connect(ws_url) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
            while len(kits_live) < 3 and time.monotonic() - started < 15:
                frame = json.loads(ws.recv(timeout=max(0.1, 15 - (time.monotonic() - started))))
                if frame["type"] == "twin.delta" and frame["reported"]:
                    newest = max(v["ts"] for v in frame["reported"].values())
                    assert abs(newest - time.time()) < 5, "demo data is not live"
                    kits_live.add(frame["kit"])
        assert kits_live == {"kit-1", "kit-2", "kit-3"}, f"live after 15 s: {kits_live}"
        assert time.monotonic() - started < 15
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            rest, _ = demo.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            rest, _ = demo.communicate()
    assert demo.returncode == 0, "".join(output) + rest
    assert "accesstwin demo stopped." in rest


def _wav_seconds_and_peak(data: bytes) -> tuple[float, int]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE", data[:16]
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getsampwidth() == 2
        samples = array.array("h", wav.readframes(wav.getnframes()))
        return wav.getnframes() / wav.getframerate(), max(map(abs, samples), default=0)


def _first_spoken_feedback(ws_url: str, deadline: float) -> dict[str, str]:
    with connect(ws_url) as ws:
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if frame["type"] == "feedback" and (frame.get("speech") or {}).get("audio_url"):
                return dict(frame["speech"])
    raise AssertionError("no spoken feedback frame before the deadline")


@dataclass
class FirstSpeech:
    speech_line: str  # what the demo said about speech at start-up
    audio: httpx.Response  # the answer to the first spoken feedback's audio_url


def _demo_first_speech(
    command: list[str], cwd: Path, engine: str | None, startup_s: float
) -> FirstSpeech:
    """Run ``command`` (a demo) with the system espeak-ng hidden; fetch its first prompt's
    audio with the learner's token; stop it with Ctrl-C, which must end it cleanly."""
    require_program("a mount namespace (root and unshare)", can_hide(), "run the tests as root")
    check = (
        "import ctypes, shutil; assert not shutil.which('espeak-ng');"
        " ctypes.CDLL('libespeak-ng.so.1')"
    )
    hidden = subprocess.run(
        without_system_espeak([sys.executable, "-c", check]), capture_output=True, text=True
    )
    assert hidden.returncode == 1 and "OSError" in hidden.stderr, "espeak-ng is not hidden"
    http_port, mqtt_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCESSTWIN_")}
    env.update(
        ACCESSTWIN_MQTT_URL=f"mqtt://127.0.0.1:{mqtt_port}",
        ACCESSTWIN_HTTP_PORT=str(http_port),
        PYTHONUNBUFFERED="1",
    )
    if engine is not None:
        env["ACCESSTWIN_SPEECH_ENGINE"] = engine
    demo = subprocess.Popen(
        without_system_espeak(command),
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started, output = time.monotonic(), list[str]()
    try:
        assert demo.stdout is not None
        learner = None
        while learner is None and time.monotonic() - started < startup_s:
            line = demo.stdout.readline()
            if not line:
                break
            output.append(line)
            learner = re.search(
                r"Learner page .*: http://[^/]+/learn/([\w-]+)\?token=([\w-]+)", line
            )
        assert learner, "demo printed no learner URL:\n" + "".join(output)
        speech_lines = [line.strip() for line in output if line.startswith("Speech")]
        assert len(speech_lines) == 1, "".join(output)
        session_id, token = learner.groups()
        ws_url = f"ws://127.0.0.1:{http_port}/ws/sessions/{session_id}?token={token}"
        speech = _first_spoken_feedback(ws_url, time.monotonic() + 20)
        audio = httpx.get(
            f"http://127.0.0.1:{http_port}{speech['audio_url']}",
            params={"token": token},
            timeout=30,
        )
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            rest, _ = demo.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
            rest, _ = demo.communicate()
    assert demo.returncode == 0, "".join(output) + rest
    return FirstSpeech(speech_lines[0], audio)


def _assert_playable_bundled_speech(first: FirstSpeech) -> None:
    assert first.speech_line.startswith("Speech: espeak-ng "), first.speech_line
    assert "bundled" in first.speech_line, first.speech_line
    assert first.audio.status_code == 200, first.audio.text
    assert first.audio.headers["content-type"] == "audio/wav"
    seconds, peak = _wav_seconds_and_peak(first.audio.content)
    assert seconds > 0.5 and peak > 1000, (seconds, peak)


@pytest.mark.timeout(900)  # the clone sets up its own .venv first
def test_a_fresh_clone_demo_speaks_without_the_system_espeak_ng(tmp_path: Path) -> None:
    """Issue 11, must-show 1: ``git clone`` and ``./scripts/demo`` on a machine without
    espeak-ng (hidden in a mount namespace): the first spoken feedback's ``audio_url`` is a
    playable WAV, from the libespeak-ng bundled in the espeakng-loader wheel (engine auto)."""
    clone = tmp_path / "accesstwin"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    first = _demo_first_speech(["./scripts/demo"], clone, None, startup_s=900)
    _assert_playable_bundled_speech(first)


@pytest.mark.timeout(900)  # the fresh venv, when this runs first
@pytest.mark.parametrize("engine", ["bundled", "system"])
def test_the_speech_engine_can_be_forced(fresh_venv: Path, tmp_path: Path, engine: str) -> None:
    """Without the system espeak-ng, ``ACCESSTWIN_SPEECH_ENGINE=bundled`` speaks; ``=system``
    makes the demo say in one line that speech is unavailable, and the audio URL answers 503."""
    first = _demo_first_speech(
        [str(fresh_venv / "bin" / "accesstwin"), "demo"], tmp_path, engine, startup_s=30
    )
    if engine == "bundled":
        _assert_playable_bundled_speech(first)
    else:
        assert first.speech_line.startswith("Speech unavailable"), first.speech_line
        assert first.audio.status_code == 503
