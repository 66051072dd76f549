"""Frame once, send many (twin_service.live.fanout) with fake frame sinks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.client import ClientProtocol
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import OPEN
from websockets.uri import parse_uri

from twin_service.live.fanout import (
    FRAME_SINK_EXTENSION,
    Broadcaster,
    deflated_text_frame,
    frame_sink,
    text_frame,
)
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics


def delta(kit: str, version: int) -> dict[str, object]:
    return {"type": "twin.delta", "lab": "a", "kit": kit, "version": version, "reported": {}}


class FakeSink:
    def __init__(self, deflate_bits: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.full = False
        self.closed = False
        self.deflate_bits = deflate_bits

    def write_frame(self, data: bytes) -> bool:
        if self.closed:
            return False
        self.writes.append(data)
        return True

    def backed_up(self) -> bool:
        return self.full


def parse_frames(data: bytes, deflate_bits: int | None = None) -> list[Frame]:
    """Frames as a websockets client parses them off the wire (with deflate negotiated)."""
    client = ClientProtocol(parse_uri("ws://example/ws"), state=OPEN)
    if deflate_bits is not None:
        # The client's view of "server_no_context_takeover; server_max_window_bits=N".
        client.extensions = [PerMessageDeflate(True, False, deflate_bits, 15)]
    client.receive_data(data)
    return [e for e in client.events_received() if isinstance(e, Frame)]


def counter(metric: Any) -> float:
    return float(next(iter(metric.collect())).samples[0].value)


async def until(condition: Any, limit: int = 500) -> None:
    for _ in range(limit):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not reached")


@pytest.mark.parametrize("size", [0, 5, 125, 126, 300, 65_535, 70_000])
def test_text_frame_is_what_a_websockets_client_parses(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)
    (frame,) = parse_frames(text_frame(text))
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data.decode() == text


@pytest.mark.parametrize("bits", [9, 12, 15])
@pytest.mark.parametrize("size", [0, 5, 300, 70_000])
def test_deflated_frame_is_what_a_client_with_that_deflate_inflates(bits: int, size: int) -> None:
    text = ('{"kit": "k1", "hr": 72.5, "unit": "bpm"}, ' * (size // 40 + 1))[:size] + "é"
    data = deflated_text_frame(text, bits)
    assert data[0] & 0b0100_0000  # RSV1: compressed
    assert len(data) < len(text_frame(text)) or size < 40
    (frame,) = parse_frames(data, deflate_bits=bits)
    assert frame.opcode is Opcode.TEXT and frame.fin
    assert frame.data.decode() == text
    # Each message stands alone: a client inflates the same bytes twice in a row.
    frames = parse_frames(data + data, deflate_bits=bits)
    assert [f.data.decode() for f in frames] == [text, text]


def test_a_lecture_batch_deflates_to_under_a_fifth() -> None:
    def entry(k: int, i: int) -> dict[str, object]:
        ts = 1796307161.491248 + 0.0040037 * k
        return {"value": 60.0 + 3 * k + i, "unit": "mmHg", "ts": ts, "received_at": ts + 0.00029}

    names = ("hr", "spo2", "temp_c", "resp_rate", "sbp", "dbp", "ppg")
    frames = [
        json.dumps(
            {"type": "twin.delta", "lab": "bench", "kit": f"k{k:04d}", "version": 11 + k}
            | {"reported": {n: entry(k, i) for i, n in enumerate(names)}, "online": True},
            separators=(",", ":"),
        )
        for k in range(13)
    ]
    text = '{"type":"batch","frames":[' + ",".join(frames) + "]}"
    assert len(deflated_text_frame(text, 12)) * 5 < len(text_frame(text))


async def test_deflate_clients_share_one_compressed_frame_after_the_first() -> None:
    hub = Hub(ServiceMetrics())
    fanout = Broadcaster(hub, ServiceMetrics())
    queues = [hub.subscribe("lab:a") for _ in range(4)]
    sinks = [FakeSink(12), FakeSink(12), FakeSink(12), FakeSink()]
    serving = [
        asyncio.create_task(fanout.serve(q, s, 0.02)) for q, s in zip(queues, sinks, strict=True)
    ]
    await asyncio.sleep(0)
    for kit in ("k1", "k2", "k3"):
        hub.publish("lab:a", delta(kit, 1))
    await until(lambda: all(s.writes for s in sinks))
    firsts = [s.writes[0] for s in sinks]
    compressed = [w for w in firsts if w[0] & 0b0100_0000]
    assert len(compressed) == 2 and compressed[0] is compressed[1]  # compressed once
    assert not firsts[3][0] & 0b0100_0000  # the client without deflate gets it plain
    texts = {parse_frames(w, deflate_bits=12)[0].data.decode() for w in firsts}
    assert len(texts) == 1 and json.loads(texts.pop())["type"] == "batch"
    for task in serving:
        task.cancel()
    await asyncio.gather(*serving, return_exceptions=True)


def test_frame_sink_is_read_from_the_scope_extension() -> None:
    sink = FakeSink()
    assert frame_sink({"extensions": {FRAME_SINK_EXTENSION: sink}}) is sink
    assert frame_sink({"extensions": None}) is None
    assert frame_sink({}) is None


async def test_clients_in_step_get_one_shared_frame_of_the_batch_in_order() -> None:
    hub = Hub(ServiceMetrics())
    fanout = Broadcaster(hub, ServiceMetrics())
    queues = [hub.subscribe("lab:a") for _ in range(3)]
    sinks = [FakeSink() for _ in queues]
    serving = [
        asyncio.create_task(fanout.serve(q, s, 0.02)) for q, s in zip(queues, sinks, strict=True)
    ]
    await asyncio.sleep(0)
    for kit in ("k1", "k2", "k3"):
        hub.publish("lab:a", delta(kit, 1))
    await until(lambda: all(s.writes for s in sinks))
    assert fanout.tickers() == 1
    first = sinks[0].writes[0]
    assert all(s.writes[0] is first for s in sinks)  # framed once, the same bytes for all
    (frame,) = parse_frames(first)
    batch = json.loads(frame.data)
    assert batch["type"] == "batch"
    assert [(f["kit"], f["version"]) for f in batch["frames"]] == [("k1", 1), ("k2", 1), ("k3", 1)]
    hub.publish("lab:a", delta("k4", 1))  # one waiting frame is sent alone, not as a batch
    await until(lambda: all(len(s.writes) == 2 for s in sinks))
    assert json.loads(parse_frames(sinks[2].writes[1])[0].data)["kit"] == "k4"
    for task in serving:
        task.cancel()
    await asyncio.gather(*serving, return_exceptions=True)
    await until(lambda: fanout.tickers() == 0)


async def test_a_backed_up_client_is_skipped_then_sent_the_full_state_once() -> None:
    metrics = ServiceMetrics()
    hub = Hub(
        metrics, resolve_twin=lambda lab, kit: json.dumps({"type": "twin.delta", "full": kit})
    )
    fanout = Broadcaster(hub, metrics)
    slow_q, fast_q = hub.subscribe("lab:a"), hub.subscribe("lab:a")
    slow, fast = FakeSink(), FakeSink()
    slow.full = True
    tasks = [asyncio.create_task(fanout.serve(slow_q, slow, 0.01))]
    tasks.append(asyncio.create_task(fanout.serve(fast_q, fast, 0.01)))
    for version in range(1, 6):
        hub.publish("lab:a", delta("k1", version))
        await until(lambda v=version: len(fast.writes) == v)  # type: ignore[misc]
    assert slow.writes == [] and len(fast.writes) == 5  # nothing buffered for the slow one
    slow.full = False
    await until(lambda: bool(slow.writes))
    assert json.loads(parse_frames(slow.writes[0])[0].data) == {"type": "twin.delta", "full": "k1"}
    assert counter(metrics.ws_frames_coalesced) == 1
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_client_backed_up_past_the_send_timeout_is_dropped() -> None:
    metrics = ServiceMetrics()
    hub = Hub(metrics)
    fanout = Broadcaster(hub, metrics, send_timeout_s=0.05)
    queue, sink = hub.subscribe("lab:a"), FakeSink()
    sink.full = True
    serving = asyncio.create_task(fanout.serve(queue, sink, 0.01))
    hub.publish("lab:a", delta("k1", 1))
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(serving, 5)
    assert counter(metrics.ws_clients_dropped) == 1
    assert sink.writes == []


async def test_a_closed_connection_ends_its_serve() -> None:
    hub = Hub(ServiceMetrics())
    fanout = Broadcaster(hub, ServiceMetrics())
    queue, sink = hub.subscribe("lab:a"), FakeSink()
    sink.closed = True
    serving = asyncio.create_task(fanout.serve(queue, sink, 0.01))
    hub.publish("lab:a", delta("k1", 1))
    await asyncio.wait_for(serving, 5)
    await until(lambda: fanout.tickers() == 0)


async def test_without_a_sink_or_batches_delivery_is_the_hub_pump() -> None:
    hub = Hub(ServiceMetrics())
    fanout = Broadcaster(hub, ServiceMetrics())
    sink = FakeSink()
    sent: list[str] = []

    async def send(text: str) -> None:
        sent.append(text)

    scope = {"extensions": {FRAME_SINK_EXTENSION: sink}}
    for interval, where in ((0.0, scope), (0.01, {"extensions": {}})):
        queue = hub.subscribe("lab:a")
        task = asyncio.create_task(fanout.deliver(queue, where, send, interval))
        hub.publish("lab:a", delta("k1", 1))
        await until(lambda: bool(sent))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        hub.unsubscribe("lab:a", queue)
        sent.clear()
    assert sink.writes == [] and fanout.tickers() == 0
