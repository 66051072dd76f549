"""The batched fan-out's own cost per delivered message, without clients or network.

``python -m benchmarks.fanout_cost --clients 1000 --ticks 10`` runs the service's
``Hub`` and ``Broadcaster`` (``twin_service.live``) in one process: 50 kits publish a
``twin.delta`` of the lecture bench's size each 200 ms (250 msg/s), and ``--clients``
members on a ``--interval-ms`` ticker are written to through sinks that ``send()`` each
frame to a connected socket nobody reads (its buffer big enough for the run): a Unix
socket pair, or with ``--tcp`` TCP over loopback, the bench's transport. It prints the
CPU time per delivered message (user + system, so the ``send()`` syscalls are in it).
Run under ``valgrind --tool=callgrind``, the difference of two runs' instruction counts
(``--ticks N`` and ``--ticks 0``) divided by the messages is the user-space instructions
per delivered message: a figure no other load on the machine changes. The kernel's
side of ``send()`` is not in callgrind's count.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import time
from itertools import islice
from typing import Any

from accesstwin_contract.quantities import SENSORS
from twin_service.live.fanout import Broadcaster
from twin_service.live.hub import Hub, frame_text
from twin_service.ops.metrics import ServiceMetrics


def sample_delta(kit: int, version: int, now: float) -> dict[str, Any]:
    """A ``twin.delta`` of the lecture bench's shape (~800 bytes: six vitals, a PPG)."""
    units = {q.name: q.unit for q in islice(SENSORS.values(), 7)}  # the vocabulary's first 7
    reported = {
        name: {"value": 70.0 + i, "unit": unit, "ts": now, "received_at": now + 0.0003}
        for i, (name, unit) in enumerate(units.items())
    }
    derived = {
        "ppg_quality": {
            "value": 0.0,
            "unit": "",
            "ts": now,
            "received_at": now + 0.0003,
            "quality": 0.0,
        }
    }
    return {
        "type": "twin.delta",
        "lab": "bench",
        "kit": f"k{kit:04d}",
        "version": version,
        "reported": reported,
        "derived": derived,
        "online": True,
    }


class SocketSink:
    """A frame sink that ``send()``s to a socket nobody reads (see the module doc)."""

    __slots__ = ("deflate_bits", "sent", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sent = 0
        self.deflate_bits: int | None = None

    def write_frame(self, data: bytes) -> bool:
        self.sock.send(data)
        self.sent += 1
        return True

    def backed_up(self) -> bool:
        return False


def socket_pairs(n: int, tcp: bool) -> list[tuple[socket.socket, socket.socket]]:
    """``n`` connected pairs: Unix socket pairs, or TCP over loopback (as the bench's)."""
    if not tcp:
        return [socket.socketpair() for _ in range(n)]
    with socket.create_server(("127.0.0.1", 0), backlog=n) as server:
        pairs = []
        for _ in range(n):
            theirs = socket.create_connection(server.getsockname())
            ours, _ = server.accept()
            ours.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            pairs.append((ours, theirs))
        return pairs


async def run(
    clients: int, ticks: int, interval_ms: int, kits: int = 50, tcp: bool = False
) -> dict[str, float]:
    metrics = ServiceMetrics()
    hub = Hub(metrics)
    fanout = Broadcaster(hub, metrics)
    pairs = socket_pairs(clients, tcp)
    for ours, theirs in pairs:
        ours.setblocking(False)
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
        theirs.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sinks = [SocketSink(ours) for ours, _ in pairs]
    queues = [hub.subscribe("lab:bench") for _ in sinks]
    interval = interval_ms / 1000
    members = zip(queues, sinks, strict=True)
    serving = [asyncio.create_task(fanout.serve(q, s, interval)) for q, s in members]
    await asyncio.sleep(0)
    per_tick = max(1, round(kits * 5 * interval))  # 5 msg/s per kit
    version = 0
    started_cpu, started = time.process_time(), time.perf_counter()
    for tick in range(ticks):
        for i in range(per_tick):
            kit = (tick * per_tick + i) % kits
            version += 1
            hub.publish("lab:bench", sample_delta(kit, version, time.time()))
        await asyncio.sleep(interval)
    await asyncio.sleep(2 * interval)  # the last tick's sends
    cpu, wall = time.process_time() - started_cpu, time.perf_counter() - started
    for task in serving:
        task.cancel()
    await asyncio.gather(*serving, return_exceptions=True)
    delivered = sum(s.sent for s in sinks)
    size = len(frame_text(sample_delta(0, 1, time.time())))
    for ours, theirs in pairs:
        ours.close()
        theirs.close()
    return {
        "clients": clients,
        "ticks": ticks,
        "tcp": tcp,
        "delivered": delivered,
        "delta_bytes": size,
        "cpu_s": cpu,
        "wall_s": wall,
        "cpu_us_per_message": cpu * 1e6 / delivered if delivered else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1_000)
    parser.add_argument("--ticks", type=int, default=10)
    parser.add_argument("--interval-ms", type=int, default=50)
    parser.add_argument("--tcp", action="store_true", help="TCP over loopback, not Unix sockets")
    args = parser.parse_args()
    result = asyncio.run(run(args.clients, args.ticks, args.interval_ms, tcp=args.tcp))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
