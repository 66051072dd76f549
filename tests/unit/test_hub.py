from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from starlette.websockets import WebSocketState

from twin_service.api import ws
from twin_service.live.fanout import Broadcaster
from twin_service.live.hub import Hub, batch_text
from twin_service.ops.metrics import ServiceMetrics


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


async def test_a_slow_client_gets_the_current_full_state_once_per_twin_in_order() -> None:
    current = {"k1": delta("k1", 100, hr=100, spo2=97)}
    resolved: list[str] = []

    def resolve(lab: str, kit: str) -> str:
        resolved.append(kit)
        return json.dumps({**current[kit], "full": True})

    hub = Hub(ServiceMetrics(), resolve_twin=resolve)
    slow, other = hub.subscribe("lab:a"), hub.subscribe("lab:a")
    for version in range(1, 101):
        hub.publish("lab:a", delta("k1", version, hr=version))
    hub.publish("lab:a", delta("k2", 7, hr=1))
    frames = [json.loads(t) for t in await slow.take()]
    assert [(f["kit"], f["version"]) for f in frames] == [("k1", 100), ("k2", 7)]
    assert frames[0]["reported"] == {"hr": {"value": 100}, "spo2": {"value": 97}}
    assert frames[0]["full"] is True
    assert "full" not in frames[1]  # never superseded: sent as published
    assert slow.coalesced == 1
    assert [json.loads(t) for t in await other.take()] == frames
    assert resolved == ["k1"]  # one serialisation of the full state, shared


async def test_a_client_that_kept_up_gets_each_delta_as_published() -> None:
    hub = Hub(ServiceMetrics(), resolve_twin=lambda lab, kit: "FULL")
    client = hub.subscribe("lab:a")
    hub.publish("lab:a", delta("k1", 1, hr=60))
    assert [json.loads(t)["version"] for t in await client.take()] == [1]
    hub.publish("lab:a", delta("k1", 2, spo2=97))
    hub.publish("lab:a", delta("k2", 1, hr=70))
    frames = [json.loads(t) for t in await client.take()]
    assert [(f["kit"], f["version"], f["reported"]) for f in frames] == [
        ("k1", 2, {"spo2": {"value": 97}}),
        ("k2", 1, {"hr": {"value": 70}}),
    ]
    # It missed version 3 while busy; version 4 then comes as full state.
    hub.publish("lab:a", delta("k1", 3, hr=61))
    hub.publish("lab:a", delta("k1", 4, hr=62))
    assert await client.take() == ["FULL"]


async def test_frames_of_one_twin_keep_publication_order_across_kinds() -> None:
    hub = Hub(ServiceMetrics())
    client = hub.subscribe("lab:a")
    hub.publish("lab:a", {"type": "status", "lab": "a", "kit": "k", "online": False})
    hub.publish("lab:a", {"type": "feedback", "id": "f1", "kit": "k"})
    hub.publish("lab:a", delta("k", 5, hr=1))
    kinds = [json.loads(t)["type"] for t in await client.take()]
    assert kinds == ["status", "feedback", "twin.delta"]


async def test_status_and_scan_frames_are_replaced_by_the_newest() -> None:
    hub = Hub(ServiceMetrics())
    client = hub.subscribe("g")
    for online in (True, False, True):
        hub.publish("g", {"type": "status", "lab": "a", "kit": "k", "online": online})
    for highlighted in range(5):
        hub.publish(
            "g", {"type": "scan", "session_id": "s", "kit": "k", "highlighted": highlighted}
        )
    frames = [json.loads(t) for t in await client.take()]
    assert [f.get("online", f.get("highlighted")) for f in frames] == [True, 4]


async def test_feedback_frames_are_bounded_per_client() -> None:
    hub = Hub(ServiceMetrics(), max_other_frames=3)
    client = hub.subscribe("g")
    for i in range(5):
        hub.publish("g", {"type": "feedback", "id": i})
    assert [json.loads(t)["id"] for t in await client.take()] == [2, 3, 4]
    assert client.dropped == 2
    hub.publish("g", {"type": "feedback", "id": 5})
    assert [json.loads(t)["id"] for t in await client.take()] == [5]
    assert client.dropped == 2


async def test_a_new_client_gets_only_what_follows_its_subscription() -> None:
    hub = Hub(ServiceMetrics())
    early = hub.subscribe("g")
    hub.publish("g", {"type": "feedback", "id": "before"})
    late = hub.subscribe("g")
    hub.publish("g", {"type": "feedback", "id": "after"})
    assert [json.loads(t)["id"] for t in await late.take()] == ["after"]
    assert [json.loads(t)["id"] for t in await early.take()] == ["before", "after"]
    assert late.dropped == early.dropped == 0


async def test_batching_clients_get_one_batch_message_shared_by_clients_in_step() -> None:
    hub = Hub(ServiceMetrics())
    clients = [hub.subscribe("lab:a") for _ in range(3)]
    sent: list[list[str]] = [[] for _ in clients]

    def sender(i: int) -> Callable[[str], Awaitable[None]]:
        async def send(text: str) -> None:
            sent[i].append(text)

        return send

    for version in range(1, 4):
        hub.publish("lab:a", delta(f"k{version}", version, hr=60 + version))
    pumps = [
        asyncio.create_task(hub.pump(c, sender(i), batch_interval_s=0.05))
        for i, c in enumerate(clients)
    ]
    await asyncio.sleep(0.01)
    assert all(len(s) == 1 for s in sent)
    batch = json.loads(sent[0][0])
    assert batch["type"] == "batch"
    assert [f["kit"] for f in batch["frames"]] == ["k1", "k2", "k3"]
    assert sent[1][0] is sent[0][0] and sent[2][0] is sent[0][0]  # one text for all
    hub.publish("lab:a", delta("k1", 4, hr=1))  # a single frame is sent as it is
    await asyncio.sleep(0.08)
    assert [json.loads(s[-1])["type"] for s in sent] == ["twin.delta"] * 3
    for pump in pumps:
        pump.cancel()
    await asyncio.gather(*pumps, return_exceptions=True)


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
    # The stalled client's pump ends by itself, in TimeoutError (not cancelled by a wait).
    done, _ = await asyncio.wait({slow_pump}, timeout=2)
    assert slow_pump in done
    assert isinstance(slow_pump.exception(), TimeoutError)
    assert hub._metrics.ws_clients_dropped._value.get() == 1
    fast_pump.cancel()


async def test_publish_to_sends_one_frame_to_each_listening_group() -> None:
    """A kit's delta to its lab and to its sessions' pages (groups without clients skipped)."""
    hub = Hub(ServiceMetrics())
    lab, page = hub.subscribe("lab:a"), hub.subscribe("session:s1")
    hub.publish_to(["lab:a", "session:s1", "session:nobody"], delta("k1", 1, hr=77))
    assert [json.loads(t)["version"] for t in await lab.take()] == [1]
    assert [json.loads(t)["version"] for t in await page.take()] == [1]
    hub.publish_to(["session:s1"], delta("k1", 2, hr=78))
    assert [json.loads(t)["reported"]["hr"]["value"] for t in await page.take()] == [78]
    assert hub.clients("session:nobody") == 0


class _StalledSocket:
    """A websocket whose client takes the first frames, then nothing."""

    def __init__(self, takes: int) -> None:
        self.scope: dict[str, object] = {}
        self.application_state = WebSocketState.CONNECTED
        self.sent: list[str] = []
        self.closed: tuple[int, str] | None = None
        self._takes = takes
        self._never = asyncio.Event()

    async def send_text(self, text: str) -> None:
        if len(self.sent) >= self._takes:
            await self._never.wait()
        self.sent.append(text)

    async def close(self, code: int, reason: str) -> None:
        self.closed = (code, reason)
        self.application_state = WebSocketState.DISCONNECTED


async def test_a_client_that_takes_no_frames_is_closed_with_1013() -> None:
    hub = Hub(ServiceMetrics(), resolve_twin=lambda lab, kit: json.dumps(delta(kit, 9, hr=9)))
    fanout = Broadcaster(hub, ServiceMetrics(), enabled=False, send_timeout_s=0.2)
    socket = _StalledSocket(takes=1)
    queue = hub.subscribe("lab:a")
    never_reads = asyncio.Event()
    serving = asyncio.create_task(
        ws._serve(socket, hub, fanout, "lab:a", queue, [{"type": "snapshot"}], never_reads.wait())  # type: ignore[arg-type, list-item]
    )
    hub.publish("lab:a", delta("k", 1, hr=1))
    done, _ = await asyncio.wait({serving}, timeout=3)
    assert serving in done, "the stalled client was never cut off"
    assert socket.closed == (1013, "client too slow")
    assert hub.clients("lab:a") == 0


async def test_published_frames_are_compact_utf8_json_and_batches_too() -> None:
    hub = Hub(ServiceMetrics())
    queue = hub.subscribe("lab:a")
    frame = delta("k1", 1, temp_c=36.8)
    frame["reported"] = {"temp_c": {"value": 36.8, "unit": "°C"}}
    hub.publish("lab:a", frame)
    hub.publish("lab:a", delta("k2", 1, hr=72))
    first, second = await queue.take()
    assert first == json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
    assert '"°C"' in first and ", " not in first and ": " not in first
    assert json.loads(first) == frame
    text = batch_text([first, second])
    assert ", " not in text and json.loads(text)["frames"][1]["kit"] == "k2"
