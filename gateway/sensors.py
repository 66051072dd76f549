"""The sensor registry: units and physical ranges of the sensors kits report.

Ranges are what the sensor or the body can physically produce, not clinical targets:
a value outside them is a broken sensor or a forged message, and is dropped with its
reason. Sensors not listed here are accepted as unitless (CONTRACT.md).

Waveforms also have a sample-rate range: outside it the samples cannot be what the
sensor measured (a PPG below 10 Hz cannot hold the 0.5-4 Hz pulse band; a chest
compression at 100-120/min needs 10 Hz or more to show its depth), and a tiny rate
would spread a short chunk over days of device time. Unlisted sensors get
``DEFAULT_RATE_HZ``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SENSOR_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
# Sample rates a waveform may declare, unless its sensor says otherwise.
DEFAULT_RATE_HZ = (1.0, 1_000.0)
_SENSOR_NAME = re.compile(SENSOR_NAME_PATTERN)


def _rate_error(name: str, rate_hz: float, bounds: tuple[float, float]) -> str | None:
    low, high = bounds
    if low <= rate_hz <= high:
        return None
    return f"rate_hz={rate_hz:g} outside {low:g}..{high:g} Hz for {name}"


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """Unit and physically possible range of one sensor."""

    name: str
    unit: str
    minimum: float
    maximum: float
    waveform: bool = False
    rate_hz: tuple[float, float] = DEFAULT_RATE_HZ

    def range_error(self, value: float) -> str | None:
        """The reason ``value`` is outside this sensor's range, or None when inside."""
        if self.minimum <= value <= self.maximum:
            return None
        span = f"{self.minimum:g}..{self.maximum:g} {self.unit}".rstrip()
        return f"{self.name}={value:g} outside physical range {span}"

    def rate_error(self, rate_hz: float) -> str | None:
        """The reason ``rate_hz`` cannot be this waveform's sample rate, or None."""
        return _rate_error(self.name, rate_hz, self.rate_hz)


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
        # The kit's VL6180X reads it at 50 Hz (DOMAIN.md).
        SensorSpec("depth_mm", "mm", -30, 200, waveform=True, rate_hz=(10.0, 1_000.0)),
        # MAX30102: 18-bit ADC counts, read at 25-100 Hz (DOMAIN.md); heart rate needs
        # more than twice the 4 Hz top of the pulse band (accessibility/signals/ppg.py).
        SensorSpec("ppg", "", 0, 262_143, waveform=True, rate_hz=(10.0, 1_000.0)),
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


def waveform_rate_error(name: str, rate_hz: float) -> str | None:
    """Why ``rate_hz`` cannot be the sample rate of waveform ``name``, or None."""
    spec = SENSORS.get(name)
    return spec.rate_error(rate_hz) if spec else _rate_error(name, rate_hz, DEFAULT_RATE_HZ)


def unit_of(name: str) -> str:
    spec = SENSORS.get(name)
    return spec.unit if spec else ""
