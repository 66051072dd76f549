"""Issue 6, must-show 5: two gateway processes share one stream, an API replica serves it.

Real Mosquitto, real SQLite (one file shared by the processes), three ``accesstwin serve``
processes: gateways ``ACCESSTWIN_PARTITION=0/2`` and ``1/2`` and an ``ACCESSTWIN_ROLE=api``
replica. One gateway is killed (SIGKILL) and restarted mid-stream.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

KITS = [f"k{i}" for i in range(12)]
MESSAGES_PER_KIT = 120


def metric(service: ServiceProcess, name: str) -> float:
    text = httpx.get(service.base_url + "/metrics", headers=service.headers, timeout=10).text
    found = re.search(rf"^{re.escape(name)} ([0-9.e+]+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


class FrameLog:
    """Every ``twin.delta`` an API websocket client receives, in arrival order."""

    def __init__(self, url: str) -> None:
        self.frames: list[dict[str, Any]] = []
        self._ws = connect(url)
        assert json.loads(self._ws.recv(timeout=10))["type"] == "snapshot"
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for text in self._ws:
                frame = json.loads(text)
                frames = frame["frames"] if frame["type"] == "batch" else [frame]
                self.frames.extend(f for f in frames if f["type"] == "twin.delta")
        except Exception:  # the socket closes at the end of the test
            return

    def close(self) -> None:
        self._ws.close()
        self._thread.join(5)


def test_two_partitioned_gateways_ingest_one_stream_once_in_order_and_an_api_replica_sees_it(
    mqtt_url: str, tmp_path: Path
) -> None:
    db = tmp_path / "shared.db"
    gateways = [
        ServiceProcess(
            mqtt_url=mqtt_url,
            db_path=db,
            extra_env={"ACCESSTWIN_ROLE": "gateway", "ACCESSTWIN_PARTITION": f"{i}/2"},
        )
        for i in range(2)
    ]
    prefix = gateways[0].prefix
    gateways[1].prefix = prefix
    api = ServiceProcess(
        mqtt_url=mqtt_url, db_path=db, prefix=prefix, extra_env={"ACCESSTWIN_ROLE": "api"}
    )
    started: list[ServiceProcess] = []
    publisher = Publisher(mqtt_url)
    frames: FrameLog | None = None
    try:
        for svc in (*gateways, api):
            svc.start()
            started.append(svc)
        frames = FrameLog(api.ws_url("/ws/labs/wardS"))
        t0 = time.time() - MESSAGES_PER_KIT * 0.2 - 5
        duplicates = 0
        for seq in range(1, MESSAGES_PER_KIT + 1):
            for kit in KITS:
                payload = {"ts": t0 + seq * 0.2, "seq": seq, "readings": {"hr": 40.0 + seq}}
                publisher.send(f"{prefix}/wardS/{kit}/telemetry", payload)
                if seq % 40 == 0:  # a QoS 1 redelivery: must be applied once
                    publisher.send(f"{prefix}/wardS/{kit}/telemetry", payload)
                    duplicates += 1
            if seq == MESSAGES_PER_KIT // 2:
                publisher.flush()
                gateways[1].kill()  # its kits' messages wait in its persistent session
            if seq == MESSAGES_PER_KIT // 2 + 10:
                gateways[1].start()
        publisher.flush()

        expected = [[t0 + s * 0.2, 40.0 + s] for s in range(1, MESSAGES_PER_KIT + 1)]
        deadline = time.monotonic() + 60
        histories: dict[str, Any] = {}
        while time.monotonic() < deadline:
            histories = {
                kit: api.get(f"/api/v1/twins/wardS/{kit}/history", sensor="hr", limit=10_000)
                for kit in KITS
            }
            if all(len(h["points"]) >= MESSAGES_PER_KIT for h in histories.values()):
                break
            time.sleep(0.5)
        for kit in KITS:
            points = histories[kit]["points"]
            # Every message stored exactly once (no loss, the duplicates not twice), in order.
            assert len(points) == len(expected), kit
            assert [p[1] for p in points] == [e[1] for e in expected], kit
            assert [p[0] for p in points] == pytest.approx([e[0] for e in expected]), kit

        # Each gateway handled only its own kits' messages and skipped the others'; the one
        # never restarted saw the whole stream, split between the two.
        total = len(KITS) * MESSAGES_PER_KIT + duplicates
        received = [
            metric(g, 'accesstwin_mqtt_messages_received_total{channel="telemetry"}')
            for g in gateways
        ]
        skipped = [metric(g, "accesstwin_messages_skipped_total") for g in gateways]
        assert received[0] + skipped[0] == total
        assert min(received) > 0 and min(skipped) > 0

        # The API replica: every kit, its newest value, and per kit only ever newer values.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            last = {f["kit"]: f for f in frames.frames if "hr" in f["reported"]}
            if len(last) == len(KITS) and all(
                f["reported"]["hr"]["value"] == 40.0 + MESSAGES_PER_KIT for f in last.values()
            ):
                break
            time.sleep(0.2)
        twins = {t["kit"]: t for t in api.get("/api/v1/twins")}
        assert set(twins) == set(KITS)
        for kit in KITS:
            doc = api.get(f"/api/v1/twins/wardS/{kit}")
            assert doc["reported"]["hr"]["value"] == 40.0 + MESSAGES_PER_KIT
            mine = [f for f in frames.frames if f["kit"] == kit]
            versions = [f["version"] for f in mine]
            assert versions == sorted(set(versions)), kit
            ts = [f["reported"]["hr"]["ts"] for f in mine if "hr" in f["reported"]]
            assert ts == sorted(ts), kit
            assert ts[-1] == pytest.approx(t0 + MESSAGES_PER_KIT * 0.2)
    finally:
        if frames is not None:
            frames.close()
        publisher.close()
        for svc in started:
            svc.stop()
