"""MCP9808 digital temperature sensor (Microchip MCP9808 datasheet DS25095A, section 5.1).

Registers are 16 bits, MSB first, so a 2-byte SMBus block read returns [MSB, LSB].
Ambient temperature (T_A, register 0x05): bits 15:13 are alert flags, bit 12 the sign,
bits 11:0 the magnitude: a 13-bit two's complement value at 0.0625 °C per LSB. The
manufacturer ID (0x06) reads 0x0054 and the device ID (0x07, upper byte) 0x04.
"""

from __future__ import annotations

from typing import Final

from devices.drivers.base import I2cBus, PartIdError, Sample

DEFAULT_ADDRESS: Final = 0x18

REG_AMBIENT_TEMP: Final = 0x05
REG_MANUFACTURER_ID: Final = 0x06
REG_DEVICE_ID: Final = 0x07
REG_RESOLUTION: Final = 0x08
MANUFACTURER_ID: Final = 0x0054
DEVICE_ID: Final = 0x04
RESOLUTION_0_0625: Final = 0x03
LSB_C: Final = 0.0625


def decode_ambient(msb: int, lsb: int) -> float:
    """°C from the two bytes of T_A (alert flags in bits 15:13 are ignored)."""
    raw = ((msb & 0x1F) << 8) | lsb
    if raw & 0x1000:
        raw -= 0x2000
    return raw * LSB_C


class Mcp9808:
    """Temperature reading ``temp_c`` once per ``interval_s``."""

    waveform = False

    def __init__(
        self,
        bus: I2cBus,
        address: int = DEFAULT_ADDRESS,
        *,
        name: str = "temp_c",
        interval_s: float = 1.0,
    ) -> None:
        self.bus = bus
        self.address = address
        self.name = name
        self.interval_s = interval_s

    @property
    def rate_hz(self) -> float:
        return 1.0 / self.interval_s

    @property
    def poll_interval_s(self) -> float:
        return self.interval_s

    def _read16(self, register: int) -> int:
        msb, lsb = self.bus.read_i2c_block_data(self.address, register, 2)
        return (msb << 8) | lsb

    def start(self) -> None:
        manufacturer = self._read16(REG_MANUFACTURER_ID)
        if manufacturer != MANUFACTURER_ID:
            raise PartIdError("MCP9808", REG_MANUFACTURER_ID, MANUFACTURER_ID, manufacturer)
        device = self._read16(REG_DEVICE_ID) >> 8
        if device != DEVICE_ID:
            raise PartIdError("MCP9808", REG_DEVICE_ID, DEVICE_ID, device)
        self.bus.write_byte_data(self.address, REG_RESOLUTION, RESOLUTION_0_0625)

    def temperature_c(self) -> float:
        msb, lsb = self.bus.read_i2c_block_data(self.address, REG_AMBIENT_TEMP, 2)
        return decode_ambient(msb, lsb)

    def read(self, now: float) -> list[Sample]:
        return [Sample(self.name, now, round(self.temperature_c(), 4))]

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        return None

    def set_rate_hz(self, rate_hz: float) -> float:
        return self.rate_hz

    def close(self) -> None:
        return None
