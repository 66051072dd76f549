"""InfluxStore's real write path against VictoriaMetrics' InfluxDB v2 write API.

VictoriaMetrics accepts ``/api/v2/write`` (line protocol, gzip) and answers ``/ping``,
and names the series ``twin_value`` / ``twin_received_at`` with labels lab, kit, sensor.
It keeps milliseconds (it cuts the written ns times down to ms), and it is started
with ``-dedup.minScrapeInterval=1ms`` so that, as in InfluxDB, a rewritten point
replaces itself. It does not speak Flux: ``history``/``latest_values`` are tested
against hand-written InfluxDB answers (tests/data/influx, cross-checked with
influxdb-client's parser) in tests/unit/test_influx_flux.py instead.
"""

from __future__ import annotations

import asyncio
import functools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.broker import free_port, wait_for_port
from tests.support.programs import require_program
from twin_service.ops.metrics import ServiceMetrics
from twin_service.store.base import AppliedMessage, SamplePoint
from twin_service.store.influx import InfluxStore
from twin_service.store.influx_lines import ts_to_ns
from twin_service.store.influx_url import parse_influx_url
from twin_service.store.writer import StoreWriter

pytestmark = pytest.mark.integration
BINARY = shutil.which("victoria-metrics")
Point = tuple[str, str, str, int, float]  # lab, kit, sensor, ts in ms, value


@dataclass
class Victoria:
    workdir: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert BINARY is not None
        log = (self.workdir / "victoria.log").open("ab")
        self.process = subprocess.Popen(
            [
                BINARY,
                f"-httpListenAddr=127.0.0.1:{self.port}",
                f"-storageDataPath={self.workdir / 'data'}",
                "-dedup.minScrapeInterval=1ms",
                "-retentionPeriod=100y",
                "-loggerLevel=ERROR",
            ],
            stdout=log,
            stderr=log,
        )
        wait_for_port(self.port, timeout=20)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None

    def export(self, name: str) -> set[Point]:
        """Every stored sample of series ``name``."""
        urllib.request.urlopen(f"{self.base}/internal/force_flush", timeout=10).read()
        request = urllib.request.Request(
            f"{self.base}/api/v1/export", data=f"match[]={{__name__={name!r}}}".encode()
        )
        out: set[Point] = set()
        with urllib.request.urlopen(request, timeout=30) as response:
            for line in response.read().decode().splitlines():
                row = json.loads(line)
                labels = row["metric"]
                for ts, value in zip(row["timestamps"], row["values"], strict=True):
                    out.add((labels["lab"], labels["kit"], labels["sensor"], ts, float(value)))
        return out

    def wait_for(self, name: str, expected: set[Point], timeout: float = 30) -> set[Point]:
        deadline = time.monotonic() + timeout
        got = self.export(name)
        while got != expected and time.monotonic() < deadline:
            time.sleep(0.5)
            got = self.export(name)
        return got


@pytest.fixture
def victoria(tmp_path: Path) -> Iterator[Victoria]:
    require_program("victoria-metrics", BINARY is not None, "apt-get install victoria-metrics")
    server = Victoria(tmp_path)
    server.start()
    yield server
    server.stop()


def make_store(victoria: Victoria, tmp_path: Path, spool_after_s: float = 30) -> InfluxStore:
    url = (
        f"influxdb://test-token@127.0.0.1:{victoria.port}/lab-org/twins"
        f"?spool={tmp_path / 'spool.db'}&spool_after_s={spool_after_s}&timeout_s=5"
    )
    return InfluxStore(parse_influx_url(url))


def message(kit: str, seq: int, base_ms: int, received_at: float) -> AppliedMessage:
    """A vitals reading plus a 50-sample PPG waveform at 50 Hz (20 ms apart)."""
    ts = base_ms / 1000
    points = [SamplePoint("lab", kit, "hr", ts, 60.0 + seq % 40, received_at)]
    points += [
        SamplePoint("lab", kit, "ppg", (base_ms + 20 * i) / 1000, 512.0 + i, received_at)
        for i in range(50)
    ]
    return AppliedMessage("lab", kit, seq, received_at, points)


def expected(messages: list[AppliedMessage]) -> set[Point]:
    """The samples as VictoriaMetrics keeps them: the written ns time cut to milliseconds."""
    return {
        (p.lab, p.kit, p.sensor, ts_to_ns(p.ts) // 1_000_000, p.value)
        for m in messages
        for p in m.points
    }


async def test_every_written_point_is_read_back(victoria: Victoria, tmp_path: Path) -> None:
    store = make_store(victoria, tmp_path)
    await store.open()
    start_ms = (int(time.time()) - 3_600) * 1000
    messages = [
        message(kit, seq, start_ms + seq * 1000, time.time())
        for kit in ("k1", "k2", "k3")
        for seq in range(1, 201)
    ]
    written = 0
    for i in range(0, len(messages), 50):  # batches as the service's writer makes them
        written += await store.write(messages[i : i + 50])
    assert await store.write(messages[:50]) == 0  # redelivered: seqs already stored
    assert written == 600 * 51 == 30_600
    got = victoria.wait_for("twin_value", expected(messages))
    assert got == expected(messages)
    received = victoria.export("twin_received_at")
    assert len(received) == written
    assert await store.check_writable()
    await store.close()


async def settle(condition: Callable[[], bool], timeout: float) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_30_second_outage_loses_nothing(victoria: Victoria, tmp_path: Path) -> None:
    store = make_store(victoria, tmp_path, spool_after_s=10)
    await store.open()
    metrics = ServiceMetrics()
    writer = StoreWriter(store, metrics, batch_max=200, max_backoff_s=1.0)
    writer_task = asyncio.create_task(writer.run())
    acked: list[int] = []
    sent: list[AppliedMessage] = []
    start_ms = (int(time.time()) - 7_200) * 1000

    async def produce(count: int, rate_hz: float) -> None:
        for _ in range(count):
            seq = len(sent) + 1
            sent.append(message("k1", seq, start_ms + seq * 1000, time.time()))
            writer.enqueue(sent[-1], functools.partial(acked.append, seq))
            await asyncio.sleep(1 / rate_hz)

    await produce(100, 50)  # 2 s with the server up
    victoria.stop()
    outage_started = time.monotonic()
    await produce(250, 50)  # 5 s while it is away: refused, retried, not acked
    acked_early_in_outage = len(acked)
    await produce(1_150, 50)  # 23 s more: after 10 s away, batches are spooled and acked
    await asyncio.sleep(max(0.0, 30 - (time.monotonic() - outage_started)))
    await settle(lambda: writer.pending == 0, 5)  # the last batches are being spooled
    acked_during_outage = len(acked)
    spooled_points = store.spool.points
    victoria.start()
    await produce(100, 50)
    assert await writer.drain(60)
    await settle(lambda: store.spool.points == 0, 60)  # replayed
    writer_task.cancel()

    errors = metrics.registry.get_sample_value("accesstwin_store_errors_total")
    assert errors is not None and errors > 0
    want = expected(sent)
    print(
        f"outage: {len(sent)} messages, {len(want)} points sent;"
        f" {acked_early_in_outage} acked 5 s into the outage, {acked_during_outage} after 30 s"
        f" ({spooled_points} points spooled); {errors:.0f} failed writes retried"
    )
    assert acked_early_in_outage <= 100  # only messages sent before the outage
    assert acked_during_outage == 1_500 and spooled_points > 0  # spooled, acked
    assert store.spool.points == 0
    assert sorted(acked) == list(range(1, 1_601))
    got = victoria.wait_for("twin_value", want)
    assert len(got) == len(want) == 1_600 * 51
    assert sorted(p[3] for p in got) == sorted(p[3] for p in want)
    assert got == want
    await store.close()
