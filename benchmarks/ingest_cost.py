"""The gateway's own cost per message, without paho or a broker (issue 18's load).

``python -m benchmarks.ingest_cost --messages 50000`` builds the service's ``Runtime``
(ingest, twins, SQLite store and writer; the MQTT client never connects) and feeds
``Runtime._on_message`` the prepared messages of ``bench ingest --payload two-readings``
as ``InboundMessage`` objects, ``--burst`` at a time with the event loop running
between bursts (as paho's read bursts do). It prints the process's CPU time per message
from the first message to the last durable acknowledgement
(``accesstwin_messages_acked_total``), all threads; every message is checked to be in
the SQLite file. ``--profile PATH`` writes a cProfile of the measured part.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import math
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.payloads import generate_two_readings
from gateway.mqtt_client import InboundMessage
from twin_service.runtime import Runtime
from twin_service.settings import Settings

PREFIX = "accesstwin/v1"


def prepared(messages: int, kits: int) -> list[InboundMessage]:
    load = generate_two_readings(messages, kits, PREFIX)
    now = time.time()
    return [
        InboundMessage(topic, payload, 1, False, i + 1, now, 1)
        for i, (topic, payload) in enumerate(load.messages)
    ]


async def measure(
    messages: int, kits: int, burst: int, db: Path, profile: Path | None
) -> dict[str, Any]:
    settings = Settings(
        mqtt_url="mqtt://127.0.0.1:9",  # nobody there: the client keeps retrying, unused
        mqtt_prefix=PREFIX,
        store=f"sqlite:///{db}",
        insecure_no_auth=True,
    )
    runtime = Runtime(settings)
    await runtime.start()
    inbound = prepared(messages, kits)
    acked = runtime.metrics.messages_acked
    base = acked._value.get()
    profiler = cProfile.Profile() if profile is not None else None
    try:
        started_cpu, started = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        for i in range(0, len(inbound), burst):
            for message in inbound[i : i + burst]:
                runtime._on_message(message)
            await asyncio.sleep(0)
        while acked._value.get() - base < messages:  # noqa: ASYNC110 - a counter, no event
            await asyncio.sleep(0.001)
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    finally:
        # The client may be asleep in its reconnect backoff, which stop() does not cut
        # short: the measurement is done by then.
        with contextlib.suppress(TimeoutError):
            await runtime.stop()
    if profiler is not None and profile is not None:
        profiler.dump_stats(profile)
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*) FROM applied_seq").fetchone()[0]
    return {
        "messages": messages,
        "stored": stored,
        "cpu_us_per_message": cpu / messages * 1e6,
        "wall_us_per_message": wall / messages * 1e6,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--kits", type=int, default=10)
    parser.add_argument("--burst", type=int, default=64, help="messages per loop wake-up")
    parser.add_argument("--profile", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(
            measure(args.messages, args.kits, args.burst, Path(tmp) / "s.db", args.profile)
        )
    if result["stored"] != args.messages or math.isnan(result["cpu_us_per_message"]):
        raise SystemExit(f"incomplete: {result}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
