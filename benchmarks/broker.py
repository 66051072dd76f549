"""A private Mosquitto on a free port, and small paho helpers shared by the processes."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

# persistence false: nothing on disk; queues large enough to hold a whole backlog while a
# subscriber is offline; 1000 messages in flight to each subscriber (as tests/support).
MOSQUITTO_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 1000
log_dest stderr
log_type error
log_type warning
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout} s")


class PrivateBroker:
    """``with PrivateBroker() as url:`` a Mosquitto for this run only."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="accesstwin-bench-mqtt-"))
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def __enter__(self) -> str:
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(MOSQUITTO_CONF.format(port=self.port))
        log = (self.workdir / "mosquitto.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own binary and config
            [self.binary, "-c", str(conf)], stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_for_port("127.0.0.1", self.port)
        return self.url

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            self.process = None
        shutil.rmtree(self.workdir, ignore_errors=True)


def host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 1883


def new_client(client_id: str | None = None, clean_session: bool = True) -> paho.Client:
    """A paho client speaking MQTT 3.1.1 (cheaper than 5 in paho, docs/domain.md)."""
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id or "bench-" + uuid.uuid4().hex[:12],
        clean_session=clean_session,
        protocol=MQTTProtocolVersion.MQTTv311,
    )
    client.max_inflight_messages_set(1_000)
    client.max_queued_messages_set(0)
    return client


def prime_session(url: str, client_id: str, topics: list[str], timeout: float = 10.0) -> None:
    """Create a persistent session subscribed (QoS 1) to ``topics``, then disconnect.

    The broker then queues matching messages for ``client_id`` until it reconnects.
    """
    client = new_client(client_id, clean_session=False)
    subscribed = threading.Event()
    client.on_connect = lambda c, *_: c.subscribe([(t, 1) for t in topics])
    client.on_subscribe = lambda *_: subscribed.set()
    client.connect(*host_port(url))
    client.loop_start()
    try:
        if not subscribed.wait(timeout):
            raise TimeoutError(f"subscription of {client_id} not acknowledged by {url}")
    finally:
        client.disconnect()
        client.loop_stop()
