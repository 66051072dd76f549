"""Issue 5: the kit agent's GPIO switches and its spool, against a real broker and service.

gpiozero's ``MockFactory`` stands in for the Pi's pins: driving the ``select`` pin low and
high makes the real ``KitAgent`` (real ``SwitchBank``, real paho client, real Mosquitto)
publish contract ``input`` messages. A spool that overflowed during an outage shows up
in the twin as the ``spool_dropped`` reading after the agent reconnects.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.agent import AgentOptions, KitAgent, Spool
from devices.agent.actuators import QuietActuators
from devices.drivers.switches import SwitchBank
from gateway.identifiers import KitRef
from gateway.mqtt_url import parse_broker_url
from gateway.topics import Channel, TopicScheme
from tests.support.mqtt import Collector
from tests.support.service import ServiceProcess

pytestmark = pytest.mark.integration

SELECT_PIN, NEXT_PIN = 17, 27


@pytest.fixture
def pins() -> Iterator[Any]:
    pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory

    factory = MockFactory()
    yield factory
    factory.reset()


async def wait_until(check: Any, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def test_a_switch_press_publishes_contract_input_and_drops_reach_the_twin(
    service: ServiceProcess, pins: Any, tmp_path: Path
) -> None:
    kit = KitRef("ward", "sw1")
    scheme = TopicScheme(service.prefix)
    telemetry_topic = scheme.kit_topic(kit, Channel.TELEMETRY)
    # An outage overflowed the spool: 7 readings went into room for 4.
    spool = Spool(tmp_path / "kit.spool.db", max_messages=4)
    t0 = time.time() - 60.0
    for i in range(7):
        body = {"ts": t0 + i, "seq": spool.next_seq("telemetry"), "readings": {"hr": 60 + i}}
        spool.put(telemetry_topic, json.dumps(body).encode())
    assert spool.dropped == 3

    def switches(emit: Any, next_seq: Any, dispatch: Any) -> SwitchBank:
        pin_map: dict[Any, int] = {"select": SELECT_PIN, "next": NEXT_PIN}
        return SwitchBank(pin_map, emit, next_seq, dispatch=dispatch, pin_factory=pins)

    agent = KitAgent(
        kit, scheme, parse_broker_url(service.mqtt_url), spool, [], QuietActuators(),
        AgentOptions(reconnect_max_s=1.0), switches=switches,
    )  # fmt: skip
    inputs = Collector(service.mqtt_url, scheme.kit_topic(kit, Channel.INPUT))
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    try:
        twin_path = f"/api/v1/twins/{kit.lab}/{kit.kit}"

        def dropped_reported() -> Any:
            try:
                return service.get(twin_path)["reported"].get("spool_dropped")
            except Exception:
                return None

        entry = await wait_until(dropped_reported)
        assert entry is not None, "spool_dropped never reached the twin"
        # The report itself, spooled into the full spool, pushed out one more (hr 63).
        assert entry["value"] == 4 and entry["unit"] == ""
        assert spool.dropped == 4
        history = service.get(f"{twin_path}/history", sensor="hr")["points"]
        assert [v for _, v in history] == [64, 65, 66]  # the rest replayed, in order

        # A press and release of the big select switch (gpiozero debounces 50 ms).
        pressed_at = time.time()
        pins.pin(SELECT_PIN).drive_low()
        await asyncio.sleep(0.2)
        pins.pin(SELECT_PIN).drive_high()
        received = await asyncio.to_thread(inputs.wait_for, 2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        inputs.close()
        spool.close()
    assert len(received) == 2, received
    topics = {topic for topic, _ in received}
    assert topics == {f"{service.prefix}/ward/sw1/input"}
    events = [json.loads(payload) for _, payload in received]
    for event in events:
        assert set(event) == {"ts", "seq", "switch", "state"}  # docs/interface.md input payload
        assert isinstance(event["ts"], float) and isinstance(event["seq"], int)
        assert pressed_at - 0.1 <= event["ts"] <= time.time()
    assert [(e["switch"], e["state"]) for e in events] == [("select", "down"), ("select", "up")]
    assert events[1]["seq"] > events[0]["seq"]
    assert events[1]["ts"] - events[0]["ts"] >= 0.15
    assert agent.input_events == 2
