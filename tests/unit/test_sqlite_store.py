from __future__ import annotations

import time
from pathlib import Path

import pytest

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.store.base import AppliedMessage, SamplePoint, TimeSeriesStore
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
