"""``GET /api/v1/twins/{lab}/{kit}/history`` through the FastAPI app, in process.

The app's lifespan (MQTT, background tasks) is not started: the history route needs
only the store, which the test opens and fills itself.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.app import app_client
from twin_service.store.base import AppliedMessage, SamplePoint, WaveformChunk
from twin_service.store.sqlite import SqliteStore

TOKEN = "history-test-" + uuid.uuid4().hex
GRID = 1_764_060_000.0  # a 10 s grid line
PATH = "/api/v1/twins/lab1/k1/history"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    store = SqliteStore(tmp_path / "h.db")
    await store.open()
    readings = [(0, 70), (4, 74), (10, 80), (11, 81), (12, 82), (25, 95)]
    await store.write(
        [
            AppliedMessage(
                "lab1", "k1", i, GRID, [SamplePoint("lab1", "k1", "hr", GRID + t, v, GRID)]
            )
            for i, (t, v) in enumerate(readings)
        ]
    )
    ppg = WaveformChunk("ppg", GRID + 0.5, 4.0, [1, 2, 3, 4, 5, 6, 7, 8])  # 0.5 .. 2.25 s
    await store.write([AppliedMessage("lab1", "k1", 100, GRID, [], [ppg])])
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with app_client(TOKEN, store, headers) as (_, made):
        yield made
    await store.close()


async def test_every_returns_the_mean_of_each_bucket(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, params={"sensor": "hr", "every": "10"})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sensor": "hr",
        "unit": "bpm",
        "every": 10.0,
        "points": [[GRID, 72.0], [GRID + 10, 81.0], [GRID + 20, 95.0]],
    }
    newest = await client.get(PATH, params={"sensor": "hr", "every": "10", "limit": "2"})
    assert newest.json()["points"] == [[GRID + 10, 81.0], [GRID + 20, 95.0]]
    bounded = await client.get(
        PATH,
        params={
            "sensor": "hr",
            "every": "5",
            "start": str(GRID + 4),
            "end": "2025-11-25T08:40:11Z",
        },
    )
    assert bounded.json()["points"] == [[GRID, 74.0], [GRID + 10, 80.5]]


async def test_every_works_for_a_waveform(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, params={"sensor": "ppg", "every": "1"})
    assert response.status_code == 200, response.text
    assert response.json()["points"] == [[GRID, 1.5], [GRID + 1, 4.5], [GRID + 2, 7.5]]
    half = await client.get(PATH, params={"sensor": "ppg", "every": "0.5"})
    assert [v for _, v in half.json()["points"]] == [1.5, 3.5, 5.5, 7.5]


async def test_without_every_the_raw_points_come_back(client: httpx.AsyncClient) -> None:
    response = await client.get(PATH, params={"sensor": "hr", "limit": "2"})
    assert response.json() == {
        "sensor": "hr",
        "unit": "bpm",
        "points": [[GRID + 12, 82.0], [GRID + 25, 95.0]],
    }


@pytest.mark.parametrize(
    ("every", "message"),
    [
        ("0", "greater than or equal to 0.001"),
        ("0.0005", "greater than or equal to 0.001"),
        ("-10", "greater than or equal to 0.001"),
        ("86400.5", "less than or equal to 86400"),
        ("ten", "valid number"),
        ("nan", "finite number"),
        ("inf", "finite number"),
        ("PT10S", "valid number"),
    ],
)
async def test_a_bad_every_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, every: str, message: str
) -> None:
    response = await client.get(PATH, params={"sensor": "hr", "every": every})
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "every"]
    assert message in error["msg"]


async def test_history_needs_the_token(client: httpx.AsyncClient) -> None:
    response = await client.get(
        PATH, params={"sensor": "hr", "every": "10"}, headers={"Authorization": "Bearer nope"}
    )
    assert response.status_code == 401
