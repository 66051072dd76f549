"""Bring a records database to the newest migration (Alembic, migrations shipped here)."""

from __future__ import annotations

import contextlib
import fcntl
import logging
from collections.abc import Iterator
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

# Two replicas starting together on one PostgreSQL database migrate one after the other.
_PG_MIGRATION_LOCK = 7_301_412_014


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("twin_service.records") / "migrations")
    )
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def _sqlite_file_lock(connection: Connection) -> Iterator[None]:
    """Processes sharing one SQLite file (partitioned gateways) migrate one after the other:
    an exclusive lock on ``<file>-migrate.lock`` beside it. Without it, two processes
    starting together both found no ``alembic_version`` and the second one's CREATE failed."""
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    with open(f"{database}-migrate.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(connection: Connection) -> None:
    """Run the migrations not yet applied, in one transaction (committed here)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
        _upgrade_to_head(connection)
        return
    with _sqlite_file_lock(connection):
        _upgrade_to_head(connection)


def _upgrade_to_head(connection: Connection) -> None:
    if current_revision(connection) != head_revision():
        command.upgrade(_config(connection), "head")
    connection.commit()
