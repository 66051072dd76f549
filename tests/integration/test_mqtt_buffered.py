"""paho reads and writes through ``BufferedSocket`` (a guard on paho's internals).

``gateway.mqtt_client`` puts the buffered socket in paho's private ``_sock`` and
decodes PUBLISH packets itself while paho's private ``_in_packet`` says paho is between
packets. If a paho release changes either, these fail: the real recv/send counts stay
at zero, nothing is decoded here, or messages and acknowledgements go missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid

from gateway.buffered_socket import BufferedSocket
from gateway.mqtt_client import InboundMessage, MqttClient
from gateway.mqtt_url import parse_broker_url
from tests.support.mqtt import Publisher

MESSAGES = 400


async def _receive(
    url: str, client_id: str, topic: str, want: int, timeout: float = 30.0
) -> tuple[MqttClient, list[InboundMessage], asyncio.Task[None]]:
    got: list[InboundMessage] = []
    client = MqttClient(parse_broker_url(url), client_id, got.append, [topic])
    task = asyncio.create_task(client.run())
    await client.wait_connected(10)
    for _ in range(int(timeout / 0.01)):
        if len(got) >= want or (want == 0 and client.subscribed):
            break
        await asyncio.sleep(0.01)
    return client, got, task


async def _stop(client: MqttClient, task: asyncio.Task[None]) -> None:
    await client.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)


def test_a_burst_is_read_in_few_recvs_and_its_acks_leave_together(mqtt_url: str) -> None:
    prefix = "t" + uuid.uuid4().hex[:8]
    topic, client_id = f"{prefix}/lab/kit/telemetry", "buffered-" + uuid.uuid4().hex[:8]

    async def scenario() -> None:
        # A persistent session first, so the burst waits queued for the gateway.
        client, _, task = await _receive(mqtt_url, client_id, topic, 0)
        await _stop(client, task)
        publisher = Publisher(mqtt_url)
        for seq in range(MESSAGES):
            publisher.send(topic, f'{{"seq": {seq}}}'.encode())
        publisher.flush()
        publisher.close()

        client, got, task = await _receive(mqtt_url, client_id, topic, MESSAGES)
        sock = client._client.socket()
        assert isinstance(sock, BufferedSocket), "paho's _sock is no longer ours"
        assert [m.payload for m in got] == [f'{{"seq": {s}}}'.encode() for s in range(MESSAGES)]
        # paho asks for 3 reads a packet; the kernel was asked far fewer times, and the
        # PUBLISH packets found whole in the buffer were decoded without paho.
        assert 1 <= sock.reads < MESSAGES / 2
        assert client.decoded_here > MESSAGES / 2
        writes_before = sock.writes
        for message in got:  # as after one commit
            client.ack(message)
        for _ in range(500):
            if not client._client.want_write() and not sock.has_output:
                break
            await asyncio.sleep(0.01)
        assert not sock.has_output
        assert 1 <= sock.writes - writes_before <= 3  # one send for all the PUBACKs
        await _stop(client, task)

        # The broker had every PUBACK: nothing is redelivered to the session.
        client, again, task = await _receive(mqtt_url, client_id, topic, 0)
        await asyncio.sleep(0.5)
        assert again == []
        await _stop(client, task)

    asyncio.run(scenario())


def test_publishes_leave_through_the_buffer_and_are_acknowledged(mqtt_url: str) -> None:
    prefix = "t" + uuid.uuid4().hex[:8]
    topic = f"{prefix}/lab/kit/telemetry"

    async def scenario() -> None:
        pubacks: list[int] = []
        client = MqttClient(
            parse_broker_url(mqtt_url),
            "pub-" + uuid.uuid4().hex[:8],
            lambda m: None,
            on_puback=pubacks.append,
        )
        task = asyncio.create_task(client.run())
        await client.wait_connected(10)
        mids = [client.publish_with_id(topic, b"x", 1) for _ in range(50)]
        for _ in range(1_000):
            if len(pubacks) == len(mids):
                break
            await asyncio.sleep(0.01)
        assert sorted(pubacks) == sorted(m for m in mids if m is not None)
        assert len(pubacks) == 50
        assert isinstance(client._client.socket(), BufferedSocket)
        await _stop(client, task)

    asyncio.run(scenario())


def test_a_client_that_does_not_ack_by_hand_still_acknowledges_every_message(
    mqtt_url: str,
) -> None:
    """A kit's client (``manual_ack=False``) must PUBACK what it gets, as paho does for it:
    the broker redelivers nothing when the same session comes back. (With the buffered
    socket and its decoder on such a client nothing acknowledged those messages, and the
    demo's embedded broker held the kits' telemetry back for seconds.)"""
    prefix = "t" + uuid.uuid4().hex[:8]
    topic, client_id = f"{prefix}/lab/kit/desired", "kit-" + uuid.uuid4().hex[:8]

    async def receive(want: int) -> list[InboundMessage]:
        got: list[InboundMessage] = []
        client = MqttClient(
            parse_broker_url(mqtt_url), client_id, got.append, [topic], manual_ack=False
        )
        task = asyncio.create_task(client.run())
        await client.wait_connected(10)
        for _ in range(300):
            if len(got) >= want and client.subscribed:
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.3)  # time for any redelivery, and for the acks to leave
        await _stop(client, task)
        return got

    async def scenario() -> None:
        await receive(0)  # the persistent session exists
        publisher = Publisher(mqtt_url)
        for seq in range(20):
            publisher.send(topic, f'{{"seq": {seq}}}'.encode())
        publisher.flush()
        publisher.close()
        first = await receive(20)
        assert len(first) == 20
        again = await receive(0)
        assert again == [], f"{len(again)} messages redelivered: they were never acknowledged"

    asyncio.run(scenario())
