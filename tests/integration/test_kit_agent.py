"""The kit agent against a real Mosquitto and a real ``accesstwin serve``.

(a) The broker is stopped for 30 s while a simulated kit runs: after it returns, every
sample produced during the outage reaches the twin's history in order, with its
original timestamp, exactly once. (b) A desired-state change pushed through the HTTP
API reaches a kit started with ``accesstwin kit --simulate`` and comes back as reported
state, emptying the delta.

This file's broker keeps its state across the restart (``persistence true``), as a
production Mosquitto does: with ``persistence false`` a restarted broker has forgotten
the gateway's persistent session, and whatever a kit replays before the gateway has
resubscribed is acknowledged to the kit and then dropped for want of a subscriber, a
loss no kit-side spool can prevent.
"""

from __future__ import annotations

import asyncio
import getpass
import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devices.agent import AgentOptions, KitAgent, Spool
from devices.agent.simulated import simulated_kit
from gateway.identifiers import KitRef
from gateway.mqtt_url import parse_broker_url
from gateway.topics import TopicScheme
from tests.support.broker import free_port, wait_for_port
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

OUTAGE_S = 30.0
# ``user``: a Mosquitto started as root would switch to the "mosquitto" user and could not
# write its persistence file in the test's directory; as anyone else the option is ignored.
CONF = """\
user {user}
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {dir}/
autosave_interval 1
max_queued_messages 200000
max_inflight_messages 1000
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
"""


class RestartableMosquitto:
    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.conf = workdir / "mosquitto.conf"
        self.conf.write_text(CONF.format(port=self.port, dir=workdir, user=getpass.getuser()))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = "/usr/sbin/mosquitto" if os.path.exists("/usr/sbin/mosquitto") else "mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)])
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # SIGTERM: sessions are saved to the persistence file
            self.process.wait(10)
            self.process = None


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[RestartableMosquitto]:
    workdir = tmp_path / "mosquitto"
    workdir.mkdir()
    mosquitto = RestartableMosquitto(workdir)
    mosquitto.start()
    try:
        yield mosquitto
    finally:
        mosquitto.stop()


def depth_samples(produced: list[dict[str, Any]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for message in produced:
        body = message.get("waveforms", {}).get("depth_mm")
        if body:
            rate = float(body["rate_hz"])
            out += [(message["ts"] + i / rate, float(v)) for i, v in enumerate(body["samples"])]
    return out


async def poll(check: Any, timeout: float, interval: float = 0.25) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(interval)


class InProcessKit:
    """``accesstwin serve`` as a process plus a simulated kit agent in this event loop."""

    def __init__(self, broker: RestartableMosquitto, tmp_path: Path, kit: str) -> None:
        self.service = ServiceProcess(mqtt_url=broker.url, db_path=tmp_path / "twin.db")
        self.kit = KitRef("lab", kit)
        self.produced: list[dict[str, Any]] = []
        self.spool = Spool(tmp_path / "kit.spool.db")
        sensors, actuators = simulated_kit("cpr", seed=7)
        self.agent = KitAgent(
            self.kit,
            TopicScheme(self.service.prefix),
            parse_broker_url(broker.url),
            self.spool,
            sensors,
            actuators,
            AgentOptions(chunk_samples=10, reconnect_max_s=1.0),
            on_spooled=self._record,
        )
        self.stop = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def _record(self, channel: str, body: dict[str, Any]) -> None:
        if channel == "telemetry":
            self.produced.append(body)

    async def start(self) -> None:
        await asyncio.to_thread(self.service.start)
        self.task = asyncio.create_task(self.agent.run(self.stop))
        assert await poll(lambda: self.agent.client.connected, 10, 0.05)

    async def stop_agent(self) -> None:
        self.stop.set()
        if self.task is not None:
            await self.task

    async def history_points(self) -> list[list[float]]:
        """The twin's depth_mm history once it holds as many samples as were produced."""
        samples = depth_samples(self.produced)
        path = f"/api/v1/twins/{self.kit.lab}/{self.kit.kit}/history"

        def fetch() -> list[list[float]]:
            start = samples[0][0] - 0.001
            got = self.service.get(path, sensor="depth_mm", start=start, limit=10_000)
            return list(got["points"])

        await poll(lambda: len(fetch()) >= len(samples), 120, 0.5)
        return await asyncio.to_thread(fetch)

    async def close(self) -> None:
        await self.stop_agent()
        await asyncio.to_thread(self.service.stop)
        self.spool.close()


def assert_exactly_once_in_order(points: list[list[float]], produced: list[dict[str, Any]]) -> None:
    samples = depth_samples(produced)
    stamps = [ts for ts, _ in points]
    assert stamps == sorted(stamps)
    assert len(stamps) == len(set(stamps)), "a sample was stored twice"
    assert len(points) == len(samples), f"{len(samples) - len(points)} samples missing"
    for (ts, value), (want_ts, want_value) in zip(points, samples, strict=True):
        assert ts == pytest.approx(want_ts, abs=1e-6)  # the device's own time, not re-stamped
        assert value == pytest.approx(want_value)


@pytest.mark.timeout(300)
async def test_outage_samples_reach_history_once_in_order_with_original_ts(
    broker: RestartableMosquitto, tmp_path: Path
) -> None:
    kit = InProcessKit(broker, tmp_path, "kit-outage")
    await kit.start()
    spool = kit.spool
    try:
        await asyncio.sleep(3.0)
        assert len(spool) < 20
        await asyncio.to_thread(broker.stop)
        outage_start, produced_before = time.time(), len(kit.produced)
        await asyncio.sleep(OUTAGE_S)
        spooled = len(spool)
        outage_messages = kit.produced[produced_before:]
        await asyncio.to_thread(broker.start)
        outage_end, restarted = time.time(), time.monotonic()
        assert await poll(lambda: kit.agent.client.connected, 30, 0.01)
        reconnect_s, connected = time.monotonic() - restarted, time.monotonic()
        assert await poll(lambda: len(spool) == 0, 60, 0.01), f"{len(spool)} still spooled"
        replay_s = time.monotonic() - connected
        await asyncio.sleep(2.0)
        await kit.stop_agent()
        points = await kit.history_points()
    finally:
        await kit.close()
    outage_samples = depth_samples(outage_messages)
    print(
        f"\noutage {OUTAGE_S:.0f} s: {len(outage_messages)} messages / {len(outage_samples)} "
        f"samples produced, {spooled} messages spooled; reconnected {reconnect_s:.2f} s after "
        f"the broker restart, spool empty {replay_s:.2f} s later; "
        f"{len(points)} samples in history"
    )
    assert len(outage_samples) >= 0.9 * OUTAGE_S * 50
    assert spooled >= len(outage_messages)
    assert all(outage_start - 1 <= ts <= outage_end + 1 for ts, _ in outage_samples)
    assert_exactly_once_in_order(points, kit.produced)
    assert spool.dropped == 0


@pytest.mark.timeout(300)
async def test_messages_in_flight_when_the_broker_dies_are_resent(
    broker: RestartableMosquitto, tmp_path: Path
) -> None:
    kit = InProcessKit(broker, tmp_path, "kit-frozen")
    await kit.start()
    agent = kit.agent
    try:
        await asyncio.sleep(3.0)
        assert broker.process is not None
        broker.process.send_signal(signal.SIGSTOP)  # frozen: no PUBACK comes back
        frozen_at = time.monotonic()
        max_inflight = 0

        def watch() -> bool:
            nonlocal max_inflight
            max_inflight = max(max_inflight, agent.outbox.inflight)
            return not agent.client.connected

        assert await poll(watch, 90, 0.05), "keepalive never noticed the frozen broker"
        noticed_s = time.monotonic() - frozen_at
        broker.process.send_signal(signal.SIGKILL)  # no will, no save: as after a power cut
        broker.process.wait(10)
        broker.process = None
        await asyncio.to_thread(broker.start)
        assert await poll(lambda: len(kit.spool) == 0 and agent.connections >= 2, 60, 0.05)
        await asyncio.sleep(2.0)
        await kit.stop_agent()
        points = await kit.history_points()
    finally:
        if broker.process is not None:
            broker.process.send_signal(signal.SIGCONT)
        await kit.close()
    print(
        f"\nfrozen broker noticed after {noticed_s:.1f} s; {max_inflight} messages were in "
        f"flight; resent {agent.outbox.resent}; {len(points)} samples in history"
    )
    assert max_inflight > 10
    assert agent.outbox.resent >= max_inflight
    assert_exactly_once_in_order(points, kit.produced)


@pytest.mark.timeout(120)
def test_desired_state_reaches_the_simulated_kit_and_comes_back_reported(
    service: ServiceProcess, tmp_path: Path
) -> None:
    lab, kit = "lab", "kit-desired"
    env = dict(
        os.environ, ACCESSTWIN_MQTT_URL=service.mqtt_url, ACCESSTWIN_MQTT_PREFIX=service.prefix
    )
    log_path = tmp_path / "kit.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "twin_service.cli", "kit", "--lab", lab, "--kit", kit,
             "--simulate", "mixed", "--spool", str(tmp_path / "kit.spool.db")],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    twin_path = f"/api/v1/twins/{lab}/{kit}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if service.get(twin_path)["online"]:
                    break
            except httpx.HTTPStatusError:
                pass
            time.sleep(0.2)
        desired = {
            "led": True,
            "buzzer": True,
            "metronome_bpm": 104,
            "cpr_depth_mm": 45,
            "sample_rate_hz": 100,
            "colour": "red",
        }
        response = httpx.put(
            service.base_url + twin_path + "/desired", json=desired, headers=service.headers
        )
        assert response.status_code == 200, response.text
        twin: dict[str, Any] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            twin = service.get(twin_path)
            if "desired_version" in twin["reported"]:
                break
            time.sleep(0.2)
        reported = {k: v["value"] for k, v in twin["reported"].items()}
        assert reported["desired_version"] == 1
        for key in ("led", "buzzer", "metronome_bpm", "cpr_depth_mm", "sample_rate_hz"):
            assert reported[key] == desired[key], key
        assert twin["delta"] == {"colour": "red"}  # the key the kit does not know stays
        time.sleep(1.0)  # the simulated depth sensor now samples at 100 Hz
        points = service.get(twin_path + "/history", sensor="depth_mm", limit=20)["points"]
        steps = [b[0] - a[0] for a, b in itertools.pairwise(points)]
        assert steps and max(steps) == pytest.approx(0.01, abs=1e-4)
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(20)
    output = log_path.read_text()
    assert code == 0, output
    assert "desired version 1 applied" in output
    assert "stopped" in output
    deadline = time.monotonic() + 10
    while service.get(twin_path)["online"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert service.get(twin_path)["online"] is False
