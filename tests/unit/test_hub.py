from __future__ import annotations

import asyncio
import contextlib
import json

from twin_service.hub import ClientQueue, Hub, merge_delta
from twin_service.metrics import ServiceMetrics


def delta(kit: str, version: int, **reported: float) -> dict[str, object]:
    return {
        "type": "twin.delta",
        "lab": "a",
        "kit": kit,
        "version": version,
        "online": True,
        "reported": {k: {"value": v} for k, v in reported.items()},
        "derived": {},
    }


def test_merge_keeps_newest_values_and_the_union_of_changes() -> None:
    merged = merge_delta(delta("k", 1, hr=70, spo2=97), delta("k", 2, hr=75))
    assert merged["version"] == 2
    assert merged["reported"] == {"hr": {"value": 75}, "spo2": {"value": 97}}


async def test_a_slow_client_gets_one_coalesced_frame_per_twin_in_version_order() -> None:
    queue = ClientQueue(max_other_frames=10)
    for version in range(1, 101):
        frame = delta("k1", version, hr=version)
        queue.offer(frame, json.dumps(frame))
    other = delta("k2", 7, hr=1)
    queue.offer(other, json.dumps(other))
    texts = await queue.take()
    frames = [json.loads(t) for t in texts]
    assert [(f["kit"], f["version"]) for f in frames] == [("k1", 100), ("k2", 7)]
    assert frames[0]["reported"]["hr"]["value"] == 100
    assert queue.coalesced == 99


async def test_feedback_frames_are_bounded_per_client() -> None:
    queue = ClientQueue(max_other_frames=3)
    for i in range(5):
        frame = {"type": "feedback", "id": i}
        queue.offer(frame, json.dumps(frame))
    assert [json.loads(t)["id"] for t in await queue.take()] == [2, 3, 4]
    assert queue.dropped == 2


async def test_one_stalled_client_does_not_hold_back_another() -> None:
    hub = Hub(ServiceMetrics())
    fast, slow = hub.subscribe("lab:a"), hub.subscribe("lab:a")
    received: list[str] = []
    never = asyncio.Event()

    async def fast_send(text: str) -> None:
        received.append(text)

    async def stalled_send(text: str) -> None:
        await never.wait()

    fast_pump = asyncio.create_task(hub.pump(fast, fast_send))
    slow_pump = asyncio.create_task(hub.pump(slow, stalled_send, send_timeout_s=0.2))
    for version in range(1, 51):
        hub.publish("lab:a", delta("k", version, hr=version))
        await asyncio.sleep(0)
    await asyncio.sleep(0.05)
    assert json.loads(received[-1])["version"] == 50
    with contextlib.suppress(TimeoutError):  # the stalled client's pump ends in TimeoutError
        await asyncio.wait_for(slow_pump, 2)
    assert slow_pump.done()
    fast_pump.cancel()
