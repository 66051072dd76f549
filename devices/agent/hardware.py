"""Build the real kit's sensors and outputs from its config (Raspberry Pi, ``pi`` extra).

smbus2 and gpiozero are imported here lazily, so the package (and the simulator) works
without them. One ``smbus2.SMBus`` is shared by all I²C sensors, which the agent reads
from worker threads; smbus2 selects the chip address and then transfers in two separate
ioctls, so every call goes through one lock (``BusLock``). The VL6180X's index write and
data read may be split by another chip's transfer: the index lives in the VL6180X.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any

from devices.agent.actuators import Actuators, GpioActuators, QuietActuators
from devices.agent.config import AgentConfig, SensorConfig
from devices.drivers.base import Sensor
from devices.drivers.max30102 import Max30102
from devices.drivers.mcp9808 import Mcp9808
from devices.drivers.vl6180x import CompressionDepth, Vl6180x


class BusLock:
    """Wraps an SMBus so each call is atomic across the agent's reader threads."""

    def __init__(self, bus: Any) -> None:
        self._bus = bus
        self._lock = threading.Lock()

    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int:
        with self._lock:
            return int(self._bus.read_byte(i2c_addr))

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int:
        with self._lock:
            return int(self._bus.read_byte_data(i2c_addr, register))

    def write_byte_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None:
        with self._lock:
            self._bus.write_byte_data(i2c_addr, register, value)

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]:
        with self._lock:
            return list(self._bus.read_i2c_block_data(i2c_addr, register, length))

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: Sequence[int], force: bool | None = None
    ) -> None:
        with self._lock:
            self._bus.write_i2c_block_data(i2c_addr, register, list(data))

    def close(self) -> None:
        self._bus.close()


def build_sensor(spec: SensorConfig, bus: BusLock) -> Sensor:
    o = spec.options
    if spec.driver == "max30102":
        return Max30102(
            bus,
            o.get("address", 0x57),
            sample_rate_hz=float(o.get("sample_rate_hz", 50.0)),
            led_current_ma=float(o.get("led_current_ma", 7.0)),
            ir_name=spec.name,
            red_name=o.get("red_name"),
        )
    if spec.driver == "vl6180x":
        rest = o.get("rest_distance_mm")
        return CompressionDepth(
            Vl6180x(bus, o.get("address", 0x29)),
            name=spec.name,
            sample_rate_hz=float(o.get("sample_rate_hz", 50.0)),
            rest_distance_mm=float(rest) if rest is not None else None,
            calibration_samples=int(o.get("calibration_samples", 25)),
        )
    if spec.driver == "mcp9808":
        return Mcp9808(
            bus, o.get("address", 0x18), name=spec.name, interval_s=float(o.get("interval_s", 1.0))
        )
    raise ValueError(f"unknown driver {spec.driver!r}")


def hardware_kit(config: AgentConfig) -> tuple[list[Sensor], Actuators, BusLock | None]:
    """The configured sensors (on ``/dev/i2c-{i2c_bus}``) and GPIO outputs."""
    bus: BusLock | None = None
    if config.sensors:
        smbus2 = importlib.import_module("smbus2")
        bus = BusLock(smbus2.SMBus(config.i2c_bus))
    sensors = [build_sensor(spec, bus) for spec in config.sensors] if bus else []
    actuators: Actuators = QuietActuators()
    if config.led_pin is not None or config.buzzer_pin is not None:
        actuators = GpioActuators(config.led_pin, config.buzzer_pin)
    return sensors, actuators, bus
