"""The long-lived parts of one service instance, started and stopped by the app's lifespan."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import logging
import time
from collections.abc import AsyncIterator

from accessibility.scenario import load_scenario, scenario_ids
from accesstwin_contract.quantities import DERIVED_NAMES, unit_of_value
from accesstwin_contract.topics import KitTopic
from gateway.dedupe import SeqTracker
from gateway.identifiers import KitRef
from gateway.ingest import Ingest, InputReceived
from gateway.mqtt_client import InboundMessage, MqttClient
from gateway.ratelimit import KitRateLimiter
from gateway.topics import Channel
from twin_service.auth.admission import Admission
from twin_service.auth.tokens import FailureLimiter, InstructorTokens
from twin_service.ingest.compressions import COMPRESSION_SENSOR
from twin_service.ingest.pipeline import DERIVED_FLUSH_QUIET_S, Pipeline
from twin_service.live.fanout import Broadcaster
from twin_service.live.hub import Hub, frame_text
from twin_service.ops.metrics import ServiceMetrics
from twin_service.records.base import RecordsStore
from twin_service.records.errors import RecordsUnavailableError
from twin_service.records.metrics import RecordsMetrics
from twin_service.records.outbox import XapiSender
from twin_service.records.recorder import SessionRecorder
from twin_service.records.sql import SqlRecords
from twin_service.records.writer import RecordsWriter
from twin_service.sessions.learners import LearnerProfiles
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.scan_audio import clip_rendered
from twin_service.settings import Settings
from twin_service.speech.ahead import ClipsAhead
from twin_service.speech.espeak import EspeakSpeech
from twin_service.store.base import TimeSeriesStore
from twin_service.store.factory import open_store
from twin_service.store.influx import InfluxStore
from twin_service.store.writer import StoreWriter
from twin_service.twins.registry import TwinLimitReachedError, TwinRegistry
from twin_service.twins.replica import (
    PUBLISH_INTERVAL_S,
    ReplicaTwin,
    decode_state,
    encode_state,
    state_error,
)
from twin_service.twins.twin import JsonDict, Twin, TwinChange, ValueEntry

log = logging.getLogger(__name__)

# How often kits are checked for the end of a burst; with the 1 s quiet time, derived
# values reflect a burst's newest data within 2 s (docs/interface.md: 5 s).
DERIVED_FLUSH_EVERY_S = DERIVED_FLUSH_QUIET_S
SEQ_WINDOW = 4_096
# How often revoked learner tokens are re-read from the records (expired ones dropped,
# other replicas' revocations learnt); admission itself never reads the database.
REVOCATIONS_REFRESH_S = 30.0


PYTHON_YOUNG_THRESHOLD = 700  # CPython's own first threshold
SLOW_STOP_STEP_S = 1.0  # a step of stop() taking longer is logged
STOP_TASKS_TIMEOUT_S = 5.0  # cancelled background tasks get this long to end


@contextlib.asynccontextmanager
async def _timed_step(step: str) -> AsyncIterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        took = time.monotonic() - started
        if took > SLOW_STOP_STEP_S:
            log.warning("stop: %s took %.1f s", step, took)


def tune_young_generation(threshold: int) -> None:
    """Collect the youngest generation after ``threshold`` more container objects (0:
    Python's own 700). Each message on the ingest path leaves objects waiting for the
    store's commit (the message, its points, the twin's new entries): at 700 they are
    walked by a young and then a middle collection before the commit frees them, a
    sixth of the gateway's time per message (BENCHMARKS.md, "ingest, 2026-12-04
    evening"). The older generations keep their thresholds."""
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(threshold or PYTHON_YOUNG_THRESHOLD, middle, oldest)


class Runtime:
    def __init__(
        self,
        settings: Settings,
        store: TimeSeriesStore | None = None,
        records: RecordsStore | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = ServiceMetrics()
        self.instructors = InstructorTokens(settings.api_tokens, enabled=settings.auth_enabled)
        self.auth_failures = FailureLimiter()
        self.store = store if store is not None else open_store(settings.store)
        if isinstance(self.store, InfluxStore):
            self.metrics.watch_influx_spool(self.store)
        self.twins = TwinRegistry(settings.max_twins)
        self.hub = Hub(self.metrics, settings.ws_queue_frames, self._full_twin_text)
        self.fanout = Broadcaster(self.hub, self.metrics, settings.ws_broadcast)
        self._full_texts: dict[KitRef, tuple[int, str]] = {}
        self.writer = StoreWriter(
            self.store,
            self.metrics,
            settings.store_batch_max,
            max_pending=settings.store_max_pending,
        )
        self.ingest = Ingest(
            settings.topics,
            SeqTracker(SEQ_WINDOW),
            KitRateLimiter(settings.kit_rate_per_s, settings.kit_burst),
        )
        self.role = settings.role
        self.owned = settings.owned
        self.epoch = time.time()  # orders this process's twin states after a restart's
        self._replicas: dict[KitRef, ReplicaTwin] = {}
        self._published_versions: dict[KitRef, int] = {}
        self._ingested: set[KitRef] = set()  # kits whose telemetry this process took
        self.mqtt = MqttClient(
            settings.broker,
            settings.client_id,
            self._on_message,
            subscriptions_for(settings),
            persistent_session=settings.role != "api",
            on_connection_change=lambda up: self.metrics.mqtt_connected.set(1 if up else 0),
        )
        self.pipeline = Pipeline(
            self.ingest,
            self.twins,
            self.writer,
            self.hub,
            self.metrics,
            self.mqtt.publish,
            self._ack,
            max_sensors_per_kit=settings.max_sensors_per_kit,
        )
        self.records_metrics = RecordsMetrics(self.metrics.registry)
        self.records: RecordsStore = (
            records if records is not None else SqlRecords(settings.records)
        )
        self.records_writer = RecordsWriter(
            self.records, self.records_metrics, settings.records_max_pending
        )
        self.xapi = (
            XapiSender(
                self.records, settings.xapi_url, settings.xapi_credentials, self.records_metrics
            )
            if settings.xapi_url
            else None
        )
        if self.xapi is not None:
            self.records_writer.on_commit = self.xapi.wake
        self.recorder = SessionRecorder(
            self.records_writer,
            self.records_metrics,
            settings.records_owner,
            max_events_per_session=settings.records_max_session_events,
            xapi_base_url=settings.service_url if settings.xapi_url else None,
        )
        self.profiles = LearnerProfiles(records=self.records, writer=self.records_writer)
        self.sessions = SessionManager(
            {sid: load_scenario(sid) for sid in scenario_ids()},
            self.hub,
            self.profiles.get,
            max_sessions=settings.max_running_sessions,
            observer=self.recorder,
            on_scan_learnt=self.profiles.remember_scan_interval,
            learner_token_grace_s=settings.learner_token_grace_s,
        )
        self.admission = Admission(
            self.instructors, self.auth_failures, self.sessions.learner_opens
        )
        self.sessions.on_finished = self._on_session_finished
        self.speech = EspeakSpeech(
            cache_max_bytes=settings.speech_cache_mb * 1024 * 1024, engine=settings.speech_engine
        )
        self.clips_ahead = ClipsAhead(self.speech.synthesize, self._clip_rendered)
        self.sessions.on_clips = lambda session, clips: self.clips_ahead.want(session.id, clips)
        self.pipeline.on_change = self._on_twin_change
        self.pipeline.kit_groups = self.sessions.groups_of_kit
        self.pipeline.on_input = self._on_input
        self.pipeline.on_compressions = self.sessions.on_compressions
        self._tick_wake = asyncio.Event()
        # Presses, Start and scan-time changes from the session websocket move deadlines.
        self.sessions.on_scan_changed = self._tick_wake.set
        self._tasks: list[asyncio.Task[None]] = []
        self.started_at = time.time()

    def _full_twin_text(self, lab: str, kit: str) -> str | None:
        """The twin's full state as a delta, serialised once per version for all clients."""
        ref = KitRef(lab, kit)
        twin = self.twins.get(ref)
        if twin is None:
            return None
        cached = self._full_texts.get(ref)
        if cached is not None and cached[0] == twin.version:
            return cached[1]
        text = frame_text(twin.full_delta_frame())
        self._full_texts[ref] = (twin.version, text)
        return text

    def _on_session_finished(self, session: Session) -> None:
        """The learner's profile keeps the scan time the session adapted to."""
        if session.profile.adaptive_scan:
            interval = session.scan.interval_ms
            if interval != self.profiles.get(session.learner_id).scan_interval_ms:
                self.profiles.remember_scan_interval(session.learner_id, interval)
        self.records_metrics.running_sessions.set(self.sessions.running)

    def _clip_rendered(self, session_id: str, key: str, wav: bytes) -> None:
        session = self.sessions.get(session_id)
        if session is not None:
            clip_rendered(session, key, wav)

    def _ack(self, message: InboundMessage) -> None:
        self.mqtt.ack(message)
        self.metrics.messages_acked.inc()

    def _on_twin_change(self, twin: Twin) -> None:
        self._ingested.add(twin.kit)
        if self.sessions.follows(twin.kit):
            # Only then can scanning's deadlines move: a kit without a session does not
            # wake the scan clock (once per read burst, measured in BENCHMARKS.md).
            self.sessions.on_twin_change(twin)
            self._tick_wake.set()

    def _on_input(self, received: InputReceived) -> None:
        self.sessions.on_kit_switch(
            received.kit, received.event.switch, received.event.state, received.event.ts
        )
        self._tick_wake.set()

    async def _scan_clock(self) -> None:
        """Tick scanning at each machine's next deadline, and at least once a second."""
        while True:
            deadline = self.sessions.tick(time.time())
            delay = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.time()))
            self._tick_wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._tick_wake.wait(), delay)

    def _on_message(self, message: InboundMessage) -> None:
        if self.role == "api" and self.settings.topics.is_twin_topic(message.topic):
            self._on_twin_state(message)
            return
        if self.owned.count > 1 and not self._owns(message.topic):
            self.metrics.messages_skipped.inc()
            self.mqtt.ack(message)  # another gateway's kit: it has its own copy
            return
        self.pipeline.handle(message)

    def _owns(self, topic: str) -> bool:
        """Whether the kit of ``topic`` is this partition's (a topic that is not a kit
        topic is judged here, so its rejection is published once, by partition 0)."""
        parsed = self.settings.topics.parse(topic)
        if not isinstance(parsed, KitTopic):
            return self.owned.index == 0
        return self.owned.owns(parsed.kit.lab, parsed.kit.kit)

    def _on_twin_state(self, message: InboundMessage) -> None:
        """An API replica takes a gateway's twin state (CONTRACT addition: ``P/_twin``)."""
        self.mqtt.ack(message)
        try:
            ref = self.settings.topics.twin_kit(message.topic)
            state = decode_state(message.payload)
            refused = state_error(state, time.time(), self.settings.max_sensors_per_kit)
            if refused:
                raise ValueError(refused)
            replica = self._replicas.get(ref)
            if replica is None:
                replica = self._replicas[ref] = ReplicaTwin(self.twins.get_or_create(ref))
        except (ValueError, TwinLimitReachedError) as exc:
            self.metrics.messages_rejected.labels("twin_state").inc()
            log.warning("twin state on %s refused: %s", message.topic, exc)
            return
        change = replica.apply(state)
        if change is not None:
            self.metrics.twins.set(len(self.twins))
            self.pipeline.broadcast(change)
            self._on_twin_change(replica.twin)

    async def _publish_twin_states(self) -> None:
        """A gateway publishes each changed twin's state, retained, for API replicas."""
        while True:
            await asyncio.sleep(PUBLISH_INTERVAL_S)
            if not self.mqtt.connected:
                continue
            # Only twins whose telemetry this gateway ingested: every gateway sees every
            # kit's status and desired state, but one kit's state must come from one place.
            for kit in self._ingested:
                twin = self.twins.get(kit)
                if twin is None or self._published_versions.get(kit) == twin.version:
                    continue
                topic = self.settings.topics.twin_topic(twin.kit)
                if self.mqtt.publish(topic, encode_state(twin, self.epoch), 1, True):
                    self._published_versions[twin.kit] = twin.version

    async def start(self) -> None:
        await self.store.open()
        await self.records.open()  # RecordsUnavailableError: the CLI says so and exits 2
        if self.role != "gateway":
            interrupted = await self.records.interrupt_running(
                self.settings.records_owner, time.time()
            )
            if interrupted:
                log.warning(
                    "%d sessions were running when the service stopped; they are"
                    " interrupted and can be resumed: %s",
                    len(interrupted),
                    ", ".join(interrupted[:20]),
                )
        await self._load_revocations()
        if self.role != "api":
            await self._restore()
        self._tasks = [
            asyncio.create_task(self.writer.run(), name="store-writer"),
            asyncio.create_task(self.mqtt.run(), name="mqtt"),
            asyncio.create_task(self._scan_clock(), name="scan-clock"),
            asyncio.create_task(self.clips_ahead.run(), name="scan-clips-ahead"),
            asyncio.create_task(self.records_writer.run(), name="records-writer"),
        ]
        self._tasks.append(asyncio.create_task(self._revocations_loop(), name="revocations"))
        if self.xapi is not None:
            self._tasks.append(asyncio.create_task(self.xapi.run(), name="xapi-outbox"))
        if self.role != "api":
            self._tasks.append(asyncio.create_task(self._retention_loop(), name="retention"))
            self._tasks.append(asyncio.create_task(self._flush_derived(), name="derived-flush"))
        if self.role == "gateway":
            self._tasks.append(asyncio.create_task(self._publish_twin_states(), name="twin-states"))
        # What start-up built (modules, the app, restored twins) lives as long as the
        # process: take it out of the collector's view, so a full collection does not walk
        # it all again and stall the event loop (measured: 50 ms pauses, the p99 of
        # publish → websocket frame; BENCHMARKS.md).
        gc.freeze()
        tune_young_generation(self.settings.gc_young_threshold)

    async def _load_revocations(self) -> None:
        """Revoked learner tokens from the records into memory (expired ones are dropped
        on the way); admission then asks memory only."""
        now, grace = time.time(), self.settings.learner_token_grace_s
        revoked = self.sessions.revocations
        revoked.load(await self.records.revocations(now, grace))
        revoked.prune(now, grace)
        self.records_metrics.revoked_tokens.set(len(revoked))

    async def _revocations_loop(self) -> None:
        """Every ``REVOCATIONS_REFRESH_S``: drop expired revocations, and learn those made
        by other replicas sharing the records database."""
        while True:
            await asyncio.sleep(REVOCATIONS_REFRESH_S)
            try:
                await self._load_revocations()
            except RecordsUnavailableError as exc:
                log.debug("revoked learner tokens not refreshed: %s", exc)

    async def _restore(self) -> None:
        """Rebuild twins and the duplicate window from the store after a restart."""
        values = await self.store.latest_values()
        restart_version = int(time.time() * 1000)
        for row in values:
            if not self.owned.owns(row.lab, row.kit):
                continue  # another partition's kit (the store may be shared)
            try:
                twin = self.twins.get_or_create(KitRef(row.lab, row.kit))
            except (TwinLimitReachedError, ValueError):
                continue
            if row.sensor == COMPRESSION_SENSOR:
                continue  # an event log in the history, not a twin value
            section = twin.derived if row.sensor in DERIVED_NAMES else twin.reported
            if row.sensor not in section and len(section) >= self.settings.max_sensors_per_kit:
                continue  # history from before the bound (ACCESSTWIN_MAX_SENSORS_PER_KIT)
            section[row.sensor] = ValueEntry(
                row.value, unit_of_value(row.sensor), row.ts, row.received_at
            )
            # Versions never go backwards across a restart: a restored twin continues from
            # the clock in ms (fine while a twin changes under 1,000 times a second).
            twin.version = max(twin.version, restart_version)
            twin.updated_at = max(twin.updated_at, row.received_at)
        for kit, seqs in (await self.store.recent_seqs(SEQ_WINDOW)).items():
            if self.owned.owns(kit.lab, kit.kit):
                self.ingest.seqs.mark_all(kit, seqs)
        self.metrics.twins.set(len(self.twins))
        if values:
            log.info("restored %d twins from %r", len(self.twins), self.store)

    async def stop(self, drain_timeout: float = 10.0) -> None:
        """Stop taking messages, commit and acknowledge what was taken, then close.

        Each step is bounded; one that takes over ``SLOW_STOP_STEP_S`` is logged with its
        time (a service that would not stop in 20 s was seen once under CI load: the log
        now says where)."""
        mqtt_task = self._tasks[1] if len(self._tasks) > 1 else None
        # Commit first while still connected, so the acks for stored messages go out.
        async with _timed_step("store writer drain"):
            await self.writer.drain(drain_timeout)
        async with _timed_step("records writer drain"):
            drained = await self.records_writer.drain(drain_timeout)
        if not drained:
            log.error(
                "records: %d writes not committed at stop (database away)",
                self.records_writer.pending,
            )
        async with _timed_step("MQTT disconnect"):
            await self.mqtt.stop()
            if mqtt_task is not None:
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(mqtt_task, 5)
        async with _timed_step("background tasks"):
            for task in self._tasks:
                task.cancel()
            ended, running = (
                await asyncio.wait(self._tasks, timeout=STOP_TASKS_TIMEOUT_S)
                if self._tasks
                else (set(), set())
            )
            for task in ended:
                failure = None if task.cancelled() else task.exception()
                if failure is not None:
                    log.error("stop: task %s had failed", task.get_name(), exc_info=failure)
            if running:
                log.error(
                    "stop: tasks still running %.0f s after cancel: %s",
                    STOP_TASKS_TIMEOUT_S,
                    ", ".join(sorted(t.get_name() for t in running)),
                )
        async with _timed_step("history store close"):
            await self.store.close()
        async with _timed_step("records close"):
            await self.records.close()
        async with _timed_step("speech close"):
            await self.speech.close()

    async def ready(self) -> dict[str, bool]:
        return {
            "mqtt_connected": self.mqtt.connected,
            "mqtt_subscribed": self.mqtt.subscribed,
            "store_writable": self.writer.healthy and await self.store.check_writable(),
            "records_writable": self.records_writer.healthy and await self.records.check(),
        }

    def metrics_text(self) -> bytes:
        """The Prometheus exposition of this process's metrics, gauges brought up to date."""
        self.metrics.store_pending.set(self.writer.pending)
        return self.metrics.render()

    def set_desired(self, kit: KitRef, desired: JsonDict) -> TwinChange:
        twin = self.twins.get_or_create(kit)
        change = twin.set_desired(desired, time.time())
        body = json.dumps({"version": twin.desired_version, "desired": twin.desired})
        self.mqtt.publish(self.settings.topics.kit_topic(kit, Channel.DESIRED), body, 1, True)
        self.pipeline.broadcast(change)
        return change

    async def _flush_derived(self) -> None:
        """Derived values at the end of a burst (``Pipeline.flush_derived``), once a second."""
        while True:
            await asyncio.sleep(DERIVED_FLUSH_EVERY_S)
            if self.pipeline.flush_derived(time.time()):
                self._tick_wake.set()

    async def _retention_loop(self) -> None:
        while True:
            cutoff = time.time() - self.settings.retention_days * 86_400
            try:
                deleted = await self.store.prune(cutoff)
                if deleted:
                    log.info(
                        "retention: deleted %d points older than %.0f days",
                        deleted,
                        self.settings.retention_days,
                    )
            except Exception:
                log.exception("retention prune failed")
            await asyncio.sleep(3_600)


def subscriptions_for(settings: Settings) -> list[str]:
    """What this process subscribes to, by role.

    ``api``: the twin states the gateways publish, and kits' switch input (sessions live
    in the API process). ``all`` / ``gateway``: every kit topic; with
    ``ACCESSTWIN_MQTT_SHARE_GROUP`` telemetry and input through a shared subscription
    (``$share/GROUP/…``; the broker must deliver one topic to one member, e.g. EMQX's
    ``hash_topic`` strategy). ``status`` and ``desired`` stay plain subscriptions: shared
    subscriptions get no retained messages.
    """
    if settings.role == "api":
        return [settings.topics.twin_filter(), settings.topics.channel_filter(Channel.INPUT)]
    group = settings.mqtt_share_group
    shared = {Channel.TELEMETRY, Channel.INPUT}
    out = []
    for channel in Channel:
        topic = settings.topics.channel_filter(channel)
        if group is not None and channel in shared:
            topic = f"$share/{group}/{topic}"
        out.append(topic)
    return out
