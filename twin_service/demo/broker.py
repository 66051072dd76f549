"""An in-process MQTT broker (amqtt) for ``accesstwin demo`` when no broker answers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket

from gateway.mqtt_url import BrokerAddress

log = logging.getLogger(__name__)


async def broker_answers(address: BrokerAddress, timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections at the broker's address."""
    try:
        _, writer = await asyncio.wait_for(
            asyncio.open_connection(address.host, address.port), timeout
        )
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class EmbeddedBroker:
    """amqtt on loopback; anonymous access, nothing persisted."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        self.host = host
        self.port = port if port_is_free(host, port) else free_port(host)
        self._broker: object | None = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress(self.host, self.port)

    async def start(self) -> None:
        from amqtt.broker import Broker  # imported here: only the demo needs it

        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        broker = Broker(config)
        await broker.start()
        self._broker = broker
        log.info("embedded MQTT broker listening on %s:%d", self.host, self.port)

    async def stop(self) -> None:
        if self._broker is not None:
            await self._broker.shutdown()  # type: ignore[attr-defined]
            self._broker = None
