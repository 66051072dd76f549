"""Publish a simulated kit's telemetry over MQTT, paced by the wall clock.

The kit announces itself with a retained ``online`` status and leaves ``offline`` as
its last will, then publishes each chunk of samples (QoS 1) once its time has passed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Literal

from devices.simulation.kit import SimulatedKit
from gateway.identifiers import KitRef
from gateway.mqtt_client import InboundMessage, MqttClient, Will
from gateway.mqtt_url import BrokerAddress
from gateway.topics import Channel, TopicScheme

log = logging.getLogger(__name__)

KitProfile = Literal["vitals", "cpr", "mixed"]
PROFILES: tuple[KitProfile, ...] = ("vitals", "cpr", "mixed")


def _ignore(message: InboundMessage) -> None:
    return None


async def run_simulated_kit(
    broker: BrokerAddress,
    scheme: TopicScheme,
    kit: KitRef,
    profile: KitProfile,
    stop: asyncio.Event,
    *,
    seed: int = 0,
    client_id: str | None = None,
) -> int:
    """Publish until ``stop`` is set; return how many telemetry messages were sent."""
    status_topic = scheme.kit_topic(kit, Channel.STATUS)
    telemetry_topic = scheme.kit_topic(kit, Channel.TELEMETRY)
    client = MqttClient(
        broker,
        client_id or f"accesstwin-kit-{kit.lab}-{kit.kit}",
        _ignore,
        persistent_session=False,
        manual_ack=False,
        will=Will(status_topic, b"offline"),
    )
    runner = asyncio.create_task(client.run())
    sent = 0
    try:
        await client.wait_connected(timeout=30)
        client.publish(status_topic, b"online", qos=1, retain=True)
        simulator = SimulatedKit(profile, seed=seed, start_ts=time.time())
        # seq must keep increasing across runs (the service remembers applied ones); this
        # kit keeps no state, so it starts from its clock.
        seq_base = int(time.time() * 100)
        while not stop.is_set():
            message = simulator.next_message()
            message["seq"] += seq_base
            due = _message_end(message)
            delay = due - time.time()
            if delay > 0:
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                    break
                except TimeoutError:
                    pass
            client.publish(telemetry_topic, json.dumps(message, separators=(",", ":")), qos=1)
            sent += 1
        client.publish(status_topic, b"offline", qos=1, retain=True)
        await asyncio.sleep(0.2)
    finally:
        await client.stop()
        await runner
    return sent


def _message_end(message: dict[str, object]) -> float:
    """Device time at which every sample in the message has been taken."""
    end = float(message["ts"])  # type: ignore[arg-type]
    waveforms = message.get("waveforms") or {}
    assert isinstance(waveforms, dict)
    for body in waveforms.values():
        end = max(end, float(message["ts"]) + len(body["samples"]) / float(body["rate_hz"]))  # type: ignore[arg-type]
    return end
