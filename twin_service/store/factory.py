"""Choose a store from ``ACCESSTWIN_STORE`` (``sqlite:///path``, ``memory://``, ``influxdb://``)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from urllib.parse import urlsplit

from twin_service.store.base import TimeSeriesStore
from twin_service.store.influx_url import SCHEMES as INFLUX_SCHEMES
from twin_service.store.influx_url import parse_influx_url, redact
from twin_service.store.memory import MemoryStore
from twin_service.store.sqlite import SqliteStore


def check_store_url(url: str) -> None:
    """Raise ValueError saying what is wrong with a store URL.

    For SQLite that includes the file system: the database's directory must exist and
    be writable (and the file, if there is one already), so that a bad path stops
    start-up with one line rather than failing later in the app's lifespan.
    """
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise ValueError(
                f"must be sqlite:///relative/path or sqlite:////absolute/path, got {url!r}"
            )
        _check_sqlite_path(sqlite_path(url))
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


def sqlite_path(url: str) -> Path:
    """The database file of a ``sqlite:///`` URL (three slashes, then the path)."""
    return Path(url[len("sqlite:///") :])


def _check_sqlite_path(path: Path) -> None:
    directory = path.parent
    if not directory.is_dir():
        raise ValueError(f"directory {str(directory)!r} for {path.name!r} does not exist")
    if path.is_dir():
        raise ValueError(f"{str(path)!r} is a directory, not a database file")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ValueError(f"directory {str(directory)!r} is not writable")
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        raise ValueError(f"database file {str(path)!r} is not readable and writable")


def open_store(url: str) -> TimeSeriesStore:
    check_store_url(url)
    if url.startswith("memory:"):
        return MemoryStore()
    if urlsplit(url).scheme in INFLUX_SCHEMES:
        from twin_service.store.influx import InfluxStore

        return InfluxStore(parse_influx_url(url))
    return SqliteStore(sqlite_path(url))
