"""Partitions, shared subscriptions and replicated twin state (issue 6, scale-out)."""

from __future__ import annotations

import json

import pytest

from gateway.identifiers import KitRef
from gateway.topics import TopicScheme
from twin_service.errors import SettingsError
from twin_service.ingest.partition import Partition, partition_of
from twin_service.runtime import subscriptions_for
from twin_service.settings import Settings, load_settings
from twin_service.twins.replica import ReplicaTwin, decode_state, encode_state, state_error
from twin_service.twins.twin import Twin, ValueEntry

TOKEN_ENV = {"ACCESSTWIN_API_TOKEN": "a-long-enough-test-token"}


def settings(**env: str) -> Settings:
    return load_settings({**TOKEN_ENV, **{f"ACCESSTWIN_{k}": v for k, v in env.items()}})


def test_every_kit_belongs_to_exactly_one_partition_and_the_split_is_even() -> None:
    kits = [(f"lab{i % 7}", f"kit{i}") for i in range(3_000)]
    parts = [Partition(i, 3) for i in range(3)]
    owners = [[p.index for p in parts if p.owns(lab, kit)] for lab, kit in kits]
    assert all(len(o) == 1 for o in owners)
    counts = [sum(1 for o in owners if o == [i]) for i in range(3)]
    assert min(counts) > 900  # about 1,000 each
    # Stable across processes and runs: a fixed hash, not Python's salted hash().
    assert partition_of("ward1", "k1", 2) == partition_of("ward1", "k1", 2)
    assert Partition().owns("any", "kit")


@pytest.mark.parametrize("text", ["2/2", "-1/2", "1", "a/b", "0/0", "0/2000"])
def test_a_bad_partition_is_one_line_naming_the_setting(text: str) -> None:
    with pytest.raises(SettingsError, match=r"^ACCESSTWIN_PARTITION: "):
        settings(PARTITION=text)


def test_bad_role_and_share_group_are_refused() -> None:
    with pytest.raises(SettingsError, match=r"^ACCESSTWIN_ROLE: "):
        settings(ROLE="boss")
    with pytest.raises(SettingsError, match=r"^ACCESSTWIN_MQTT_SHARE_GROUP: "):
        settings(MQTT_SHARE_GROUP="a/b")


def test_client_ids_differ_per_partition_and_api_replica() -> None:
    assert settings().client_id == "accesstwin-gateway"
    assert settings(PARTITION="1/3").client_id == "accesstwin-gateway-1of3"
    assert settings(ROLE="api").client_id.startswith("accesstwin-gateway-api-")


def test_subscriptions_by_role_and_share_group() -> None:
    p = "accesstwin/v1"
    assert subscriptions_for(settings()) == [
        f"{p}/+/+/telemetry",
        f"{p}/+/+/input",
        f"{p}/+/+/status",
        f"{p}/+/+/desired",
    ]
    shared = subscriptions_for(settings(MQTT_SHARE_GROUP="gw", ROLE="gateway"))
    assert shared == [
        f"$share/gw/{p}/+/+/telemetry",
        f"$share/gw/{p}/+/+/input",
        f"{p}/+/+/status",  # retained messages are not delivered to shared subscriptions
        f"{p}/+/+/desired",
    ]
    assert subscriptions_for(settings(ROLE="api")) == [f"{p}/_twin/+/+", f"{p}/+/+/input"]


def gateway_twin(version: int, hr: float, ts: float, online: bool = True) -> Twin:
    twin = Twin(KitRef("ward1", "k1"), version=version, online=online, updated_at=ts)
    twin.reported["hr"] = ValueEntry(hr, "bpm", ts, ts + 0.1)
    twin.derived["hr_ppg"] = ValueEntry(hr - 1, "bpm", ts, ts + 0.1)
    return twin


def test_a_replica_takes_newer_states_and_sends_only_what_changed() -> None:
    replica = ReplicaTwin(Twin(KitRef("ward1", "k1")))
    first = replica.apply(decode_state(encode_state(gateway_twin(3, 70, 100.0), epoch=1.0)))
    assert first is not None
    assert first.version == 1
    assert set(first.reported) == {"hr"} and set(first.derived) == {"hr_ppg"}
    newer = gateway_twin(4, 70, 100.0)
    newer.reported["spo2"] = ValueEntry(97, "%", 101.0, 101.1)
    change = replica.apply(decode_state(encode_state(newer, epoch=1.0)))
    assert change is not None
    assert change.to_frame()["reported"] == {
        "spo2": {"value": 97.0, "unit": "%", "ts": 101.0, "received_at": 101.1}
    }
    assert change.derived == {}
    assert change.version == 2
    # An older state (redelivered, or from before a restart) changes nothing.
    assert replica.apply(decode_state(encode_state(gateway_twin(2, 50, 90.0), epoch=1.0))) is None
    assert replica.twin.reported["hr"].value == 70
    # A restarted gateway (new epoch) starts its versions again: still newer.
    restarted = replica.apply(decode_state(encode_state(gateway_twin(1, 80, 102.0), epoch=2.0)))
    assert restarted is not None
    assert restarted.version == 3
    assert replica.twin.reported["hr"].value == 80
    assert "spo2" not in replica.twin.reported  # the state is the gateway's, whole
    # Restarted again, it re-reads messages it had published before it committed them:
    # its state is newer (epoch), its hr older; the replica's hr does not go back in time.
    again = gateway_twin(1, 75, 101.5)
    again.reported["spo2"] = ValueEntry(95, "%", 101.5, 101.6)
    change = replica.apply(decode_state(encode_state(again, epoch=3.0)))
    assert change is not None and set(change.reported) == {"spo2"}
    assert (replica.twin.reported["hr"].value, replica.twin.reported["hr"].ts) == (80, 102.0)


def test_state_topic_and_document() -> None:
    topics = TopicScheme("p/v1")
    assert topics.twin_topic(KitRef("ward1", "k1")) == "p/v1/_twin/ward1/k1"
    assert topics.twin_filter() == "p/v1/_twin/+/+"
    twin = gateway_twin(7, 72, 100.0)
    twin.desired = {"metronome_bpm": 110}
    twin.desired_version = 2
    doc = json.loads(encode_state(twin, epoch=5.5))
    state = decode_state(json.dumps(doc).encode())
    assert (state.epoch, state.version, state.online, state.desired_version) == (5.5, 7, True, 2)
    assert state.reported == twin.reported and state.derived == twin.derived
    assert state.desired == {"metronome_bpm": 110}


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[]", "format"),
        (b'{"format": 2}', "format"),
        (b'{"format": 1, "epoch": "x", "version": 1}', "epoch"),
        (b'{"format": 1, "epoch": 1, "version": 1.5}', "version"),
        (
            b'{"format": 1, "epoch": 1, "version": 1, "desired": {}, "desired_version": 0,'
            b' "reported": {"hr": [1, "bpm", 1]}, "derived": {}}',
            "reported.hr",
        ),
        (
            b'{"format": 1, "epoch": 1, "version": 1, "desired": {}, "desired_version": 0,'
            b' "reported": {"hr": [NaN, "bpm", 1, 1]}, "derived": {}}',
            "reported.hr",
        ),
    ],
)
def test_a_malformed_state_is_refused_with_its_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_state(payload)


def test_serve_flags_reach_the_settings_and_a_bad_one_stops_start_up(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twin_service.cli import _overrides, build_parser, main

    args = build_parser().parse_args(
        ["serve", "--role", "gateway", "--partition", "1/4", "--mqtt-share-group", "gw"]
    )
    built = load_settings(TOKEN_ENV, overrides=_overrides(args))
    assert (built.role, built.owned, built.mqtt_share_group) == ("gateway", Partition(1, 4), "gw")
    monkeypatch.setenv("ACCESSTWIN_API_TOKEN", TOKEN_ENV["ACCESSTWIN_API_TOKEN"])
    assert main(["serve", "--partition", "4/4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("accesstwin: ACCESSTWIN_PARTITION: ")


async def test_a_gateway_publishes_the_state_only_of_kits_whose_telemetry_it_took() -> None:
    import asyncio
    import time

    from gateway.mqtt_client import InboundMessage
    from twin_service.runtime import Runtime
    from twin_service.store.memory import MemoryStore

    runtime = Runtime(settings(ROLE="gateway", STORE="memory://"), store=MemoryStore())
    published: list[str] = []
    runtime.mqtt.publish = lambda topic, *a, **kw: published.append(topic) or True  # type: ignore[method-assign]
    runtime.mqtt.ack = lambda message: None  # type: ignore[method-assign]
    runtime.mqtt._connected.set()
    now = time.time()
    p = runtime.settings.topics.prefix
    # Every gateway sees every kit's status; only one takes kit "mine"'s telemetry.
    runtime._on_message(InboundMessage(f"{p}/w/theirs/status", b"online", 1, True, 1, now, 1))
    runtime._on_message(InboundMessage(f"{p}/w/mine/status", b"online", 1, True, 2, now, 1))
    body = b'{"ts": %f, "seq": 1, "readings": {"hr": 70}}' % now
    runtime._on_message(InboundMessage(f"{p}/w/mine/telemetry", body, 1, False, 3, now, 1))
    task = asyncio.create_task(runtime._publish_twin_states())
    await asyncio.sleep(0.2)
    task.cancel()
    states = [t for t in published if "/_twin/" in t]
    assert states == [f"{p}/_twin/w/mine"]  # once, and never the status-only twin


NOW_S = 1_800_000_000.0


def forged(**changes: object) -> bytes:
    doc = json.loads(encode_state(gateway_twin(3, 70, NOW_S), epoch=NOW_S - 10))
    doc.update(changes)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (forged(epoch=1e300), "future"),
        (forged(updated_at=NOW_S + 3_600), "future"),
        (forged(reported={"hr": [70, "bpm", NOW_S + 3_600, NOW_S]}), "future"),
        (forged(reported={"hr": [70, "furlongs", NOW_S, NOW_S]}), "unit"),
        (forged(reported={"x": [1, "u" * 17, NOW_S, NOW_S]}), "unit"),
        (forged(reported={"bad name": [1, "", NOW_S, NOW_S]}), "sensor name"),
        (forged(reported={f"s{i}": [1, "", NOW_S, NOW_S] for i in range(129)}), "129 sensors"),
    ],
)
def test_a_replica_refuses_a_state_no_gateway_could_have_published(
    payload: bytes, reason: str
) -> None:
    error = state_error(decode_state(payload), NOW_S, max_sensors=128)
    assert error is not None and reason in error


def test_a_replica_takes_a_state_a_gateway_publishes() -> None:
    assert state_error(decode_state(forged()), NOW_S, max_sensors=128) is None
