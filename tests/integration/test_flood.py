"""Issue 7, must-show 4: one kit flooding at 50x its rate does not delay another kit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.integration.test_live_pipeline import metric, next_frame
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NORMAL_RATE = 5.0  # a kit's telemetry: 0.2 s waveform chunks


def test_a_flooding_kit_is_limited_and_does_not_delay_another(
    mqtt_url: str, tmp_path: Path
) -> None:
    service = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={"ACCESSTWIN_KIT_RATE_PER_S": "20", "ACCESSTWIN_KIT_BURST": "40"},
    )
    service.start()
    flooder, quiet = Publisher(mqtt_url), Publisher(mqtt_url)
    stop = threading.Event()
    flood_sent = 0

    def flood() -> None:
        nonlocal flood_sent
        seq = 0
        while not stop.is_set():
            seq += 1
            flooder.send(
                f"{service.prefix}/lab/noisy/telemetry",
                {
                    "ts": time.time(),
                    "seq": seq,
                    "readings": {"hr": 70},
                    "waveforms": {"ppg": {"rate_hz": 50, "samples": [50_000.0] * 10}},
                },
                qos=0,
            )
            flood_sent += 1
            time.sleep(1 / (50 * NORMAL_RATE))

    latencies: list[float] = []
    thread = threading.Thread(target=flood)
    try:
        with connect(service.ws_url("/ws/labs/lab")) as ws:
            next_frame(ws, "snapshot")
            thread.start()
            time.sleep(1.0)
            for seq in range(1, 41):
                sent = time.time()
                quiet.send(
                    f"{service.prefix}/lab/calm/telemetry",
                    {"ts": sent, "seq": seq, "readings": {"spo2": 97}},
                )
                while True:
                    frame = json.loads(ws.recv(timeout=5))
                    if frame["type"] == "twin.delta" and frame["kit"] == "calm":
                        latencies.append(time.time() - sent)
                        break
                time.sleep(1 / NORMAL_RATE)
    finally:
        stop.set()
        thread.join(10)
        flooder.close()
        quiet.close()
    metrics = httpx.get(service.base_url + "/metrics", timeout=5).text
    limited = sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith('accesstwin_messages_rejected_total{stage="limit"}')
    )
    service.stop()
    latencies.sort()
    p50_ms, max_ms = latencies[len(latencies) // 2] * 1000, latencies[-1] * 1000
    print(f"\nflood: sent {flood_sent}, limited {limited:.0f}; calm kit p50 {p50_ms:.1f} ms")
    print(f"flood: calm kit max {max_ms:.1f} ms")
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    assert len(latencies) == 40
    assert p99 < 0.1, f"calm kit p99 {p99 * 1000:.1f} ms while the other kit flooded"
    assert flood_sent > 500
    assert limited > 0.5 * flood_sent, f"{limited:.0f} of {flood_sent} flood messages limited"
    assert metric(metrics, "accesstwin_messages_rejected_total") >= limited
