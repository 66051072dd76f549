"""``Pipeline.handle``: inject a message, assert what was stored, published and acked."""

from __future__ import annotations

import json
import time

import pytest

from accessibility.derived import DerivedSignals
from accesstwin_contract.frames import TwinDeltaFrame
from accesstwin_contract.groups import lab_group
from gateway.identifiers import KitRef
from tests.unit.pipeline_rig import PipelineRig
from twin_service.twins.twin import TwinChange

NOW = time.time()
TOPIC = "p/lab/kit/telemetry"


def test_a_ppg_too_slow_for_a_heart_rate_is_dropped_and_the_rest_is_stored() -> None:
    rig = PipelineRig()
    body = {
        "ts": NOW,
        "seq": 1,
        "readings": {"hr": 70},
        "waveforms": {"ppg": {"rate_hz": 5, "samples": [1, 2, 3] * 30}},
    }
    mid = rig.handle(TOPIC, body, NOW)
    rig.flush()
    assert rig.acked == [mid]
    assert rig.stored("lab", "kit", "hr") == [(NOW, 70.0)]
    (rejection,) = rig.rejections()
    assert rejection["reason"] == "dropped readings"
    assert rejection["dropped"][0]["sensor"] == "ppg"
    assert "10..1000 Hz" in rejection["dropped"][0]["reason"]


def test_a_failing_derived_computation_is_counted_and_the_message_still_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: object, **kwargs: object) -> list[object]:
        raise ValueError("window broke")

    monkeypatch.setattr(DerivedSignals, "add_chunk", broken)
    rig = PipelineRig()
    body = {"ts": NOW, "seq": 1, "waveforms": {"ppg": {"rate_hz": 50, "samples": [5.0] * 10}}}
    mid = rig.handle(TOPIC, body, NOW)
    rig.flush()
    assert rig.acked == [mid]
    assert len(rig.stored("lab", "kit", "ppg")) == 10
    assert rig.derive_failures() == 1
    assert rig.rejections() == []
    # The next chunk is derived (and fails) again, on fresh windows; nothing escapes.
    rig.handle(TOPIC, {**body, "seq": 2, "ts": NOW + 0.2}, NOW + 0.2)
    assert rig.derive_failures() == 2


def test_an_error_while_handling_is_a_counted_rejection_acked_once() -> None:
    rig = PipelineRig()

    def broken_hook(event: object) -> None:
        raise RuntimeError("session bug")

    rig.pipeline.on_input = broken_hook
    switch = {"ts": NOW, "seq": 1, "switch": "select", "state": "down"}
    mid = rig.handle("p/lab/kit/input", switch, NOW)
    (rejection,) = rig.rejections()
    assert rejection["reason"] == "internal error handling the message (RuntimeError)"
    assert rejection["topic"] == "p/lab/kit/input"
    assert rig.published[0][0] == "p/_rejected/lab/kit"
    assert rig.acked == [mid]
    assert rig.rejected_total("internal") == 1


def test_an_error_after_the_message_was_queued_does_not_lose_or_double_ack_it() -> None:
    rig = PipelineRig()

    def broken_hook(twin: object) -> None:
        raise RuntimeError("session bug")

    rig.pipeline.on_change = broken_hook
    mid = rig.handle(TOPIC, {"ts": NOW, "seq": 1, "readings": {"hr": 70}}, NOW)
    rig.flush()
    assert rig.acked == [mid]
    assert rig.stored("lab", "kit", "hr") == [(NOW, 70.0)]
    (rejection,) = rig.rejections()
    assert rejection["reason"] == "internal error after the message was kept (RuntimeError)"
    assert rig.rejected_total("internal") == 1


def limited_rig() -> PipelineRig:
    from gateway.ingest import Ingest
    from gateway.ratelimit import KitRateLimiter
    from gateway.topics import TopicScheme

    return PipelineRig(Ingest(TopicScheme("p"), limiter=KitRateLimiter()))  # the defaults


def chunk(seq: int, ts: float) -> dict[str, object]:
    """One of a kit's normal messages: a 0.2 s PPG chunk at 50 Hz."""
    return {"ts": ts, "seq": seq, "waveforms": {"ppg": {"rate_hz": 50, "samples": [5e4] * 10}}}


def test_a_backlog_larger_than_the_burst_is_stored_whole() -> None:
    # A kit replays 20 minutes of its spool (6,000 messages) in 2 s, oldest first.
    rig = limited_rig()
    count = 6_000
    for i in range(count):
        rig.handle(TOPIC, chunk(i + 1, NOW - (count - i) * 0.2), NOW + 2 * i / count)
    rig.flush()
    assert rig.rejected_total() == 0
    assert len(rig.acked) == count
    assert len(rig.stored("lab", "kit", "ppg")) == count * 10


def test_a_live_50x_flood_is_limited_and_counted_at_the_default_settings() -> None:
    rig = limited_rig()
    rate, seconds = 250, 20  # 50 times a kit's 5 messages/s, with live timestamps
    for i in range(rate * seconds):
        rig.handle(TOPIC, chunk(i + 1, NOW + i / rate), NOW + i / rate)
    rig.handle("p/lab/calm/telemetry", chunk(1, NOW + seconds), NOW + seconds)
    rig.flush()
    limited = rig.rejected_total("limit")
    assert limited == pytest.approx(rate * seconds - 500 - 50 * seconds, abs=2)
    assert len(rig.rejections()) == limited  # each one published with its reason
    assert "exceeds 50 messages/s" in rig.rejections()[0]["reason"]
    assert len(rig.stored("lab", "calm", "ppg")) == 10  # another kit is not held up


def test_the_services_own_topics_are_ignored_and_reserved_labs_refused() -> None:
    rig = PipelineRig()
    body = {"ts": NOW, "seq": 1, "readings": {"hr": 70}}
    # A rejection about a kit named "telemetry" matches the kit filter p/+/+/telemetry.
    own = rig.handle("p/_rejected/lab/telemetry", body, NOW)
    replica = rig.handle("p/_twin/lab/telemetry", body, NOW)
    assert rig.acked == [own, replica] and rig.published == []
    reserved = rig.handle("p/_rejected_too/kit/telemetry", body, NOW + 1)
    assert rig.acked[-1] == reserved
    ((topic, rejection),) = rig.published
    assert topic == "p/_rejected/_unknown/kit"
    assert "reserved for the service's own topics" in rejection["reason"]
    assert rig.rejected_total("topic") == 1
    assert list(rig.pipeline.twins) == []


def test_qos0_telemetry_past_the_store_queue_bound_is_refused_and_published() -> None:
    from gateway.mqtt_client import InboundMessage

    rig = PipelineRig()
    rig.writer.max_pending = 2
    for seq in range(1, 5):
        body = f'{{"ts": {NOW + seq}, "seq": {seq}, "readings": {{"hr": {60 + seq}}}}}'
        rig.pipeline.handle(InboundMessage(TOPIC, body.encode(), 0, False, 0, NOW + seq, 1))
    refused = rig.rejections()
    assert [r["reason"] for r in refused] == ["store queue full: QoS 0 message not stored"] * 2
    assert [r["seq"] for r in refused] == [3, 4]
    rig.flush()
    assert [v for _, v in rig.stored("lab", "kit", "hr")] == [61.0, 62.0]


def test_a_kit_flooding_unreadable_payloads_is_limited_too() -> None:
    rig = limited_rig()
    rate, seconds = 250, 10
    for i in range(rate * seconds):
        rig.handle(TOPIC, b"{", NOW + i / rate)
    limited = rig.rejected_total("limit")
    payload = rig.rejected_total("payload")
    assert limited == pytest.approx(rate * seconds - 500 - 50 * seconds, abs=2)
    assert payload + limited == rate * seconds  # every one refused, with its reason
    assert len(rig.rejections()) == rate * seconds


def test_a_delta_frame_is_built_only_when_a_websocket_client_watches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rig = PipelineRig()
    built: list[int] = []
    to_frame = TwinChange.to_frame

    def counting(change: TwinChange) -> TwinDeltaFrame:
        built.append(change.version)
        return to_frame(change)

    monkeypatch.setattr(TwinChange, "to_frame", counting)
    changed: list[int] = []
    rig.pipeline.on_change = lambda twin: changed.append(twin.version)
    body = {"seq": 1, "ts": NOW - 1, "readings": {"hr": 70}}
    rig.handle(TOPIC, body, NOW)
    assert built == []  # nobody watches the lab: no frame
    assert changed == [1]  # the session hooks (and _twin states) still see the change
    twin = rig.pipeline.twins.get(KitRef("lab", "kit"))
    assert twin is not None and twin.reported["hr"].value == 70

    watcher = rig.pipeline.hub.subscribe(lab_group("lab"))
    rig.handle(TOPIC, {**body, "seq": 2, "ts": NOW}, NOW + 0.2)
    assert built == [2]
    (text,) = watcher.take_waiting().texts
    frame = json.loads(text)
    assert (frame["type"], frame["version"], frame["reported"]["hr"]["value"]) == (
        "twin.delta",
        2,
        70.0,
    )
    rig.flush()
    assert rig.acked == [1, 2]
