"""A PostgreSQL database of the test run's own, created and dropped by the tests.

The server is ``ACCESSTWIN_TEST_POSTGRES_URL`` (default: the local one, trust auth, user
postgres). Each call of ``temporary_database`` creates ``accesstwin_test_<pid>_<random>``
and drops it afterwards. Without a server the tests that need one are skipped, except
under CI (``CI`` set), where they fail: CI must have PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def server_url() -> str:
    return os.environ.get("ACCESSTWIN_TEST_POSTGRES_URL", DEFAULT_SERVER)


def _admin() -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(server_url(), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        message = f"PostgreSQL at {server_url()} unreachable: {exc}"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run PostgreSQL: .ci/run starts it)")
        pytest.skip(message)


@contextmanager
def temporary_database() -> Iterator[str]:
    """The URL of a new, empty database; dropped (with its connections) at the end."""
    name = f"accesstwin_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    parts = urlsplit(server_url())
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with _admin() as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
