"""The kit agent: sensors → telemetry, switches → input, desired → actuators, all via the spool.

docs/interface.md topics: telemetry and input go out QoS 1 through the on-disk spool (ts is
the device time of the first sample; ``seq`` per channel, persisted across restarts);
telemetry is replayed after an outage, but a switch ``input`` event still waiting after
``INPUT_MAX_AGE_S`` is dropped, not sent: a press is an answer to what the learner saw
then, and replayed later it would select whatever is highlighted now;
``status`` is ``online`` (retained, published on every connection, not spooled: it
describes the connection, not the past) with ``offline`` as the last will and on a
clean stop; ``desired`` is subscribed, applied through ``Actuators`` and reported back as
telemetry readings (``desired_version`` plus the applied keys, see ``desired.py``).

The spool's drop count (messages lost because it was full during a long outage, oldest
first, over the spool file's life) goes to the twin as the unitless reading
``spool_dropped`` so instructors see it: on every connection (after the replay, so it
is the newest value) and every ``STATS_EVERY_S`` while connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from accesstwin_contract.time_bounds import SWITCH_EVENT_MAX_AGE_S
from devices.agent.actuators import Actuators, DesiredApplier
from devices.agent.batching import WaveformBatcher, reading_messages, waveform_messages
from devices.agent.outbox import Outbox
from devices.agent.runner import SensorRunner
from devices.agent.spool import Spool
from devices.drivers.base import Sample, Sensor
from gateway.identifiers import KitRef
from gateway.mqtt_client import InboundMessage, MqttClient, Will
from gateway.mqtt_url import BrokerAddress
from gateway.topics import Channel, TopicScheme

log = logging.getLogger(__name__)

Body = dict[str, Any]
# Builds the switch bank once the loop runs: (emit, next_seq, dispatch) → object with close().
SwitchFactory = Callable[
    [Callable[[Body], None], Callable[[], int], Callable[[Callable[[], None]], object]], Any
]
STATS_EVERY_S = 60.0
# Switch events older than this are not sent (see the module doc); the service applies
# the same bound to the event's ts (twin_service/sessions/manager.py STALE_SWITCH_S).
INPUT_MAX_AGE_S = SWITCH_EVENT_MAX_AGE_S
SPOOL_DROPPED = "spool_dropped"  # reading: messages the full spool dropped (module doc)


@dataclass(frozen=True, slots=True)
class AgentOptions:
    chunk_samples: int = 10
    max_inflight: int = 100
    reconnect_max_s: float = 10.0
    drain_timeout_s: float = 3.0


class KitAgent:
    def __init__(
        self,
        kit: KitRef,
        scheme: TopicScheme,
        broker: BrokerAddress,
        spool: Spool,
        sensors: Sequence[Sensor],
        actuators: Actuators,
        options: AgentOptions | None = None,
        *,
        switches: SwitchFactory | None = None,
        client_id: str | None = None,
        on_spooled: Callable[[str, Body], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.kit = kit
        self.options = options or AgentOptions()
        self.topics = {ch: scheme.kit_topic(kit, ch) for ch in Channel}
        self.broker = broker
        self.spool = spool
        self.outbox = Outbox(
            spool,
            window=self.options.max_inflight,
            max_age_s={self.topics[Channel.INPUT]: INPUT_MAX_AGE_S},
            clock=clock,
        )
        self.batcher = WaveformBatcher(self.options.chunk_samples)
        self.runners = [SensorRunner(s, self._on_samples, clock=clock) for s in sensors]
        self.applier = DesiredApplier(actuators, self._request_rate)
        self._switch_factory = switches
        self._client_id = client_id or kit.client_id
        self._on_spooled = on_spooled
        self._clock = clock
        self._tasks: set[asyncio.Task[Any]] = set()
        self.client = MqttClient(
            broker,
            self._client_id,
            self._on_message,
            [self.topics[Channel.DESIRED]],
            persistent_session=False,
            manual_ack=False,
            will=Will(self.topics[Channel.STATUS], b"offline"),
            keepalive=15,
            max_backoff_s=self.options.reconnect_max_s,
            on_connection_change=self._on_connection,
            on_puback=self._on_puback,
            resend_unacked=False,  # the outbox resends from the spool
        )
        self.outbox.publish = self._publish_spooled
        self._offline_mid: int | None = None
        self._stopping = False
        self._offline_acked = asyncio.Event()
        self.produced_messages = 0
        self.produced_samples = 0
        self.input_events = 0
        self.desired_applied = 0
        self.connections = 0

    # ---- producing ---------------------------------------------------------------------

    def _spool(self, channel: Channel, body: Body) -> None:
        message = {"ts": body["ts"], "seq": self.spool.next_seq(channel.value)}
        message.update((k, v) for k, v in body.items() if k != "ts")
        payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        self.outbox.submit(self.topics[channel], payload)
        if self._on_spooled is not None:
            self._on_spooled(channel.value, message)

    def _send_telemetry(self, body: Body) -> None:
        self._spool(Channel.TELEMETRY, body)
        self.produced_messages += 1
        for waveform in body.get("waveforms", {}).values():
            self.produced_samples += len(waveform["samples"])

    def _on_samples(self, sensor: Sensor, samples: list[Sample]) -> None:
        if sensor.waveform:
            bodies = waveform_messages(self.batcher.add(samples, sensor.rate_hz))
        else:
            bodies = reading_messages(samples)
        for body in bodies:
            self._send_telemetry(body)

    def _report_spool_dropped(self) -> None:
        """Send the spool's drop count as the ``spool_dropped`` reading."""
        spool = self.spool
        # Spooling this very message drops the oldest one when the spool is full: count it.
        readings = {SPOOL_DROPPED: spool.dropped + max(0, len(spool) + 1 - spool.max_messages)}
        self._send_telemetry({"ts": round(self._clock(), 6), "readings": readings})

    def _next_input_seq(self) -> int:
        return self.spool.next_seq(Channel.INPUT.value)

    def _on_switch(self, event: Body) -> None:
        # The switch bank already assigned the input seq; spool the event as it is.
        payload = json.dumps(event, separators=(",", ":")).encode()
        self.outbox.submit(self.topics[Channel.INPUT], payload)
        self.input_events += 1
        if self._on_spooled is not None:
            self._on_spooled(Channel.INPUT.value, event)

    # ---- desired state -----------------------------------------------------------------

    def _request_rate(self, rate_hz: float) -> float | None:
        """Start changing every adjustable waveform sensor; the lowest rate they will run at."""
        applied: list[float] = []
        for runner in self.runners:
            rate = runner.sensor.supported_rate_hz(rate_hz) if runner.sensor.waveform else None
            if rate is not None:
                applied.append(rate)
                self._spawn(runner.set_rate(rate_hz))
        return min(applied) if applied else None

    def _on_message(self, message: InboundMessage) -> None:
        if message.topic != self.topics[Channel.DESIRED]:
            return
        readings = self.applier.apply_message(message.payload)
        if readings is None:
            return
        self._send_telemetry({"ts": round(self._clock(), 6), "readings": readings})
        self.desired_applied += 1

    # ---- connection --------------------------------------------------------------------

    def _on_connection(self, up: bool) -> None:
        if up:
            self.connections += 1
            self.client.publish_with_id(self.topics[Channel.STATUS], b"online", retain=True)
            # Spooled before the replay starts (a drop it causes hits an unsent message)
            # and after everything waiting, so the twin gets it last, as the newest value.
            self._report_spool_dropped()
            self.outbox.on_connected()
            backlog = len(self.spool)
            if backlog:
                log.info("connected: replaying %d spooled messages, oldest first", backlog)
        else:
            self.outbox.on_disconnected()
            if not self._stopping:
                log.warning("broker connection lost: spooling (%d waiting)", len(self.spool))

    def _publish_spooled(self, topic: str, payload: bytes) -> int | None:
        return self.client.publish_with_id(topic, payload, qos=1)

    def _on_puback(self, mid: int) -> None:
        if mid == self._offline_mid:
            self._offline_acked.set()
        self.outbox.on_puback(mid)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("kit agent task failed", exc_info=task.exception())

    # ---- run ---------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then flush, say ``offline`` and disconnect."""
        loop = asyncio.get_running_loop()
        mqtt = asyncio.create_task(self.client.run(), name="kit-mqtt")
        runners = [asyncio.create_task(r.run(stop), name=r.sensor.name) for r in self.runners]
        stats = asyncio.create_task(self._stats_loop(stop), name="kit-stats")
        switches = None
        if self._switch_factory is not None:
            switches = self._switch_factory(
                self._on_switch, self._next_input_seq, loop.call_soon_threadsafe
            )
        try:
            await stop.wait()
        finally:
            await asyncio.gather(*runners, stats, return_exceptions=True)
            if switches is not None:
                switches.close()
            for body in waveform_messages(self.batcher.flush()):
                self._send_telemetry(body)
            await self._shutdown(mqtt)

    async def _shutdown(self, mqtt: asyncio.Task[None]) -> None:
        self._stopping = True
        if self.client.connected:
            drained = await self.outbox.wait_empty(self.options.drain_timeout_s)
            if not drained:
                log.warning("stopping with %d messages still spooled", len(self.spool))
            self._offline_mid = self.client.publish_with_id(
                self.topics[Channel.STATUS], b"offline", retain=True
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._offline_acked.wait(), 2.0)
        await self.client.stop()
        await mqtt
        for runner in self.runners:
            await runner.close()
        self.applier.actuators.close()
        for task in list(self._tasks):
            task.cancel()

    async def _stats_loop(self, stop: asyncio.Event) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), STATS_EVERY_S)
            if stop.is_set():
                return
            if self.client.connected:
                self._report_spool_dropped()
            o = self.outbox
            log.info(
                "kit %s: %d messages produced, spool %d (dropped %d), sent %d, acked %d, resent %d",
                self.kit, self.produced_messages, len(self.spool), self.spool.dropped,
                o.sent, o.acked, o.resent,
            )  # fmt: skip
