"""Part of ``bench feedback``: from a depth chunk's arrival to its ``compression`` event.

Kits are ``mixed`` simulators (PPG + compression depth, 0.2 s messages), each in a CPR
session moved to its compressions step. Every message goes through the service's own
``Pipeline.handle`` (ingest, twin, derived signals and compression detection, frames,
session feedback), in process, with an in-memory writer that only queues. Measured:

* chunk arrival → compression frame: from the call of ``Pipeline.handle`` for the message
  whose chunk completed a compression to the ``compression`` frame being published to the
  lab group and to the session group (CPU time in the service, per compression);
* the whole ``Pipeline.handle`` of messages with and without a compression;
* the detection delay in device time: a compression is complete when the next one starts
  (its recoil is then known), so its event comes after its deepest point by about half a
  cycle; this is measured from the deepest point to the last sample of the completing
  chunk, and is the larger part of what a learner waits for.

The session clock follows the messages (each message arrives 20 ms after its last sample),
so the run is as live as a real one without waiting for it.
"""

from __future__ import annotations

import json
import time
from typing import Any, cast

from accessibility.model import LearnerProfile
from accessibility.scenario import load_scenario
from accesstwin_contract.frames import Frame
from benchmarks.stats import summarize
from devices.simulation.kit import SimulatedKit
from gateway.ingest import Ingest
from gateway.mqtt_client import InboundMessage
from gateway.topics import TopicScheme
from twin_service.ingest.pipeline import Pipeline
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import SessionManager
from twin_service.twins.registry import TwinRegistry

RATE_HZ = 50.0
DELAY_S = 0.02  # a message arrives this long after its last sample


class _QueueOnly:
    """Stands in for the store writer: keeps nothing, acknowledges nothing."""

    def enqueue(self, message: object, on_durable: object, *, qos: int = 1) -> bool:
        return True


class _Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def measure_compression_events(kits: int, messages: int) -> dict[str, list[float]]:
    start = time.time() - messages * 0.2 - 10
    clock = _Clock(start)
    metrics = ServiceMetrics()
    hub = Hub(metrics)
    sessions = SessionManager(
        {"cpr": load_scenario("cpr")}, hub, lambda _: LearnerProfile(), clock=clock
    )
    pipeline = Pipeline(
        Ingest(TopicScheme("bench")),
        TwinRegistry(),
        _QueueOnly(),  # type: ignore[arg-type]
        hub,
        metrics,
        lambda topic, payload, qos, retain: None,
        lambda message: None,
    )
    pipeline.on_change = sessions.on_twin_change
    pipeline.on_compressions = sessions.on_compressions
    out: dict[str, list[float]] = {
        "lab_us": [],
        "session_us": [],
        "with_us": [],
        "without_us": [],
        "delay_ms": [],
    }
    handle_started = 0
    chunk_end = 0.0
    publish = hub.publish

    def timed_publish(group: str, frame: Frame) -> None:
        if frame.get("type") == "compression":
            us = (time.perf_counter_ns() - handle_started) / 1000.0
            if group.startswith("lab:"):
                out["lab_us"].append(us)
                out["delay_ms"].append((chunk_end - cast(float, frame["ts"])) * 1000.0)
            else:
                out["session_us"].append(us)
        publish(group, frame)

    hub.publish = timed_publish  # type: ignore[method-assign]
    sims = [SimulatedKit("mixed", 300 + k, start, RATE_HZ, 0.2) for k in range(kits)]
    for k in range(kits):
        session, _ = sessions.create(f"learner-{k}", _kit(k), "cpr")
        sessions.advance(session, clock())
    for _ in range(messages):
        for k, sim in enumerate(sims):
            body = sim.next_message()
            n = len(body["waveforms"]["depth_mm"]["samples"])
            chunk_end = body["ts"] + (n - 1) / RATE_HZ
            clock.now = chunk_end + DELAY_S
            topic = f"bench/{_kit(k).lab}/{_kit(k).kit}/telemetry"
            message = InboundMessage(topic, json.dumps(body).encode(), 1, False, 1, clock.now, 1)
            before = len(out["lab_us"])
            handle_started = time.perf_counter_ns()
            pipeline.handle(message)
            us = (time.perf_counter_ns() - handle_started) / 1000.0
            out["with_us" if len(out["lab_us"]) > before else "without_us"].append(us)
    return out


def _kit(k: int) -> Any:
    from gateway.identifiers import KitRef

    return KitRef("benchlab", f"kit{k}")


def summaries(times: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {name: summarize(values) for name, values in times.items()}
