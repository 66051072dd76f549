"""``Runtime``'s per-message hooks: what a twin change wakes (issue 18's hot path)."""

from __future__ import annotations

import time

from accessibility.scenario import scenario_ids
from gateway.identifiers import KitRef
from gateway.mqtt_client import InboundMessage
from twin_service.runtime import Runtime
from twin_service.settings import Settings
from twin_service.store.memory import MemoryStore


def _runtime() -> Runtime:
    settings = Settings(store="memory://", insecure_no_auth=True)
    runtime = Runtime(settings, store=MemoryStore())
    runtime.mqtt.ack = lambda message: None  # type: ignore[method-assign]
    return runtime


def _telemetry(runtime: Runtime, kit: str, seq: int) -> None:
    now = time.time()
    body = b'{"ts": %f, "seq": %d, "readings": {"hr": 70}}' % (now, seq)
    topic = f"{runtime.settings.topics.prefix}/lab/{kit}/telemetry"
    runtime._on_message(InboundMessage(topic, body, 1, False, seq, now, 1))


async def test_only_a_kit_that_a_session_follows_wakes_the_scan_clock() -> None:
    runtime = _runtime()
    _telemetry(runtime, "alone", 1)
    assert KitRef("lab", "alone") in runtime._ingested  # its _twin state is still published
    assert not runtime._tick_wake.is_set()

    session, _ = runtime.sessions.create("learner-1", KitRef("lab", "followed"), scenario_ids()[0])
    runtime._tick_wake.clear()
    _telemetry(runtime, "followed", 1)
    assert runtime._tick_wake.is_set()
    assert runtime.sessions.follows(KitRef("lab", "followed"))
    assert not runtime.sessions.follows(KitRef("lab", "alone"))
    assert session.kit == KitRef("lab", "followed")
