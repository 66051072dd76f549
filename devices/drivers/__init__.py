"""Sensor drivers of the Raspberry Pi lab kit (I²C chips, GPIO switches).

Drivers depend only on the ``I2cBus`` protocol (``smbus2.SMBus`` fits it), so they are
tested with recorded register dumps and need no hardware; gpiozero is imported lazily
by ``switches``. Install the ``pi`` extra (smbus2, gpiozero) on the kit itself.
"""

from devices.drivers.base import (
    I2cBus,
    I2cBus16,
    PartIdError,
    Sample,
    SampleClock,
    Sensor,
    SensorError,
)

__all__ = [
    "I2cBus",
    "I2cBus16",
    "PartIdError",
    "Sample",
    "SampleClock",
    "Sensor",
    "SensorError",
]
