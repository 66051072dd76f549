"""Choose a store from ``ACCESSTWIN_STORE`` (``sqlite:///path``, ``memory://``, ``influxdb://``)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from urllib.parse import urlsplit

from twin_service.store.base import TimeSeriesStore
from twin_service.store.influx_url import SCHEMES as INFLUX_SCHEMES
from twin_service.store.influx_url import parse_influx_url, redact
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
    if scheme in INFLUX_SCHEMES:
        parse_influx_url(url)
        if importlib.util.find_spec("influxdb_client") is None:
            raise ValueError(
                "influxdb:// needs the influxdb-client package (pip install influxdb-client)"
            )
        return
    raise ValueError(
        f"unknown store {redact(url)!r}; use sqlite:///path, memory:// or"
        " influxdb://TOKEN@HOST:8086/ORG/BUCKET"
    )


def open_store(url: str) -> TimeSeriesStore:
    check_store_url(url)
    if url.startswith("memory:"):
        return MemoryStore()
    if urlsplit(url).scheme in INFLUX_SCHEMES:
        from twin_service.store.influx import InfluxStore

        return InfluxStore(parse_influx_url(url))
    return SqliteStore(Path(url[len("sqlite:///") :]))
