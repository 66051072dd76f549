"""``bench latency``: MQTT publish → ``twin.delta`` frame at websocket clients.

The service runs in its own process (``create_app`` under uvicorn, SQLite in a temporary
directory); a publisher process sends telemetry at a steady rate with ``ts`` set to the
wall-clock publish time; this process holds all websocket clients of ``/ws/labs/bench``
(asyncio). A frame's latency is its receive time minus ``reported.hr.ts``: for a frame
that coalesced several updates that is the age of the newest data it carries.

Clients ask for batch frames (``?batch_ms=``, as the dashboard does) unless
``--batch-ms 0``. One Python process cannot parse every frame of a thousand clients, so
only ``--measured-clients`` of them parse and time every frame; the others receive every
message (the server's work is the same for all) and count them.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing as mp
import os
import resource
import secrets
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from multiprocessing.context import SpawnContext
from pathlib import Path
from typing import Any

from benchmarks import contention, procs
from benchmarks.broker import PrivateBroker, free_port
from benchmarks.report import BenchResult, Progress, fmt, plot_latency
from benchmarks.stats import meets, summarize

LAB = "bench"
CONNECT_BATCH = 100


@dataclass
class LatencyOptions:
    rate: float = 1_000.0
    clients: tuple[int, ...] | list[int] = (1, 100, 1_000)
    seconds: float = 5.0
    warmup: float = 1.0
    kits: int | None = None
    broker: str | None = None
    compression: bool = True
    batch_ms: int = 10
    measured_clients: int = 20
    sessions: int = 20
    profile_dir: Path | None = None
    plot_path: Path | None = None
    broadcast: bool = True  # the service's ws_broadcast setting (False: per-client pumps)
    deflate: bool = False  # the service's ws_deflate setting (shared-frame permessage-deflate)


def target_ms(clients: int) -> float:
    """p99 targets: ≤ 50 ms up to 100 clients, ≤ 100 ms beyond (1,000 msg/s)."""
    return 50.0 if clients <= 100 else 100.0


def raise_fd_limit(wanted: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
    return max(soft, ceiling)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc); NaN when unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fetch_metrics(base: str, token: str) -> dict[str, float]:
    request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 service
        base + "/metrics", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
        text = response.read().decode()
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            key = name.split("{", 1)[0]
            with suppress(ValueError):
                out[key] = out.get(key, 0.0) + float(value)
    return out


def start_sessions(base: str | list[str], token: str, kits: int, sessions: int) -> int:
    """Learning sessions on the first kits, so the feedback engine runs on their updates;
    over several API bases, kit ``k``'s session goes to base ``k mod len(bases)``."""
    from benchmarks.payloads import kit_name

    bases = [base] if isinstance(base, str) else base
    started = 0
    for k in range(min(kits, sessions)):
        base = bases[k % len(bases)]
        body = {"learner_id": f"bench-l{k}", "lab": LAB, "kit": kit_name(k), "scenario": "vitals"}
        request = urllib.request.Request(  # noqa: S310 - our own http://127.0.0.1 service
            base + "/api/v1/sessions",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            started += response.status == 201
    return started


def wait_ready(base: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with suppress(OSError), urllib.request.urlopen(base + "/readyz", timeout=1) as response:  # noqa: S310
            if response.status == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"service at {base} not ready after {timeout} s")


class Client:
    """One dashboard: latencies of frames whose data was published in the window."""

    def __init__(self, measured: bool) -> None:
        self.measured = measured
        self.latencies_ms: list[float] = []
        self.frames = 0  # every frame (of a measured client) or message received in the window

    async def read(self, ws: Any, window: list[float]) -> None:
        async for text in ws:
            now = time.time()
            inside = window[0] <= now <= window[1]
            if not self.measured:
                self.frames += inside
                continue
            frame = json.loads(text)
            frames = frame["frames"] if frame.get("type") == "batch" else [frame]
            if inside:
                self.frames += len(frames)
            for f in frames:
                hr = f.get("reported", {}).get("hr") if f.get("type") == "twin.delta" else None
                if hr is not None and hr["ts"] >= window[0]:
                    self.latencies_ms.append((now - hr["ts"]) * 1000.0)


async def _connect(url: str, compression: bool) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(
        url,
        compression="deflate" if compression else None,
        ping_interval=None,
        max_size=2**24,
        open_timeout=60,
        close_timeout=2,
    )
    await ws.recv()  # the snapshot
    return ws


async def measure_round(
    ctx: SpawnContext,
    o: LatencyOptions,
    n: int,
    ws_url: str,
    pub: tuple[Any, ...],
    pids: dict[str, int],
) -> dict[str, Any]:
    connect_started = time.monotonic()
    sockets: list[Any] = []
    for start in range(0, n, CONNECT_BATCH):
        batch = min(CONNECT_BATCH, n - start)
        sockets += await asyncio.gather(*(_connect(ws_url, o.compression) for _ in range(batch)))
    connect_s = time.monotonic() - connect_started
    clients = [Client(measured=i < o.measured_clients) for i in range(len(sockets))]
    measured = [c for c in clients if c.measured]
    window = [float("inf"), float("inf")]
    readers = [
        asyncio.create_task(c.read(ws, window)) for c, ws in zip(clients, sockets, strict=True)
    ]
    parent, child = ctx.Pipe(duplex=False)
    publisher = ctx.Process(target=procs.paced, args=(*pub, child), daemon=True)
    publisher.start()
    loop = asyncio.get_running_loop()
    started = await loop.run_in_executor(None, parent.recv)
    window[0] = started["start"] + o.warmup
    await asyncio.sleep(max(0.0, window[0] - time.time()))
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    sched_before = contention.snapshot(pids)
    published = await loop.run_in_executor(None, parent.recv)
    window[1] = time.time()
    wall = window[1] - window[0]
    machine = contention.window(sched_before, contention.snapshot(pids), wall)
    cpu = {name: (cpu_seconds(pid) - cpu_before[name]) / wall * 100 for name, pid in pids.items()}
    await asyncio.sleep(1.0)  # let the last frames arrive
    closing = (asyncio.wait_for(ws.close(), 5) for ws in sockets)
    await asyncio.gather(*closing, return_exceptions=True)
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    publisher.join(10)
    every = [x for c in measured for x in c.latencies_ms]
    per_client_p99 = [summarize(c.latencies_ms)["p99"] for c in measured if c.latencies_ms]
    sent = published["published"] - round(o.warmup * o.rate)  # published inside the window
    return {
        "clients": n,
        "connect_s": connect_s,
        "latency_ms": summarize(every),
        "worst_client_p99_ms": max(per_client_p99, default=float("nan")),
        "measured_clients": len(measured),
        "frames_per_client_per_s": sum(c.frames for c in measured) / len(measured) / wall,
        "messages_per_client_per_s": sum(c.frames for c in clients if not c.measured)
        / max(1, n - len(measured))
        / wall,
        "delivered_pct": 100.0 * len(every) / len(measured) / sent if sent else float("nan"),
        "cpu_pct": cpu,
        "machine": machine,
        "publisher": published,
        "samples": every,
    }


@dataclass
class RunningService:
    """The service process of a bench run and what clients and publishers need to reach it."""

    base: str
    ws_base: str
    pid: int
    broker_url: str
    broker_pids: dict[str, int]
    prefix: str
    profile: str | None
    # API replicas (ACCESSTWIN_ROLE=api) beside a gateway: (http base, ws base, pid) each
    replicas: tuple[tuple[str, str, int], ...] = ()

    @property
    def api_bases(self) -> list[str]:
        """Where clients and sessions go: the replicas, or the one service."""
        return [r[0] for r in self.replicas] or [self.base]

    @property
    def ws_bases(self) -> list[str]:
        return [r[1] for r in self.replicas] or [self.ws_base]

    @property
    def pids(self) -> dict[str, int]:
        """The service's processes by name: "service" (the gateway with replicas), "api N"."""
        return {"service": self.pid} | {f"api {i + 1}": r[2] for i, r in enumerate(self.replicas)}

    def publisher_args(
        self, kits: int, rate: float, seconds: float, round_index: int
    ) -> tuple[Any, ...]:
        """Arguments of ``procs.paced`` (without its pipe), seqs distinct per round."""
        seq_base = round_index * 10_000_000 + 1
        return (self.broker_url, self.prefix, LAB, kits, rate, seconds, seq_base)


@contextmanager
def running_service(
    ctx: SpawnContext,
    broker_url: str | None,
    token: str,
    name: str,
    profile_dir: Path | None,
    extra_settings: dict[str, Any] | None = None,
    api_replicas: int = 0,
) -> Iterator[RunningService]:
    """A private broker (unless ``broker_url``) and the service under uvicorn, until exit.

    With ``api_replicas`` the service runs as ``ACCESSTWIN_ROLE=gateway`` and that many
    ``ACCESSTWIN_ROLE=api`` processes serve REST and websockets from its twin states (same
    broker, prefix and SQLite files; each its own port and MQTT client id).
    """
    with ExitStack() as stack:
        broker = PrivateBroker()
        url = broker_url or stack.enter_context(broker)
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="accesstwin-bench-")))
        port = free_port()
        prefix = f"bench{uuid.uuid4().hex[:8]}/v1"
        settings = {
            "mqtt_url": url,
            "mqtt_prefix": prefix,
            "mqtt_client_id": f"bench-{name}-{uuid.uuid4().hex[:8]}",
            "store": f"sqlite:///{tmp / (name + '.db')}",
            "http_port": port,
            "api_token": token,
            **(extra_settings or {}),
        }
        if api_replicas:
            settings["role"] = "gateway"
        profile = str(profile_dir / f"{name}-service-profile") if profile_dir else None
        service = ctx.Process(
            target=procs.serve, args=(settings, profile, str(tmp / "service.log"))
        )
        service.start()
        base = f"http://127.0.0.1:{port}"
        replicas: list[tuple[str, str, int]] = []
        processes = [service]
        try:
            wait_ready(base)
            for i in range(api_replicas):
                api_port = free_port()
                api_settings = settings | {
                    "role": "api",
                    "http_port": api_port,
                    "mqtt_client_id": f"{settings['mqtt_client_id']}-api{i + 1}",
                }
                api_profile = (
                    str(profile_dir / f"{name}-api{i + 1}-profile") if profile_dir else None
                )
                replica = ctx.Process(
                    target=procs.serve,
                    args=(api_settings, api_profile, str(tmp / f"api{i + 1}.log")),
                )
                replica.start()
                processes.append(replica)
                api_base = f"http://127.0.0.1:{api_port}"
                wait_ready(api_base)
                replicas.append((api_base, f"ws://127.0.0.1:{api_port}", replica.pid or 0))
            broker_pids = {"mosquitto": broker.pid} if broker.pid and not broker_url else {}
            yield RunningService(
                base=base,
                ws_base=f"ws://127.0.0.1:{port}",
                pid=service.pid or 0,
                broker_url=url,
                broker_pids=broker_pids,
                prefix=prefix,
                profile=profile,
                replicas=tuple(replicas),
            )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(30)


def run_latency(o: LatencyOptions, progress: Progress) -> BenchResult:
    raise_fd_limit(2 * max(o.clients) + 512)
    ctx = mp.get_context("spawn")
    kits = o.kits or max(1, round(o.rate * 0.2))
    token = secrets.token_urlsafe(24)
    rounds: list[dict[str, Any]] = []
    service_metrics: dict[str, float] = {}
    profile: str | None = None
    with ExitStack() as stack:
        service = stack.enter_context(
            running_service(
                ctx,
                o.broker,
                token,
                "latency",
                o.profile_dir,
                {"ws_broadcast": o.broadcast, "ws_deflate": o.deflate},
            )
        )
        sessions = start_sessions(service.base, token, kits, o.sessions)
        progress(
            f"service ready at {service.base}; broker {service.broker_url}; {kits} kits at"
            f" {o.rate:g} msg/s; {sessions} learning sessions (feedback engine on)"
        )
        pids = {"service": service.pid, "bench clients": os.getpid(), **service.broker_pids}
        ws_url = f"{service.ws_base}/ws/labs/{LAB}?token={token}&batch_ms={o.batch_ms}"
        for index, n in enumerate(o.clients):
            progress(f"{n} websocket clients: connecting, then {o.warmup + o.seconds:g} s")
            pub = service.publisher_args(kits, o.rate, o.warmup + o.seconds, index)
            rounds.append(asyncio.run(measure_round(ctx, o, n, ws_url, pub, pids)))
            progress(f"{n} clients: p99 {rounds[-1]['latency_ms']['p99']:.1f} ms")
        service_metrics = fetch_metrics(service.base, token)
        profile = service.profile
    return _result(o, kits, rounds, service_metrics, profile)


def _result(
    o: LatencyOptions,
    kits: int,
    rounds: list[dict[str, Any]],
    metrics: dict[str, float],
    profile: str | None,
) -> BenchResult:
    rows = []
    for r in rounds:
        lat = r["latency_ms"]
        verdict = "MET" if meets(lat["p99"], target_ms(r["clients"]), False) else "MISSED"
        cpu = r["cpu_pct"]
        rows.append(
            [
                f"{r['clients']:,}",
                fmt(r["frames_per_client_per_s"], 0),
                fmt(r["delivered_pct"], 1),
                fmt(lat["p50"], 1),
                fmt(lat["p95"], 1),
                fmt(lat["p99"], 1),
                fmt(lat["max"], 1),
                f"≤ {target_ms(r['clients']):.0f}: {verdict}",
                fmt(cpu.get("service", float("nan")), 0),
                fmt(cpu.get("bench clients", float("nan")), 0),
                fmt(cpu.get("mosquitto", float("nan")), 0),
                f"{r['machine']['load_average_start'][0]:.2f}",
                fmt(r["machine"]["machine_busy_pct"], 0),
                fmt(r["machine"]["processes"].get("service", {}).get("wait_pct", math.nan), 0),
            ]
        )
    offer = "offer" if o.compression else "do not offer"
    coalesced = metrics.get("accesstwin_ws_frames_coalesced_total", 0.0)
    dropped = metrics.get("accesstwin_ws_clients_dropped_total", 0.0)
    notes = [
        f"{o.rate:g} msg/s from {kits} kits (readings + 10-sample PPG each), {o.seconds:g} s"
        f" measured after {o.warmup:g} s warm-up; clients {offer} permessage-deflate;"
        f" service ws_broadcast={o.broadcast} ws_deflate={o.deflate}; load average at the end"
        f" {' '.join(f'{x:.2f}' for x in os.getloadavg())};"
        f" feedback engine on: {o.sessions} learning sessions (vitals scenario) on as many kits",
        f"clients ask for batch_ms={o.batch_ms}"
        + (" (one frame per message)" if not o.batch_ms else " (waiting frames sent together)")
        + f"; latency and frames/client/s from the first {o.measured_clients} clients of each"
        " round, which parse every frame; the rest only receive",
        "latency is over the frames received; delivered % = frames carrying a new hr value per"
        " client / messages published in the window (below 100: updates coalesced, or not"
        " delivered within 1 s after the last publish)",
        "CPU % is per process over the measured window (100 % = one core); load avg (start) ="
        " 1-minute load average as the window opened; machine busy % = busy share of all cores"
        " in the window; service waited % = time the service's threads were runnable without"
        f" a core (schedstat); priority {contention.priority()}",
        f"service counters at the end: {coalesced:,.0f} frames coalesced, {dropped:,.0f} clients"
        " dropped as too slow",
    ]
    for r in rounds:
        if not r["latency_ms"]["n"]:
            notes.append(
                f"{r['clients']} clients: no frame with data published in the window arrived"
                " before the clients closed, 1 s after the last publish: latency > 1 s"
            )
        lag = r["publisher"]["schedule_lag_ms"]
        notes.append(
            f"{r['clients']} clients: publisher sent {r['publisher']['published']:,} messages, "
            f"schedule lag p99 {lag['p99']:.1f} ms; worst client's p99"
            f" {r['worst_client_p99_ms']:.1f} ms"
        )
    if o.plot_path is not None:
        series = {f"{r['clients']} clients": r["samples"] for r in rounds}
        notes.append(plot_latency(o.plot_path, series, f"publish → twin.delta, {o.rate:g} msg/s"))
    if profile:
        notes.append(f"service process profiled: {profile}.txt")
    data = {
        "rate": o.rate,
        "kits": kits,
        "seconds": o.seconds,
        "compression": o.compression,
        "batch_ms": o.batch_ms,
        "sessions": o.sessions,
        "measured_clients": o.measured_clients,
        "rounds": [{k: v for k, v in r.items() if k != "samples"} for r in rounds],
        "service_metrics": {k: v for k, v in metrics.items() if k.startswith("accesstwin_")},
    }
    headers = [
        "clients",
        "frames/client/s",
        "delivered %",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "p99 target",
        "service CPU %",
        "clients CPU %",
        "broker CPU %",
        "load avg (start)",
        "machine busy %",
        "service waited %",
    ]
    return BenchResult("latency", headers, rows, data, notes)
