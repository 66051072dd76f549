"""Issue 2, must-show 1, 2 and 5: real Mosquitto, real SQLite, the service as a process."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import time
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.support.mqtt import Collector, Publisher
from tests.support.programs import require_program
from tests.support.service import TOKEN, ServiceProcess
from tests.support.ws import next_frame

pytestmark = pytest.mark.integration


def test_a_plain_mqtt_publish_reaches_rest_history_and_websocket(
    service: ServiceProcess, mqtt_url: str
) -> None:
    mosquitto_pub = shutil.which("mosquitto_pub")
    require_program("mosquitto_pub", mosquitto_pub is not None, "apt-get install mosquitto-clients")
    assert mosquitto_pub is not None
    broker = urlsplit(mqtt_url)
    ts = time.time() - 0.5
    payload = {
        "ts": ts,
        "seq": 42,
        "readings": {"hr": 72, "spo2": 97.5},
        "waveforms": {"ppg": {"rate_hz": 50, "samples": [512.0, 518.5]}},
    }
    with connect(service.ws_url("/ws/labs/wardA")) as ws:
        snapshot = next_frame(ws, "snapshot")
        assert snapshot["twins"] == []
        subprocess.run(
            [
                mosquitto_pub,
                "-h",
                broker.hostname or "127.0.0.1",
                "-p",
                str(broker.port),
                "-q",
                "1",
                "-t",
                f"{service.prefix}/wardA/kit1/telemetry",
                "-m",
                json.dumps(payload),
            ],
            check=True,
            timeout=10,
        )
        delta = next_frame(ws, "twin.delta")
    assert (delta["lab"], delta["kit"], delta["version"]) == ("wardA", "kit1", 1)
    assert delta["reported"]["hr"] == {
        "value": 72.0,
        "unit": "bpm",
        "ts": ts,
        "received_at": pytest.approx(time.time(), abs=5),
    }
    assert delta["reported"]["ppg"]["value"] == 518.5

    twin = service.get("/api/v1/twins/wardA/kit1")
    assert twin["reported"]["spo2"]["value"] == 97.5
    assert twin["reported"]["hr"]["ts"] == ts
    assert twin["version"] == 1
    assert service.get("/api/v1/twins") == [
        {
            "lab": "wardA",
            "kit": "kit1",
            "online": False,
            "version": 1,
            "updated_at": twin["updated_at"],
        }
    ]
    history = service.get("/api/v1/twins/wardA/kit1/history", sensor="ppg")
    assert history == {"sensor": "ppg", "unit": "", "points": [[ts, 512.0], [ts + 0.02, 518.5]]}
    assert service.get("/api/v1/twins/wardA/kit1/history", sensor="hr")["points"] == [[ts, 72.0]]


def test_status_topic_and_desired_state_round_trip(service: ServiceProcess, mqtt_url: str) -> None:
    desired_topic = f"{service.prefix}/wardB/kit9/desired"
    collector = Collector(mqtt_url, desired_topic)
    publisher = Publisher(mqtt_url)
    try:
        with connect(service.ws_url("/ws/labs/wardB")) as ws:
            next_frame(ws, "snapshot")
            publisher.send(f"{service.prefix}/wardB/kit9/status", b"online")
            assert next_frame(ws, "status")["online"] is True
            response = httpx.put(
                service.base_url + "/api/v1/twins/wardB/kit9/desired",
                json={"scenario": "cpr", "buzzer": True},
                headers=service.headers,
                timeout=10,
            )
            response.raise_for_status()
            assert response.json()["delta"] == {"scenario": "cpr", "buzzer": True}
            pushed = next_frame(ws, "twin.delta")
            assert pushed["desired"] == {"scenario": "cpr", "buzzer": True}
            assert pushed["desired_version"] == 1
            publisher.send(f"{service.prefix}/wardB/kit9/status", b"offline")
            assert next_frame(ws, "status")["online"] is False
        ((_, body),) = collector.wait_for(1)
        assert json.loads(body) == {"version": 1, "desired": {"scenario": "cpr", "buzzer": True}}
        assert service.get("/api/v1/twins/wardB/kit9")["online"] is False
    finally:
        publisher.close()
        collector.close()


def test_auth_is_required_and_checked(service: ServiceProcess) -> None:
    url = service.base_url + "/api/v1/twins"
    assert httpx.get(url, timeout=5).status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
    assert httpx.get(url, headers=service.headers, timeout=5).status_code == 200
    assert httpx.get(service.base_url + "/healthz", timeout=5).status_code == 200
    with (
        connect(f"ws://127.0.0.1:{service.port}/ws/labs/x?token=wrong") as ws,
        pytest.raises(ConnectionClosed) as closed,
    ):
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_both_websockets_opened_with_no_token_at_all_close_with_1008(
    service: ServiceProcess,
) -> None:
    created = httpx.post(
        service.base_url + "/api/v1/sessions",
        json={"learner_id": "L9", "lab": "wardN", "kit": "k1", "scenario": "cpr"},
        headers=service.headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    session_path = f"/ws/sessions/{created.json()['session_id']}"
    for path in ("/ws/labs/wardN", session_path):
        with (
            connect(f"ws://127.0.0.1:{service.port}{path}") as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=5)
        assert closed.value.rcvd is not None, path
        assert closed.value.rcvd.code == 1008, path
    # The same paths with the token open (so the refusals above were the missing token's).
    for path in ("/ws/labs/wardN", session_path):
        with connect(service.ws_url(path)) as ws:
            assert json.loads(ws.recv(timeout=5))["type"] in {"snapshot", "session"}


def build_hostile_stream(
    prefix: str, lab: str, kit: str, count: int, now: float
) -> tuple[list[tuple[str, bytes]], dict[str, int]]:
    """Valid messages interleaved with every kind of bad one; returns what to expect."""
    topic = f"{prefix}/{lab}/{kit}/telemetry"
    expect = {"valid": 0, "whole_rejections": 0, "partial": 0, "duplicates": 0}
    stream: list[tuple[str, bytes]] = []
    seq = 0
    last_valid: bytes | None = None
    bad_kinds = [
        (topic, b"this is not json"),
        (topic, b"[1, 2, 3]"),
        (topic, b'{"ts": "yesterday", "seq": 1, "readings": {"temp_c": 37}}'),
        (topic, b'{"ts": NaN, "seq": 1, "readings": {"temp_c": 37}}'),
        (topic, b'{"ts": 1764060000, "seq": 1, "readings": {"temp_c": Infinity}}'),
        (topic, json.dumps({"ts": now, "seq": 10**9, "readings": {"temp_c": 99}}).encode()),
        (
            f"{prefix}/{lab}$x/{kit}/telemetry",
            json.dumps({"ts": now, "seq": 1, "readings": {"hr": 1}}).encode(),
        ),
        (
            f"{prefix}/{lab}/{kit}.x/telemetry",
            json.dumps({"ts": now, "seq": 1, "readings": {"hr": 1}}).encode(),
        ),
        (
            topic,
            b'{"ts": %f, "seq": 1, "readings": {"temp_c": 37}, "pad": "%s"}' % (now, b"x" * 70_000),
        ),
        (topic, json.dumps({"ts": now, "readings": {"temp_c": 37}}).encode()),
        (topic, json.dumps({"ts": 1000.0, "seq": 7, "readings": {"temp_c": 37}}).encode()),
        (topic, b"\xc3\x28 not utf-8"),
        (topic, json.dumps({"ts": now, "seq": 3, "readings": {"temp_c": True}}).encode()),
    ]
    for i in range(count):
        kind = i % 4
        if kind in (0, 2) or last_valid is None:
            seq += 1
            body: dict[str, Any] = {
                "ts": now - count + i * 0.5,
                "seq": seq,
                "readings": {"temp_c": 36.0 + (i % 20) / 10},
            }
            if i % 8 == 2:  # a kept message with one bad reading
                body["readings"]["spo2"] = 180
                expect["partial"] += 1
            last_valid = json.dumps(body).encode()
            stream.append((topic, last_valid))
            expect["valid"] += 1
        elif kind == 1 and i % 12 == 1:
            stream.append((topic, last_valid))
            expect["duplicates"] += 1
        else:
            stream.append(bad_kinds[i % len(bad_kinds)])
            expect["whole_rejections"] += 1
    return stream, expect


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_a_thousand_hostile_messages_interleaved_with_valid_ones(
    service: ServiceProcess, mqtt_url: str
) -> None:
    now = time.time()
    stream, expect = build_hostile_stream(service.prefix, "ward", "k1", 1000, now)
    rejected = Collector(mqtt_url, f"{service.prefix}/_rejected/#")
    publisher = Publisher(mqtt_url)
    try:
        for topic, payload in stream:
            publisher.send(topic, payload)
        publisher.flush()
        want_rejections = expect["whole_rejections"] + expect["partial"] + expect["duplicates"]
        got = rejected.wait_for(want_rejections, timeout=30)
        time.sleep(0.5)  # anything extra would show up now
        got = rejected.wait_for(0)
    finally:
        publisher.close()
        rejected.close()

    assert len(got) == want_rejections
    reasons = [json.loads(body) for _, body in got]
    assert all(r["reason"] and r["topic"] and "payload_b64" in r for r in reasons)
    assert sum(r["reason"] == "duplicate" for r in reasons) == expect["duplicates"]
    partial = [r for r in reasons if r["reason"] == "dropped readings"]
    assert len(partial) == expect["partial"]
    assert all(r["dropped"][0]["sensor"] == "spo2" for r in partial)
    unknown = [
        t for t, _ in got if t.endswith("/_rejected/_unknown/k1") or t.endswith("/ward/_unknown")
    ]
    assert len(unknown) == sum(1 for t, _ in stream if "$x" in t or ".x" in t)
    not_json = [r for r in reasons if base64.b64decode(r["payload_b64"]) == b"this is not json"]
    assert not_json and all(r["reason"].startswith("payload is not JSON") for r in not_json)

    # Every valid reading stored exactly once.
    history = service.get("/api/v1/twins/ward/k1/history", sensor="temp_c", limit=10_000)
    stamps = [ts for ts, _ in history["points"]]
    assert len(stamps) == expect["valid"] == len(set(stamps))
    assert service.get("/api/v1/twins/ward/k1/history", sensor="spo2")["points"] == []

    metrics = httpx.get(service.base_url + "/metrics", timeout=5).text
    assert metric(metrics, "accesstwin_messages_rejected_total") == (
        expect["whole_rejections"] + expect["duplicates"]
    )
    assert metric(metrics, "accesstwin_readings_dropped_total") == expect["partial"]
    assert httpx.get(service.base_url + "/readyz", timeout=5).status_code == 200


def open_stalled_websocket(port: int, path: str) -> socket.socket:
    """A websocket client that completes the handshake and then never reads again."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    key = base64.b64encode(b"0123456789abcdef").decode()
    sock.sendall(
        (
            f"GET {path}?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head.split(b"\r\n")[0]
    return sock


def test_a_client_that_stops_reading_does_not_slow_the_others(
    service: ServiceProcess, mqtt_url: str
) -> None:
    stalled = [open_stalled_websocket(service.port, "/ws/labs/fan") for _ in range(3)]
    publisher = Publisher(mqtt_url)
    samples = [500.0 + i for i in range(200)]
    try:
        with connect(service.ws_url("/ws/labs/fan"), max_size=None) as ws:
            next_frame(ws, "snapshot")
            start = time.time()
            total = 600
            for seq in range(1, total + 1):
                publisher.send(
                    f"{service.prefix}/fan/k{seq % 3}/telemetry",
                    {
                        "ts": start - 60 + seq * 0.05,
                        "seq": seq,
                        "readings": {"hr": seq % 200},
                        "waveforms": {"ppg": {"rate_hz": 100, "samples": samples}},
                    },
                )
            publisher.flush()
            published = time.time()
            newest: dict[str, int] = {}
            while sum(newest.values()) < total:
                frame = next_frame(ws, "twin.delta", timeout=10)
                newest[frame["kit"]] = frame["version"]
            caught_up = time.time() - published
    finally:
        publisher.close()
        for sock in stalled:
            sock.close()
    # Each kit's version counts its messages; the reader saw all of them arrive.
    assert sorted(newest.values()) == [200, 200, 200]
    assert caught_up < 5.0, f"reader lagged {caught_up:.2f} s behind the publisher"


def test_a_batching_client_gets_every_kit_in_batch_frames(
    service: ServiceProcess, mqtt_url: str
) -> None:
    """``?batch_ms=`` (a contract addition): waiting frames arrive together, none lost."""
    publisher = Publisher(mqtt_url)
    kits = [f"kit{i}" for i in range(20)]
    try:
        with connect(service.ws_url("/ws/labs/wardBatch") + "&batch_ms=200") as ws:
            assert next_frame(ws, "snapshot")["twins"] == []
            now = time.time()
            for seq, kit in enumerate(kits, start=1):
                publisher.send(
                    f"{service.prefix}/wardBatch/{kit}/telemetry",
                    {"ts": now, "seq": seq, "readings": {"hr": 60 + seq}},
                )
            publisher.flush()
            seen: dict[str, float] = {}
            batches = 0
            deadline = time.monotonic() + 10
            while len(seen) < len(kits) and time.monotonic() < deadline:
                frame = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
                frames = frame["frames"] if frame["type"] == "batch" else [frame]
                batches += frame["type"] == "batch"
                for f in frames:
                    assert f["type"] == "twin.delta"
                    seen[f["kit"]] = f["reported"]["hr"]["value"]
    finally:
        publisher.close()
    assert seen == {kit: 60.0 + seq for seq, kit in enumerate(kits, start=1)}
    assert batches >= 1


@pytest.mark.parametrize("bad", ["-1", "1001", "fast", "1e3"])
def test_a_bad_batch_interval_closes_the_socket_with_1008(
    service: ServiceProcess, bad: str
) -> None:
    url = service.ws_url("/ws/labs/wardBatch") + f"&batch_ms={bad}"
    with connect(url) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "batch_ms" in closed.value.rcvd.reason


def test_a_reserved_lab_socket_closes_with_1008(service: ServiceProcess) -> None:
    with connect(service.ws_url("/ws/labs/_twin")) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert "reserved" in closed.value.rcvd.reason
