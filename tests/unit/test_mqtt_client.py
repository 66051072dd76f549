"""The paho boundary: what reaches the service from a raw MQTT message."""

from __future__ import annotations

import time
from types import SimpleNamespace

import paho.mqtt.client as paho

from gateway.mqtt_client import InboundMessage, MqttClient
from gateway.mqtt_url import parse_broker_url
from tests.unit.pipeline_rig import PipelineRig


def receive(topic: bytes, payload: bytes) -> list[InboundMessage]:
    """Hand ``MqttClient`` one message as paho would, and return what it passed on."""
    inbound: list[InboundMessage] = []
    client = MqttClient(parse_broker_url("mqtt://127.0.0.1:1883"), "test", inbound.append)
    message = paho.MQTTMessage(mid=7, topic=topic)
    message.payload, message.qos = payload, 1
    client._handle_message(client._client, None, message)
    return inbound


def test_a_message_is_converted_with_its_topic() -> None:
    (message,) = receive(b"p/lab/kit/status", b"online")
    assert (message.topic, message.payload, message.mid, message.qos) == (
        "p/lab/kit/status",
        b"online",
        7,
        1,
    )
    assert message.topic_is_utf8 and abs(message.received_at - time.time()) < 5


def test_a_topic_that_is_not_utf8_is_a_counted_rejection_under_unknown() -> None:
    (message,) = receive(b"p/lab/k\xff/telemetry", b'{"ts": 1, "seq": 1}')
    assert not message.topic_is_utf8
    assert message.topic == "p/lab/k\\xff/telemetry"
    rig = PipelineRig()
    rig.pipeline.handle(message)
    assert rig.acked == [7]
    ((topic, rejection),) = rig.published
    assert topic == "p/_rejected/_unknown/_unknown"
    assert rejection["reason"] == "topic is not valid UTF-8"
    assert rejection["topic"] == "p/lab/k\\xff/telemetry"
    assert rig.rejected_total("topic") == 1


def _connect_as_paho_would(client: MqttClient) -> None:
    flags, reason = SimpleNamespace(session_present=False), SimpleNamespace(is_failure=False)
    client._handle_connect(client._client, None, flags, reason, None)


def test_a_publisher_with_its_own_outbox_gets_ids_and_pubacks_and_paho_resends_nothing() -> None:
    acked: list[int] = []
    broker = parse_broker_url("mqtt://127.0.0.1:1883")
    client = MqttClient(broker, "kit", lambda m: None, on_puback=acked.append, resend_unacked=False)
    # Not connected: paho refuses the message (None) but keeps it queued for the connection.
    assert client.publish_with_id("p/l/k/telemetry", b"{}") is None
    _connect_as_paho_would(client)
    assert client._client.drop_out_messages() == []  # dropped on connect: the caller resends
    client._client.on_publish(client._client, None, 5, None, None)
    assert acked == [5]


def test_by_default_paho_keeps_unacknowledged_messages_to_resend_them() -> None:
    client = MqttClient(parse_broker_url("mqtt://127.0.0.1:1883"), "gw", lambda m: None)
    client.publish_with_id("p/l/k/desired", b"{}")
    _connect_as_paho_would(client)
    assert len(client._client.drop_out_messages()) == 1
