from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import external_broker_url, start_private_mosquitto
from tests.support.parallel import (  # noqa: F401 (hooks)
    pytest_collection_modifyitems,
    pytest_xdist_make_scheduler,
)
from tests.support.postgres import temporary_database
from tests.support.service import ServiceProcess


@pytest.fixture(scope="session")
def mqtt_url() -> Iterator[str]:
    """A real Mosquitto: ACCESSTWIN_TEST_MQTT_URL if set, else a private one on a free port."""
    url = external_broker_url()
    if url:
        yield url
        return
    broker = start_private_mosquitto()
    try:
        yield broker.url
    finally:
        broker.stop()


@pytest.fixture
def service(mqtt_url: str, tmp_path: Path) -> Iterator[ServiceProcess]:
    """``accesstwin serve`` as a process, on its own topic prefix, client id and SQLite file."""
    svc = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path / "twin.db")
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database of this test's own (tests/support/postgres.py)."""
    with temporary_database() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def records_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The records database: a real SQLite file, then a real PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'records.db'}"
        return
    with temporary_database() as url:
        yield url
