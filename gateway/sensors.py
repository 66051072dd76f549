"""The sensor registry: units and physical ranges of the sensors kits report.

Ranges are what the sensor or the body can physically produce, not clinical targets:
a value outside them is a broken sensor or a forged message, and is dropped with its
reason. Sensors not listed here are accepted as unitless (CONTRACT.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENSOR_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
_SENSOR_NAME = re.compile(SENSOR_NAME_PATTERN)


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """Unit and physically possible range of one sensor."""

    name: str
    unit: str
    minimum: float
    maximum: float
    waveform: bool = False

    def range_error(self, value: float) -> str | None:
        """The reason ``value`` is outside this sensor's range, or None when inside."""
        if self.minimum <= value <= self.maximum:
            return None
        span = f"{self.minimum:g}..{self.maximum:g} {self.unit}".rstrip()
        return f"{self.name}={value:g} outside physical range {span}"


SENSORS: dict[str, SensorSpec] = {
    spec.name: spec
    for spec in (
        SensorSpec("hr", "bpm", 0, 350),
        SensorSpec("spo2", "%", 0, 100),
        SensorSpec("temp_c", "°C", 10, 50),
        SensorSpec("resp_rate", "/min", 0, 120),
        SensorSpec("sbp", "mmHg", 0, 350),
        SensorSpec("dbp", "mmHg", 0, 300),
        # Compression depth from the calibrated rest position; a little negative is noise.
        SensorSpec("depth_mm", "mm", -30, 200, waveform=True),
        # MAX30102: 18-bit ADC counts.
        SensorSpec("ppg", "", 0, 262_143, waveform=True),
        # ±16 g accelerometers.
        SensorSpec("accel_z", "m/s²", -160, 160, waveform=True),
        SensorSpec("force_n", "N", -50, 2_000, waveform=True),
    )
}


def sensor_name_error(name: str) -> str | None:
    """Why ``name`` cannot be a sensor name, or None when it can."""
    if _SENSOR_NAME.fullmatch(name):
        return None
    return f"sensor name must match {SENSOR_NAME_PATTERN}"


def unit_of(name: str) -> str:
    spec = SENSORS.get(name)
    return spec.unit if spec else ""
