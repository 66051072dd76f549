"""A private Mosquitto for the test run (the shared one keeps persistent sessions)."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.programs import require_program

MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
# Queue enough for a gateway restart under load (the default of 1000 drops the rest).
max_queued_messages 200000
max_inflight_messages 1000
log_dest file {log}
log_type error
log_type warning
"""


# Ports for the programs the tests start: below Linux's ephemeral range (32768-60999), so an
# outgoing connection never takes a port between free_port() and the program's bind, and
# one slice per pytest-xdist worker (PYTEST_XDIST_WORKER gw0, gw1, ...), so two workers
# never hand out the same port. Without xdist the whole range is used.
PORT_RANGE = range(10000, 32000)
_given: set[int] = set()  # handed out by this process: not again (an unused one stays free)
_random = random.SystemRandom()  # not the global one, which tests may seed


def _worker_slice() -> range:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1)
    if not worker.startswith("gw") or count <= 1:
        return PORT_RANGE
    size = len(PORT_RANGE) // count
    start = PORT_RANGE.start + int(worker[2:]) % count * size
    return range(start, start + size)


def free_port() -> int:
    """A loopback TCP port nothing listens on, not given out before by this process."""
    ports = _worker_slice()
    for _ in range(200):
        port = _random.choice(ports)
        if port in _given:
            continue
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        _given.add(port)
        return port
    raise RuntimeError(f"no free port in {ports}")


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


@dataclass
class Mosquitto:
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        require_program("mosquitto", Path(binary).is_file(), "apt-get install mosquitto")
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=self.port, log=self.workdir / "mosquitto.log"))
        self.process = subprocess.Popen([binary, "-c", str(conf)])
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


def start_private_mosquitto() -> Mosquitto:
    workdir = Path(tempfile.mkdtemp(prefix="accesstwin-mosquitto-"))
    workdir.chmod(0o777)  # run as root, mosquitto drops to its own user and writes its log here
    broker = Mosquitto(free_port(), workdir)
    broker.start()
    return broker


def external_broker_url() -> str | None:
    return os.environ.get("ACCESSTWIN_TEST_MQTT_URL") or None
