"""Choose a store from ``ACCESSTWIN_STORE`` (``sqlite:///path``, ``memory://``)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from twin_service.store.base import TimeSeriesStore
from twin_service.store.memory import MemoryStore
from twin_service.store.sqlite import SqliteStore


def check_store_url(url: str) -> None:
    """Raise ValueError saying what is wrong with a store URL."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise ValueError(
                f"must be sqlite:///relative/path or sqlite:////absolute/path, got {url!r}"
            )
        return
    if scheme == "memory":
        return
    if scheme == "influxdb":
        raise ValueError(
            "influxdb:// is not available in this version yet; use sqlite:/// or memory://"
        )
    raise ValueError(f"unknown store {url!r}; use sqlite:///path or memory://")


def open_store(url: str) -> TimeSeriesStore:
    check_store_url(url)
    if url.startswith("memory:"):
        return MemoryStore()
    return SqliteStore(Path(url[len("sqlite:///") :]))
