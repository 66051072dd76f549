from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.broker import external_broker_url, start_private_mosquitto
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
