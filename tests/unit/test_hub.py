from __future__ import annotations

import asyncio
import contextlib
import json

from twin_service.hub import ClientQueue, Hub, frame_key
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


def offer(queue: ClientQueue, frame: dict[str, object]) -> None:
    queue.offer(frame_key(frame), json.dumps(frame))


async def test_a_slow_client_gets_the_current_full_state_once_per_twin_in_order() -> None:
    current = {"k1": delta("k1", 100, hr=100, spo2=97)}
    resolved: list[str] = []

    def resolve(lab: str, kit: str) -> str:
        resolved.append(kit)
        return json.dumps({**current[kit], "full": True})

    queue = ClientQueue(max_other_frames=10, resolve=resolve)
    for version in range(1, 101):
        offer(queue, delta("k1", version, hr=version))
    offer(queue, delta("k2", 7, hr=1))
    frames = [json.loads(t) for t in await queue.take()]
    assert [(f["kit"], f["version"]) for f in frames] == [("k1", 100), ("k2", 7)]
    assert frames[0]["reported"] == {"hr": {"value": 100}, "spo2": {"value": 97}}
    assert frames[0]["full"] is True
    assert "full" not in frames[1]  # never superseded: sent as published
    assert resolved == ["k1"]
    assert queue.coalesced == 99


async def test_status_and_scan_frames_are_replaced_by_the_newest() -> None:
    queue = ClientQueue(max_other_frames=10, resolve=lambda lab, kit: None)
    for online in (True, False, True):
        offer(queue, {"type": "status", "lab": "a", "kit": "k", "online": online})
    for highlighted in range(5):
        offer(queue, {"type": "scan", "session_id": "s", "kit": "k", "highlighted": highlighted})
    frames = [json.loads(t) for t in await queue.take()]
    assert [f.get("online", f.get("highlighted")) for f in frames] == [True, 4]


async def test_feedback_frames_are_bounded_per_client() -> None:
    queue = ClientQueue(max_other_frames=3, resolve=lambda lab, kit: None)
    for i in range(5):
        offer(queue, {"type": "feedback", "id": i})
    assert [json.loads(t)["id"] for t in await queue.take()] == [2, 3, 4]
    assert queue.dropped == 2


async def test_one_stalled_client_does_not_hold_back_another() -> None:
    hub = Hub(ServiceMetrics(), resolve_twin=lambda lab, kit: json.dumps(delta(kit, 50, hr=50)))
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
