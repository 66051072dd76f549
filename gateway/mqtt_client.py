"""The one module that imports paho: an MQTT 3.1.1 client driven by the asyncio loop.

paho's socket is registered with the event loop (``add_reader``/``add_writer``), so
there is no network thread and no thread hand-off per message: ``on_message`` runs in
the loop's own thread, converts paho's message into ``InboundMessage`` and hands it to
the service. Subscriptions are made in ``on_connect`` (they are lost on reconnect
otherwise); the session is persistent (clean session off) and QoS 1 messages are
acknowledged manually, once the service has stored them. Reconnection is an explicit
loop with exponential backoff and jitter.

Ingest's hot path (issue 18; plain TCP, a TLS connection keeps paho's own path): paho's
socket is wrapped in ``gateway.buffered_socket.BufferedSocket``, so one ``recv`` serves
a burst of packets and what paho writes leaves in one ``send``; a QoS 1 PUBLISH lying
whole in that buffer is decoded by ``gateway.mqtt_publish`` instead of paho, and its
PUBACK (4 bytes paho keeps no state for under manual ack) goes straight into the
buffer, written once for all the acks of a commit. paho still handles everything
else: CONNACK, SUBACK, pings, QoS 2, a packet split across reads, reconnection. This
uses two private attributes of paho 2.x, ``_sock`` (replaced once connected) and
``_in_packet`` (whether paho is between packets); ``tests/integration/test_mqtt_buffered.py``
fails if either changes meaning.

For a publisher that keeps its own outbox (the kit agent's spool): ``publish_with_id``
returns each message's id, ``on_puback`` is called with it when the broker acknowledges
it, and ``resend_unacked=False`` drops paho's copies of unacknowledged messages on each
new connection, so that only the caller resends them (otherwise both would).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from gateway.buffered_socket import BufferedSocket
from gateway.errors import MqttConnectionError
from gateway.mqtt_publish import Publish
from gateway.mqtt_url import BrokerAddress

log = logging.getLogger(__name__)

READ_BURST_MAX = 256  # messages handled per wake-up of the loop at most
READ_BURST_S = 0.005  # ... and for at most this long
_PUBACK = struct.Struct("!BBH")  # MQTT 3.1.1 PUBACK: type 4, remaining length 2, packet id
_PUBACK_HEADER = 0x40


class InboundMessage(NamedTuple):
    """A message as the service sees it; ``connection`` tells which connection it came on.

    A topic that is not valid UTF-8 (MQTT requires it; a broker may not check) arrives
    with ``topic_is_utf8`` False and ``topic`` showing the bad bytes as ``\\xNN``.
    (A named tuple, one per message on the ingest path: it is built several times faster
    than a frozen dataclass, and as immutable.)
    """

    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int
    received_at: float
    connection: int
    topic_is_utf8: bool = True


@dataclass(frozen=True, slots=True)
class Will:
    topic: str
    payload: bytes
    qos: int = 1
    retain: bool = True


def _to_inbound(message: paho.MQTTMessage, connection: int) -> InboundMessage:
    """Convert paho's message type (whose ``topic`` raises for bytes that are not UTF-8)."""
    try:
        topic, utf8 = message.topic, True
    except UnicodeDecodeError as exc:
        topic, utf8 = exc.object.decode("utf-8", "backslashreplace"), False
    return InboundMessage(
        topic=topic,
        payload=bytes(message.payload),
        qos=message.qos,
        retain=bool(message.retain),
        mid=message.mid,
        received_at=time.time(),
        connection=connection,
        topic_is_utf8=utf8,
    )


def _publish_to_inbound(publish: Publish, connection: int) -> InboundMessage:
    """``_to_inbound`` for a PUBLISH decoded by ``gateway.mqtt_publish``."""
    try:
        topic, utf8 = publish.topic.decode(), True
    except UnicodeDecodeError:
        topic, utf8 = publish.topic.decode("utf-8", "backslashreplace"), False
    return InboundMessage(
        topic,
        publish.payload,
        publish.qos,
        publish.retain,
        publish.mid,
        time.time(),
        connection,
        utf8,
    )


class MqttClient:
    """An asyncio-driven paho client with manual QoS 1 acknowledgement."""

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        on_message: Callable[[InboundMessage], None],
        subscriptions: list[str] | None = None,
        *,
        persistent_session: bool = True,
        manual_ack: bool = True,
        will: Will | None = None,
        keepalive: int = 30,
        max_backoff_s: float = 30.0,
        on_connection_change: Callable[[bool], None] | None = None,
        on_puback: Callable[[int], None] | None = None,
        resend_unacked: bool = True,
    ) -> None:
        self.broker = broker
        self._on_message = on_message
        self._subscriptions = list(subscriptions or [])
        self._keepalive = keepalive
        self._max_backoff_s = max_backoff_s
        self._on_connection_change = on_connection_change
        self._on_puback = on_puback
        self._resend_unacked = resend_unacked
        self._connection = 0
        self._connection_was_up = False
        self._connected = asyncio.Event()
        self._lost = asyncio.Event()
        self._stopping = False
        self._received_in_read = 0
        self.subscribed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._buffered: BufferedSocket | None = None
        self._buffer_socket = manual_ack  # see _handle_socket_open
        self._flush_scheduled = False
        self.decoded_here = 0  # PUBLISH packets decoded by gateway.mqtt_publish, not paho
        self._client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=not persistent_session,
            protocol=MQTTProtocolVersion.MQTTv311,
            reconnect_on_failure=False,
            manual_ack=manual_ack,
        )
        self._client.max_inflight_messages_set(1_000)
        self._client.max_queued_messages_set(0)
        if broker.username:
            self._client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            self._client.tls_set_context(ssl.create_default_context(cafile=broker.ca_file))
        if will is not None:
            self._client.will_set(will.topic, will.payload, will.qos, will.retain)
        self._client.on_connect = self._handle_connect
        self._client.on_disconnect = self._handle_disconnect
        self._client.on_subscribe = self._handle_subscribe
        self._client.on_message = self._handle_message
        self._client.on_publish = self._handle_publish
        self._client.on_socket_open = self._handle_socket_open
        self._client.on_socket_close = self._handle_socket_close
        self._client.on_socket_register_write = self._handle_register_write
        self._client.on_socket_unregister_write = self._handle_unregister_write

    # ---- public API -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def wait_connected(self, timeout: float | None = None) -> None:
        await asyncio.wait_for(self._connected.wait(), timeout)

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> bool:
        """Queue a message; paho keeps QoS 1 messages and resends them after a reconnect."""
        return self.publish_with_id(topic, payload, qos, retain) is not None

    def publish_with_id(
        self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False
    ) -> int | None:
        """Queue a message; its message id (``on_puback`` gets it once the broker has the
        message, for QoS 1), or None when it could not be handed to the connection."""
        info = self._client.publish(topic, payload, qos=qos, retain=retain)
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            return None
        return int(info.mid)

    def ack(self, message: InboundMessage) -> None:
        """Acknowledge a QoS 1 message, if it came on the connection we still have.

        A message from an earlier connection is not acknowledged: its packet id means
        nothing on the new connection, and the broker redelivers it anyway.
        """
        if message.qos > 0 and message.connection == self._connection and self.connected:
            buffered = self._buffered
            if message.qos == 1 and buffered is not None and self._loop is not None:
                # A PUBACK is 4 bytes paho keeps no state for (manual ack, QoS 1): it goes
                # into the buffer beside paho's whole packets, and the buffer is written
                # once for all the acks of a commit.
                buffered.send(_PUBACK.pack(_PUBACK_HEADER, 2, message.mid))
                if not self._flush_scheduled:
                    self._flush_scheduled = True
                    self._loop.call_soon(self._flush_acks)
            else:
                self._client.ack(message.mid, message.qos)

    def _flush_acks(self) -> None:
        self._flush_scheduled = False
        buffered = self._buffered
        if buffered is None or self._loop is None:
            return
        if self._client.socket() is not self._buffered:
            return  # closed since: the broker redelivers what was not acknowledged
        if not buffered.flush():
            self._loop.add_writer(buffered, self._on_writable)

    async def run(self) -> None:
        """Connect, and reconnect with backoff, until ``stop`` is called."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        misc = asyncio.create_task(self._misc_loop())
        backoff = 0.5
        try:
            while not self._stopping:
                try:
                    await self._connect_once()
                    await self._lost.wait()
                    backoff = 0.5 if self._connection_was_up else backoff
                except MqttConnectionError as exc:
                    log.warning("MQTT %s: %s", self.broker, exc)
                if self._stopping:
                    break
                delay = backoff * (0.5 + random.random())
                log.info("MQTT reconnecting to %s in %.1f s", self.broker, delay)
                await asyncio.sleep(delay)
                backoff = min(backoff * 2, self._max_backoff_s)
        finally:
            misc.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await misc

    async def stop(self, timeout: float = 2.0) -> None:
        """Disconnect cleanly (the will is not sent) and end ``run``."""
        self._stopping = True
        if self._client.socket() is not None:
            self._client.disconnect()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._lost.wait(), timeout)
        self._close_socket()
        self._lost.set()

    # ---- connection loop --------------------------------------------------------------

    async def _connect_once(self) -> None:
        assert self._loop is not None
        self._lost.clear()
        self._connection_was_up = False
        # Count the connection before the socket exists: its messages carry this number.
        self._connection += 1
        try:
            rc = await self._loop.run_in_executor(
                None, self._client.connect, self.broker.host, self.broker.port, self._keepalive
            )
        except (TimeoutError, OSError, ssl.SSLError) as exc:
            raise MqttConnectionError(f"cannot connect: {exc}") from exc
        if rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            raise MqttConnectionError(f"cannot connect: {paho.error_string(rc)}")

    def _close_socket(self) -> None:
        sock = self._client.socket()
        if sock is not None and self._loop is not None:
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)

    async def _misc_loop(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            if self._client.socket() is not None:
                self._client.loop_misc()

    def _in_loop(self, func: Callable[[], Any]) -> None:
        """Run ``func`` in the loop thread (paho calls some callbacks from connect's thread)."""
        assert self._loop is not None
        if threading.get_ident() == self._loop_thread:
            func()
        else:
            self._loop.call_soon_threadsafe(func)

    # ---- socket callbacks -------------------------------------------------------------

    def _on_readable(self) -> None:
        # Read while messages keep arriving, so one wake-up of the loop serves a burst of
        # packets; but give the loop back after READ_BURST_S, so websocket clients and
        # timers are not held up behind a backlog.
        deadline = time.perf_counter() + READ_BURST_S
        buffered = self._buffered
        for _ in range(READ_BURST_MAX):
            if buffered is not None and self._client._in_packet["command"] == 0:
                # paho is between packets: a PUBLISH whole in the buffer is ours to decode.
                if not buffered.fill() and not buffered.ended:
                    break  # nothing to read
                publish = buffered.take_publish()
                if publish is not None:
                    self.decoded_here += 1
                    self._on_message(_publish_to_inbound(publish, self._connection))
                    if time.perf_counter() > deadline:
                        break
                    continue
            before = self._received_in_read
            rc = self._client.loop_read()
            if rc != MQTTErrorCode.MQTT_ERR_SUCCESS or self._received_in_read == before:
                break
            if time.perf_counter() > deadline:
                break
        if buffered is not None and buffered.has_input and self._loop is not None:
            # Packets already read from the kernel: the socket will not wake us for them.
            self._loop.call_soon(self._on_readable)

    def _on_writable(self) -> None:
        self._client.loop_write()
        buffered = self._buffered
        if buffered is None or self._loop is None:
            return
        if self._client.socket() is not self._buffered:
            return  # the connection was closed while paho wrote
        if not buffered.flush():
            self._loop.add_writer(buffered, self._on_writable)  # the kernel took only part
        elif not self._client.want_write():
            self._loop.remove_writer(buffered)

    def _handle_socket_open(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        if self._buffer_socket and type(sock) is socket.socket:
            # Only a client that acknowledges by hand (the gateway's ingest, whose acks
            # after commit the buffer batches) gets the buffer: a PUBLISH decoded here
            # bypasses paho, so for a client relying on paho's automatic acks nothing
            # would PUBACK it (a kit's `desired` messages; the demo's embedded broker then
            # held those kits' telemetry back up to 5 s). Kits keep paho's own socket.
            # paho internals (2.x): every read and write goes through ``_sock``.
            sock = self._buffered = BufferedSocket(sock)
            client._sock = sock
        else:
            self._buffered = None
        self._in_loop(lambda: self._loop.add_reader(sock, self._on_readable))  # type: ignore[union-attr]

    def _handle_socket_close(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        def close() -> None:
            assert self._loop is not None
            self._loop.remove_reader(sock)
            self._loop.remove_writer(sock)
            self._set_disconnected()

        self._in_loop(close)

    def _handle_register_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        self._in_loop(lambda: self._loop.add_writer(sock, self._on_writable))  # type: ignore[union-attr]

    def _handle_unregister_write(self, client: paho.Client, userdata: Any, sock: Any) -> None:
        if isinstance(sock, BufferedSocket) and sock.has_output and sock.fileno() >= 0:
            return  # paho has written all it had; the buffer still holds some of it
        self._in_loop(lambda: self._loop.remove_writer(sock))  # type: ignore[union-attr]

    # ---- MQTT callbacks (all in the loop thread) --------------------------------------

    def _handle_connect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if reason.is_failure:
            log.error("MQTT broker %s refused the connection: %s", self.broker, reason)
            self._client.disconnect()
            return
        log.info("MQTT connected to %s (session present: %s)", self.broker, flags.session_present)
        if not self._resend_unacked:
            # Inside paho's CONNACK handling, before paho resends its own queue.
            dropped = len(self._client.drop_out_messages())
            if dropped:
                log.info("MQTT reconnected: %d unacknowledged messages left to resend", dropped)
        self.subscribed = not self._subscriptions
        if self._subscriptions:
            self._client.subscribe([(topic, 1) for topic in self._subscriptions])
        self._connection_was_up = True
        self._connected.set()
        if self._on_connection_change:
            self._on_connection_change(True)

    def _handle_subscribe(
        self, client: paho.Client, userdata: Any, mid: int, reasons: Any, properties: Any
    ) -> None:
        failures = [r for r in reasons if r.is_failure]
        if failures:
            log.error("MQTT subscription refused: %s", failures)
            return
        self.subscribed = True

    def _handle_disconnect(
        self, client: paho.Client, userdata: Any, flags: Any, reason: Any, properties: Any
    ) -> None:
        if not self._stopping:
            log.warning("MQTT disconnected from %s: %s", self.broker, reason)
        self._set_disconnected()

    def _set_disconnected(self) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        self.subscribed = False
        self._lost.set()
        if was_connected and self._on_connection_change:
            self._on_connection_change(False)

    def _handle_publish(
        self, client: paho.Client, userdata: Any, mid: int, reason: Any, properties: Any
    ) -> None:
        if self._on_puback is not None:
            self._on_puback(mid)

    def _handle_message(
        self, client: paho.Client, userdata: Any, message: paho.MQTTMessage
    ) -> None:
        self._received_in_read += 1
        self._on_message(_to_inbound(message, self._connection))
