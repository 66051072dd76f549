"""Issue 7, must-show 4: one kit flooding at 50x its rate does not delay another kit;
and a kit's backlog larger than the burst is stored whole."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from gateway.ratelimit import DEFAULT_BURST, DEFAULT_RATE_PER_S
from tests.integration.test_live_pipeline import metric, next_frame
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NORMAL_RATE = 5.0  # a kit's telemetry: 0.2 s waveform chunks


def test_a_flooding_kit_is_limited_and_does_not_delay_another(
    mqtt_url: str, tmp_path: Path
) -> None:
    # The limiter's defaults, not lowered ones (Settings' defaults are meant to match).
    service = ServiceProcess(
        mqtt_url=mqtt_url,
        db_path=tmp_path / "twin.db",
        extra_env={
            "ACCESSTWIN_KIT_RATE_PER_S": f"{DEFAULT_RATE_PER_S:g}",
            "ACCESSTWIN_KIT_BURST": f"{DEFAULT_BURST:g}",
        },
    )
    service.start()
    flooder, quiet = Publisher(mqtt_url), Publisher(mqtt_url)
    stop = threading.Event()
    flood_sent = 0
    flood_seconds = 0.0

    def flood() -> None:
        nonlocal flood_sent, flood_seconds
        started = time.monotonic()
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
        flood_seconds = time.monotonic() - started

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
    # At most two of the 40 over 100 ms, none over 1 s: on the CI machine (four test workers
    # and Chromium on two cores) two messages once took 210-235 ms, a stall of the machine
    # rather than of the flood (idle here: p50 24 ms, max 28-40 ms; with both cores kept busy
    # by other processes: p50 32-34 ms, max 45 ms). A flood that delayed one calm message in
    # ten would fail.
    slow = [round(x * 1000) for x in latencies if x > 0.1]
    assert len(latencies) == 40
    assert len(slow) <= 2, f"calm kit messages over 100 ms while the other kit flooded: {slow}"
    assert max_ms < 1_000, f"calm kit max {max_ms:.1f} ms while the other kit flooded"
    assert flood_sent > 1_500
    # At most the burst plus the rate got through (a little slack for the clocks).
    allowed = DEFAULT_BURST + DEFAULT_RATE_PER_S * (flood_seconds + 1)
    assert limited > 0, "a 50x flood must be limited at the default settings"
    assert flood_sent - limited <= allowed, f"{limited:.0f} of {flood_sent} limited"
    assert metric(metrics, "accesstwin_messages_rejected_total") >= limited


def test_a_backlog_larger_than_the_burst_is_stored_whole(mqtt_url: str, tmp_path: Path) -> None:
    """A kit replaying its spool: 6,000 old messages as fast as the broker takes them."""
    service = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "twin.db")
    service.start()
    count = 6_000
    assert count > DEFAULT_BURST
    publisher = Publisher(mqtt_url)
    now = time.time()
    started = time.monotonic()
    try:
        for seq in range(1, count + 1):
            publisher.send(
                f"{service.prefix}/lab/replay/telemetry",
                {"ts": now - (count - seq) * 0.2 - 1, "seq": seq, "readings": {"hr": 70}},
            )
        publisher.flush()
        sent_in = time.monotonic() - started
        deadline = time.monotonic() + 30
        while True:
            metrics = httpx.get(service.base_url + "/metrics", timeout=5).text
            stored = metric(metrics, "accesstwin_points_stored_total")
            if stored >= count or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        history = httpx.get(
            f"{service.base_url}/api/v1/twins/lab/replay/history",
            params={"sensor": "hr", "limit": 10_000},
            headers=service.headers,
            timeout=10,
        ).json()
    finally:
        publisher.close()
        service.stop()
    print(f"\nbacklog: {count} messages published in {sent_in:.1f} s")
    assert metric(metrics, "accesstwin_messages_rejected_total") == 0
    assert stored == count
    assert len(history["points"]) == count
