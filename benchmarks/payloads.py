"""Contract telemetry for the benchmarks, made by the kit simulator (docs/interface.md payload).

Kits rotate through the simulator's profiles (``vitals``: PPG + vital-sign readings about
once a second; ``cpr``: compression depth; ``mixed``: both), each message a 0.2 s chunk
of 10 samples at 50 Hz per waveform, messages of all kits interleaved as they would
arrive from a lab. Everything is generated before any timing starts.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass
from typing import Any, get_args

from devices.simulation.kit import KitProfile, SimulatedKit

RATE_HZ = 50.0
CHUNK_S = 0.2  # 10 samples at 50 Hz per message
PROFILES: tuple[KitProfile, ...] = get_args(KitProfile)


@dataclass(frozen=True)
class Workload:
    messages: list[tuple[str, bytes]]
    kits: int
    readings: int
    waveform_samples: int

    @property
    def points(self) -> int:
        """Raw points the store must hold once every message is persisted."""
        return self.readings + self.waveform_samples

    @property
    def payload_bytes(self) -> int:
        return sum(len(p) for _, p in self.messages)


def kit_name(index: int) -> str:
    return f"k{index:04d}"


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode()


def make_kits(kits: int, seed: int, start_ts: float) -> list[SimulatedKit]:
    return [
        SimulatedKit(PROFILES[i % len(PROFILES)], seed + i, start_ts, RATE_HZ, CHUNK_S)
        for i in range(kits)
    ]


def generate_workload(
    messages: int,
    kits: int,
    prefix: str,
    lab: str = "bench",
    seed: int = 1,
    waveforms: bool = True,
) -> Workload:
    """``messages`` telemetry messages over ``kits`` kits, device times in the recent past.

    ``waveforms=False`` is the diagnostic variant: ``vitals`` kits sending only their
    latest readings in every message (no waveform, so no derived signals).
    """
    if messages < 1 or kits < 1:
        raise ValueError("messages and kits must be at least 1")
    per_kit = math.ceil(messages / kits)
    start_ts = round(time.time() - per_kit * CHUNK_S - 60.0, 3)
    if waveforms:
        sims = make_kits(kits, seed, start_ts)
    else:
        sims = [SimulatedKit("vitals", seed + i, start_ts, RATE_HZ, CHUNK_S) for i in range(kits)]
    last: list[dict[str, float]] = [{} for _ in range(kits)]
    out: list[tuple[str, bytes]] = []
    readings = samples = 0
    for i in range(messages):
        k = i % kits
        message = sims[k].next_message()
        if not waveforms:
            last[k] = message.get("readings", last[k])
            message = {"ts": message["ts"], "seq": message["seq"], "readings": last[k]}
        readings += len(message.get("readings", {}))
        samples += sum(len(w["samples"]) for w in message.get("waveforms", {}).values())
        out.append((f"{prefix}/{lab}/{kit_name(k)}/telemetry", encode(message)))
    return Workload(out, kits, readings, samples)


class LiveKits:
    """Messages stamped at send time, for the latency benchmark.

    Each kit is a ``vitals`` simulator; every message carries its readings (kept from the
    last monitor refresh) and a 10-sample PPG chunk. ``ts`` is the wall-clock time of
    publication, so a ``twin.delta`` frame's ``reported.hr.ts`` is the publish time.
    """

    def __init__(self, kits: int, seed: int, cycle: int = 50) -> None:
        sims = [
            SimulatedKit("vitals", seed + i, time.time(), RATE_HZ, CHUNK_S) for i in range(kits)
        ]
        self._bodies: list[list[dict[str, Any]]] = []
        for sim in sims:
            last: dict[str, float] = {}
            bodies: list[dict[str, Any]] = []
            for _ in range(cycle):
                message = sim.next_message()
                last = message.get("readings", last)
                bodies.append({"readings": dict(last), "waveforms": message["waveforms"]})
            self._bodies.append(bodies)
        self.kits = kits

    def message(self, kit: int, index: int, ts: float, seq: int) -> bytes:
        body = self._bodies[kit][index % len(self._bodies[kit])]
        return encode({"ts": ts, "seq": seq, **body})


def generate_two_readings(
    messages: int, kits: int, prefix: str, lab: str = "bench", seed: int = 1
) -> Workload:
    """Issue 18's load: ``messages`` small messages of two readings (``hr``, ``spo2``) each,
    kits in turn, device times 0.2 s apart in the past (a kit replaying its spool, which
    the rate limit lets through at any speed: ``gateway.ratelimit``)."""
    if messages < 1 or kits < 1:
        raise ValueError("messages and kits must be at least 1")
    per_kit = math.ceil(messages / kits)
    start_ts = round(time.time() - per_kit * CHUNK_S - 60.0, 3)
    out: list[tuple[str, bytes]] = []
    for i in range(messages):
        k, n = i % kits, i // kits
        hr = 60 + (seed + 7 * n + 13 * k) % 40
        spo2 = 90 + (seed + 3 * n + k) % 10
        ts = round(start_ts + n * CHUNK_S, 3)
        body = {"ts": ts, "seq": n, "readings": {"hr": hr, "spo2": spo2}}
        out.append((f"{prefix}/{lab}/{kit_name(k)}/telemetry", encode(body)))
    return Workload(out, kits, 2 * messages, 0)
