"""``bench ingest``: the real gateway against a bare paho subscriber (issue #8: ≥ 0.8 of it).

Default ("backlog") mode: both consumers get a persistent QoS 1 session first, a
publisher process floods the whole workload into the broker, then each consumer connects
and drains its queue alone: the rate measured is the consumer's, never the publisher's.
``--mode live`` instead runs each consumer while the publisher floods.

The gateway is the service's ``Runtime`` (MQTT client, ingest, twins, derived signals,
batched SQLite writes, acks after commit) in this process; it is done when every
message has been committed and acknowledged, and the SQLite file is then counted.

``--gateways N`` (backlog mode) runs N gateway processes instead, partitions ``i/N`` of
the kits (``ACCESSTWIN_PARTITION``) sharing one SQLite file as the README's scale-out
section describes, started together; their rate is all messages over the time from the
first message any of them took to the last acknowledgement (``perf_counter`` is the
system-wide monotonic clock on Linux).
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any

from accesstwin_contract.quantities import DERIVED_NAMES
from benchmarks import procs
from benchmarks.broker import PrivateBroker, prime_session
from benchmarks.cpub import CPublishers
from benchmarks.payloads import Workload, generate_two_readings, generate_workload
from benchmarks.profiling import Profile
from benchmarks.report import BenchResult, Progress, fmt
from benchmarks.stats import meets, rate, ratio
from twin_service.ingest.partition import Partition, partition_client_id, partition_of
from twin_service.runtime import Runtime
from twin_service.settings import Settings

TARGET_RATIO = 0.8  # issue #8
METRIC_POLL_S = 0.002


class MetricWatch:
    """Issue 18's count: the service's own ``accesstwin_messages_acked_total`` (durable
    acknowledgements) and ``accesstwin_messages_received_total``, read every
    ``METRIC_POLL_S`` from the counters behind them (cheap reads, not a scrape: a
    registry collection costs ~140 µs, which would load the loop measured)."""

    def __init__(self, runtime: Runtime, target: int) -> None:
        self._acked = runtime.metrics.messages_acked
        self._received = runtime.metrics.messages_received.labels("telemetry")
        self.target = target
        self.base_acked = self._acked._value.get()
        self.acked = 0
        self.first_at = math.nan
        self.done_at = math.nan
        self.first_cpu = self.done_cpu = math.nan  # the process's CPU time, all threads
        self.done = asyncio.Event()

    async def run(self) -> None:
        while True:
            now = time.perf_counter()
            if math.isnan(self.first_at) and self._received._value.get() > 0:
                self.first_at = now
                self.first_cpu = time.process_time()
            self.acked = int(self._acked._value.get() - self.base_acked)
            if self.acked >= self.target:
                self.done_at = now
                self.done_cpu = time.process_time()
                self.done.set()
                return
            await asyncio.sleep(METRIC_POLL_S)


def _child(ctx: SpawnContext, target: Callable[..., None], *args: Any) -> dict[str, Any]:
    parent, child = ctx.Pipe(duplex=False)
    process = ctx.Process(target=target, args=(*args, child), daemon=True)
    process.start()
    try:
        deadline = time.monotonic() + 600
        while not parent.poll(0.2):
            if not process.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{target.__name__} process ended without a result")
        result: dict[str, Any] = parent.recv()
        return result
    finally:
        process.join(30)


def _metric(runtime: Runtime, name: str) -> float:
    total = 0.0
    for family in runtime.metrics.registry.collect():
        for sample in family.samples:
            if sample.name == name:
                total += sample.value
    return total


def _count_store(db: Path) -> dict[str, int]:
    derived = ",".join("?" * len(DERIVED_NAMES))
    with sqlite3.connect(db) as conn:
        messages = conn.execute("SELECT COUNT(*) FROM applied_seq").fetchone()[0]
        raw = conn.execute(
            f"SELECT COUNT(*) FROM samples WHERE sensor NOT IN ({derived})",  # noqa: S608
            tuple(DERIVED_NAMES),
        ).fetchone()[0]
        total = conn.execute("SELECT COUNT(*) FROM samples").fetchone()[0]
        # Waveform samples are stored one row per chunk (8-byte floats in a blob).
        in_chunks = conn.execute("SELECT COALESCE(SUM(LENGTH(samples)), 0) FROM chunks")
        chunk_samples = in_chunks.fetchone()[0] // 8
    return {
        "messages": messages,
        "raw_points": raw + chunk_samples,
        "derived_points": total - raw,
    }


async def run_gateway(
    url: str,
    prefix: str,
    client_id: str,
    expected: int,
    db: Path,
    profile_path: Path | None = None,
    on_subscribed: Callable[[], None] | None = None,
    timeout: float = 300.0,
    partition: str = "0/1",
) -> dict[str, Any]:
    settings = Settings(
        mqtt_url=url,
        mqtt_prefix=prefix,
        mqtt_client_id=client_id,
        store=f"sqlite:///{db}",
        insecure_no_auth=True,
        partition=partition,
    )
    runtime = Runtime(settings)
    profile = Profile(profile_path is not None)
    profile.start()
    await runtime.start()
    watch = MetricWatch(runtime, expected)
    watching = asyncio.create_task(watch.run(), name="bench-metric-watch")
    try:
        if on_subscribed is not None:
            for _ in range(2_000):  # the subscription is acknowledged within 10 s
                if runtime.mqtt.subscribed:
                    break
                await asyncio.sleep(0.005)
            on_subscribed()
        await asyncio.wait_for(watch.done.wait(), timeout)
    except TimeoutError:
        pass
    finally:
        watching.cancel()
        profiled = profile.stop(profile_path) if profile_path is not None else None
        await runtime.stop()
    return {
        "profile": profiled,
        "acked": watch.acked,
        "acked_metric": _metric(runtime, "accesstwin_messages_acked_total"),
        "seconds": watch.done_at - watch.first_at,
        "cpu_seconds": watch.done_cpu - watch.first_cpu,
        "first_at": watch.first_at,
        "done_at": watch.done_at,
        "rejected": _metric(runtime, "accesstwin_messages_rejected_total"),
        "readings_dropped": _metric(runtime, "accesstwin_readings_dropped_total"),
        "commits": _metric(runtime, "accesstwin_store_write_seconds_count"),
        "commit_seconds": _metric(runtime, "accesstwin_store_write_seconds_sum"),
        "stored": _count_store(db),
    }


def partition_gateway(
    url: str, prefix: str, client_id: str, expected: int, db: str, partition: str, out: Connection
) -> None:
    """A child process: one partitioned gateway draining its queue."""
    result = asyncio.run(
        run_gateway(url, prefix, client_id, expected, Path(db), partition=partition)
    )
    out.send({k: v for k, v in result.items() if k != "stored"})


def run_partitioned(
    ctx: SpawnContext, url: str, prefix: str, client_id: str, load: Workload, db: Path, n: int
) -> dict[str, Any]:
    """N partitioned gateway processes at once; their combined result."""
    owned = [0] * n
    for topic, _ in load.messages:
        lab, kit = topic[len(prefix) + 1 :].split("/")[:2]
        owned[partition_of(lab, kit, n)] += 1
    pipes, processes = [], []
    for i in range(n):
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(
            target=partition_gateway,
            args=(url, prefix, client_id, owned[i], str(db), f"{i}/{n}", send),
            daemon=True,
        )
        process.start()
        pipes.append(receive)
        processes.append(process)
    results = []
    for receive, process in zip(pipes, processes, strict=True):
        if not receive.poll(600):
            raise RuntimeError("a partitioned gateway ended without a result")
        results.append(receive.recv())
        process.join(30)
    first = min(r["first_at"] for r in results)
    done = max(r["done_at"] for r in results)
    return {
        "profile": None,
        "acked": sum(r["acked"] for r in results),
        "seconds": done - first,
        "partitions": [
            {"partition": f"{i}/{n}", "messages": owned[i], "seconds": r["seconds"]}
            for i, r in enumerate(results)
        ],
        "rejected": sum(r["rejected"] for r in results),
        "readings_dropped": sum(r["readings_dropped"] for r in results),
        "commits": sum(r["commits"] for r in results),
        "commit_seconds": sum(r["commit_seconds"] for r in results),
        "cpu_seconds": sum(r["cpu_seconds"] for r in results),
        "stored": _count_store(db),
    }


def run_ingest(
    messages: int,
    kits: int,
    broker: str | None,
    mode: str,
    profile_dir: Path | None,
    progress: Progress,
    waveforms: bool = True,
    gateways: int = 1,
    publisher: str = "paho",
    payload: str | None = None,
) -> BenchResult:
    """``payload``: ``realistic`` (waveforms), ``readings`` or ``two-readings`` (issue
    18's load); by default ``waveforms`` chooses between the first two. ``publisher``:
    ``paho`` (one Python process) or ``mosquitto_pub`` (one C process per kit)."""
    if gateways > 1 and mode != "backlog":
        raise ValueError("--gateways applies to backlog mode only")
    if publisher not in ("paho", "mosquitto_pub"):
        raise ValueError("publisher must be paho or mosquitto_pub")
    payload = payload or ("realistic" if waveforms else "readings")
    ctx = mp.get_context("spawn")
    profile_path = profile_dir / "ingest-gateway-profile" if profile_dir else None
    run_id = uuid.uuid4().hex[:8]
    prefix_c, prefix_g = f"bench{run_id}c/v1", f"bench{run_id}g/v1"
    if mode == "backlog":
        prefix_g = prefix_c  # one publish, queued for both sessions
    counter_id, gateway_id = f"bench-counter-{run_id}", f"bench-gateway-{run_id}"
    with ExitStack() as stack:
        url = broker or stack.enter_context(PrivateBroker())
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="accesstwin-bench-")))
        progress(f"broker {url}; generating {messages:,} messages from {kits} kits")
        if payload == "two-readings":
            load = generate_two_readings(messages, kits, prefix_c)
        else:
            load = generate_workload(messages, kits, prefix_c, waveforms=payload == "realistic")
        load_g = Workload(
            [(t.replace(prefix_c, prefix_g, 1), p) for t, p in load.messages],
            load.kits,
            load.readings,
            load.waveform_samples,
        )
        topic_c, topic_g = f"{prefix_c}/+/+/telemetry", f"{prefix_g}/+/+/telemetry"

        def flood(messages: list[tuple[str, bytes]], during: str) -> dict[str, Any]:
            if publisher == "mosquitto_pub":
                pubs = CPublishers(url, messages, tmp)
                pubs.start()
                return pubs.wait() | {"during": during}
            return _child(ctx, procs.flood, url, messages) | {"during": during}

        published: list[dict[str, Any]] = []
        if mode == "backlog":
            prime_session(url, counter_id, [topic_c])
            if gateways == 1:
                prime_session(url, gateway_id, [topic_g])
            for i in range(gateways if gateways > 1 else 0):
                prime_session(
                    url, partition_client_id(gateway_id, Partition(i, gateways)), [topic_g]
                )
            progress(f"{publisher} flooding the broker (both sessions offline)")
            published.append(flood(load.messages, "while both sessions are offline"))
            progress("bare paho subscriber draining its queue")
            ready = ctx.Event()
            ceiling = _child(ctx, procs.count, url, counter_id, topic_c, messages, ready)
            if gateways > 1:
                progress(f"{gateways} partitioned gateway processes draining their queues")
                gateway = run_partitioned(
                    ctx, url, prefix_g, gateway_id, load_g, tmp / "g.db", gateways
                )
            else:
                progress("gateway (Runtime + SQLite) draining its queue")
                gateway = asyncio.run(
                    run_gateway(url, prefix_g, gateway_id, messages, tmp / "g.db", profile_path)
                )
        else:
            ready = ctx.Event()
            parent, child = ctx.Pipe(duplex=False)
            counter = ctx.Process(
                target=procs.count,
                args=(url, counter_id, topic_c, messages, ready, child),
                daemon=True,
            )
            counter.start()
            ready.wait(30)
            progress(f"bare paho subscriber counting while {publisher} floods")
            published.append(flood(load.messages, "while the bare subscriber counts"))
            ceiling = parent.recv() if parent.poll(300) else {"received": 0, "seconds": math.nan}
            counter.join(30)
            progress("gateway (Runtime + SQLite) ingesting while the publisher floods")
            flooders: list[tuple[mp.process.BaseProcess, Connection]] = []
            c_publishers = CPublishers(url, load_g.messages, tmp)

            def start_flood() -> None:
                if publisher == "mosquitto_pub":
                    c_publishers.start()
                    return
                receive, send = ctx.Pipe(duplex=False)
                process = ctx.Process(target=procs.flood, args=(url, load_g.messages, send))
                process.start()
                flooders.append((process, receive))

            gateway = asyncio.run(
                run_gateway(
                    url, prefix_g, gateway_id, messages, tmp / "g.db", profile_path, start_flood
                )
            )
            if publisher == "mosquitto_pub":
                published.append(c_publishers.wait() | {"during": "while the gateway ingests"})
            for process, receive in flooders:
                if receive.poll(60):
                    published.append(receive.recv() | {"during": "while the gateway ingests"})
                process.join(60)
    label = {"realistic": mode, "readings": f"{mode}, readings only"}.get(
        payload, f"{mode}, {payload}"
    )
    if publisher == "mosquitto_pub":
        label += f", {load.kits} mosquitto_pub publishers (one per kit)"
    if gateways > 1:
        label += f", {gateways} partitioned gateway processes"
    return _result(load, label, published, ceiling, gateway, messages, gateways)


def _result(
    load: Workload,
    mode: str,
    published: list[dict[str, Any]],
    ceiling: dict[str, Any],
    gateway: dict[str, Any],
    expected: int,
    gateways: int = 1,
) -> BenchResult:
    ceiling_rate = rate(ceiling["received"], ceiling["seconds"])
    gateway_rate = rate(gateway["acked"], gateway["seconds"])
    share = ratio(gateway_rate, ceiling_rate)
    stored = gateway["stored"]
    complete = (
        gateway["acked"] == expected
        and stored["messages"] == expected
        and stored["raw_points"] == load.points
        and ceiling["received"] == expected
        and not any(pub.get("errors") for pub in published)
    )
    rows = []
    for pub in published:
        pub_rate = rate(pub["acked"], pub["seconds"])
        rows.append(
            [
                (
                    f"{pub['publishers']} mosquitto_pub (QoS 1, -l)"
                    if "publishers" in pub
                    else "publisher (QoS 1 flood)"
                )
                + (f", {pub['during']}" if "during" in pub else ""),
                f"{pub['acked']:,}",
                fmt(pub["seconds"], 2),
                fmt(pub_rate, 0),
                "-",
                "-",
                "-",
            ]
        )
    for label, got, seconds, cpu in (
        (
            "bare paho subscriber (ceiling)",
            ceiling["received"],
            ceiling["seconds"],
            ceiling.get("cpu_seconds", math.nan),
        ),
        (
            "gateway: Runtime + SQLite, acked"
            if gateways == 1
            else f"{gateways} gateways (partitions), acked",
            gateway["acked"],
            gateway["seconds"],
            gateway.get("cpu_seconds", math.nan),
        ),
    ):
        r = rate(got, seconds)
        rows.append(
            [
                label,
                f"{got:,}",
                fmt(seconds, 2),
                fmt(r, 0),
                fmt(r * load.waveform_samples / expected, 0),
                fmt(r * load.points / expected, 0),
                fmt(cpu / got * 1e6 if got else math.nan, 1),
            ]
        )
    verdict = "MET" if meets(share, TARGET_RATIO, True) else "MISSED"
    notes = [
        f"mode {mode}; {expected:,} messages from {load.kits} kits, mean payload "
        f"{load.payload_bytes / expected:.0f} B, {load.waveform_samples:,} waveform samples, "
        f"{load.readings:,} readings",
        f"gateway / ceiling = {fmt(share, 3)} (target ≥ {TARGET_RATIO}): {verdict}",
        f"persisted: {stored['messages']:,}/{expected:,} messages, {stored['raw_points']:,}/"
        f"{load.points:,} raw points, {stored['derived_points']:,} derived points; "
        f"rejected {gateway['rejected']:.0f}: {'COMPLETE' if complete else 'INCOMPLETE'}",
        f"store: {gateway['commits']:.0f} commits, mean {expected / max(gateway['commits'], 1):.0f}"
        f" messages per commit, {gateway['commit_seconds']:.2f} s committing",
    ]
    if mode.startswith("live") and published:
        notes.append(
            "live mode: each consumer is also bounded by the publisher's rate"
            f" ({rate(published[0]['acked'], published[0]['seconds']):,.0f} msg/s here)"
        )
    for part in gateway.get("partitions", []):
        notes.append(
            f"partition {part['partition']}: {part['messages']:,} messages in"
            f" {part['seconds']:.2f} s (its own first message to its last ack)"
        )
    if gateway.get("profile"):
        notes.append(f"gateway phase profiled: {gateway['profile']}")
    data = {
        "mode": mode,
        "messages": expected,
        "kits": load.kits,
        "readings": load.readings,
        "waveform_samples": load.waveform_samples,
        "payload_bytes": load.payload_bytes,
        "publisher": published,
        "ceiling": ceiling | {"messages_per_s": ceiling_rate},
        "gateway": gateway | {"messages_per_s": gateway_rate},
        "ratio": share,
        "target_ratio": TARGET_RATIO,
        "target_met": verdict == "MET",
        "complete": complete,
    }
    headers = [
        "consumer",
        "messages",
        "seconds",
        "messages/s",
        "waveform samples/s",
        "points/s",
        "CPU µs/message",
    ]
    return BenchResult("ingest", headers, rows, data, notes, ok=complete)
