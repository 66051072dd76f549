"""MAX30102 pulse oximeter: raw red/IR PPG from the FIFO (register map: Maxim MAX30102
datasheet, 19-7740 Rev 1, "Register Maps and Descriptions" and "FIFO Configuration").

SpO2 mode (MODE 0b011) samples LED1 (red) then LED2 (IR) into a 32-sample FIFO; each
sample is 3 bytes per LED, left-justified so the 18-bit value's MSB is always bit 17
of the 24 bits read (lower resolutions leave low bits zero). FIFO_DATA does not advance
the register pointer, so repeated block reads of 0x07 drain the FIFO. The number of
unread samples is (FIFO_WR_PTR − FIFO_RD_PTR) mod 32; OVF_COUNTER > 0 means the FIFO was
full and samples were lost (it is then full: 32 samples).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Final

from devices.drivers.base import I2cBus, PartIdError, Sample, SampleClock, SensorError

DEFAULT_ADDRESS: Final = 0x57

REG_INT_STATUS_1: Final = 0x00
REG_FIFO_WR_PTR: Final = 0x04
REG_OVF_COUNTER: Final = 0x05
REG_FIFO_RD_PTR: Final = 0x06
REG_FIFO_DATA: Final = 0x07
REG_FIFO_CONFIG: Final = 0x08
REG_MODE_CONFIG: Final = 0x09
REG_SPO2_CONFIG: Final = 0x0A
REG_LED1_PA: Final = 0x0C  # red
REG_LED2_PA: Final = 0x0D  # IR
REG_PART_ID: Final = 0xFF
PART_ID: Final = 0x15

MODE_RESET: Final = 0x40
MODE_SPO2: Final = 0x03
FIFO_ROLLOVER_EN: Final = 0x10
FIFO_DEPTH: Final = 32
BYTES_PER_SAMPLE: Final = 6  # 3 bytes red + 3 bytes IR in SpO2 mode
SAMPLE_MASK: Final = 0x3FFFF  # 18 bits
# SMBus block reads carry at most 32 bytes: 5 whole samples per transaction.
SAMPLES_PER_BLOCK: Final = 32 // BYTES_PER_SAMPLE
# SPO2_SR codes 0..7 (datasheet Table 6) and SMP_AVE codes 0..5 (FIFO_CONFIG[7:5]).
SAMPLE_RATES: Final = (50, 100, 200, 400, 800, 1000, 1600, 3200)
AVERAGES: Final = (1, 2, 4, 8, 16, 32)
# 411 µs pulses give 18-bit resolution and allow up to 400 samples/s in SpO2 mode.
LED_PW_411US: Final = 0x03
MAX_SR_AT_411US: Final = 400
ADC_RANGE_4096NA: Final = 0x01
# LEDx_PA: 0.2 mA per LSB, 0x00 = 0 mA … 0xFF = 51 mA (datasheet Table 8).
LED_MA_PER_LSB: Final = 0.2


def fifo_config_for(rate_hz: float) -> tuple[int, int, float]:
    """(SPO2_SR code, SMP_AVE code, effective rate) closest to ``rate_hz``.

    The FIFO rate is the ADC rate divided by the averaging factor: 25 Hz is 50 sps
    averaged by 2, 50 and 100 Hz are native. Ties go to the lower ADC rate.
    """
    best: tuple[float, int, int, int] | None = None
    for sr_code, sr in enumerate(SAMPLE_RATES):
        if sr > MAX_SR_AT_411US:
            break
        for ave_code, ave in enumerate(AVERAGES):
            rate = sr / ave
            key = (abs(rate - rate_hz), sr, sr_code, ave_code)
            if best is None or key < best:
                best = key
    assert best is not None
    _, sr, sr_code, ave_code = best
    return sr_code, ave_code, sr / AVERAGES[ave_code]


def led_pa_code(current_ma: float) -> int:
    return max(0, min(0xFF, round(current_ma / LED_MA_PER_LSB)))


def decode_sample(raw: list[int]) -> int:
    """One 18-bit LED value from its three FIFO bytes (MSB first, bits 23:18 ignored)."""
    return ((raw[0] << 16) | (raw[1] << 8) | raw[2]) & SAMPLE_MASK


def decode_fifo(data: list[int]) -> list[tuple[int, int]]:
    """(red, IR) pairs from FIFO bytes read in SpO2 mode."""
    if len(data) % BYTES_PER_SAMPLE:
        raise ValueError(f"FIFO data of {len(data)} bytes is not whole samples")
    return [
        (decode_sample(data[i : i + 3]), decode_sample(data[i + 3 : i + 6]))
        for i in range(0, len(data), BYTES_PER_SAMPLE)
    ]


def unread_samples(write_ptr: int, read_ptr: int, overflow: int) -> int:
    """Samples waiting in the FIFO, from the pointer registers."""
    if overflow:
        return FIFO_DEPTH
    return (write_ptr - read_ptr) % FIFO_DEPTH


class Max30102:
    """Raw PPG from a MAX30102: IR as ``ir_name`` (default ``ppg``), red as ``red_name``."""

    waveform = True

    def __init__(
        self,
        bus: I2cBus,
        address: int = DEFAULT_ADDRESS,
        *,
        sample_rate_hz: float = 50.0,
        led_current_ma: float = 7.0,
        ir_name: str = "ppg",
        red_name: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.bus = bus
        self.address = address
        self.name = ir_name
        self.ir_name = ir_name
        self.red_name = red_name
        self.led_current_ma = led_current_ma
        self._sleep = sleep
        self._sr_code, self._ave_code, self._rate = fifo_config_for(sample_rate_hz)
        self.clock = SampleClock(self._rate)
        self.overflows = 0

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def poll_interval_s(self) -> float:
        # Read about 8 samples at a time: a quarter of the FIFO, well before it overflows.
        return 8.0 / self._rate

    def _write(self, register: int, value: int) -> None:
        self.bus.write_byte_data(self.address, register, value)

    def check_part_id(self) -> None:
        found = self.bus.read_byte_data(self.address, REG_PART_ID)
        if found != PART_ID:
            raise PartIdError("MAX30102", REG_PART_ID, PART_ID, found)

    def start(self) -> None:
        """Check the part id, reset, and configure SpO2 mode, rate and LED currents."""
        self.check_part_id()
        self._write(REG_MODE_CONFIG, MODE_RESET)
        for _ in range(50):  # the reset bit clears itself when the reset is done
            if not self.bus.read_byte_data(self.address, REG_MODE_CONFIG) & MODE_RESET:
                break
            self._sleep(0.002)
        else:
            raise SensorError("MAX30102: reset did not complete")
        self.bus.read_byte_data(self.address, REG_INT_STATUS_1)  # clears power-ready
        self._configure_fifo()
        pa = led_pa_code(self.led_current_ma)
        self._write(REG_LED1_PA, pa)
        self._write(REG_LED2_PA, pa)
        self._write(REG_MODE_CONFIG, MODE_SPO2)

    def _configure_fifo(self) -> None:
        self._write(REG_FIFO_CONFIG, (self._ave_code << 5) | FIFO_ROLLOVER_EN)
        spo2 = (ADC_RANGE_4096NA << 5) | (self._sr_code << 2) | LED_PW_411US
        self._write(REG_SPO2_CONFIG, spo2)
        self._clear_fifo()

    def _clear_fifo(self) -> None:
        for register in (REG_FIFO_WR_PTR, REG_OVF_COUNTER, REG_FIFO_RD_PTR):
            self._write(register, 0)
        self.clock.reset(self._rate)

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        return fifo_config_for(rate_hz)[2]

    def set_rate_hz(self, rate_hz: float) -> float:
        self._sr_code, self._ave_code, self._rate = fifo_config_for(rate_hz)
        self._configure_fifo()
        return self._rate

    def read_fifo(self) -> list[tuple[int, int]]:
        """Drain the FIFO: (red, IR) pairs, oldest first."""
        write_ptr = self.bus.read_byte_data(self.address, REG_FIFO_WR_PTR) & 0x1F
        overflow = self.bus.read_byte_data(self.address, REG_OVF_COUNTER) & 0x1F
        read_ptr = self.bus.read_byte_data(self.address, REG_FIFO_RD_PTR) & 0x1F
        count = unread_samples(write_ptr, read_ptr, overflow)
        if overflow:
            self.overflows += overflow
            self.clock.reset()  # samples were lost: the next burst starts a new run
        data: list[int] = []
        while count > 0:
            take = min(count, SAMPLES_PER_BLOCK)
            data += self.bus.read_i2c_block_data(
                self.address, REG_FIFO_DATA, take * BYTES_PER_SAMPLE
            )
            count -= take
        return decode_fifo(data)

    def read(self, now: float) -> list[Sample]:
        pairs = self.read_fifo()
        stamps = self.clock.stamp(len(pairs), now)
        out: list[Sample] = []
        for ts, (red, ir) in zip(stamps, pairs, strict=True):
            out.append(Sample(self.ir_name, ts, float(ir)))
            if self.red_name:
                out.append(Sample(self.red_name, ts, float(red)))
        return out

    def close(self) -> None:
        """Shut the LEDs off (SHDN bit) so an idle kit does not glow."""
        self._write(REG_MODE_CONFIG, 0x80)
