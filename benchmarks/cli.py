"""The ``bench`` subcommand: ``add_bench_parser`` and ``run_bench`` for ``twin_service.cli``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from benchmarks.report import (
    DEFAULT_OUT_DIR,
    BenchResult,
    Progress,
    clean_nan,
    render,
    results_path,
    write_json,
)

BENCHMARKS = ("ingest", "latency", "fanout", "feedback", "store", "memory")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected positive integers")
    return values


def _common(parser: argparse.ArgumentParser, profile: bool = True) -> None:
    parser.add_argument("--json", metavar="PATH", help="write the JSON results here")
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=DEFAULT_OUT_DIR,
        help=f"directory for results, plots and profiles (default {DEFAULT_OUT_DIR})",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    if profile:
        parser.add_argument(
            "--profile",
            action="store_true",
            help="profile the measured phase (pyinstrument if installed, else cProfile)",
        )


def add_bench_parser(subparsers: Any) -> None:
    """Add ``bench`` with its sub-benchmarks to an ``argparse`` subparsers object."""
    bench = subparsers.add_parser("bench", help="benchmarks: table on stdout, JSON file")
    kinds = bench.add_subparsers(dest="bench_name", required=True, metavar="BENCHMARK")

    ingest = kinds.add_parser("ingest", help="gateway ingest rate vs a bare paho subscriber")
    ingest.add_argument("--messages", type=int, default=20_000, help="default 20000")
    ingest.add_argument("--kits", type=int, default=30, help="default 30")
    ingest.add_argument(
        "--gateways",
        type=int,
        default=1,
        help="backlog mode: N partitioned gateway processes sharing the store (default 1)",
    )
    ingest.add_argument("--broker", metavar="URL", help="use this broker, not a private one")
    ingest.add_argument(
        "--mode",
        choices=["backlog", "live"],
        default="backlog",
        help="backlog: drain a queued flood (default); live: consume while it floods",
    )
    ingest.add_argument(
        "--payload",
        choices=["realistic", "readings", "two-readings"],
        default="realistic",
        help="realistic: readings + 50 Hz waveforms (default); readings: diagnostic, no"
        " waveforms; two-readings: hr and spo2 only (issue 18's load)",
    )
    ingest.add_argument(
        "--publisher",
        choices=["paho", "mosquitto_pub"],
        default="paho",
        help="paho: one Python publisher process (default); mosquitto_pub: one C"
        " `mosquitto_pub -l -q 1` process per kit",
    )
    _common(ingest)

    latency = kinds.add_parser("latency", help="MQTT publish → websocket frame latency")
    latency.add_argument("--rate", type=float, default=1_000.0, help="messages/s (default 1000)")
    latency.add_argument(
        "--clients", type=_int_list, default=[1, 100, 1000], help="default 1,100,1000"
    )
    latency.add_argument("--seconds", type=float, default=5.0, help="measured s per round")
    latency.add_argument("--warmup", type=float, default=1.0, help="unmeasured s per round")
    latency.add_argument("--kits", type=int, help="default: rate x 0.2 (each kit at 5 msg/s)")
    latency.add_argument("--broker", metavar="URL", help="use this broker, not a private one")
    latency.add_argument(
        "--no-compression",
        action="store_true",
        help="clients do not offer permessage-deflate (browsers do)",
    )
    latency.add_argument(
        "--batch-ms",
        type=int,
        default=10,
        help="clients ask for batch frames at most this often (?batch_ms=; 0: one frame per"
        " message; default 10)",
    )
    latency.add_argument(
        "--sessions",
        type=int,
        default=20,
        help="learning sessions started on the first kits: the feedback engine runs (default 20)",
    )
    latency.add_argument(
        "--measured-clients",
        type=int,
        default=20,
        help="clients that parse every frame and time it; the rest only receive (default 20)",
    )
    latency.add_argument(
        "--per-client-pumps",
        action="store_true",
        help="run the service with ACCESSTWIN_WS_BROADCAST=false and ACCESSTWIN_WS_DEFLATE=false"
        " (the send path before issue 18), for A/B",
    )
    latency.add_argument(
        "--deflate",
        action="store_true",
        help="run the service with ACCESSTWIN_WS_DEFLATE=true (batches compressed once for all)",
    )
    _common(latency)

    fanout = kinds.add_parser("fanout", help="a lecture: Node.js ws clients watching one lab")
    fanout.add_argument("--clients", type=_int_list, default=[100, 1000], help="default 100,1000")
    fanout.add_argument("--rate", type=float, default=250.0, help="messages/s (default 250)")
    fanout.add_argument("--kits", type=int, default=50, help="default 50 (5 msg/s each at 250)")
    fanout.add_argument("--batch-ms", type=int, default=50, help="?batch_ms= (default 50)")
    fanout.add_argument("--processes", type=int, default=4, help="node processes (default 4)")
    fanout.add_argument(
        "--measured-per-process",
        type=int,
        help="clients per node process that parse and time every frame (default: all)",
    )
    fanout.add_argument("--seconds", type=float, default=5.0, help="measured s per round")
    fanout.add_argument("--warmup", type=float, default=1.0, help="unmeasured s per round")
    fanout.add_argument("--sessions", type=int, default=20, help="learning sessions (default 20)")
    fanout.add_argument("--broker", metavar="URL", help="use this broker, not a private one")
    fanout.add_argument(
        "--per-client-pumps",
        action="store_true",
        help="run the service with ACCESSTWIN_WS_BROADCAST=false and ACCESSTWIN_WS_DEFLATE=false"
        " (the send path before issue 18), for A/B",
    )
    fanout.add_argument(
        "--deflate",
        action="store_true",
        help="run the service with ACCESSTWIN_WS_DEFLATE=true (batches compressed once for all)",
    )
    fanout.add_argument(
        "--api-replicas",
        type=int,
        default=0,
        metavar="N",
        help="run the service as a gateway and N API replicas (ACCESSTWIN_ROLE=api);"
        " the client processes are spread over the replicas",
    )
    fanout.add_argument(
        "--client-script",
        type=Path,
        help="another Node.js client script with clients.mjs's protocol (A/B of client versions)",
    )
    fanout.add_argument(
        "--node-profile",
        metavar="DIR",
        type=Path,
        help="run each client process under `node --cpu-prof`, profiles written to DIR",
    )
    _common(fanout)

    feedback = kinds.add_parser("feedback", help="derived-signal cost per twin update")
    feedback.add_argument("--updates", type=int, default=3_000, help="timed updates per kit")
    feedback.add_argument("--kits", type=int, default=4, help="simulated kits (default 4)")
    feedback.add_argument("--windows", type=int, default=200, help="timed calls per window")
    feedback.add_argument("--naive-windows", type=int, default=5, help="naive calls per window")
    _common(feedback)

    store = kinds.add_parser("store", help="SQLite store points/s by batch size")
    store.add_argument(
        "--batches", type=_int_list, default=[1, 10, 100, 1_000, 5_000], help="points per commit"
    )
    store.add_argument("--points", type=int, default=200_000, help="points per batch size")
    store.add_argument("--max-seconds", type=float, default=4.0, help="time cap per batch size")
    _common(store)

    memory = kinds.add_parser("memory", help="memory of twins with full signal windows")
    memory.add_argument("--twins", type=int, default=10_000, help="default 10000")
    memory.add_argument("--seconds", type=float, default=60.0, help="window data per twin")
    memory.add_argument("--rate", type=float, default=50.0, help="waveform rate, Hz")
    _common(memory, profile=False)


def _run(args: argparse.Namespace, progress: Progress, json_path: Path) -> BenchResult:
    profile_dir = args.out_dir if getattr(args, "profile", False) else None
    name = args.bench_name
    if name == "ingest":
        from benchmarks.ingest import run_ingest

        return run_ingest(
            args.messages,
            args.kits,
            args.broker,
            args.mode,
            profile_dir,
            progress,
            waveforms=args.payload == "realistic",
            gateways=args.gateways,
            publisher=args.publisher,
            payload=args.payload,
        )
    if name == "latency":
        from benchmarks.latency import LatencyOptions, run_latency

        options = LatencyOptions(
            rate=args.rate,
            clients=args.clients,
            seconds=args.seconds,
            warmup=args.warmup,
            kits=args.kits,
            broker=args.broker,
            compression=not args.no_compression,
            batch_ms=args.batch_ms,
            measured_clients=args.measured_clients,
            sessions=args.sessions,
            profile_dir=profile_dir,
            plot_path=json_path.with_suffix(".png"),
            broadcast=not args.per_client_pumps,
            deflate=args.deflate and not args.per_client_pumps,
        )
        return run_latency(options, progress)
    if name == "fanout":
        from benchmarks.fanout import FanoutOptions, run_fanout

        fanout_options = FanoutOptions(
            clients=args.clients,
            rate=args.rate,
            kits=args.kits,
            batch_ms=args.batch_ms,
            processes=args.processes,
            measured_per_process=args.measured_per_process,
            seconds=args.seconds,
            warmup=args.warmup,
            sessions=args.sessions,
            broker=args.broker,
            broadcast=not args.per_client_pumps,
            deflate=args.deflate and not args.per_client_pumps,
            profile_dir=profile_dir,
            plot_path=json_path.with_suffix(".png"),
            api_replicas=args.api_replicas,
            client_script=args.client_script,
            node_profile_dir=args.node_profile,
        )
        return run_fanout(fanout_options, progress)
    if name == "feedback":
        from benchmarks.feedback import run_feedback

        return run_feedback(
            args.updates, args.kits, args.windows, args.naive_windows, profile_dir, progress
        )
    if name == "store":
        from benchmarks.store import run_store

        return run_store(args.batches, args.points, args.max_seconds, profile_dir, progress)
    if name == "memory":
        from benchmarks.memory import run_memory

        return run_memory(args.twins, args.seconds, args.rate, progress)
    raise ValueError(f"unknown benchmark {name!r}")


def run_bench(args: argparse.Namespace) -> int:
    """Run the benchmark named by ``args.bench_name``: table on stdout, JSON file; exit code."""
    progress = Progress(args.bench_name, args.quiet)
    json_path = results_path(args.bench_name, args.json, args.out_dir)
    result = _run(args, progress, json_path)
    print(render(result))
    arguments = {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()}
    result.data = clean_nan(result.data)
    path = write_json(json_path, result, clean_nan(arguments), sys.argv)
    print(f"\nresults written to {path}")
    if not result.ok:
        print(f"bench {result.name}: a correctness check failed (see above)", file=sys.stderr)
        return 1
    return 0
