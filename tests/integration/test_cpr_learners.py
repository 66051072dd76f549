"""Issue 12, must-show 1: simulated CPR learners through MQTT and the real service.

Six kits, each with a simulated learner (``devices.simulation.CprLearner``), stream their
depth waveform live over a private Mosquitto to ``accesstwin serve`` for 40 s, each in its
own CPR session (moved past "ready" by the instructor). Then the sessions' reports, the
``compression`` frames on the lab and session websockets, and the history are checked.

The session judges time on the service clock, so this runs in real time: 40 s is the
shortest run in which a correction repeated at least every 15 s is heard three times.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from devices.simulation import CprLearner
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

LAB = "cprlab"
SECONDS = 40.0
RATE_HZ = 50.0
CHUNK = 10  # 0.2 s a message, as the kits send
LEARNERS = {
    "steady": lambda: CprLearner(31, rate_per_min=110, depth_mm=55, drift=False),
    "uneven": lambda: CprLearner(32, rate_per_min=110, drift=False, depth_cycle_mm=(40, 70)),
    "shallow": lambda: CprLearner(33, rate_per_min=110, depth_mm=42, drift=False),
    "weak": lambda: CprLearner(34, rate_per_min=110, depth_mm=9, drift=False),
    "slow": lambda: CprLearner(35, rate_per_min=26, depth_mm=55, drift=False),
    "hesitant": lambda: CprLearner(
        36, rate_per_min=110, depth_mm=55, drift=False, pause_every_s=12.0, pause_len_s=1.0
    ),
}


@dataclass
class Run:
    service: ServiceProcess
    started: dict[str, float] = field(default_factory=dict)  # step start, service clock
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    lab_frames: list[dict[str, Any]] = field(default_factory=list)
    session_frames: list[dict[str, Any]] = field(default_factory=list)
    history: list[list[float]] = field(default_factory=list)

    def said(self, kit: str, words: str) -> list[float]:
        """Seconds after the step began at which feedback containing ``words`` was given."""
        return [
            f["delivered_at"] - self.started[kit]
            for f in self.reports[kit]["feedback"]
            if f["topic"] != "prompt" and words in str(f["text"]).lower()
        ]


def collect(url: str, into: list[dict[str, Any]], stop: threading.Event) -> None:
    with connect(url) as ws:
        while not stop.is_set():
            try:
                frame = json.loads(ws.recv(timeout=0.5))
            except TimeoutError:
                continue
            frames = frame["frames"] if frame.get("type") == "batch" else [frame]
            into.extend(f for f in frames if f.get("type") == "compression")


@pytest.fixture(scope="module")
def run(mqtt_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    service = ServiceProcess(
        mqtt_url=mqtt_url, db_path=Path(tmp_path_factory.mktemp("cpr")) / "t.db"
    )
    service.start()
    try:
        yield drive(Run(service))
    finally:
        service.stop()


def drive(result: Run) -> Run:
    service = result.service
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    sessions: dict[str, dict[str, Any]] = {}
    for kit in LEARNERS:
        body = {"learner_id": f"l-{kit}", "lab": LAB, "kit": kit, "scenario": "cpr"}
        created = client.post("/api/v1/sessions", json=body)
        assert created.status_code == 201, created.text
        sessions[kit] = created.json()
    stop = threading.Event()
    steady = sessions["steady"]
    readers = [
        threading.Thread(
            target=collect, args=(service.ws_url(f"/ws/labs/{LAB}"), result.lab_frames, stop)
        ),
        threading.Thread(
            target=collect,
            args=(
                f"ws://127.0.0.1:{service.port}/ws/sessions/{steady['session_id']}"
                f"?token={steady['learner_token']}",
                result.session_frames,
                stop,
            ),
        ),
    ]
    for reader in readers:
        reader.start()
    time.sleep(1.0)  # both sockets open before the first compression
    for kit, body in sessions.items():
        moved = client.post(f"/api/v1/sessions/{body['session_id']}/advance")
        assert moved.json()["step"] == "compressions"
        result.started[kit] = time.time()
    learners = {kit: make() for kit, make in LEARNERS.items()}
    publisher = Publisher(service.mqtt_url)
    for kit in LEARNERS:  # as a kit does when it connects (retained, like its will)
        publisher.send(f"{service.prefix}/{LAB}/{kit}/status", b"online", retain=True)
    t0 = time.time()
    try:
        for i in range(round(SECONDS * RATE_HZ / CHUNK)):
            ts = t0 + i * CHUNK / RATE_HZ
            time.sleep(max(0.0, ts + CHUNK / RATE_HZ - time.time()))  # live: sent once measured
            for kit, learner in learners.items():
                samples = [round(x, 2) for x in learner.chunk(ts, CHUNK, RATE_HZ).tolist()]
                payload = {
                    "ts": ts,
                    "seq": i + 1,
                    "waveforms": {"depth_mm": {"rate_hz": RATE_HZ, "samples": samples}},
                }
                publisher.send(f"{service.prefix}/{LAB}/{kit}/telemetry", payload)
        publisher.flush()
    finally:
        publisher.close()
    time.sleep(1.5)  # the last messages through the service
    stop.set()
    for reader in readers:
        reader.join(10)
    for kit, body in sessions.items():
        sid = body["session_id"]
        assert client.post(f"/api/v1/sessions/{sid}/stop").status_code == 200
        result.reports[kit] = client.get(f"/api/v1/sessions/{sid}/report").json()
    history = client.get(
        f"/api/v1/twins/{LAB}/steady/history", params={"sensor": "cpr_compression_depth_mm"}
    ).json()
    assert history["unit"] == "mm"
    result.history = history["points"]
    return result


def test_uneven_depth_scores_well_below_a_steady_learner(run: Run) -> None:
    steady, uneven = run.reports["steady"]["score"], run.reports["uneven"]["score"]
    assert steady["metrics"]["depth_in_target_pct"] >= 90
    assert steady["score"] >= 85
    assert uneven["metrics"]["depth_in_target_pct"] <= 10
    assert uneven["score"] <= steady["score"] - 25
    for key in (
        "compressions",
        "depth_in_target_pct",
        "rate_in_target_pct",
        "recoil_in_target_pct",
        "ccf_pct",
    ):
        assert key in steady["metrics"]
    assert steady["metrics"]["compressions"] >= 0.9 * SECONDS * 110 / 60
    assert "per compression" in steady["formula"]


def test_shallow_compressions_are_told_deeper_at_once_and_again_while_they_last(run: Run) -> None:
    deeper = run.said("shallow", "deeper")
    assert len(deeper) >= 3, run.reports["shallow"]["feedback"]
    assert deeper[0] <= 12.0
    assert all(b - a <= 15.0 for a, b in itertools.pairwise(deeper))


def test_weak_presses_are_named_too_shallow_not_start(run: Run) -> None:
    assert run.said("weak", "too shallow")
    assert run.said("weak", "start compressions") == [] and run.said("weak", "resume") == []


def test_slow_compressions_are_named_too_slow_not_stopped(run: Run) -> None:
    assert run.said("slow", "too slow")
    assert run.said("slow", "resume") == [] and run.said("slow", "start compressions") == []


def test_a_one_second_hesitation_gets_no_rate_prompt(run: Run) -> None:
    feedback = run.reports["hesitant"]["feedback"]
    assert [f["text"] for f in feedback if f["topic"] == "cpr.rate"] == []
    assert run.said("hesitant", "resume") == []


def test_each_compression_is_a_frame_on_the_lab_and_session_sockets_and_history(run: Run) -> None:
    lab_steady = [f for f in run.lab_frames if f["kit"] == "steady"]
    assert len(lab_steady) >= 0.9 * SECONDS * 110 / 60
    assert {f["kit"] for f in run.lab_frames} == set(LEARNERS)
    assert run.session_frames == lab_steady  # the session's kit only, the same frames
    frame = lab_steady[10]
    assert frame["lab"] == LAB and frame["depth_mm"] == pytest.approx(55, abs=5)
    assert frame["rate_per_min"] == pytest.approx(110, abs=10)
    assert frame["in_target"] == {"depth": True, "rate": True, "recoil": True}
    assert [p[0] for p in run.history] == [f["ts"] for f in lab_steady]
    assert [p[1] for p in run.history] == [f["depth_mm"] for f in lab_steady]
