"""Pure parts of the kit agent: batching, desired state, config, simulated sensors."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from devices.agent.actuators import DesiredApplier, QuietActuators
from devices.agent.batching import WaveformBatcher, reading_messages, waveform_messages
from devices.agent.config import ConfigError, parse_config
from devices.agent.desired import DesiredError, applied_readings, parse_desired
from devices.agent.simulated import simulated_kit
from devices.drivers.base import Sample

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "pi" / "kit.example.toml"


def ramp(sensor: str, t0: float, n: int, rate: float = 50.0, start: int = 0) -> list[Sample]:
    return [Sample(sensor, t0 + i / rate, float(start + i)) for i in range(n)]


def test_batcher_chunks_with_first_sample_ts() -> None:
    batcher = WaveformBatcher(chunk_samples=10)
    chunks = batcher.add(ramp("depth_mm", 100.0, 25), 50.0)
    assert [(c.ts, len(c.samples)) for c in chunks] == [(100.0, 10), (100.2, 10)]
    assert chunks[1].samples[0] == 10.0
    rest = batcher.flush()
    assert [(round(c.ts, 6), len(c.samples)) for c in rest] == [(100.4, 5)]


def test_batcher_starts_a_new_chunk_at_a_gap_or_rate_change() -> None:
    batcher = WaveformBatcher(chunk_samples=10)
    done = batcher.add(ramp("ppg", 0.0, 4) + ramp("ppg", 1.0, 3), 50.0)  # 0.94 s gap
    assert [(c.ts, c.samples) for c in done] == [(0.0, [0.0, 1.0, 2.0, 3.0])]
    done = batcher.add(ramp("ppg", 1.06, 2, rate=100.0), 100.0)
    assert [(c.ts, c.rate_hz, len(c.samples)) for c in done] == [(1.0, 50.0, 3)]


def test_messages_group_by_ts() -> None:
    batcher = WaveformBatcher(chunk_samples=2)
    chunks = batcher.add(ramp("ppg", 5.0, 2) + ramp("depth_mm", 5.0, 2), 50.0)
    [body] = waveform_messages(chunks)
    assert body == {
        "ts": 5.0,
        "waveforms": {
            "ppg": {"rate_hz": 50, "samples": [0, 1]},
            "depth_mm": {"rate_hz": 50, "samples": [0, 1]},
        },
    }
    readings = reading_messages([Sample("hr", 7.0, 72.0), Sample("spo2", 7.0, 97.5)])
    assert readings == [{"ts": 7.0, "readings": {"hr": 72, "spo2": 97.5}}]


def test_desired_known_keys_applied_and_reported() -> None:
    body = {
        "version": 4,
        "desired": {
            "led": True,
            "buzzer": False,
            "metronome_bpm": 100,
            "sample_rate_hz": 100,
            "scenario": "deteriorating",
            "cpr_depth_mm": 45,
            "colour": "red",
            "cpr_rate_per_min": 500,
        },
    }
    plan = parse_desired(json.dumps(body).encode())
    assert plan.unknown == ("colour",)
    assert "cpr_rate_per_min" in plan.errors
    actuators = QuietActuators()
    applier = DesiredApplier(actuators, set_sample_rate=lambda hz: hz)
    applied = applier.apply(plan)
    readings = applied_readings(plan.version, applied)
    assert readings == {
        "desired_version": 4,
        "led": 1,
        "buzzer": 0,
        "metronome_bpm": 100,
        "sample_rate_hz": 100,
        "cpr_depth_mm": 45,
        "scenario": 4,  # a name travels as the desired version that set it
    }
    assert actuators.state["scenario"] == "deteriorating"
    assert actuators.state["metronome_bpm"] == 100.0


def test_desired_metronome_switch_uses_default_tempo() -> None:
    applier = DesiredApplier(QuietActuators())
    plan = parse_desired(b'{"version": 1, "desired": {"metronome": true}}')
    assert applier.apply(plan) == {"metronome": 1.0}
    assert applier.actuators.state["metronome_bpm"] == 110.0  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "payload", [b"nope", b"[]", b'{"desired": {}}', b'{"version": 1, "desired": 3}']
)
def test_desired_unreadable_messages_are_refused(payload: bytes) -> None:
    with pytest.raises(DesiredError):
        parse_desired(payload)


def test_example_config_parses() -> None:
    config = parse_config(tomllib.loads(EXAMPLE.read_text()))
    assert [(s.name, s.driver) for s in config.sensors] == [
        ("ppg", "max30102"),
        ("depth_mm", "vl6180x"),
        ("temp_c", "mcp9808"),
    ]
    assert config.sensors[0].options["address"] == 0x57
    assert config.switch_pins == {"select": 17, "next": 27}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("chunk_sample = 3", "chunk_sample: unknown key"),
        ('[sensors.ppg]\ndriver = "max30100"', "sensors.ppg.driver"),
        ('[sensors.ppg]\ndriver = "max30102"\naddres = 0x57', "sensors.ppg.addres: unknown"),
        ('[sensors.ppg]\ndriver = "max30102"\naddress = 0x99', "not a 7-bit"),
        ('[switches]\nselect = "17"', "switches.select: must be int"),
        ("chunk_samples = 0", "chunk_samples: must be 1..1000"),
    ],
)
def test_config_errors_name_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_config(tomllib.loads(text))


def test_simulated_sensors_emit_every_grid_sample_once() -> None:
    sensors, actuators = simulated_kit("mixed", seed=3)
    ppg = next(s for s in sensors if s.name == "ppg")
    t0 = 1_764_060_000.0
    got = ppg.read(t0) + ppg.read(t0 + 0.1) + ppg.read(t0 + 0.1) + ppg.read(t0 + 0.5)
    assert [s.ts for s in got] == pytest.approx([t0 + i / 50 for i in range(26)])
    assert all(0 <= s.value <= 262_143 for s in got)
    assert ppg.set_rate_hz(100.0) == 100.0
    after = ppg.read(t0 + 0.55)
    assert after[0].ts == pytest.approx(t0 + 0.51)
    actuators.set_parameter("cpr_depth_mm", 40.0)
    assert actuators.learner is not None and actuators.learner.depth_mm == 40.0


def test_hardware_kit_builds_configured_drivers_on_one_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    from devices.agent import hardware
    from tests.unit.test_drivers import FakeBus

    opened: list[int] = []

    class FakeSMBus(FakeBus):
        def __init__(self, bus: int) -> None:
            opened.append(bus)
            super().__init__({0x06: 0x0054, 0x07: 0x0400, 0x05: 0x01C0})

        def close(self) -> None:
            opened.append(-1)

    real_import = hardware.importlib.import_module
    fake = type("smbus2", (), {"SMBus": FakeSMBus})
    monkeypatch.setattr(
        hardware.importlib,
        "import_module",
        lambda name: fake if name == "smbus2" else real_import(name),
    )
    config = parse_config(tomllib.loads(EXAMPLE.read_text()))
    sensors, actuators, bus = hardware.hardware_kit(
        parse_config({"i2c_bus": 3, "sensors": {"temp_c": {"driver": "mcp9808"}}})
    )
    assert opened == [3] and bus is not None
    assert type(actuators).__name__ == "QuietActuators"  # no output pins configured
    [temp] = sensors
    temp.start()
    assert [s.value for s in temp.read(1.0)] == [28.0]
    bus.close()
    assert opened == [3, -1]
    built = [hardware.build_sensor(spec, bus) for spec in config.sensors]
    assert [(s.name, s.waveform, s.rate_hz) for s in built] == [
        ("ppg", True, 50.0),
        ("depth_mm", True, 50.0),
        ("temp_c", False, 1.0),
    ]


def test_gpio_actuators_drive_led_and_buzzer_with_mock_pins() -> None:
    gpiozero = pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from devices.agent.actuators import GpioActuators

    factory = MockFactory(pin_class=MockPWMPin)
    outputs = GpioActuators(22, 23, pin_factory=factory)
    try:
        assert outputs.set_led(0.25) == 0.25
        assert factory.pin(22).state == pytest.approx(0.25)
        assert outputs.set_buzzer(True) is True
        assert factory.pin(23).state == 1
        assert outputs.set_metronome(120.0) == 120.0  # the buzzer clicks instead
        assert outputs.set_metronome(0.0) == 0.0
        assert factory.pin(23).state == 1  # back to the steady buzzer
        assert outputs.set_buzzer(False) is False
        assert factory.pin(23).state == 0
    finally:
        outputs.close()
        factory.reset()
    assert gpiozero.Device is not None


async def test_runner_waits_for_a_set_clock_then_polls_on_schedule() -> None:
    import asyncio

    from devices.agent.runner import SensorRunner

    sensors, _ = simulated_kit("cpr", seed=1)
    now = [0.0]  # 1970: the Pi has not heard from NTP yet
    got: list[Sample] = []
    runner = SensorRunner(
        sensors[0], lambda sensor, samples: got.extend(samples), clock=lambda: now[0]
    )
    stop = asyncio.Event()
    task = asyncio.create_task(runner.run(stop))
    await asyncio.sleep(0.05)
    assert got == [] and not runner.started
    now[0] = 1_764_060_000.0
    await asyncio.sleep(1.2)
    stop.set()
    await task
    assert runner.started and got
    assert got[0].ts == 1_764_060_000.0


async def test_simulated_switch_user_presses_select_after_each_cue() -> None:
    import asyncio
    import time

    from devices.agent.simulated import SimulatedSwitchUser
    from devices.simulation import SwitchUser

    events: list[dict[str, object]] = []
    seq = iter(range(1, 1000))
    started = time.time()
    user = SwitchUser(3, mean_reaction_ms=300.0, sd_ms=50.0, miss_prob=0.0)
    sim = SimulatedSwitchUser(user, events.append, lambda: next(seq), cue_every_s=0.6)
    await asyncio.sleep(2.1)  # cues at 0.6, 1.2, 1.8 s; each press lasts ~0.3 + ~0.25 s
    sim.close()
    done = len(events)
    await asyncio.sleep(0.8)
    assert len(events) == done  # nothing after close
    assert sim.presses == 3
    assert 4 <= done <= 6
    assert [e["state"] for e in events] == ["down", "up"] * (done // 2) + ["down"] * (done % 2)
    assert all(set(e) == {"ts", "seq", "switch", "state"} for e in events)
    assert all(e["switch"] == "select" for e in events)
    assert [e["seq"] for e in events] == list(range(1, done + 1))
    stamps = [float(e["ts"]) for e in events]  # type: ignore[arg-type]
    assert stamps == sorted(stamps)
    assert stamps[0] >= started + 0.6 + 0.15  # the first cue plus a human reaction time
    assert stamps[-1] <= time.time()  # sent when the switch moved, not ahead of time


async def test_kit_agent_simulating_a_switch_user_spools_input_events(tmp_path: Path) -> None:
    import asyncio

    from devices.agent import KitAgent, Spool
    from devices.agent.simulated import simulated_switches
    from gateway.identifiers import KitRef
    from gateway.mqtt_url import BrokerAddress
    from gateway.topics import TopicScheme

    sensors, actuators = simulated_kit("switch", seed=2)
    assert sensors == []
    spooled: list[tuple[str, dict[str, object]]] = []
    agent = KitAgent(
        KitRef("lab", "k-sw"), TopicScheme("test-sw/v1"), BrokerAddress("127.0.0.1", 1),
        Spool(tmp_path / "s.db"), sensors, actuators,
        switches=simulated_switches(2, cue_every_s=0.3),
        on_spooled=lambda channel, body: spooled.append((channel, body)),
    )  # fmt: skip
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await asyncio.sleep(3.0)  # no broker here: the presses wait in the spool
    stop.set()
    await asyncio.wait_for(task, 10)
    inputs = [body for channel, body in spooled if channel == "input"]
    assert inputs and agent.input_events == len(inputs)
    assert inputs[0]["switch"] == "select" and inputs[0]["state"] == "down"
    assert all(set(body) == {"ts", "seq", "switch", "state"} for body in inputs)
