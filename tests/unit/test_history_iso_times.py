"""History ``start``/``end`` as ISO 8601 through the API (CONTRACT: "Unix seconds or ISO
8601"; twin_service/api/timeparse.py): with ``Z``, with an offset, naive (UTC), with
fractions; a bad one is a 422 naming the parameter."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.app import app_client
from twin_service.store.base import AppliedMessage, SamplePoint
from twin_service.store.memory import MemoryStore

TOKEN = "iso-history-" + uuid.uuid4().hex
GRID = 1_764_060_000.0  # 2025-11-25T08:40:00Z
PATH = "/api/v1/twins/lab1/k1/history"
OFFSETS = [0, 30, 59.5, 60, 90, 3_600]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    store = MemoryStore()
    await store.open()
    await store.write(
        [
            AppliedMessage(
                "lab1", "k1", i, GRID, [SamplePoint("lab1", "k1", "hr", GRID + t, 60 + i, GRID)]
            )
            for i, t in enumerate(OFFSETS)
        ]
    )
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with app_client(TOKEN, store, headers) as (_, made):
        yield made
    await store.close()


async def stamps(client: httpx.AsyncClient, **params: str) -> list[float]:
    response = await client.get(PATH, params={"sensor": "hr", **params})
    assert response.status_code == 200, response.text
    return [ts - GRID for ts, _ in response.json()["points"]]


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2025-11-25T08:40:30Z", "2025-11-25T08:41:00Z"),
        ("2025-11-25T09:40:30+01:00", "2025-11-25T03:41:00-05:00"),
        ("2025-11-25T08:40:30", "2025-11-25T08:41:00"),  # naive: UTC
        ("2025-11-25T08:40:30.000Z", "2025-11-25 08:41:00+00:00"),
        (str(GRID + 30), "2025-11-25T08:41:00Z"),  # the two forms mixed
    ],
)
async def test_iso_8601_bounds_select_the_same_points_as_unix_seconds(
    client: httpx.AsyncClient, start: str, end: str
) -> None:
    assert await stamps(client, start=str(GRID + 30), end=str(GRID + 60)) == [30, 59.5, 60]
    assert await stamps(client, start=start, end=end) == [30, 59.5, 60]


async def test_fractional_iso_seconds_are_kept(client: httpx.AsyncClient) -> None:
    assert await stamps(client, start="2025-11-25T08:40:59.6Z") == [60, 90, 3_600]
    assert await stamps(client, end="2025-11-25T08:40:59.4Z") == [0, 30]


@pytest.mark.parametrize(
    ("name", "value"),
    [("start", "yesterday"), ("end", "2025-13-45T99:00:00Z"), ("start", "nan")],
)
async def test_a_bad_time_is_a_422_naming_the_parameter(
    client: httpx.AsyncClient, name: str, value: str
) -> None:
    response = await client.get(PATH, params={"sensor": "hr", name: value})
    assert response.status_code == 422
    assert response.json()["detail"].startswith(name)
