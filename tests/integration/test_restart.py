"""Issue 2, must-show 3: kill -9 the service mid-stream; after restart nothing is missing."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_kill_and_restart_mid_stream_loses_nothing(mqtt_url: str, tmp_path: Path) -> None:
    service = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "twin.db")
    service.start()
    total, rate = 1_500, 300.0
    base = time.time() - 3_600
    publisher = Publisher(mqtt_url)
    sent = threading.Event()

    def publish() -> None:
        for seq in range(1, total + 1):
            publisher.send(
                f"{service.prefix}/lab/k/telemetry",
                {
                    "ts": base + seq,
                    "seq": seq,
                    "readings": {"hr": 60 + seq % 40},
                    "waveforms": {"depth_mm": {"rate_hz": 50, "samples": [float(seq % 60)] * 5}},
                },
            )
            time.sleep(1 / rate)
        publisher.flush(60)
        sent.set()

    thread = threading.Thread(target=publish)
    thread.start()
    try:
        time.sleep(1.5)
        service.kill()  # SIGKILL: no shutdown hook runs
        time.sleep(1.0)  # the publisher keeps sending to the broker meanwhile
        service.start()  # same client id, same SQLite file: the session resumes
        assert sent.wait(60)
        deadline = time.monotonic() + 30
        points: list[list[float]] = []
        while time.monotonic() < deadline:
            points = service.get("/api/v1/twins/lab/k/history", sensor="hr", limit=10_000)["points"]
            if len(points) >= total:
                break
            time.sleep(0.25)
        stamps = [ts for ts, _ in points]
        assert len(stamps) == total, f"{total - len(stamps)} of {total} messages missing"
        assert stamps == [base + seq for seq in range(1, total + 1)]
        depth = service.get("/api/v1/twins/lab/k/history", sensor="depth_mm", limit=10_000)
        assert len(depth["points"]) == 5 * total
        assert service.get("/api/v1/twins/lab/k")["reported"]["hr"]["ts"] == base + total
    finally:
        thread.join(60)
        publisher.close()
        service.stop()


def test_right_after_a_restart_the_twin_and_its_version_are_back(
    mqtt_url: str, tmp_path: Path
) -> None:
    """Issue 17: read at once after the restart, before any new message: the twin's values
    are those it had, and its version has not gone backwards."""
    service = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "twin.db")
    service.start()
    publisher = Publisher(mqtt_url)
    base = time.time() - 60
    try:
        for seq in range(1, 21):
            publisher.send(
                f"{service.prefix}/lab/k/telemetry",
                {"ts": base + seq, "seq": seq, "readings": {"hr": 60 + seq, "spo2": 90 + seq % 5}},
            )
        publisher.flush()
        deadline = time.monotonic() + 20
        while True:
            before = service.get("/api/v1/twins/lab/k")
            if before["reported"].get("hr", {}).get("ts") == base + 20:
                break
            assert time.monotonic() < deadline, before
            time.sleep(0.1)
        service.stop()
        service.start()
        after = service.get("/api/v1/twins/lab/k")  # the first request after ready
    finally:
        publisher.close()
        service.stop()
    assert after["version"] >= before["version"]
    for name in ("hr", "spo2"):
        assert after["reported"][name]["value"] == before["reported"][name]["value"]
        assert after["reported"][name]["ts"] == before["reported"][name]["ts"]
