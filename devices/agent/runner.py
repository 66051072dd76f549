"""Polls one sensor on its own schedule, off the event loop.

Reads happen in a worker thread (I²C transfers and the VL6180X's busy-wait block), at
absolute deadlines ``t0 + k · poll_interval_s`` so the mean rate is exact; the deadline
is passed to ``read`` as the poll time, which gives a polled chip (one sample per
read) evenly spaced timestamps. A poll more than two intervals late re-anchors the
schedule (the batcher then starts a new chunk). A sensor that fails to start is retried
every ``retry_s``; one that keeps failing to read is restarted. Rate changes and reads
never overlap (``lock``). Nothing is read while the wall clock is before 2020: a Pi
without a real-time clock boots in 1970 until NTP answers, and the service refuses
such timestamps (re-stamping later would falsify them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from accesstwin_contract.time_bounds import EARLIEST_TS
from devices.drivers.base import Sample, Sensor, SensorError

log = logging.getLogger(__name__)

RESTART_AFTER_FAILURES = 25
LOG_EVERY_S = 30.0


class SensorRunner:
    def __init__(
        self,
        sensor: Sensor,
        sink: Callable[[Sensor, list[Sample]], None],
        *,
        clock: Callable[[], float] = time.time,
        retry_s: float = 10.0,
    ) -> None:
        self.sensor = sensor
        self._sink = sink
        self._clock = clock
        self._retry_s = retry_s
        self.lock = asyncio.Lock()
        self.started = False
        self.reads = 0
        self.failures = 0
        self.resyncs = 0
        self._last_log = -LOG_EVERY_S

    async def _sleep_until(self, deadline: float, stop: asyncio.Event) -> bool:
        """Wait until ``deadline`` (wall clock); True when ``stop`` was set meanwhile."""
        delay = deadline - self._clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        return stop.is_set()

    async def _start(self, stop: asyncio.Event) -> bool:
        while not stop.is_set():
            try:
                async with self.lock:
                    await asyncio.to_thread(self.sensor.start)
                self.started = True
                log.info("sensor %s started (%g Hz)", self.sensor.name, self.sensor.rate_hz)
                return True
            except (OSError, SensorError) as exc:
                log.error("sensor %s: %s; retrying in %g s", self.sensor.name, exc, self._retry_s)
            if await self._sleep_until(self._clock() + self._retry_s, stop):
                break
        return False

    def _log_failure(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            name, failures = self.sensor.name, self.failures
            log.warning("sensor %s read failed (%d so far): %s", name, failures, exc)

    async def _wait_for_clock(self, stop: asyncio.Event) -> bool:
        if self._clock() < EARLIEST_TS:
            log.warning("sensor %s waits: the clock is not set (no NTP yet?)", self.sensor.name)
        while self._clock() < EARLIEST_TS:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            if stop.is_set():
                return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        if not await self._wait_for_clock(stop) or not await self._start(stop):
            return
        deadline = self._clock()
        consecutive = 0
        while not await self._sleep_until(deadline, stop):
            interval = self.sensor.poll_interval_s
            if self._clock() - deadline > 2 * interval:
                deadline = self._clock()
                self.resyncs += 1
            try:
                async with self.lock:
                    samples = await asyncio.to_thread(self.sensor.read, deadline)
            except (OSError, SensorError) as exc:
                self.failures += 1
                consecutive += 1
                self._log_failure(exc)
                if consecutive >= RESTART_AFTER_FAILURES:
                    consecutive = 0
                    self.started = False
                    if not await self._start(stop):
                        return
                    deadline = self._clock()
                    continue
            else:
                consecutive = 0
                self.reads += 1
                if samples:
                    self._sink(self.sensor, samples)
            deadline += interval

    async def set_rate(self, rate_hz: float) -> float:
        async with self.lock:
            return await asyncio.to_thread(self.sensor.set_rate_hz, rate_hz)

    async def close(self) -> None:
        async with self.lock:
            with contextlib.suppress(OSError, SensorError):
                await asyncio.to_thread(self.sensor.close)
