"""The demo's simulated kit applies desired state from a real broker and reports it back.

``accesstwin demo`` pushes each session's scenario (``vitals``: ``patient:
deteriorating``) to the kit's retained ``desired`` topic; the kit applies it and answers
with telemetry readings (``desired_version`` and the applied keys).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from typing import Any

import pytest

from accessibility.scenario import load_scenario
from devices.simulated_kit import run_simulated_kit
from gateway.identifiers import KitRef
from gateway.mqtt_url import parse_broker_url
from gateway.topics import Channel, TopicScheme
from tests.support.mqtt import Collector, Publisher

pytestmark = pytest.mark.integration


async def test_a_demo_kit_applies_the_vitals_scenario_and_reports_it(mqtt_url: str) -> None:
    tag = uuid.uuid4().hex[:10]
    scheme = TopicScheme(f"test-{tag}/v1")
    kit = KitRef("lab", f"kit-{tag}")
    desired_topic = scheme.kit_topic(kit, Channel.DESIRED)
    telemetry = Collector(mqtt_url, scheme.kit_topic(kit, Channel.TELEMETRY))
    publisher = Publisher(mqtt_url)
    body = {"version": 3, "desired": dict(load_scenario("vitals").desired)}
    publisher.send(desired_topic, body, retain=True)
    publisher.flush()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_simulated_kit(
            parse_broker_url(mqtt_url), scheme, kit, "vitals", stop, client_id=f"test-kit-{tag}"
        )
    )
    report: dict[str, Any] | None = None
    try:
        deadline = time.monotonic() + 20
        while report is None and time.monotonic() < deadline and not task.done():
            await asyncio.sleep(0.1)
            for _, payload in list(telemetry.messages):
                message = json.loads(payload)
                if "desired_version" in message.get("readings", {}):
                    report = message
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
        publisher.send(desired_topic, b"", retain=True)  # clear the retained message
        publisher.close()
        telemetry.close()
    assert report is not None, "the kit never reported the desired state"
    assert report["readings"] == {"desired_version": 3, "scenario": 3, "patient": 3}
    seqs = [json.loads(p)["seq"] for _, p in telemetry.messages]
    assert len(seqs) == len(set(seqs))  # the report has a seq of its own
