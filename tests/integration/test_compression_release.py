"""Each compression is first a ``compression.release`` frame, then its ``compression`` frame,
on the lab websocket and on the session websocket of its kit: a depth waveform over a
private Mosquitto to ``accesstwin serve`` (docs/interface.md "Compressions")."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from devices.simulation import CprLearner
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration]

LAB, KIT = "rellab", "k1"
RATE_HZ = 50.0
CHUNK = 10  # 0.2 s a message, as the kits send
SECONDS = 8.0
KINDS = ("compression.release", "compression")


def collect(
    url: str, into: list[dict[str, Any]], ready: threading.Event, stop: threading.Event
) -> None:
    with connect(url) as ws:
        ready.set()
        while not stop.is_set():
            try:
                frame = json.loads(ws.recv(timeout=0.3))
            except TimeoutError:
                continue
            frames = frame["frames"] if frame.get("type") == "batch" else [frame]
            into.extend(f for f in frames if f.get("type") in KINDS)


@pytest.fixture(scope="module")
def service(mqtt_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    svc = ServiceProcess(mqtt_url=mqtt_url, db_path=Path(tmp_path_factory.mktemp("rel")) / "t.db")
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


def test_each_compression_is_released_first_on_the_lab_and_session_sockets(
    service: ServiceProcess,
) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    body = {"learner_id": "l-rel", "lab": LAB, "kit": KIT, "scenario": "cpr"}
    created = client.post("/api/v1/sessions", json=body)
    assert created.status_code == 201, created.text
    session = created.json()
    lab_frames: list[dict[str, Any]] = []
    session_frames: list[dict[str, Any]] = []
    stop = threading.Event()
    urls = {
        service.ws_url(f"/ws/labs/{LAB}"): lab_frames,
        f"ws://127.0.0.1:{service.port}/ws/sessions/{session['session_id']}"
        f"?token={session['learner_token']}": session_frames,
    }
    readers = []
    for url, into in urls.items():
        ready = threading.Event()
        reader = threading.Thread(target=collect, args=(url, into, ready, stop))
        reader.start()
        readers.append((reader, ready))
    for _, ready in readers:
        assert ready.wait(10)
    moved = client.post(f"/api/v1/sessions/{session['session_id']}/advance")
    assert moved.json()["step"] == "compressions"
    learner = CprLearner(41, rate_per_min=110, depth_mm=55, drift=False)
    publisher = Publisher(service.mqtt_url)
    try:
        publisher.send(f"{service.prefix}/{LAB}/{KIT}/status", b"online", retain=True)
        t0 = time.time()
        for i in range(round(SECONDS * RATE_HZ / CHUNK)):
            ts = t0 + i * CHUNK / RATE_HZ
            time.sleep(max(0.0, ts + CHUNK / RATE_HZ - time.time()))  # live: sent once measured
            samples = [round(x, 2) for x in learner.chunk(ts, CHUNK, RATE_HZ).tolist()]
            payload = {
                "ts": ts,
                "seq": i + 1,
                "waveforms": {"depth_mm": {"rate_hz": RATE_HZ, "samples": samples}},
            }
            publisher.send(f"{service.prefix}/{LAB}/{KIT}/telemetry", payload)
        publisher.flush()
    finally:
        publisher.close()
    deadline = time.time() + 10
    while time.time() < deadline and sum(f["type"] == "compression" for f in lab_frames) < 12:
        time.sleep(0.2)
    time.sleep(1.5)  # the last compression completes 1 s after its release
    stop.set()
    for reader, _ in readers:
        reader.join(10)

    assert session_frames == lab_frames  # the session's copy: the same frames, in order
    done = [f for f in lab_frames if f["type"] == "compression"]
    released = [f for f in lab_frames if f["type"] == "compression.release"]
    assert len(done) >= 0.8 * SECONDS * 110 / 60, lab_frames
    assert len(released) in (len(done), len(done) + 1)  # the last may still await its recoil
    assert set(released[3]) == {
        "type", "lab", "kit", "ts", "depth_mm", "interval_s", "rate_per_min", "in_target",
    }  # fmt: skip
    assert released[3]["depth_mm"] == pytest.approx(55, abs=5)
    assert released[3]["rate_per_min"] == pytest.approx(110, abs=10)
    assert released[3]["in_target"] == {"depth": True, "rate": True}
    assert "recoil_mm" in done[3]  # the compression frame as before: recoil added
    order = [(f["type"], f["ts"]) for f in lab_frames]
    for c in done:
        at = order.index(("compression", c["ts"]))
        before = [f for f in lab_frames[:at] if f["type"] == "compression.release"]
        r = next(f for f in before if f["ts"] == c["ts"])  # its release came first
        assert {k: r[k] for k in ("lab", "kit", "depth_mm", "interval_s", "rate_per_min")} == {
            k: c[k] for k in ("lab", "kit", "depth_mm", "interval_s", "rate_per_min")
        }
        assert r["in_target"] == {"depth": c["in_target"]["depth"], "rate": c["in_target"]["rate"]}
