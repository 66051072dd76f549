"""Kit drivers decode register dumps (tests/data/*.json) into the right values.

The dumps hold bytes in the form each datasheet gives for its chip (no chip was at hand
to capture them). A fake bus replays them through the same smbus2 calls the drivers make
on a Raspberry Pi.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from devices.drivers.base import PartIdError, SampleClock, SensorError
from devices.drivers.max30102 import (
    REG_FIFO_CONFIG,
    REG_FIFO_DATA,
    REG_LED1_PA,
    REG_LED2_PA,
    REG_MODE_CONFIG,
    REG_SPO2_CONFIG,
    Max30102,
    decode_fifo,
    fifo_config_for,
    unread_samples,
)
from devices.drivers.mcp9808 import Mcp9808, decode_ambient
from devices.drivers.vl6180x import (
    REG_RESULT_INTERRUPT_STATUS_GPIO,
    REG_RESULT_RANGE_STATUS,
    REG_RESULT_RANGE_VAL,
    REG_SYSRANGE_START,
    REG_SYSTEM_INTERRUPT_CLEAR,
    CompressionDepth,
    Vl6180x,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


class FakeBus:
    """8-bit register map plus a FIFO register that pops bytes (FIFO_DATA does not advance)."""

    def __init__(self, registers: dict[int, int], fifo: Sequence[int] = (), fifo_reg: int = -1):
        self.registers = dict(registers)
        self.fifo = list(fifo)
        self.fifo_reg = fifo_reg
        self.writes: list[tuple[int, int]] = []
        self.block_reads: list[int] = []

    def read_byte_data(self, addr: int, register: int, force: bool | None = None) -> int:
        return self.registers.get(register, 0)

    def write_byte_data(self, addr: int, register: int, value: int, force: bool | None = None):
        self.writes.append((register, value))
        # MODE_CONFIG's RESET bit clears itself once the reset is done.
        self.registers[register] = value & ~0x40 if register == REG_MODE_CONFIG else value

    def read_i2c_block_data(self, addr: int, register: int, length: int, force: Any = None):
        assert length <= 32, "SMBus block reads carry at most 32 bytes"
        self.block_reads.append(length)
        if register == self.fifo_reg:
            out, self.fifo = self.fifo[:length], self.fifo[length:]
            return out
        value = self.registers.get(register, 0)
        return [value >> 8, value & 0xFF]


def max_bus(dump: dict[str, Any]) -> FakeBus:
    regs = {int(k, 16): v for k, v in dump["registers"].items()}
    return FakeBus(regs, dump["fifo_data"], REG_FIFO_DATA)


# ---- MAX30102 -------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["five_samples", "wrapped"])
def test_max30102_fifo_dump_decodes_to_known_samples(case: str) -> None:
    dump = load("max30102_fifo.json")[case]
    sensor = Max30102(max_bus(dump))
    assert sensor.read_fifo() == [tuple(p) for p in dump["expected_red_ir"]]


def test_max30102_reads_in_whole_samples_of_at_most_30_bytes() -> None:
    regs = {0x04: 10, 0x05: 3, 0x06: 10, 0xFF: 0x15}  # overflow: FIFO full, 32 samples
    data = [0x01, 0x00, 0x00, 0x02, 0x00, 0x00] * 32
    bus = FakeBus(regs, data, REG_FIFO_DATA)
    sensor = Max30102(bus)
    pairs = sensor.read_fifo()
    assert pairs == [(65536, 131072)] * 32
    assert bus.block_reads == [30] * 6 + [12]
    assert sensor.overflows == 3


def test_max30102_ignores_bits_above_17() -> None:
    assert decode_fifo([0xFF, 0xFF, 0xFF, 0xFC, 0x00, 0x01]) == [(0x3FFFF, 1)]
    with pytest.raises(ValueError, match="whole samples"):
        decode_fifo([1, 2, 3])


def test_max30102_pointer_arithmetic() -> None:
    assert unread_samples(7, 2, 0) == 5
    assert unread_samples(1, 29, 0) == 4
    assert unread_samples(5, 5, 0) == 0
    assert unread_samples(5, 5, 2) == 32


def test_max30102_configures_spo2_mode_rate_and_led_current() -> None:
    bus = FakeBus({0xFF: 0x15, 0x09: 0x40})
    sensor = Max30102(bus, sample_rate_hz=25, led_current_ma=7.0, sleep=lambda s: None)
    sensor.start()
    writes = dict(bus.writes)
    assert writes[REG_FIFO_CONFIG] == (1 << 5) | 0x10  # average 2 samples, rollover on
    assert writes[REG_SPO2_CONFIG] == (1 << 5) | (0 << 2) | 0x03  # 4096 nA, 50 sps, 411 µs
    assert writes[REG_LED1_PA] == writes[REG_LED2_PA] == 35  # 7.0 mA / 0.2 mA per LSB
    assert bus.writes[-1] == (REG_MODE_CONFIG, 0x03)  # SpO2 mode last
    assert bus.writes[0] == (REG_MODE_CONFIG, 0x40)  # reset first
    assert sensor.rate_hz == 25.0
    assert sensor.set_rate_hz(100) == 100.0
    assert bus.registers[REG_SPO2_CONFIG] == (1 << 5) | (1 << 2) | 0x03


def test_max30102_rates() -> None:
    assert fifo_config_for(50)[2] == 50.0
    assert fifo_config_for(100)[1:] == (0, 100.0)
    assert fifo_config_for(25)[1:] == (1, 25.0)
    assert fifo_config_for(60)[2] == 50.0


def test_max30102_part_id_mismatch_is_an_error() -> None:
    bus = FakeBus({0xFF: 0x11})  # a MAX30100 answers 0x11
    with pytest.raises(PartIdError, match=r"0xFF reads 0x11, expected 0x15"):
        Max30102(bus).start()
    assert bus.writes == []  # nothing written to a chip we do not know


def test_max30102_samples_get_evenly_spaced_timestamps() -> None:
    dump = load("max30102_fifo.json")["five_samples"]
    sensor = Max30102(max_bus(dump), ir_name="ppg", red_name="ppg_red")
    samples = sensor.read(1_764_060_000.0)
    ir = [s for s in samples if s.sensor == "ppg"]
    assert [s.value for s in ir] == [float(p[1]) for p in dump["expected_red_ir"]]
    assert [s.ts for s in ir] == pytest.approx([1_764_059_999.92 + i * 0.02 for i in range(5)])
    assert len([s for s in samples if s.sensor == "ppg_red"]) == 5


def test_sample_clock_slews_small_errors_and_resyncs_big_ones() -> None:
    clock = SampleClock(50.0, gain=0.1, resync_s=0.25)
    first = clock.stamp(5, 100.0)
    assert first[0] == pytest.approx(99.92)
    jittered = clock.stamp(5, 100.1 + 0.01)  # read 10 ms late: moves only 1 ms
    assert jittered[0] == pytest.approx(100.02 + 0.001)
    gap = clock.stamp(5, 200.0)
    assert gap[0] == pytest.approx(199.92) and clock.resyncs == 1


# ---- VL6180X --------------------------------------------------------------------------


class FakeBus16:
    """VL6180X register file behind 16-bit indices, replaying recorded range shots."""

    def __init__(self, model_id: int, fresh: int, shots: list[dict[str, int]]) -> None:
        self.registers = {0x000: model_id, 0x016: fresh}
        self.shots = list(shots)
        self.index = 0
        self.writes: list[tuple[int, int]] = []
        self.polls = 0
        self.current: dict[str, int] | None = None

    def write_byte_data(self, addr: int, hi: int, lo: int, force: Any = None) -> None:
        self.index = (hi << 8) | lo  # two bytes written: the register index

    def read_byte(self, addr: int, force: Any = None) -> int:
        if self.index == REG_RESULT_INTERRUPT_STATUS_GPIO:
            self.polls += 1
            return 0x04 if self.polls % 3 == 0 else 0x00  # ready on the third poll
        if self.index == REG_RESULT_RANGE_VAL:
            assert self.current is not None
            return self.current["range"]
        if self.index == REG_RESULT_RANGE_STATUS:
            assert self.current is not None
            return self.current["status"]
        return self.registers.get(self.index, 0)

    def write_i2c_block_data(self, addr: int, hi: int, data: Sequence[int], force: Any = None):
        register, value = (hi << 8) | data[0], data[1]
        self.writes.append((register, value))
        self.registers[register] = value
        if register == REG_SYSRANGE_START:
            self.current = self.shots.pop(0)

    def read_byte_data(self, addr: int, register: int, force: Any = None) -> int:
        raise AssertionError("16-bit registers are not read with read_byte_data")

    def read_i2c_block_data(self, addr: int, register: int, length: int, force: Any = None):
        raise AssertionError("not used by the VL6180X driver")


def test_vl6180x_calibrates_rest_and_reports_depth_from_range_dump() -> None:
    dump = load("vl6180x_ranges.json")
    bus = FakeBus16(
        dump["model_id"], dump["fresh_out_of_reset"], dump["rest"] + dump["compressions"]
    )
    depth = CompressionDepth(Vl6180x(bus, sleep=lambda s: None), calibration_samples=5)
    depth.start()
    assert depth.rest_distance_mm == 120.0
    assert (0x016, 0x00) in bus.writes  # private settings loaded, fresh-out-of-reset cleared
    assert (0x0207, 0x01) in bus.writes
    values = []
    for i in range(len(dump["compressions"])):
        samples = depth.read(1000.0 + i * 0.02)
        values.append(samples[0].value if samples else None)
        if samples:
            assert samples[0].sensor == "depth_mm" and samples[0].ts == 1000.0 + i * 0.02
    assert values == dump["expected_depth_mm"]
    assert depth.ranger.invalid == 1
    assert bus.writes.count((REG_SYSTEM_INTERRUPT_CLEAR, 0x07)) == 5 + 7


def test_vl6180x_given_rest_distance_skips_calibration() -> None:
    shots = [{"range": 70, "status": 1}]
    bus = FakeBus16(0xB4, 0, shots)
    depth = CompressionDepth(Vl6180x(bus, sleep=lambda s: None), rest_distance_mm=125.0)
    depth.start()
    assert (0x0207, 0x01) not in bus.writes  # not fresh out of reset: no private settings
    assert [s.value for s in depth.read(5.0)] == [55.0]


def test_vl6180x_model_id_mismatch_is_an_error() -> None:
    with pytest.raises(PartIdError, match="VL6180X"):
        Vl6180x(FakeBus16(0xEE, 1, [])).start()


def test_vl6180x_result_that_never_comes_is_an_error() -> None:
    class Stuck(FakeBus16):
        def read_byte(self, addr: int, force: Any = None) -> int:
            return 0 if self.index == REG_RESULT_INTERRUPT_STATUS_GPIO else super().read_byte(addr)

    ranger = Vl6180x(Stuck(0xB4, 0, [{"range": 1, "status": 1}]), sleep=lambda s: None)
    with pytest.raises(SensorError, match="no range result"):
        ranger.range_mm()


# ---- MCP9808 --------------------------------------------------------------------------


def test_mcp9808_dump_decodes_including_negative_temperatures() -> None:
    dump = load("mcp9808_temps.json")
    for case in dump["ambient"]:
        assert decode_ambient(*case["bytes"]) == case["celsius"], case


def test_mcp9808_checks_ids_and_reads_temp_c() -> None:
    dump = load("mcp9808_temps.json")
    ids = {0x06: 0x0054, 0x07: 0x0400, 0x05: (0x1F << 8) | 0x58}
    sensor = Mcp9808(FakeBus(ids))
    sensor.start()
    [sample] = sensor.read(42.0)
    assert (sample.sensor, sample.ts, sample.value) == ("temp_c", 42.0, -10.5)
    assert dump["manufacturer_id"] == [0, 0x54]
    with pytest.raises(PartIdError, match="MCP9808"):
        Mcp9808(FakeBus({0x06: 0x0054, 0x07: 0x0100})).start()


# ---- switches (gpiozero MockFactory) ----------------------------------------------------


@pytest.fixture
def mock_pins() -> Any:
    gpiozero = pytest.importorskip("gpiozero")
    from gpiozero.pins.mock import MockFactory

    previous = gpiozero.Device.pin_factory
    gpiozero.Device.pin_factory = factory = MockFactory()
    yield factory
    factory.reset()
    gpiozero.Device.pin_factory = previous


def test_switches_produce_down_up_events_with_increasing_seq(mock_pins: Any) -> None:
    from devices.drivers.switches import SwitchBank

    events: list[dict[str, Any]] = []
    seq = itertools.count(41)
    times = iter([100.0, 100.25, 101.0, 101.5])
    bank = SwitchBank(
        {"select": 17, "next": 27}, events.append, lambda: next(seq), clock=lambda: next(times)
    )
    select, nxt = mock_pins.pin(17), mock_pins.pin(27)
    select.drive_low()
    select.drive_high()
    nxt.drive_low()
    nxt.drive_high()
    bank.close()
    assert events == [
        {"ts": 100.0, "seq": 41, "switch": "select", "state": "down"},
        {"ts": 100.25, "seq": 42, "switch": "select", "state": "up"},
        {"ts": 101.0, "seq": 43, "switch": "next", "state": "down"},
        {"ts": 101.5, "seq": 44, "switch": "next", "state": "up"},
    ]


def test_switch_events_are_dispatched_to_the_owner_thread(mock_pins: Any) -> None:
    from devices.drivers.switches import SwitchBank

    events: list[dict[str, Any]] = []
    queued: list[Any] = []
    seq = itertools.count(1)
    bank = SwitchBank({"select": 5}, events.append, lambda: next(seq), dispatch=queued.append)
    mock_pins.pin(5).drive_low()
    mock_pins.pin(5).drive_high()
    assert events == [] and len(queued) == 2  # nothing emitted in gpiozero's thread
    for call in queued:
        call()
    assert [(e["seq"], e["state"]) for e in events] == [(1, "down"), (2, "up")]
    assert events[0]["ts"] <= events[1]["ts"]
    bank.close()
    with pytest.raises(ValueError, match="unknown switch"):
        SwitchBank({"enter": 6}, events.append, lambda: 0)  # type: ignore[dict-item]
