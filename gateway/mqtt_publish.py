"""Decode an MQTT 3.1.1 PUBLISH packet (QoS 0 or 1) from bytes already read.

The ingest hot path's one piece of MQTT of its own (``gateway.mqtt_client``): a
PUBLISH that lies whole in the read buffer is decoded here, in a few slices, rather
than by paho packet by packet; every other packet, a QoS 2 PUBLISH, and a PUBLISH
split across reads are left to paho (None). Layout (MQTT 3.1.1, 3.3): a fixed header
byte ``0x3_`` (DUP, QoS, RETAIN bits), the remaining length (1-4 bytes, 7 bits each),
the topic (2-byte length + bytes), the packet id for QoS > 0, the payload.
"""

from __future__ import annotations

from typing import NamedTuple

PUBLISH_TYPE = 0x30


class Publish(NamedTuple):
    topic: bytes
    payload: bytes
    qos: int
    retain: bool
    mid: int


def read_publish(data: bytes, pos: int) -> tuple[Publish, int] | None:
    """The PUBLISH packet at ``data[pos:]`` and where the next packet starts, or None."""
    end_of_data = len(data)
    if pos >= end_of_data:
        return None
    header = data[pos]
    qos = (header >> 1) & 3
    if header & 0xF0 != PUBLISH_TYPE or qos > 1:
        return None
    length, shift, at = 0, 0, pos + 1
    while True:
        if at >= end_of_data or shift > 21:
            return None  # not all here yet (or malformed: paho judges it)
        byte = data[at]
        at += 1
        length |= (byte & 0x7F) << shift
        if not byte & 0x80:
            break
        shift += 7
    end = at + length
    if end > end_of_data:
        return None
    topic_end = at + 2 + ((data[at] << 8) | data[at + 1]) if length >= 2 else end + 1
    body = topic_end + 2 if qos else topic_end
    if body > end or topic_end == at + 2:
        return None  # malformed (topic longer than the packet, or empty): paho's to refuse
    mid = (data[topic_end] << 8) | data[topic_end + 1] if qos else 0
    return Publish(data[at + 2 : topic_end], data[body:end], qos, bool(header & 1), mid), end
