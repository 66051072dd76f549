"""InfluxStore against a scripted fake InfluxDB 2 HTTP API (real influxdb-client, real HTTP).

The fake answers /ping, /api/v2/write (recording the gunzipped bodies) and /api/v2/query
(with the hand-written annotated CSV of tests/data/influx), and fails on demand.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage, BucketWidth, SamplePoint
from twin_service.store.influx import InfluxStore
from twin_service.store.influx_url import InfluxTarget

DATA = Path(__file__).parents[1] / "data" / "influx"
BASE = 1_764_060_000.0


class FakeInflux(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.writes: list[tuple[dict[str, list[str]], bytes]] = []
        self.queries: list[dict[str, object]] = []
        self.write_status: list[int] = []  # statuses to answer next, then 204
        self.down = False  # answer every request with 503
        self.query_answer = ""
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def lines(self) -> list[str]:
        return [line for _, body in self.writes for line in body.decode().split("\n")]


class _Handler(BaseHTTPRequestHandler):
    server: FakeInflux

    def log_message(self, format: str, *args: object) -> None:
        return None

    def _answer(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._answer(503 if self.server.down else 204)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            raw = gzip.decompress(raw)
        url = urlsplit(self.path)
        if self.server.down:
            return self._answer(503, b'{"code":"unavailable","message":"down"}')
        if url.path == "/api/v2/query":
            self.server.queries.append(json.loads(raw))
            return self._answer(200, self.server.query_answer.encode(), "text/csv")
        status = self.server.write_status.pop(0) if self.server.write_status else 204
        if status == 204:
            self.server.writes.append((parse_qs(url.query), raw))
        return self._answer(status, b'{"code":"invalid","message":"scripted failure"}')


@pytest.fixture
def fake() -> Iterator[FakeInflux]:
    server = FakeInflux()
    yield server
    server.shutdown()
    server.server_close()


def target(fake: FakeInflux, tmp_path: Path, **options: float) -> InfluxTarget:
    return InfluxTarget(
        f"http://{fake.url}", "org", "bucket", "tok", tmp_path / "spool.db",
        int(options.get("max_points", 1_000)), options.get("after", 3_600.0), 5.0,
    )  # fmt: skip


@pytest.fixture
async def store(fake: FakeInflux, tmp_path: Path) -> AsyncIterator[InfluxStore]:
    made = InfluxStore(target(fake, tmp_path), attempts=3, backoff_s=0.01)
    await made.open()
    yield made
    await made.close()


def msg(seq: int, *values: float, kit: str = "k1") -> AppliedMessage:
    points = [
        SamplePoint("a", kit, "hr", BASE + seq + i / 10, v, BASE) for i, v in enumerate(values)
    ]
    return AppliedMessage("a", kit, seq, BASE, points)


async def test_writes_line_protocol_once_per_seq(store: InfluxStore, fake: FakeInflux) -> None:
    assert await store.write([msg(1, 70, 71), msg(2, 72), msg(2, 72)]) == 3
    assert await store.write([msg(2, 72), msg(3, 73)]) == 1  # 2 was written before
    params, _ = fake.writes[0]
    assert params == {"org": ["org"], "bucket": ["bucket"], "precision": ["ns"]}
    assert fake.lines()[0] == (
        "twin,kit=k1,lab=a,sensor=hr value=70.0,received_at=1764060000.0 1764060001000000000"
    )
    assert len(fake.lines()) == 4
    assert (await store.recent_seqs(10))[KitRef("a", "k1")] == [1, 2, 3]
    assert await store.check_writable()
    assert await store.prune(BASE + 100) == 0
    assert await store.recent_seqs(10) == {}  # old seqs forgotten; points kept by InfluxDB


async def test_server_errors_are_retried_with_backoff(store: InfluxStore, fake: FakeInflux) -> None:
    fake.write_status = [503, 500]
    assert await store.write([msg(1, 70)]) == 1
    assert len(fake.writes) == 1 and not fake.write_status


async def test_a_short_outage_raises_store_error_and_records_nothing(
    store: InfluxStore, fake: FakeInflux
) -> None:
    fake.down = True
    with pytest.raises(StoreError, match="unavailable: HTTP 503"):
        await store.write([msg(1, 70)])
    assert await store.recent_seqs(10) == {}
    assert not await store.check_writable()
    fake.down = False
    assert await store.write([msg(1, 70)]) == 1  # the writer's retry succeeds
    assert await store.check_writable()


async def test_a_rejected_write_is_not_retried_or_spooled(fake: FakeInflux, tmp_path: Path) -> None:
    made = InfluxStore(target(fake, tmp_path, after=0), attempts=3, backoff_s=0.01)
    await made.open()
    fake.write_status = [401]
    with pytest.raises(StoreError, match="refused the write: HTTP 401"):
        await made.write([msg(1, 70)])
    assert made.spool.points == 0 and fake.write_status == []
    await made.close()


async def test_a_long_outage_spools_and_replays_in_order(fake: FakeInflux, tmp_path: Path) -> None:
    made = InfluxStore(target(fake, tmp_path, after=0.2), attempts=2, backoff_s=0.01)
    await made.open()
    fake.down = True
    with pytest.raises(StoreError):
        await made.write([msg(1, 70)])  # down for less than spool_after_s: refused
    await asyncio.sleep(0.25)
    assert await made.write([msg(1, 70)]) == 1  # now spooled (and acked)
    assert await made.write([msg(2, 71), msg(3, 72)]) == 2
    assert made.spool.points == 3 and await made.check_writable()
    assert (await made.recent_seqs(10))[KitRef("a", "k1")] == [1, 2, 3]
    fake.down = False
    assert await made.write([msg(4, 73)]) == 1  # queued behind the spool
    await wait_for(lambda: made.spool.points == 0)
    assert [line.split(" ")[-1][:10] for line in fake.lines()] == [
        "1764060001",
        "1764060002",
        "1764060003",
        "1764060004",
    ]
    assert await made.write([msg(5, 74)]) == 1  # straight to the server again
    assert len(fake.writes) == 4
    await made.close()


async def test_a_full_spool_refuses_and_a_spool_survives_restart(
    fake: FakeInflux, tmp_path: Path
) -> None:
    made = InfluxStore(target(fake, tmp_path, after=0, max_points=3), attempts=1)
    await made.open()
    fake.down = True
    assert await made.write([msg(1, 70, 71)]) == 2
    with pytest.raises(StoreError, match=r"is full \(2 of 3 points\)"):
        await made.write([msg(2, 72, 73)])  # 4 > 3 points
    await made.close()
    fake.down = False
    again = InfluxStore(target(fake, tmp_path, after=0, max_points=3), attempts=1)
    await again.open()
    await wait_for(lambda: again.spool.points == 0)
    assert len(fake.lines()) == 2
    assert await again.write([msg(1, 70, 71)]) == 0  # seq 1 was acked while spooled
    await again.close()


async def test_spool_fill_is_exposed_and_90_percent_is_logged_once_per_crossing(
    fake: FakeInflux, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def near_full_warnings() -> list[str]:
        return [r.getMessage() for r in caplog.records if "% full" in r.getMessage()]

    caplog.set_level("INFO", logger="twin_service.store")
    made = InfluxStore(target(fake, tmp_path, after=0, max_points=10), attempts=1, backoff_s=0.01)
    await made.open()
    assert (made.spooled_points, made.spool_max_points) == (0, 10)
    fake.down = True
    assert await made.write([msg(1, 70, 71, 72, 73, 74, 75, 76, 77)]) == 8
    assert made.spooled_points == 8 and near_full_warnings() == []  # 80 %: not yet
    assert await made.write([msg(2, 78)]) == 1
    assert made.spooled_points == 9
    assert near_full_warnings() == [
        f"InfluxDB spool {tmp_path / 'spool.db'} is 90% full (9 of 10 points);"
        " when full, writes fail until InfluxDB is back"
    ]
    assert await made.write([msg(3, 79)]) == 1  # 100 %: still the same crossing
    assert len(near_full_warnings()) == 1
    fake.down = False
    await wait_for(lambda: made.spooled_points == 0)
    assert any("back below 80%" in r.getMessage() for r in caplog.records)
    fake.down = True
    assert await made.write([msg(4, 1, 2, 3, 4, 5, 6, 7, 8, 9)]) == 9  # crosses again
    assert len(near_full_warnings()) == 2
    await made.close()
    fake.down = False
    caplog.clear()
    again = InfluxStore(target(fake, tmp_path, after=0, max_points=10), attempts=1)
    await again.open()  # a spool found 90 % full at start-up is reported too
    assert len(near_full_warnings()) == 1
    await wait_for(lambda: again.spooled_points == 0)
    await again.close()


async def test_a_refused_replay_makes_the_store_not_ready(fake: FakeInflux, tmp_path: Path) -> None:
    made = InfluxStore(
        target(fake, tmp_path, after=0), attempts=1, backoff_s=0.01, replay_max_backoff_s=0.05
    )
    await made.open()
    fake.down = True
    assert await made.write([msg(1, 70)]) == 1  # spooled
    fake.write_status = [400] * 1_000  # e.g. a field type conflict in a shared bucket
    fake.down = False
    await wait_for(lambda: len(fake.write_status) < 995)
    assert made.spool.points == 1  # kept, not dropped
    assert not await made.check_writable()
    fake.write_status = []
    await wait_for(lambda: made.spool.points == 0)
    assert await made.check_writable()
    await made.close()


async def test_no_spool_when_it_is_turned_off(fake: FakeInflux, tmp_path: Path) -> None:
    made = InfluxStore(target(fake, tmp_path, after=0, max_points=0), attempts=1)
    await made.open()
    fake.down = True
    with pytest.raises(StoreError):
        await made.write([msg(1, 70)])
    assert not await made.check_writable()
    await made.close()


async def test_history_and_latest_from_stored_answers(store: InfluxStore, fake: FakeInflux) -> None:
    fake.query_answer = (DATA / "history_hr.csv").read_text()
    points = await store.history(KitRef("a", "k1"), "hr", BASE, BASE + 10, 5)
    assert [v for _, v in points] == [72.0, 73.0, 73.25, 74.0, 75.5]
    sent = fake.queries[-1]
    assert 'r.sensor == "hr"' in str(sent["query"])
    assert sent["dialect"] == {
        "header": True, "delimiter": ",", "commentPrefix": "#",
        "annotations": ["datatype", "group", "default"], "dateTimeFormat": "RFC3339",
    }  # fmt: skip
    assert await store.history(KitRef("a", "k1"), "hr", BASE + 10, BASE, 5) == []
    fake.query_answer = (DATA / "latest.csv").read_text()
    assert [(r.lab, r.kit, r.sensor) for r in await store.latest_values()] == [
        ("a", "k1", "hr"), ("a", "k1", "spo2"), ("a", "k2", "hr"), ("b", "k1", "depth_mm"),
    ]  # fmt: skip
    fake.query_answer = (DATA / "error_midstream.csv").read_text()
    with pytest.raises(StoreError, match="type conflict"):
        await store.latest_values()


async def test_history_means_sends_aggregate_window_and_aligns_buckets(
    store: InfluxStore, fake: FakeInflux
) -> None:
    fake.query_answer = (DATA / "history_means_hr.csv").read_text()
    every = BucketWidth.from_seconds(10)
    points = await store.history_means(KitRef("a", "k1"), "hr", BASE + 3.5, None, every, 3)
    assert points == [(BASE, 70.0), (BASE + 10, 72.25), (BASE + 20, 73.5)]
    query = str(fake.queries[-1]["query"])
    assert "range(start: 2025-11-25T08:40:03.500000000Z, stop: 2200-01-01" in query
    assert "aggregateWindow(every: 10s, fn: mean, createEmpty: false" in query
    assert "limit(n: 3)" in query
    asked = len(fake.queries)
    assert await store.history_means(KitRef("a", "k1"), "hr", BASE + 9, BASE, every, 3) == []
    assert len(fake.queries) == asked  # an empty range is not sent
    fake.query_answer = (DATA / "error_midstream.csv").read_text()
    with pytest.raises(StoreError, match="type conflict"):
        await store.history_means(KitRef("a", "k1"), "hr", None, None, every, 3)


async def test_an_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    server = FakeInflux()
    server.shutdown()
    server.server_close()  # nothing listens on that port any more
    made = InfluxStore(target(server, tmp_path), attempts=2, backoff_s=0.01)
    await made.open()
    with pytest.raises(StoreError, match="unavailable: NewConnectionError"):
        await made.write([msg(1, 70)])
    with pytest.raises(StoreError, match="query failed"):
        await made.history(KitRef("a", "k1"), "hr", None, None, 10)
    assert not await made.check_writable()
    await made.close()


async def wait_for(condition: object, timeout: float = 10.0) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.02)
