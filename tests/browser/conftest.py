"""Fixtures of the browser tests: the driver (one Chromium for the run), one service per
module, a publisher, the screenshot folder (artifacts/screenshots, git-ignored)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.driver import SCREENSHOTS, Browser
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess


def pytest_configure(config: pytest.Config) -> None:
    # Until pyproject.toml registers it (harmless twice): --strict-markers needs it known.
    config.addinivalue_line("markers", "browser: drives a real Chromium (needs node + npm ci)")


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    b = Browser(tmp_path_factory.mktemp("browser") / "driver.log")
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def web(mqtt_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """One ``accesstwin serve`` per test module (tests use their own lab, kit and learner)."""
    svc = ServiceProcess(mqtt_url=mqtt_url, db_path=tmp_path_factory.mktemp("web") / "twin.db")
    svc.start()
    try:
        yield svc
    finally:
        svc.stop()


@pytest.fixture
def publisher(mqtt_url: str) -> Iterator[Publisher]:
    pub = Publisher(mqtt_url)
    try:
        yield pub
    finally:
        pub.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
