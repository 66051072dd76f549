"""Issue 7, must-show 2: broker restart, store locked for 10 s, SIGTERM — nothing lost."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.broker import free_port, wait_for_port
from tests.support.mqtt import Publisher
from tests.support.service import ServiceProcess

pytestmark = [pytest.mark.integration, pytest.mark.slow]

PERSISTENT_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {dir}/
max_queued_messages 200000
max_inflight_messages 1000
log_dest file {dir}/mosquitto.log
"""


class RestartableBroker:
    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="accesstwin-faults-"))
        self.dir.chmod(0o777)  # run as root, mosquitto drops to its own user
        self.conf = self.dir / "mosquitto.conf"
        self.conf.write_text(PERSISTENT_CONF.format(port=self.port, dir=self.dir))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen([binary, "-c", str(self.conf)])
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()  # saves sessions and queued messages to disk
            self.process.wait(10)
            self.process = None


def store_errors(service: ServiceProcess) -> float:
    """``accesstwin_store_errors_total`` from the service's /metrics."""
    text = httpx.get(service.base_url + "/metrics", timeout=5).text
    for line in text.splitlines():
        if line.startswith("accesstwin_store_errors_total "):
            return float(line.split()[1])
    raise AssertionError("accesstwin_store_errors_total not in /metrics")


@pytest.fixture
def broker() -> Iterator[RestartableBroker]:
    b = RestartableBroker()
    b.start()
    yield b
    b.stop()


@pytest.mark.timeout(300)
def test_broker_restart_locked_store_and_sigterm_lose_nothing(
    broker: RestartableBroker, tmp_path: Path
) -> None:
    db = tmp_path / "twin.db"
    service = ServiceProcess(mqtt_url=broker.url, db_path=db)
    service.start()
    total, rate = 3_000, 200.0
    base = time.time() - 7_200
    publisher = Publisher(broker.url)
    done = threading.Event()

    def publish() -> None:
        for seq in range(1, total + 1):
            publisher.send(
                f"{service.prefix}/lab/k/telemetry",
                {"ts": base + seq, "seq": seq, "readings": {"hr": 60 + seq % 50}},
            )
            time.sleep(1 / rate)
        publisher.flush(120)
        done.set()

    thread = threading.Thread(target=publish)
    thread.start()
    try:
        time.sleep(2)
        broker.stop()  # 1. the broker goes away mid-stream
        time.sleep(1.5)
        broker.start()
        time.sleep(2)
        errors_before = store_errors(service)
        lock = sqlite3.connect(db, timeout=10)  # 2. another process locks the store
        lock.execute("BEGIN EXCLUSIVE")
        locked_until = time.monotonic() + 10
        errors_during = errors_before
        while errors_during == errors_before and time.monotonic() < locked_until:
            time.sleep(0.25)
            errors_during = store_errors(service)
        # The writer is unhealthy until a write succeeds: /readyz answers 503 at once.
        ready_during = httpx.get(service.base_url + "/readyz", timeout=5).status_code
        time.sleep(max(0.0, locked_until - time.monotonic()))
        lock.rollback()
        lock.close()
        assert errors_during > errors_before, "the lock caused no failed store write"
        assert ready_during == 503
        time.sleep(1)
        assert service.stop() == 0  # 3. SIGTERM: drain, ack, exit cleanly
        service.start()
        assert done.wait(120)
        deadline = time.monotonic() + 60
        stamps: list[float] = []
        while time.monotonic() < deadline:
            points = service.get("/api/v1/twins/lab/k/history", sensor="hr", limit=10_000)
            stamps = [ts for ts, _ in points["points"]]
            if len(stamps) >= total:
                break
            time.sleep(0.5)
        assert len(stamps) == total, f"sent {total}, stored {len(stamps)}"
        assert stamps == [base + seq for seq in range(1, total + 1)]
        metrics = service.get("/readyz")
        assert metrics["ready"] is True
    finally:
        thread.join(120)
        publisher.close()
        service.stop()
