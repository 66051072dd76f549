from __future__ import annotations

import math
import random
import time
from pathlib import Path

import pytest

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage, BucketWidth, SamplePoint, TimeSeriesStore
from twin_service.store.memory import MemoryStore
from twin_service.store.sqlite import SqliteStore

NOW = time.time()
KIT = KitRef("lab", "kit")


def msg(seq: int, ts: float, value: float, sensor: str = "hr") -> AppliedMessage:
    return AppliedMessage(
        "lab", "kit", seq, NOW, [SamplePoint("lab", "kit", sensor, ts, value, NOW)]
    )


@pytest.fixture(params=["sqlite", "memory"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> TimeSeriesStore:
    made: TimeSeriesStore = (
        SqliteStore(tmp_path / "h.db") if request.param == "sqlite" else MemoryStore()
    )
    await made.open()
    return made


async def test_a_message_is_stored_once_even_when_written_twice(store: TimeSeriesStore) -> None:
    assert await store.write([msg(1, NOW, 70), msg(2, NOW + 1, 71)]) == 2
    assert await store.write([msg(2, NOW + 1, 71), msg(3, NOW + 2, 72)]) == 1
    points = await store.history(KIT, "hr", None, None, 100)
    assert points == [(NOW, 70), (NOW + 1, 71), (NOW + 2, 72)]
    assert (await store.recent_seqs(10))[KIT] == [1, 2, 3]
    await store.close()


async def test_history_is_ascending_newest_limit_within_range(store: TimeSeriesStore) -> None:
    # Written out of order, as a kit replaying its offline buffer would.
    await store.write([msg(i, NOW + (i * 7) % 10, float(i)) for i in range(10)])
    points = await store.history(KIT, "hr", NOW + 2, NOW + 8, 3)
    assert [ts for ts, _ in points] == [NOW + 6, NOW + 7, NOW + 8]
    await store.close()


async def test_latest_values_and_prune(store: TimeSeriesStore) -> None:
    await store.write([msg(1, NOW - 100, 60), msg(2, NOW, 80), msg(3, NOW - 50, 70)])
    (latest,) = await store.latest_values()
    assert (latest.sensor, latest.ts, latest.value) == ("hr", NOW, 80)
    assert await store.prune(NOW - 60) == 1
    assert len(await store.history(KIT, "hr", None, None, 10)) == 2
    assert await store.check_writable()
    await store.close()


async def test_sqlite_file_survives_reopen_and_reports_unwritable(tmp_path: Path) -> None:
    path = tmp_path / "h.db"
    first = SqliteStore(path)
    await first.open()
    await first.write([msg(1, NOW, 70)])
    await first.close()
    second = SqliteStore(path)
    await second.open()
    assert await second.history(KIT, "hr", None, None, 10) == [(NOW, 70)]
    assert (await second.latest_values())[0].value == 70
    await second.close()
    with pytest.raises(StoreError, match="does not exist"):
        await SqliteStore(tmp_path / "missing" / "h.db").open()


def wave(seq: int, ts0: float, values: list[float]) -> AppliedMessage:
    from twin_service.store.base import WaveformChunk

    return AppliedMessage("lab", "kit", seq, NOW, [], [WaveformChunk("ppg", ts0, 50.0, values)])


async def test_waveform_chunks_come_back_as_points(store: TimeSeriesStore) -> None:
    assert await store.write([wave(1, NOW, [1.0, 2.0, 3.0]), wave(2, NOW + 0.06, [4.0, 5.0])]) == 5
    assert await store.write([wave(2, NOW + 0.06, [4.0, 5.0])]) == 0  # redelivery
    points = await store.history(KIT, "ppg", None, None, 100)
    assert [v for _, v in points] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [round(ts - NOW, 3) for ts, _ in points] == [0.0, 0.02, 0.04, 0.06, 0.08]
    newest_three = await store.history(KIT, "ppg", None, None, 3)
    assert [v for _, v in newest_three] == [3.0, 4.0, 5.0]
    middle = await store.history(KIT, "ppg", NOW + 0.01, NOW + 0.07, 100)
    assert [v for _, v in middle] == [2.0, 3.0, 4.0]
    (latest,) = [v for v in await store.latest_values() if v.sensor == "ppg"]
    assert (latest.value, round(latest.ts - NOW, 3)) == (5.0, 0.08)
    assert await store.prune(NOW + 0.05) >= 0
    assert [v for _, v in await store.history(KIT, "ppg", None, None, 100)] == [4.0, 5.0]
    await store.close()


# Downsampling. Times are whole quarter seconds from a 10 s grid line, so every device
# time and every bucket boundary is exact in binary floating point.
GRID = 1_764_060_000.0


def reading(seq: int, offset: float, value: float, sensor: str = "hr") -> AppliedMessage:
    return AppliedMessage(
        "lab", "kit", seq, NOW, [SamplePoint("lab", "kit", sensor, GRID + offset, value, NOW)]
    )


def quarter_wave(seq: int, offset: float, values: list[float]) -> AppliedMessage:
    from twin_service.store.base import WaveformChunk

    chunk = WaveformChunk("ppg", GRID + offset, 4.0, values)
    return AppliedMessage("lab", "kit", seq, NOW, [], [chunk])


async def test_history_means_of_readings_per_bucket(store: TimeSeriesStore) -> None:
    data = [(0, 70), (1, 72), (4.75, 77), (5, 80), (9.5, 90), (12, 60), (13, 61), (30, 99)]
    await store.write([reading(i, t, v) for i, (t, v) in enumerate(data)])
    await store.write([reading(99, 1, 1000, sensor="spo2")])  # another sensor: not mixed in
    five = BucketWidth.from_seconds(5)
    means = await store.history_means(KIT, "hr", None, None, five, 100)
    assert means == [
        (GRID + 0, (70 + 72 + 77) / 3),
        (GRID + 5, (80 + 90) / 2),
        (GRID + 10, (60 + 61) / 2),
        (GRID + 30, 99.0),  # empty buckets (15, 20, 25) are left out
    ]
    assert await store.history_means(KIT, "hr", None, None, five, 2) == means[-2:]
    inside = await store.history_means(KIT, "hr", GRID + 1, GRID + 12, five, 100)
    assert inside == [(GRID + 0, (72 + 77) / 2), (GRID + 5, 85.0), (GRID + 10, 60.0)]
    whole = await store.history_means(KIT, "hr", None, None, BucketWidth.from_seconds(60), 10)
    assert whole == [(GRID, sum(v for _, v in data) / len(data))]
    fine = await store.history_means(KIT, "hr", GRID, GRID + 1, BucketWidth.from_seconds(0.25), 9)
    assert fine == [(GRID, 70.0), (GRID + 1, 72.0)]
    assert await store.history_means(KIT, "nothing", None, None, five, 10) == []
    await store.close()


async def test_history_means_of_a_waveform_per_bucket(store: TimeSeriesStore) -> None:
    # 4 Hz chunks: samples at 0.5, 0.75, 1.0, 1.25 s, then at 1.5, 1.75, 2.0, 2.25 s.
    await store.write([quarter_wave(1, 0.5, [1, 2, 3, 4]), quarter_wave(2, 1.5, [5, 6, 7, 8])])
    second = BucketWidth.from_seconds(1)
    means = await store.history_means(KIT, "ppg", None, None, second, 10)
    assert means == [(GRID + 0, 1.5), (GRID + 1, 4.5), (GRID + 2, 7.5)]
    # The newest two buckets, the middle one still made of both chunks.
    assert await store.history_means(KIT, "ppg", None, None, second, 2) == means[1:]
    assert await store.history_means(KIT, "ppg", GRID + 0.75, GRID + 1.5, second, 10) == [
        (GRID + 0, 2.0),
        (GRID + 1, 4.0),
    ]
    # A reading of the same sensor joins the chunks' samples in its bucket.
    await store.write([reading(3, 1.1, 10, sensor="ppg")])
    means = await store.history_means(KIT, "ppg", None, None, second, 10)
    assert means[1] == (GRID + 1, (3 + 4 + 5 + 6 + 10) / 5)
    await store.close()


@pytest.mark.parametrize("seed", range(6))
async def test_history_means_match_a_plain_computation(store: TimeSeriesStore, seed: int) -> None:
    """Readings and overlapping chunks written out of order, any bucket width and limit:
    the same answer as averaging the points ``history`` returns."""
    rng = random.Random(seed)
    messages = [
        quarter_wave(seq, rng.randrange(0, 400) / 4, [rng.uniform(0, 1000) for _ in range(8)])
        if rng.random() < 0.7
        else reading(seq, rng.randrange(0, 400) / 4, rng.uniform(0, 1000), sensor="ppg")
        for seq in range(60)
    ]
    await store.write(messages)
    every = BucketWidth.from_seconds(rng.choice([0.5, 1, 2.5, 7, 30]))
    limit = rng.choice([1, 3, 10, 1_000])
    start = GRID + rng.randrange(0, 40) / 4
    points = await store.history(KIT, "ppg", start, None, 100_000)
    buckets: dict[int, list[float]] = {}
    for ts, value in points:
        buckets.setdefault(math.floor(ts / every.seconds), []).append(value)
    expected = [(k * every.seconds, sum(v) / len(v)) for k, v in sorted(buckets.items())]
    got = await store.history_means(KIT, "ppg", start, None, every, limit)
    assert len(got) == min(limit, len(expected))
    for (ts, mean), (want_ts, want_mean) in zip(got, expected[-limit:], strict=True):
        assert ts == pytest.approx(want_ts, abs=1e-6)
        assert mean == pytest.approx(want_mean, rel=1e-12)
    await store.close()


def test_bucket_widths_are_bounded_whole_nanoseconds() -> None:
    assert BucketWidth.from_seconds(10).ns == 10 * 10**9
    assert BucketWidth.from_seconds(0.001).seconds == 0.001
    assert BucketWidth.from_seconds(86_400).ns == 86_400 * 10**9
    width = BucketWidth.from_seconds(0.1)
    assert (width.key(-0.05), width.start(-1)) == (-1, -0.1)
    for bad in (0, 0.0009, 86_401, -5, math.nan, math.inf):
        with pytest.raises(ValueError, match=r"0\.001 to 86400"):
            BucketWidth.from_seconds(bad)


async def test_a_batch_repeating_a_seq_or_mixing_old_and_new_stores_each_once(
    store: TimeSeriesStore,
) -> None:
    assert await store.write([msg(1, NOW, 70), msg(1, NOW, 70), msg(2, NOW + 1, 71)]) == 2
    # One stored before among new ones: the fast path (every seq new) must not be taken.
    assert await store.write([msg(3, NOW + 2, 72), msg(2, NOW + 1, 71), msg(4, NOW + 3, 73)]) == 2
    points = await store.history(KIT, "hr", None, None, 100)
    assert [v for _, v in points] == [70, 71, 72, 73]
    assert (await store.recent_seqs(10))[KIT] == [1, 2, 3, 4]


async def test_sqlite_commits_on_the_loop_and_waits_on_its_thread_for_another_writer(
    tmp_path: Path,
) -> None:
    import asyncio
    import sqlite3

    store = SqliteStore(tmp_path / "h.db")
    await store.open()
    assert await store.write([msg(1, NOW, 70)]) == 1
    assert store.inline_writes == 1  # nothing else held the lock: done on the loop
    other = sqlite3.connect(tmp_path / "h.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    write = asyncio.create_task(store.write([msg(2, NOW + 1, 71)]))
    await asyncio.sleep(0.2)
    assert not write.done()  # waiting on the writer thread, not failing, not blocking us
    other.execute("COMMIT")
    other.close()
    assert await asyncio.wait_for(write, 5) == 1
    assert store.inline_writes == 1
    assert [v for _, v in await store.history(KIT, "hr", None, None, 10)] == [70, 71]
    await store.close()
