"""The sensor registry (units, physical ranges, waveform rates): defined once, with the
derived values, in ``accesstwin_contract.quantities``."""

from __future__ import annotations

from accesstwin_contract.quantities import (
    DEFAULT_RATE_HZ,
    SENSOR_NAME_PATTERN,
    SENSORS,
    SensorSpec,
    sensor_name_error,
    unit_of,
    waveform_rate_error,
)

__all__ = [
    "DEFAULT_RATE_HZ",
    "SENSORS",
    "SENSOR_NAME_PATTERN",
    "SensorSpec",
    "sensor_name_error",
    "unit_of",
    "waveform_rate_error",
]
