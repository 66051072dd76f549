"""Issue 15, must-show 5 (kit part): the learner's hold_ms applies to a kit's switch over
MQTT exactly as to keys: a 100 ms press is ignored and a 400 ms press selects.

A real private Mosquitto and ``accesstwin serve``; a kit whose clock runs 5 s behind the
service's reports telemetry (the service learns its clock offset) and then sends contract
``P/{lab}/{kit}/input`` down/up messages, in real time, stamped with its own clock.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = pytest.mark.integration

SKEW_S = -5.0  # the kit's clock runs 5 s behind


def test_hold_ms_applies_to_kit_switches_over_mqtt(service: ServiceProcess) -> None:
    client = httpx.Client(base_url=service.base_url, headers=service.headers, timeout=10)
    put = client.put("/api/v1/learners/kit-hold/profile", json={"hold_ms": 300})
    assert put.status_code == 200 and put.json()["hold_ms"] == 300
    base = f"{service.prefix}/ward/khold"
    publisher = Publisher(service.mqtt_url)
    seq = iter(range(1, 10_000))
    try:
        created = client.post(
            "/api/v1/sessions",
            json={"learner_id": "kit-hold", "lab": "ward", "kit": "khold", "scenario": "vitals"},
        )
        assert created.status_code == 201, created.text
        sid = created.json()["session_id"]
        for i in range(5):  # telemetry: the session learns the kit's clock offset from it
            publisher.send(f"{base}/telemetry", {"ts": time.time() + SKEW_S, "seq": next(seq),
                                                 "readings": {"hr": 80 + i}})  # fmt: skip
            time.sleep(0.1)
        publisher.flush()
        deadline = time.monotonic() + 15
        while (
            client.get("/api/v1/twins/ward/khold")
            .json()
            .get("reported", {})
            .get("hr", {})
            .get("value")
            != 84
        ):
            assert time.monotonic() < deadline, "telemetry never reached the twin"
            time.sleep(0.1)

        def press(hold_s: float) -> None:
            for state in ("down", "up"):
                publisher.send(f"{base}/input", {"ts": time.time() + SKEW_S, "seq": next(seq),
                                                 "switch": "select", "state": state})  # fmt: skip
                publisher.flush()
                if state == "down":
                    time.sleep(hold_s)

        def switch_events() -> list[dict[str, object]]:
            events = client.get(f"/api/v1/sessions/{sid}/events").json()["events"]
            return [e for e in events if e["kind"] == "switch"]

        def wait_events(n: int) -> list[dict[str, object]]:
            deadline = time.monotonic() + 15
            while len(got := switch_events()) < n:
                assert time.monotonic() < deadline, got
                time.sleep(0.1)
            return got

        press(0.1)  # shorter than the 300 ms hold: not a press
        short = wait_events(2)
        assert [e.get("outcome") for e in short[-2:]] == ["none", "ignored"], short
        assert client.get(f"/api/v1/sessions/{sid}").json()["step"] == "observe"
        assert not [e for e in client.get(f"/api/v1/sessions/{sid}/events").json()["events"]
                    if e["kind"] == "choice"]  # fmt: skip
        time.sleep(0.2)  # past the 100 ms debounce after that release
        press(0.4)  # held 400 ms: it selects what was lit when it went down
        deadline = time.monotonic() + 15
        while not (choices := [e for e in client.get(f"/api/v1/sessions/{sid}/events")
                               .json()["events"] if e["kind"] == "choice"]):  # fmt: skip
            assert time.monotonic() < deadline, switch_events()
            time.sleep(0.1)
        assert choices[0]["choice"] in ("normal", "concerned", "_read_vitals"), choices
    finally:
        publisher.close()
