"""The FastAPI app in process, over httpx (no broker, no server; the lifespan is not run)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from twin_service.app import create_app
from twin_service.runtime import Runtime
from twin_service.settings import Settings
from twin_service.store.base import TimeSeriesStore
from twin_service.store.memory import MemoryStore


@asynccontextmanager
async def app_client(
    api_token: str,
    store: TimeSeriesStore | None = None,
    headers: dict[str, str] | None = None,
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """The app's runtime and a client for it, with ``store`` (default: a new MemoryStore)."""
    app = create_app(
        Settings(api_token=api_token, store="memory://"),
        store=store if store is not None else MemoryStore(),
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as client:
        yield app.state.runtime, client
