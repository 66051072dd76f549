"""``ACCESSTWIN_RECORDS``: which database holds the learning records.

``sqlite:///path`` (default: beside the SQLite history, ``<name>-records.db``, e.g.
``accesstwin.db`` → ``accesstwin-records.db``) or ``postgresql://user:pass@host/db``.
With a ``memory://`` history the records are kept in an in-memory SQLite database,
``sqlite://`` (nothing outlives the process, as with the history); with InfluxDB they go
to ``./accesstwin-records.db``.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("sqlite", "postgresql", "postgres")
MEMORY_URL = "sqlite://"  # in-memory SQLite: gone when the process ends


def default_records_url(store_url: str) -> str:
    scheme = urlsplit(store_url).scheme
    if scheme == "sqlite" and store_url.startswith("sqlite:///"):
        path = Path(store_url[len("sqlite:///") :])
        return f"sqlite:///{path.with_name(path.stem + '-records.db')}"
    if scheme == "memory":
        return MEMORY_URL
    return "sqlite:///./accesstwin-records.db"


def check_records_url(url: str) -> None:
    """Raise ValueError saying what is wrong with the URL (not whether it answers)."""
    parts = urlsplit(url)
    if url == MEMORY_URL:
        return
    if parts.scheme == "sqlite":
        if not url.startswith("sqlite:///") or len(url) <= len("sqlite:///"):
            raise ValueError(
                f"must be sqlite:///relative/path or sqlite:////absolute/path, got {url!r}"
            )
        directory = Path(url[len("sqlite:///") :]).parent
        if not directory.is_dir():
            raise ValueError(f"directory {str(directory)!r} does not exist")
        return
    if parts.scheme in ("postgresql", "postgres"):
        if not parts.hostname and "host=" not in parts.query:
            raise ValueError(f"no host in {redact(url)!r}")
        if not parts.path.strip("/"):
            raise ValueError(f"no database name in {redact(url)!r}")
        return
    raise ValueError(
        f"unknown records database {redact(url)!r}; use sqlite:///path or"
        " postgresql://user:password@host:5432/database"
    )


def sqlalchemy_url(url: str) -> str:
    """The URL with the driver SQLAlchemy must use (psycopg 3 for PostgreSQL)."""
    parts = urlsplit(url)
    if parts.scheme in ("postgresql", "postgres"):
        return urlunsplit(parts._replace(scheme="postgresql+psycopg"))
    return url


def redact(url: str) -> str:
    """The URL without its password, for logs and messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))
