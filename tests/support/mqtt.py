"""Plain paho clients for tests: a publisher that waits for PUBACKs, a collecting subscriber."""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion


def _client(url: str, client_id: str | None = None) -> paho.Client:
    parts = urlsplit(url)
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=client_id or "test-" + uuid.uuid4().hex[:12],
        clean_session=True,
    )
    client.max_inflight_messages_set(100)
    connected = threading.Event()
    client.on_connect = lambda *args: connected.set()
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    if not connected.wait(10):
        raise TimeoutError(f"cannot connect to {url}")
    return client


class Publisher:
    def __init__(self, url: str) -> None:
        self.client = _client(url)
        self._infos: list[paho.MQTTMessageInfo] = []

    def send(
        self, topic: str, payload: bytes | str | dict[str, Any], qos: int = 1, retain: bool = False
    ) -> None:
        if isinstance(payload, dict):
            payload = json.dumps(payload)
        # Like a kit, hold messages while the broker is away (paho refuses them then).
        deadline = time.monotonic() + 60
        while not self.client.is_connected() and time.monotonic() < deadline:
            time.sleep(0.02)
        self._infos.append(self.client.publish(topic, payload, qos=qos, retain=retain))

    def flush(self, timeout: float = 30.0) -> None:
        """Wait for every PUBACK. Messages published while disconnected are queued by paho
        (rc "not connected") and sent after the reconnect, so poll rather than wait."""
        deadline = time.monotonic() + timeout
        for info in self._infos:
            while not info.is_published():
                if time.monotonic() > deadline:
                    raise TimeoutError(f"message {info.mid} not acknowledged in {timeout} s")
                time.sleep(0.01)
        self._infos.clear()

    def close(self) -> None:
        self.flush()
        self.client.loop_stop()
        self.client.disconnect()


class Collector:
    """Subscribes and keeps every message received (topic, payload)."""

    def __init__(self, url: str, topic: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._lock = threading.Lock()
        self.client = _client(url)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: subscribed.set()
        self.client.on_message = self._on_message
        self.client.subscribe(topic, qos=1)
        if not subscribed.wait(10):
            raise TimeoutError("subscription not acknowledged")

    def _on_message(self, client: paho.Client, userdata: Any, message: paho.MQTTMessage) -> None:
        with self._lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def wait_for(self, count: int, timeout: float = 20.0) -> list[tuple[str, bytes]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.05)
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
