"""What a Node.js dashboard client costs per message, on fixed frames, without the service.

``python -m benchmarks.client_cost --clients 250 --seconds 5`` serves batch frames of the
lecture bench's shape (``fanout_cost.sample_delta``, 250 msg/s on a 50 ms tick: 12-13
``twin.delta`` a batch, about 10 kB) from a ``websockets`` server in this process to
``--clients`` clients of ``benchmarks/js/clients.mjs`` (one Node.js process, as one of
``bench fanout``'s four), and prints the Node process's CPU time (user + system) per
websocket message received. Every run sends the same frames, so two client scripts
(``--script A --script B``, interleaved over ``--rounds``) compare on the same work; on a
loaded machine the absolute figure moves, the A/B difference of interleaved rounds far less.
``--lean`` adds rounds with smaller deltas than the contract's (``lean_delta``), to
measure what a leaner frame would save a client.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import time
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, broadcast, serve

from benchmarks.fanout import CLIENT_SCRIPT, CLIENTS_DIR, ensure_clients
from benchmarks.fanout_cost import sample_delta
from benchmarks.latency import cpu_seconds
from twin_service.live.hub import batch_text, frame_text


def lean_delta(delta: dict[str, Any]) -> dict[str, Any]:
    """A ``twin.delta`` without what a client already has or needs once (NOT the contract):
    no ``unit`` (the snapshot names it), one ``received_at`` for the delta, not per value.
    For measuring what a smaller frame would save a client (``--lean``)."""
    lean = dict(delta)
    received_at = None
    for part in ("reported", "derived"):
        values = {}
        for name, value in delta[part].items():
            received_at = value.get("received_at", received_at)
            values[name] = {k: v for k, v in value.items() if k not in ("unit", "received_at")}
        lean[part] = values
    lean["received_at"] = received_at
    return lean


def batch_frame(
    first_kit: int, count: int, version: int, kits: int, now: float, lean: bool = False
) -> str:
    """One ``batch`` text of ``count`` deltas, as the service's ticker sends it."""
    deltas = [sample_delta((first_kit + i) % kits, version + i, now) for i in range(count)]
    return batch_text([frame_text(lean_delta(d) if lean else d) for d in deltas])


async def measure(
    script: Path,
    clients: int,
    seconds: float,
    interval_ms: int,
    rate: float,
    kits: int,
    cpu_prof_dir: Path | None = None,
    lean: bool = False,
) -> dict[str, Any]:
    """One round: ``clients`` clients of ``script`` in one Node process for ``seconds``."""
    connections: set[ServerConnection] = set()

    async def handler(ws: ServerConnection) -> None:
        connections.add(ws)  # before the snapshot: a client is ready once it has it
        try:
            await ws.send('{"type":"snapshot","lab":"bench","twins":[]}')
            await ws.wait_closed()
        finally:
            connections.discard(ws)

    node = ensure_clients()
    async with serve(handler, "127.0.0.1", 0, compression=None, max_queue=None) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        profile = [] if cpu_prof_dir is None else ["--cpu-prof", f"--cpu-prof-dir={cpu_prof_dir}"]
        proc = await asyncio.create_subprocess_exec(
            node,
            *profile,
            str(script),
            f"ws://127.0.0.1:{port}/",
            str(clients),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=CLIENTS_DIR,
            limit=64 * 1024 * 1024,  # the report is one long line
        )
        assert proc.stdin is not None and proc.stdout is not None
        ready = json.loads(await proc.stdout.readline())
        interval = interval_ms / 1000
        per_tick = max(1, round(rate * interval))
        start = time.time()
        proc.stdin.write(f"start {start!r}\n".encode())
        await proc.stdin.drain()
        cpu_before = cpu_seconds(proc.pid)
        ticks, version = 0, 0
        while time.time() - start < seconds:
            broadcast(
                connections,
                batch_frame(ticks * per_tick, per_tick, version, kits, time.time(), lean),
            )
            ticks += 1
            version += per_tick
            await asyncio.sleep(interval - time.time() % interval)
        await asyncio.sleep(1.0)  # the last frames arrive
        cpu = cpu_seconds(proc.pid) - cpu_before
        proc.stdin.write(b"report\n")
        await proc.stdin.drain()
        report = json.loads(await proc.stdout.readline())
        await proc.wait()
    messages = sum(int(m) for m in report["messages"])
    frame_bytes = len(batch_frame(0, per_tick, 0, kits, time.time(), lean).encode())
    return {
        "script": str(script),
        "frames": "lean" if lean else "contract",
        "clients": clients,
        "connected": ready["connected"],
        "ticks": ticks,
        "batch_bytes": frame_bytes,
        "messages": messages,
        "expected_messages": ticks * clients,
        "node_cpu_s": cpu,
        "node_us_per_message": cpu * 1e6 / messages if messages else math.nan,
        "report": report,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=250, help="clients in the one process")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--interval-ms", type=int, default=50, help="the batch interval")
    parser.add_argument("--rate", type=float, default=250.0, help="deltas per second")
    parser.add_argument("--kits", type=int, default=50)
    parser.add_argument(
        "--script", type=Path, action="append", help="client script(s), default clients.mjs"
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds of every script")
    parser.add_argument("--cpu-prof-dir", type=Path, help="node --cpu-prof, profiles here")
    parser.add_argument(
        "--lean",
        action="store_true",
        help="also run every round with lean deltas (no unit, one received_at; not the"
        " contract) to measure what a smaller frame saves a client",
    )
    args = parser.parse_args()
    scripts = args.script or [CLIENT_SCRIPT]
    shapes = (False, True) if args.lean else (False,)
    for _ in range(args.rounds):
        for script in scripts:
            for lean in shapes:
                result = asyncio.run(
                    measure(
                        script.resolve(),
                        args.clients,
                        args.seconds,
                        args.interval_ms,
                        args.rate,
                        args.kits,
                        args.cpu_prof_dir,
                        lean,
                    )
                )
                del result["report"]
                print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
