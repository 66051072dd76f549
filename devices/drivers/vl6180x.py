"""VL6180X time-of-flight ranger and the chest-compression depth built on it.

Registers (ST VL6180X datasheet DocID026171 Rev 7, section 6 "Register map"; ST AN4545
"VL6180X basic ranging" for the start-up settings): 16-bit register addresses, 8-bit
data. Single-shot ranging: write 0x01 to SYSRANGE__START (0x018), poll
RESULT__INTERRUPT_STATUS_GPIO (0x04F) until its range bits [2:0] read 4 ("new sample
ready"), read RESULT__RANGE_VAL (0x062, mm) and RESULT__RANGE_STATUS (0x04D, error code
in bits [7:4], 0 = valid), then clear with SYSTEM__INTERRUPT_CLEAR (0x015) = 0x07.

16-bit addresses over SMBus: ``I2cBus16`` reads a register with two transactions
(write the two index bytes with ``write_byte_data(addr, hi, lo)``, then ``read_byte``)
and writes one with ``write_i2c_block_data(addr, hi, [lo, value])``. The VL6180X keeps
the index across the stop between the two transactions, so no combined (repeated
start) transfer is needed; both calls work on any Linux ``i2c-dev`` adapter.

Compression depth (docs/interface.md ``depth_mm``): 0 = chest at rest, positive = pressed in,
so depth = rest_distance − distance, with the rest distance measured by ``calibrate``
(sensor above the chest, looking down at it) or given in the config.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Final

from devices.drivers.base import I2cBus16, PartIdError, Sample, SensorError

DEFAULT_ADDRESS: Final = 0x29

REG_MODEL_ID: Final = 0x000
MODEL_ID: Final = 0xB4
REG_SYSTEM_INTERRUPT_CONFIG_GPIO: Final = 0x014
REG_SYSTEM_INTERRUPT_CLEAR: Final = 0x015
REG_SYSTEM_FRESH_OUT_OF_RESET: Final = 0x016
REG_SYSRANGE_START: Final = 0x018
REG_RESULT_RANGE_STATUS: Final = 0x04D
REG_RESULT_INTERRUPT_STATUS_GPIO: Final = 0x04F
REG_RESULT_RANGE_VAL: Final = 0x062
RANGE_NEW_SAMPLE_READY: Final = 0x04
CLEAR_ALL_INTERRUPTS: Final = 0x07

# AN4545 section "SR03 settings": private registers to load once after power-up
# (SYSTEM__FRESH_OUT_OF_RESET reads 1), then the recommended public settings.
PRIVATE_SETTINGS: Final = (
    (0x0207, 0x01), (0x0208, 0x01), (0x0096, 0x00), (0x0097, 0xFD), (0x00E3, 0x00),
    (0x00E4, 0x04), (0x00E5, 0x02), (0x00E6, 0x01), (0x00E7, 0x03), (0x00F5, 0x02),
    (0x00D9, 0x05), (0x00DB, 0xCE), (0x00DC, 0x03), (0x00DD, 0xF8), (0x009F, 0x00),
    (0x00A3, 0x3C), (0x00B7, 0x00), (0x00BB, 0x3C), (0x00B2, 0x09), (0x00CA, 0x09),
    (0x0198, 0x01), (0x01B0, 0x17), (0x01AD, 0x00), (0x00FF, 0x05), (0x0100, 0x05),
    (0x0199, 0x05), (0x01A6, 0x1B), (0x01AC, 0x3E), (0x01A7, 0x1F), (0x0030, 0x00),
)  # fmt: skip
PUBLIC_SETTINGS: Final = (
    (0x0011, 0x10),  # SYSTEM__MODE_GPIO1: interrupt output
    (0x010A, 0x30),  # READOUT__AVERAGING_SAMPLE_PERIOD: 4.3 ms
    (0x0031, 0xFF),  # SYSRANGE__VHV_REPEAT_RATE
    (0x002E, 0x01),  # SYSRANGE__VHV_RECALIBRATE: once now
    (0x001B, 0x09),  # SYSRANGE__INTERMEASUREMENT_PERIOD: 100 ms (continuous mode only)
    (REG_SYSTEM_INTERRUPT_CONFIG_GPIO, 0x24),  # range + ALS "new sample ready"
)
MAX_RATE_HZ: Final = 50.0  # single shots: ~10 ms convergence + readout each


class Vl6180x:
    """Single-shot ranging in mm; ``range_mm`` returns None for a reading flagged invalid."""

    def __init__(
        self,
        bus: I2cBus16,
        address: int = DEFAULT_ADDRESS,
        *,
        sleep: Callable[[float], None] = time.sleep,
        max_polls: int = 100,
    ) -> None:
        self.bus = bus
        self.address = address
        self._sleep = sleep
        self._max_polls = max_polls
        self.invalid = 0

    def read_register(self, register: int) -> int:
        self.bus.write_byte_data(self.address, register >> 8, register & 0xFF)
        return self.bus.read_byte(self.address) & 0xFF

    def write_register(self, register: int, value: int) -> None:
        self.bus.write_i2c_block_data(self.address, register >> 8, [register & 0xFF, value])

    def start(self) -> None:
        found = self.read_register(REG_MODEL_ID)
        if found != MODEL_ID:
            raise PartIdError("VL6180X", REG_MODEL_ID, MODEL_ID, found)
        if self.read_register(REG_SYSTEM_FRESH_OUT_OF_RESET) & 0x01:
            for register, value in PRIVATE_SETTINGS:
                self.write_register(register, value)
            self.write_register(REG_SYSTEM_FRESH_OUT_OF_RESET, 0x00)
        for register, value in PUBLIC_SETTINGS:
            self.write_register(register, value)

    def range_mm(self) -> int | None:
        """One single-shot measurement: distance in mm, or None when the chip flags an error."""
        self.write_register(REG_SYSRANGE_START, 0x01)
        for _ in range(self._max_polls):
            status = self.read_register(REG_RESULT_INTERRUPT_STATUS_GPIO)
            if status & 0x07 == RANGE_NEW_SAMPLE_READY:
                break
            self._sleep(0.001)
        else:
            raise SensorError("VL6180X: no range result (interrupt status never ready)")
        distance = self.read_register(REG_RESULT_RANGE_VAL)
        error = self.read_register(REG_RESULT_RANGE_STATUS) >> 4
        self.write_register(REG_SYSTEM_INTERRUPT_CLEAR, CLEAR_ALL_INTERRUPTS)
        if error:
            self.invalid += 1
            return None
        return distance


def depth_from_distance(rest_distance_mm: float, distance_mm: float) -> float:
    """Compression depth: how far the chest moved towards the sensor from its rest position."""
    return rest_distance_mm - distance_mm


class CompressionDepth:
    """``depth_mm`` waveform from a downward-looking ranger above the chest."""

    waveform = True

    def __init__(
        self,
        ranger: Vl6180x,
        *,
        name: str = "depth_mm",
        sample_rate_hz: float = 50.0,
        rest_distance_mm: float | None = None,
        calibration_samples: int = 25,
    ) -> None:
        self.ranger = ranger
        self.name = name
        self._rate = min(sample_rate_hz, MAX_RATE_HZ)
        self.rest_distance_mm = rest_distance_mm
        self.calibration_samples = calibration_samples

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def poll_interval_s(self) -> float:
        return 1.0 / self._rate  # one single shot per sample

    def start(self) -> None:
        self.ranger.start()
        if self.rest_distance_mm is None:
            self.rest_distance_mm = self.calibrate(self.calibration_samples)

    def calibrate(self, samples: int) -> float:
        """Rest distance as the median of ``samples`` valid ranges (chest untouched)."""
        values: list[int] = []
        for _ in range(samples * 3):
            value = self.ranger.range_mm()
            if value is not None:
                values.append(value)
                if len(values) == samples:
                    break
        if len(values) < max(1, samples // 2):
            raise SensorError(f"VL6180X calibration: only {len(values)} valid ranges")
        self.rest_distance_mm = float(statistics.median(values))
        return self.rest_distance_mm

    def read(self, now: float) -> list[Sample]:
        assert self.rest_distance_mm is not None, "start() calibrates first"
        distance = self.ranger.range_mm()
        if distance is None:
            return []
        return [Sample(self.name, now, depth_from_distance(self.rest_distance_mm, distance))]

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        return max(1.0, min(float(rate_hz), MAX_RATE_HZ))

    def set_rate_hz(self, rate_hz: float) -> float:
        self._rate = max(1.0, min(float(rate_hz), MAX_RATE_HZ))
        return self._rate

    def close(self) -> None:
        return None
