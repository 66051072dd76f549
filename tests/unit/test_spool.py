"""The kit's on-disk spool and the outbox that publishes from it (no broker needed)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from devices.agent.outbox import Outbox
from devices.agent.spool import Spool


def payloads(spool: Spool) -> list[bytes]:
    return [e.payload for e in spool.oldest(10_000)]


def test_messages_come_back_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    ids = [spool.put("t", f"m{i}".encode()) for i in range(5)]
    assert ids == sorted(ids)
    assert payloads(spool) == [b"m0", b"m1", b"m2", b"m3", b"m4"]
    assert [e.payload for e in spool.after(ids[1], 2)] == [b"m2", b"m3"]
    assert len(spool) == 5


def test_bounded_oldest_dropped_and_counted_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    spool = Spool(tmp_path / "s.db", max_messages=3)
    with caplog.at_level(logging.WARNING, logger="devices.agent.spool"):
        for i in range(7):
            spool.put("t", f"m{i}".encode())
    assert len(spool) == 3
    assert payloads(spool) == [b"m4", b"m5", b"m6"]
    assert spool.dropped == 4
    assert "spool full (3 messages): dropped the 1 oldest" in caplog.text
    assert len(caplog.records) == 1  # repeated drops are rate-limited


def test_delete_only_what_was_acknowledged(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db")
    ids = [spool.put("t", f"m{i}".encode()) for i in range(4)]
    assert spool.delete([ids[1], ids[2]]) == 2
    assert spool.delete([ids[1]]) == 0  # a late second ack deletes nothing
    assert payloads(spool) == [b"m0", b"m3"]
    assert len(spool) == 2


def test_survives_reopen_with_messages_drop_count_and_seq(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path, max_messages=2)
    for i in range(3):
        spool.put("t", f"m{i}".encode())
    assert [spool.next_seq("telemetry") for _ in range(3)] == [1, 2, 3]
    assert spool.next_seq("input") == 1
    spool.close()
    again = Spool(path, max_messages=2)
    assert payloads(again) == [b"m1", b"m2"]
    assert again.dropped == 1
    assert again.next_seq("telemetry") == 4  # clean close: no gap
    assert again.next_seq("input") == 2


def test_seq_never_repeats_after_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    spool = Spool(path, seq_block=100)
    used = [spool.next_seq("telemetry") for _ in range(150)]
    # no close(): as after a power cut
    crashed = Spool(path, seq_block=100)
    after = crashed.next_seq("telemetry")
    assert after > max(used)
    assert after == 201  # skipped to the end of the reserved block


class FakeBroker:
    """Hands out paho-like message ids and records what was published."""

    def __init__(self) -> None:
        self.mids = iter(range(1, 1_000_000))
        self.sent: list[tuple[int, bytes]] = []
        self.up = True

    def publish(self, topic: str, payload: bytes) -> int | None:
        if not self.up:
            return None
        mid = next(self.mids)
        self.sent.append((mid, payload))
        return mid


def test_outbox_publishes_in_order_and_deletes_on_puback_only(tmp_path: Path) -> None:
    broker = FakeBroker()
    outbox = Outbox(Spool(tmp_path / "s.db"), broker.publish, window=2)
    for i in range(5):
        outbox.submit("t", f"m{i}".encode())
    assert [p for _, p in broker.sent] == []  # not connected yet: all spooled
    outbox.on_connected()
    assert [p for _, p in broker.sent] == [b"m0", b"m1"]  # window of 2
    assert len(outbox.spool) == 5
    outbox.on_puback(broker.sent[0][0])
    assert len(outbox.spool) == 4
    assert [p for _, p in broker.sent] == [b"m0", b"m1", b"m2"]
    outbox.on_puback(999)  # not ours: ignored
    assert len(outbox.spool) == 4


def test_outbox_resends_in_flight_messages_after_a_reconnect(tmp_path: Path) -> None:
    broker = FakeBroker()
    outbox = Outbox(Spool(tmp_path / "s.db"), broker.publish, window=3)
    outbox.on_connected()
    for i in range(4):
        outbox.submit("t", f"m{i}".encode())
    first_mid = broker.sent[0][0]
    outbox.on_puback(first_mid)  # m0 acknowledged; m1, m2, m3 in flight
    stale_mid = broker.sent[1][0]
    outbox.on_disconnected()  # the connection drops before their PUBACKs
    outbox.submit("t", b"m4")  # produced while offline
    outbox.on_puback(stale_mid)  # a PUBACK from the old connection cannot count
    assert payloads(outbox.spool) == [b"m1", b"m2", b"m3", b"m4"]
    broker.sent.clear()
    outbox.on_connected()
    assert [p for _, p in broker.sent] == [b"m1", b"m2", b"m3"]  # oldest first, resent
    for mid, _ in list(broker.sent):
        outbox.on_puback(mid)
    outbox.on_puback(broker.sent[-1][0])
    assert [p for _, p in broker.sent] == [b"m1", b"m2", b"m3", b"m4"]
    assert outbox.resent == 3
    assert len(outbox.spool) == 0


def test_outbox_keeps_messages_paho_could_not_send(tmp_path: Path) -> None:
    broker = FakeBroker()
    outbox = Outbox(Spool(tmp_path / "s.db"), broker.publish)
    outbox.on_connected()
    broker.up = False  # socket gone, disconnect not noticed yet
    outbox.submit("t", b"m0")
    assert outbox.inflight == 0 and len(outbox.spool) == 1
    broker.up = True
    outbox.on_disconnected()
    outbox.on_connected()
    assert [p for _, p in broker.sent] == [b"m0"]


def test_outbox_drops_switch_presses_too_old_to_send_but_replays_telemetry(
    tmp_path: Path,
) -> None:
    broker = FakeBroker()
    now = [1_000.0]
    outbox = Outbox(
        Spool(tmp_path / "s.db"),
        broker.publish,
        window=2,
        max_age_s={"input": 2.0},
        clock=lambda: now[0],
    )
    # A broker outage: telemetry and two presses wait in the spool.
    outbox.submit("telemetry", b"t0")
    outbox.submit("input", b"old press")
    outbox.submit("telemetry", b"t1")
    outbox.submit("input", b"old release")
    now[0] += 30.0
    outbox.submit("input", b"fresh press")  # made just now
    outbox.submit("telemetry", b"t2")
    outbox.on_connected()
    for _ in range(5):
        for mid, _payload in list(broker.sent):
            outbox.on_puback(mid)
    assert [p for _, p in broker.sent] == [b"t0", b"t1", b"fresh press", b"t2"]
    assert outbox.expired == 2
    assert len(outbox.spool) == 0
    # Live presses go out at once while connected.
    outbox.submit("input", b"live press")
    assert broker.sent[-1][1] == b"live press"


def test_the_kit_agent_replays_telemetry_but_not_stale_switch_presses(tmp_path: Path) -> None:
    from devices.agent import KitAgent
    from devices.agent.actuators import QuietActuators
    from gateway.identifiers import KitRef
    from gateway.mqtt_url import BrokerAddress
    from gateway.topics import Channel, TopicScheme

    now = [1_764_060_000.0]
    kit, scheme = KitRef("lab", "k-spool"), TopicScheme("test-spool/v1")
    agent = KitAgent(
        kit, scheme, BrokerAddress("127.0.0.1", 1), Spool(tmp_path / "s.db"), [],
        QuietActuators(), clock=lambda: now[0],
    )  # fmt: skip
    broker = FakeBroker()
    agent.outbox.publish = lambda topic, payload: broker.publish(topic, topic.encode())
    # Offline: a press and telemetry wait in the spool for 10 s.
    agent._on_switch({"ts": now[0], "seq": 1, "switch": "select", "state": "down"})
    agent._send_telemetry({"ts": now[0], "readings": {"hr": 70}})
    now[0] += 10.0
    agent.outbox.on_connected()
    telemetry, switch = (scheme.kit_topic(kit, c) for c in (Channel.TELEMETRY, Channel.INPUT))
    assert [p.decode() for _, p in broker.sent] == [telemetry]
    # A press made while connected goes out.
    agent._on_switch({"ts": now[0], "seq": 2, "switch": "select", "state": "down"})
    assert [p.decode() for _, p in broker.sent] == [telemetry, switch]


def test_the_kit_agent_reports_the_spool_drop_count_to_the_twin(tmp_path: Path) -> None:
    """A long outage overflowed the spool: on reconnecting, the agent replays what is left,
    oldest first, then tells the twin how many messages were lost (``spool_dropped``)."""
    import json

    from devices.agent import KitAgent
    from devices.agent.actuators import QuietActuators
    from gateway.identifiers import KitRef
    from gateway.mqtt_url import BrokerAddress
    from gateway.telemetry import Reading, Telemetry, parse_telemetry
    from gateway.topics import TopicScheme

    now = [1_764_060_000.0]
    agent = KitAgent(
        KitRef("lab", "k-drop"), TopicScheme("test-drop/v1"), BrokerAddress("127.0.0.1", 1),
        Spool(tmp_path / "s.db", max_messages=4), [], QuietActuators(), clock=lambda: now[0],
    )  # fmt: skip
    broker = FakeBroker()
    agent.outbox.publish = broker.publish
    for i in range(7):  # offline: 7 readings into a 4-message spool
        agent._send_telemetry({"ts": now[0] + i, "readings": {"hr": 60 + i}})
    assert agent.spool.dropped == 3
    now[0] += 60.0
    agent._on_connection(True)
    for mid, _ in list(broker.sent):
        agent.outbox.on_puback(mid)
    sent = [json.loads(p) for _, p in broker.sent]
    # Spooling the report into the full spool dropped one more (hr 63), and it says so.
    assert [m["readings"] for m in sent] == [
        {"hr": 64}, {"hr": 65}, {"hr": 66}, {"spool_dropped": 4},
    ]  # fmt: skip
    assert agent.spool.dropped == 4
    last = sent[-1]
    assert last["ts"] == now[0] and last["seq"] > sent[-2]["seq"]
    # A contract telemetry message the gateway accepts (unknown sensors are unitless).
    parsed = parse_telemetry(json.dumps(last).encode(), received_at=now[0])
    assert isinstance(parsed, Telemetry) and not parsed.dropped
    assert parsed.readings == (Reading("spool_dropped", 4.0, ""),)
