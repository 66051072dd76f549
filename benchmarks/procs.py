"""Entry points of the benchmark's child processes (started with the ``spawn`` method).

Each takes plain picklable arguments and reports one dict through a pipe.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

import paho.mqtt.client as paho

from benchmarks.broker import host_port, new_client
from benchmarks.stats import summarize


def _connect(client: paho.Client, url: str, timeout: float = 10.0) -> None:
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    client.connect(*host_port(url))
    client.loop_start()
    if not connected.wait(timeout):
        raise TimeoutError(f"cannot connect to {url}")


def flood(url: str, messages: list[tuple[str, bytes]], conn: Connection) -> None:
    """Publish every message at QoS 1 as fast as paho takes them; wait for all PUBACKs."""
    client = new_client()
    acked = 0
    done = threading.Event()

    def on_publish(*_: Any) -> None:
        nonlocal acked
        acked += 1
        if acked == len(messages):
            done.set()

    client.on_publish = on_publish
    _connect(client, url)
    started = time.perf_counter()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    done.wait(300)
    seconds = time.perf_counter() - started
    client.disconnect()
    client.loop_stop()
    conn.send({"published": len(messages), "acked": acked, "seconds": seconds})


def count(
    url: str,
    client_id: str,
    topic: str,
    expected: int,
    ready: Event,
    conn: Connection,
    timeout: float = 300.0,
) -> None:
    """The ceiling: a bare paho subscriber (QoS 1, persistent session) that only counts."""
    client = new_client(client_id, clean_session=False)
    received = 0
    first = last = 0.0
    cpu = [math.nan, math.nan]  # the process's CPU time at the first and last message

    def on_connect(c: paho.Client, *_: Any) -> None:
        c.subscribe(topic, 1)

    def on_subscribe(*_: Any) -> None:
        ready.set()  # publishers start now: not before the broker has the subscription

    def on_message(c: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        nonlocal received, first, last
        received += 1
        if received == 1:
            first = time.perf_counter()
            cpu[0] = time.process_time()
        if received == expected:
            last = time.perf_counter()
            cpu[1] = time.process_time()
            c.disconnect()

    client.on_connect = on_connect
    client.on_subscribe = on_subscribe
    client.on_message = on_message
    timer = threading.Timer(timeout, client.disconnect)
    timer.start()
    client.connect(*host_port(url))
    client.loop_forever()
    timer.cancel()
    conn.send(
        {
            "received": received,
            "seconds": (last - first) if last else float("nan"),
            "cpu_seconds": cpu[1] - cpu[0],
        }
    )


def paced(
    url: str,
    prefix: str,
    lab: str,
    kits: int,
    rate: float,
    seconds: float,
    seq_base: int,
    conn: Connection,
) -> None:
    """Publish at a steady ``rate`` for ``seconds``, ``ts`` = wall-clock publish time."""
    from benchmarks.payloads import LiveKits, kit_name

    live = LiveKits(kits, seed=7)
    topics = [f"{prefix}/{lab}/{kit_name(k)}/telemetry" for k in range(kits)]
    client = new_client()
    _connect(client, url)
    start = time.time() + 0.05
    conn.send({"start": start})
    total = int(rate * seconds)
    lags: list[float] = []
    infos: list[paho.MQTTMessageInfo] = []
    i = 0
    while i < total:
        now = time.time()
        due = start + i / rate
        if due > now:
            time.sleep(due - now)
            continue
        while i < total and start + i / rate <= now:
            kit, index = i % kits, i // kits
            stamp = time.time()
            payload = live.message(kit, index, stamp, seq_base + index)
            infos.append(client.publish(topics[kit], payload, qos=1))
            lags.append((stamp - (start + i / rate)) * 1000.0)
            i += 1
    elapsed = time.time() - start
    for info in infos[-1000:]:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
    conn.send({"published": total, "seconds": elapsed, "schedule_lag_ms": summarize(lags)})


def serve(settings_kwargs: dict[str, Any], profile_path: str | None, log_path: str) -> None:
    """The twin service (create_app under uvicorn) until SIGTERM."""
    from pathlib import Path

    from benchmarks.profiling import Profile
    from twin_service.app import create_app
    from twin_service.ops.server import install_stop_signals, make_server
    from twin_service.settings import Settings

    logging.basicConfig(filename=log_path, level=logging.WARNING)
    settings = Settings(**settings_kwargs)
    profile = Profile(profile_path is not None)

    async def main() -> None:
        app = create_app(settings)
        server = make_server(
            app,
            settings.http_host,
            settings.http_port,
            log_level="warning",
            ws_deflate=settings.ws_deflate,
        )

        def stop() -> None:
            server.should_exit = True

        install_stop_signals(stop)
        await server.serve()

    profile.start()
    try:
        asyncio.run(main())
    finally:
        if profile_path is not None:
            profile.stop(Path(profile_path))
