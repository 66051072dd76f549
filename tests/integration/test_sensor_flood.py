"""Issue 17, must show 1: a kit flooding 60,000 new sensor names over the real Mosquitto.

The twin stays within ACCESSTWIN_MAX_SENSORS_PER_KIT (128), the history holds no more
series than that, the extras are rejected with reason ``limit``, another kit's readings
keep arriving, and the lab's dashboard (page and websocket snapshot) still loads small.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.mqtt import Collector, Publisher
from tests.support.service import ServiceProcess
from tests.support.ws import next_frame

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MESSAGES, NAMES_PER_MESSAGE, BOUND = 300, 200, 128


def test_a_kit_flooding_60000_sensor_names_stays_within_the_bound(
    mqtt_url: str, tmp_path: Path
) -> None:
    # The rate limit raised, so that what stops the flood is the sensor bound.
    service = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={"ACCESSTWIN_KIT_RATE_PER_S": "10000", "ACCESSTWIN_KIT_BURST": "10000"},
    )
    service.start()
    rejected = Collector(mqtt_url, f"{service.prefix}/_rejected/ward1/flood")
    flooder, calm = Publisher(mqtt_url), Publisher(mqtt_url)
    try:
        started = time.time()
        for seq in range(1, MESSAGES + 1):
            names = {f"n{seq}x{i}": 1.0 for i in range(NAMES_PER_MESSAGE)}
            flooder.send(
                f"{service.prefix}/ward1/flood/telemetry",
                {"ts": started, "seq": seq, "readings": names},
            )
            if seq % 30 == 0:
                calm.send(
                    f"{service.prefix}/ward1/calm/telemetry",
                    {"ts": started + seq / 1000, "seq": seq, "readings": {"hr": 60 + seq // 30}},
                )
        flooder.flush()
        calm.flush()
        rejections = [json.loads(p) for _, p in rejected.wait_for(MESSAGES, timeout=60)]
        assert len(rejections) == MESSAGES
        assert all(d["reason"] == "limit" for r in rejections for d in r["dropped"])
        assert sum(r["dropped_count"] for r in rejections) == MESSAGES * NAMES_PER_MESSAGE - BOUND

        deadline = time.monotonic() + 20
        while service.get("/api/v1/twins/ward1/calm")["reported"]["hr"]["value"] != 70:
            assert time.monotonic() < deadline, "the calm kit's readings stopped arriving"
            time.sleep(0.1)
        flood_twin = service.get("/api/v1/twins/ward1/flood")
        assert len(flood_twin["reported"]) == BOUND
        metrics = httpx.get(service.base_url + "/metrics", timeout=10).text
        assert (
            f"accesstwin_readings_over_limit_total {MESSAGES * NAMES_PER_MESSAGE - BOUND}.0"
            in metrics
        )

        page = httpx.get(service.base_url + "/labs/ward1", timeout=10)
        assert page.status_code == 200
        with connect(service.ws_url("/ws/labs/ward1"), max_size=2**20) as ws:
            snapshot = next_frame(ws, "snapshot")
        assert {t["kit"]: len(t["reported"]) for t in snapshot["twins"]} == {
            "flood": BOUND,
            "calm": 1,
        }
    finally:
        for client in (flooder, calm):
            client.close()
        rejected.close()
        service.stop()
    with sqlite3.connect(tmp_path / "twin.db") as db:
        (series,) = db.execute(
            "SELECT COUNT(DISTINCT sensor) FROM samples WHERE kit = 'flood'"
        ).fetchone()
    assert series == BOUND
