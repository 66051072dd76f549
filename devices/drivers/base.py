"""What every kit sensor driver shares: samples, the sensor interface, the I²C bus.

A driver turns a chip's registers into ``Sample``\\ s (contract sensor name, device time,
value). Drivers talk to the chip through the ``I2cBus`` protocol, whose methods have the
names and signatures of ``smbus2.SMBus``; tests pass a fake bus that replays recorded
register dumps, so everything here but the bus itself is pure logic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


class SensorError(RuntimeError):
    """The chip is missing, is not the expected part, or does not answer sensibly."""


class PartIdError(SensorError):
    """An identification register does not hold the value the datasheet gives."""

    def __init__(self, chip: str, register: int, expected: int, found: int) -> None:
        super().__init__(
            f"{chip}: identification register 0x{register:02X} reads 0x{found:02X}, "
            f"expected 0x{expected:02X} (wrong chip or wrong I²C address?)"
        )
        self.expected = expected
        self.found = found


@dataclass(frozen=True, slots=True)
class Sample:
    """One value of one contract sensor (``ppg``, ``depth_mm``, ``temp_c``, …) at device time."""

    sensor: str
    ts: float
    value: float


class I2cBus(Protocol):
    """The subset of ``smbus2.SMBus`` used by drivers with 8-bit register addresses."""

    def read_byte_data(self, i2c_addr: int, register: int, force: bool | None = None) -> int: ...

    def write_byte_data(
        self, i2c_addr: int, register: int, value: int, force: bool | None = None
    ) -> None: ...

    def read_i2c_block_data(
        self, i2c_addr: int, register: int, length: int, force: bool | None = None
    ) -> list[int]: ...


class I2cBus16(I2cBus, Protocol):
    """A bus for chips with 16-bit register addresses (VL6180X); ``smbus2.SMBus`` fits.

    A register is read as two transactions: ``write_byte_data(addr, hi, lo)`` puts the
    16-bit index on the wire (it is just two bytes written), then ``read_byte(addr)``
    reads the byte at that index. A register is written with
    ``write_i2c_block_data(addr, hi, [lo, value])`` (three bytes written).
    """

    def read_byte(self, i2c_addr: int, force: bool | None = None) -> int: ...

    def write_i2c_block_data(
        self, i2c_addr: int, register: int, data: Sequence[int], force: bool | None = None
    ) -> None: ...


@runtime_checkable
class Sensor(Protocol):
    """A source of samples polled by the kit agent.

    ``read(now)`` returns every sample that became available up to ``now`` (Unix
    seconds; the agent passes its poll time), each with its own device timestamp.
    Waveform sensors (``waveform`` true) produce evenly spaced samples at ``rate_hz``
    and are batched into telemetry waveforms; the others become readings.
    """

    name: str
    waveform: bool

    @property
    def rate_hz(self) -> float: ...

    @property
    def poll_interval_s(self) -> float: ...

    def start(self) -> None:
        """Find and configure the chip (raises ``SensorError``); called again after errors."""

    def read(self, now: float) -> list[Sample]: ...

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        """The rate ``set_rate_hz(rate_hz)`` would give, or None when the rate is fixed."""

    def set_rate_hz(self, rate_hz: float) -> float: ...

    def close(self) -> None: ...


class SampleClock:
    """Timestamps for samples read in bursts from a chip's FIFO.

    A chip samples on its own oscillator; the host only knows when it read a burst. The
    clock keeps the samples evenly spaced at ``rate_hz`` and slews gently (``gain`` of
    the error per burst) towards the read times, so read jitter does not enter the
    timestamps while the chip's oscillator error is still followed. An error beyond
    ``resync_s`` (a lost burst, a FIFO overflow, a stall) re-anchors on the read time.
    """

    def __init__(self, rate_hz: float, *, gain: float = 0.05, resync_s: float = 0.25) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.rate_hz = rate_hz
        self.gain = gain
        self.resync_s = resync_s
        self._next: float | None = None
        self.resyncs = 0

    def reset(self, rate_hz: float | None = None) -> None:
        """Forget the anchor (after a rate change or a FIFO clear)."""
        if rate_hz is not None:
            self.rate_hz = rate_hz
        self._next = None

    def stamp(self, count: int, read_at: float) -> list[float]:
        """Timestamps of ``count`` samples, the newest of which was taken at about ``read_at``."""
        if count <= 0:
            return []
        period = 1.0 / self.rate_hz
        estimate = read_at - (count - 1) * period
        if self._next is None or abs(estimate - self._next) > self.resync_s:
            if self._next is not None:
                self.resyncs += 1
            first = estimate
        else:
            first = self._next + self.gain * (estimate - self._next)
        self._next = first + count * period
        return [round(first + i * period, 6) for i in range(count)]
