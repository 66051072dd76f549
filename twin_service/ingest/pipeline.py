"""From an inbound MQTT message to twin state, history, websocket frames and the ack.

``Pipeline.handle`` runs in the event loop for every message: it judges the message
(``gateway.ingest``), applies it to the twin, pushes the change to websocket clients,
queues the points for the store and acknowledges the message once they are durable.
Every refusal is published to ``P/_rejected/{lab}/{kit}`` and counted.

Nothing raises out of ``handle``: derived values are best effort (a failed computation
is logged and counted, and the message is stored all the same), and any other error
refuses the message with stage ``internal`` rather than leaving it unacknowledged.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Callable, Iterable

from prometheus_client import Counter

from accessibility.derived import DerivedSignals, DerivedValue
from accessibility.signals.compressions import Compression
from accesstwin_contract.frames import status_frame
from accesstwin_contract.groups import lab_group
from accesstwin_contract.payloads import rejection_payload
from gateway.identifiers import KitRef
from gateway.ingest import (
    DUPLICATE,
    DesiredReceived,
    Ignored,
    Ingest,
    InputReceived,
    Refused,
    StatusReceived,
    TelemetryReceived,
)
from gateway.mqtt_client import InboundMessage
from gateway.telemetry import LIMIT, Dropped, Telemetry
from gateway.topics import UNKNOWN, KitTopic
from twin_service.ingest.compressions import (
    compression_frame,
    compression_points,
    publish_releases,
)
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.store.base import AppliedMessage, SamplePoint, WaveformChunk
from twin_service.store.writer import StoreWriter
from twin_service.twins.limits import DEFAULT_MAX_SENSORS_PER_KIT, over_limit, within_sensor_bound
from twin_service.twins.registry import TwinLimitReachedError, TwinRegistry
from twin_service.twins.twin import Twin, TwinChange, ValueEntry

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes, int, bool], object]
Ack = Callable[[InboundMessage], None]
INTERNAL = "internal"  # stage of a message refused because handling it failed
# A kit whose waveforms stopped this long ago has its derived values recomputed on what
# it sent last (the end of a replayed burst, whose recomputations were throttled):
# docs/interface.md "Derived values": within 5 s of the last message.
DERIVED_FLUSH_QUIET_S = 1.0
ERROR_LOG_EVERY_S = 60.0  # one traceback a minute per kind of failure; all are counted


def _no_ack() -> None:
    """Derived points of a flush belong to no message: nothing to acknowledge."""


def telemetry_points(kit: KitRef, telemetry: Telemetry, received_at: float) -> list[SamplePoint]:
    return [
        SamplePoint(kit.lab, kit.kit, r.sensor, telemetry.ts, r.value, received_at)
        for r in telemetry.readings
    ]


def telemetry_chunks(telemetry: Telemetry) -> list[WaveformChunk]:
    return [
        WaveformChunk(w.sensor, telemetry.ts, w.rate_hz, w.samples) for w in telemetry.waveforms
    ]


class Pipeline:
    def __init__(
        self,
        ingest: Ingest,
        twins: TwinRegistry,
        writer: StoreWriter,
        hub: Hub,
        metrics: ServiceMetrics,
        publish: Publish,
        ack: Ack,
        max_sensors_per_kit: int = DEFAULT_MAX_SENSORS_PER_KIT,
    ) -> None:
        self.ingest = ingest
        self.max_sensors_per_kit = max_sensors_per_kit
        self.twins = twins
        self.writer = writer
        self.hub = hub
        self.metrics = metrics
        self._publish = publish
        self._ack = ack
        self.on_input: Callable[[InputReceived], None] | None = None
        self.on_change: Callable[[Twin], None] | None = None
        self.on_compressions: Callable[[KitRef, list[Compression]], None] | None = None
        # Further websocket groups that follow a kit's twin (its sessions' learner pages).
        self.kit_groups: Callable[[KitRef], Iterable[str]] = lambda kit: ()
        self._derived: dict[KitRef, DerivedSignals] = {}
        self._unflushed: dict[KitRef, float] = {}  # kit -> when its last waveform came
        self._limit_logged_at = -float("inf")
        self._error_logged_at: dict[str, float] = {}
        self._settled = False  # the message in hand was acked or handed to the writer
        self._received_counters: dict[str, Counter] = {}
        self._twins_reported = -1  # the twins gauge's value, set when it changes

    def _received(self, channel: str) -> Counter:
        """``accesstwin_messages_received_total{channel}``, its child looked up once."""
        counter = self._received_counters.get(channel)
        if counter is None:
            counter = self._received_counters[channel] = self.metrics.messages_received.labels(
                channel
            )
        return counter

    def handle(self, message: InboundMessage) -> None:
        """Judge and apply one message. Never raises.

        An unexpected error is a bug here, not the device's fault; raised into paho it
        would leave the packet unacknowledged, to be handled again and judged a duplicate.
        So it is logged with its traceback, counted, acknowledged and published as a
        rejection (stage ``internal``), and the next message is handled as usual.
        """
        self._settled = False
        try:
            self._handle(message)
        except Exception as exc:  # noqa: BLE001 - the one boundary guard, see above
            self._internal_error(message, exc)

    def _handle(self, message: InboundMessage) -> None:
        if not message.topic_is_utf8:
            self.metrics.messages_received.labels("other").inc()
            self._refuse(message, Refused(UNKNOWN, UNKNOWN, "topic", "topic is not valid UTF-8"))
            return
        outcome = self.ingest.judge(message.topic, message.payload, message.received_at)
        channel = self.ingest.channel_of(message.topic)
        self._received(channel.value if channel else "other").inc()
        if isinstance(outcome, TelemetryReceived):
            self._telemetry(message, outcome)
        elif isinstance(outcome, StatusReceived):
            self._status(message, outcome)
        elif isinstance(outcome, InputReceived):
            if self.on_input is not None:
                self.on_input(outcome)
            self._settle(message)
        elif isinstance(outcome, DesiredReceived):
            self._desired(message, outcome)
        elif isinstance(outcome, Ignored):
            self._settle(message)  # the service's own message: nothing to refuse
        else:
            self._refuse(message, outcome)

    def broadcast(self, change: TwinChange) -> None:
        """The change's ``twin.delta`` to the lab's and its sessions' websocket clients;
        built only if some client watches (sessions and ``_twin`` states read the twin)."""
        if self.hub.idle:
            return
        groups = [lab_group(change.kit.lab), *self.kit_groups(change.kit)]
        if self.hub.watched(groups):
            self.hub.publish_to(groups, change.to_frame())

    def _telemetry(self, message: InboundMessage, outcome: TelemetryReceived) -> None:
        kit, telemetry = outcome.kit, outcome.telemetry
        try:
            twin = self.twins.get_or_create(kit)
        except TwinLimitReachedError as exc:
            self._warn_limit(exc)
            self.ingest.seqs.forget(kit)
            self._refuse(message, Refused(kit.lab, kit.kit, "limit", str(exc), seq=telemetry.seq))
            return
        if len(self.twins) != self._twins_reported:
            self._twins_reported = len(self.twins)
            self.metrics.twins.set(self._twins_reported)
        telemetry = within_sensor_bound(twin, telemetry, self.max_sensors_per_kit)
        over = over_limit(telemetry.dropped) if telemetry.dropped else 0
        if over:
            self.metrics.readings_over_limit.inc(over)
        if not telemetry.readings and not telemetry.waveforms:
            reason = (
                f"{LIMIT}: the twin holds {len(twin.reported)} distinct sensors, the most a"
                f" kit may report (ACCESSTWIN_MAX_SENSORS_PER_KIT={self.max_sensors_per_kit})"
            )
            refused = Refused(kit.lab, kit.kit, "limit", reason, telemetry.dropped, telemetry.seq)
            self._refuse(message, refused)
            return
        # Values derived from this message change the twin together with it: one version.
        derived = self._derive(kit, telemetry, message.received_at)
        entries = self._entries(derived, message.received_at) if derived else None
        change = twin.apply_telemetry(telemetry, message.received_at, entries)
        if change is not None:
            self.broadcast(change)
        points = telemetry_points(kit, telemetry, message.received_at)
        if derived:
            points.extend(self._points(kit, derived, message.received_at))
        engine = self._derived.get(kit)
        if engine is not None:  # at once, before the message's completed compressions
            publish_releases(self.hub, kit, engine.take_releases(), self.kit_groups)
        compressions = self._take_compressions(kit)
        if compressions:
            self.metrics.compressions.inc(len(compressions))
            points.extend(compression_points(kit, compressions, message.received_at))
            for c in compressions:
                self.hub.publish(lab_group(kit.lab), compression_frame(kit, c))
        if telemetry.dropped:
            self.metrics.readings_dropped.inc(len(telemetry.dropped))
            self._publish_rejection(
                message, kit.lab, kit.kit, "dropped readings", telemetry.dropped, telemetry.seq
            )
        applied = AppliedMessage(
            kit.lab,
            kit.kit,
            telemetry.seq,
            message.received_at,
            points,
            telemetry_chunks(telemetry) if telemetry.waveforms else (),
        )
        if not self.writer.enqueue(applied, lambda: self._ack(message), qos=message.qos):
            # A QoS 0 message while the store's queue is full (counted by the writer).
            self._publish_rejection(
                message,
                kit.lab,
                kit.kit,
                "store queue full: QoS 0 message not stored",
                (),
                telemetry.seq,
            )
        self._settled = True
        if self.on_change is not None and change is not None:
            self.on_change(twin)
        if compressions and self.on_compressions is not None:
            self.on_compressions(kit, compressions)

    def _take_compressions(self, kit: KitRef) -> list[Compression]:
        engine = self._derived.get(kit)
        return engine.take_compressions() if engine is not None else []

    def _apply_derived(
        self, twin: Twin, derived: list[DerivedValue], now: float
    ) -> list[SamplePoint]:
        """Put derived values into the twin on their own (no message: a flush) and return
        their history points."""
        derived_change = twin.apply_derived(self._entries(derived, now), now)
        if derived_change is not None:
            self.broadcast(derived_change)
        return self._points(twin.kit, derived, now)

    @staticmethod
    def _entries(derived: list[DerivedValue], now: float) -> dict[str, ValueEntry]:
        return {d.name: ValueEntry(d.value, d.unit, d.ts, now, d.quality, d.stale) for d in derived}

    @staticmethod
    def _points(kit: KitRef, derived: list[DerivedValue], now: float) -> list[SamplePoint]:
        """History points of derived values (a stale re-send of an old value is none)."""
        return [
            SamplePoint(kit.lab, kit.kit, d.name, d.ts, d.value, now)
            for d in derived
            if not d.stale
        ]

    def flush_derived(self, now: float) -> int:
        """Recompute the derived values of kits whose waveforms stopped at least
        ``DERIVED_FLUSH_QUIET_S`` ago on their newest data; return how many kits changed."""
        changed = 0
        for kit, last in list(self._unflushed.items()):
            if now - last < DERIVED_FLUSH_QUIET_S:
                continue
            del self._unflushed[kit]
            engine, twin = self._derived.get(kit), self.twins.get(kit)
            if engine is None or twin is None:
                continue
            try:
                derived = engine.flush()
            except Exception as exc:  # noqa: BLE001 - best effort, as in _derive
                self.metrics.derive_failures.inc()
                self._log_error("derive", f"derived values of {kit} at the end of a burst", exc)
                self._derived[kit] = DerivedSignals()
                continue
            if not derived:
                continue
            points = self._apply_derived(twin, derived, now)
            if points:
                self.writer.enqueue(AppliedMessage(kit.lab, kit.kit, None, now, points), _no_ack)
            changed += 1
            if self.on_change is not None:
                self.on_change(twin)
        return changed

    def _derive(self, kit: KitRef, telemetry: Telemetry, now: float) -> list[DerivedValue]:
        if not telemetry.waveforms:
            return []
        self._unflushed[kit] = now
        engine = self._derived.get(kit)
        if engine is None:
            engine = self._derived[kit] = DerivedSignals()
        out: list[DerivedValue] = []
        for waveform in telemetry.waveforms:
            try:
                out.extend(
                    engine.add_chunk(
                        waveform.sensor, telemetry.ts, waveform.rate_hz, waveform.samples, now
                    )
                )
            except Exception as exc:  # noqa: BLE001 - best effort; the samples are kept
                self.metrics.derive_failures.inc()
                self._log_error("derive", f"derived values of {kit} from {waveform.sensor}", exc)
                # Start the kit's windows afresh, so one bad window does not fail them all.
                engine = self._derived[kit] = DerivedSignals()
        return out

    def _internal_error(self, message: InboundMessage, exc: Exception) -> None:
        self.metrics.messages_rejected.labels(INTERNAL).inc()
        self._log_error(type(exc).__name__, f"handling a message on {message.topic[:200]!r}", exc)
        if self._settled:
            reason = f"internal error after the message was kept ({type(exc).__name__})"
        else:
            reason = f"internal error handling the message ({type(exc).__name__})"
            self._settle(message)
        parsed = self.ingest.scheme.parse(message.topic)
        where = parsed.kit if isinstance(parsed, KitTopic) else parsed
        self._publish_rejection(message, where.lab, where.kit, reason, (), None)

    def _log_error(self, kind: str, what: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._error_logged_at.get(kind, -math.inf) >= ERROR_LOG_EVERY_S:
            self._error_logged_at[kind] = now
            log.error("%s failed (counted; logged once a minute): %s", what, exc, exc_info=exc)

    def _settle(self, message: InboundMessage) -> None:
        self._settled = True
        self._ack(message)

    def _warn_limit(self, exc: TwinLimitReachedError) -> None:
        now = time.monotonic()
        if now - self._limit_logged_at > 60:
            self._limit_logged_at = now
            log.warning("%s (ACCESSTWIN_MAX_TWINS); refusing new kits", exc)

    def _status(self, message: InboundMessage, outcome: StatusReceived) -> None:
        try:
            twin = self.twins.get_or_create(outcome.kit)
        except TwinLimitReachedError as exc:
            self._refuse(message, Refused(outcome.kit.lab, outcome.kit.kit, "limit", str(exc)))
            return
        change = twin.apply_status(outcome.online, message.received_at)
        if change is not None:
            self.broadcast(change)
            self.hub.publish(
                lab_group(outcome.kit.lab),
                status_frame(outcome.kit.lab, outcome.kit.kit, outcome.online, message.received_at),
            )
        self._settle(message)

    def _desired(self, message: InboundMessage, outcome: DesiredReceived) -> None:
        twin = self.twins.get(outcome.kit)
        if twin is None:
            try:
                twin = self.twins.get_or_create(outcome.kit)
            except TwinLimitReachedError:
                self._settle(message)
                return
        if outcome.version > twin.desired_version:
            twin.desired = dict(outcome.desired)
            twin.desired_version = outcome.version
        self._settle(message)

    def _refuse(self, message: InboundMessage, refused: Refused) -> None:
        self.metrics.messages_rejected.labels(refused.stage).inc()
        self._publish_rejection(
            message, refused.lab, refused.kit, refused.reason, refused.dropped, refused.seq
        )
        if refused.stage == DUPLICATE:
            # Ack a redelivery only once the original (perhaps still queued) is durable.
            self.writer.enqueue(None, lambda: self._ack(message))
            self._settled = True
        else:
            self._settle(message)

    def _publish_rejection(
        self,
        message: InboundMessage,
        lab: str,
        kit: str,
        reason: str,
        dropped: tuple[Dropped, ...],
        seq: int | None,
    ) -> None:
        body = rejection_payload(
            reason, message.topic, message.received_at, message.payload, dropped, seq
        )
        topic = self.ingest.scheme.rejected_topic(lab, kit)
        self._publish(topic, json.dumps(body).encode(), 1, False)
        log.debug("rejected %s: %s", message.topic, reason)
