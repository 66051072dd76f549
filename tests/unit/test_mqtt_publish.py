"""Decoding PUBLISH packets from the read buffer (the rest is left to paho)."""

from __future__ import annotations

import struct

import paho.mqtt._packet as paho_packet
import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from gateway.mqtt_publish import Publish, read_publish


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def publish(
    topic: bytes, payload: bytes, qos: int = 1, mid: int = 7, retain: bool = False
) -> bytes:
    body = (
        struct.pack("!H", len(topic)) + topic + (struct.pack("!H", mid) if qos else b"") + payload
    )
    header = 0x30 | (qos << 1) | int(retain)
    return bytes([header]) + remaining_length(len(body)) + body


@pytest.mark.parametrize(
    ("topic", "payload", "qos", "retain"),
    [
        (b"p/lab/kit/telemetry", b'{"ts": 1, "seq": 1}', 1, False),
        (b"p/lab/kit/status", b"online", 1, True),
        (b"p/lab/kit/telemetry", b"x" * 300, 0, False),  # a 2-byte remaining length
        (b"p/lab/kit/telemetry", b"y" * 20_000, 1, False),  # 3 bytes
        (b"p/lab/k\xff/telemetry", b"", 1, False),  # not UTF-8: decoded by the caller
    ],
)
def test_a_publish_is_decoded_as_paho_decodes_it(
    topic: bytes, payload: bytes, qos: int, retain: bool
) -> None:
    packet = b"\xd0\x00" + publish(topic, payload, qos, 4_242, retain) + b"\x40\x02\x00\x01"
    found = read_publish(packet, 2)
    assert found is not None
    decoded, end = found
    assert decoded == Publish(topic, payload, qos, retain, 4_242 if qos else 0)
    assert packet[end:] == b"\x40\x02\x00\x01"  # the next packet starts there
    header_len = 1 + len(remaining_length(end - 2 - 1))
    ours = paho_packet.decode_publish(
        packet[2], packet[2 + header_len : end], MQTTProtocolVersion.MQTTv311
    )
    assert (ours.topic, ours.payload, ours.qos, ours.retain) == (topic, payload, qos, retain)


def test_a_packet_not_yet_all_read_is_left_for_paho() -> None:
    packet = publish(b"p/l/k/telemetry", b'{"seq": 1}')
    for cut in range(len(packet)):
        assert read_publish(packet[:cut], 0) is None
    assert read_publish(packet, 0) is not None


@pytest.mark.parametrize(
    "packet",
    [
        b"\x40\x02\x00\x01",  # PUBACK
        b"\xd0\x00",  # PINGRESP
        b"\x20\x02\x00\x00",  # CONNACK
        publish(b"p/l/k/telemetry", b"{}", qos=2),  # QoS 2 needs paho's PUBREC / PUBREL
        bytes([0x32, 3, 0x00, 0x09, 0x61]),  # a topic longer than the packet
        bytes([0x32, 4, 0x00, 0x00, 0x00, 0x01]),  # an empty topic (refused by MQTT 3.1.1)
        bytes([0x32, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),  # a remaining length of 5 bytes
    ],
)
def test_other_packets_and_malformed_ones_are_left_for_paho(packet: bytes) -> None:
    assert read_publish(packet, 0) is None
