"""The ingest chain: topic → identifiers → JSON → validation → rate limit → duplicate check.

``Ingest.judge`` takes one raw MQTT message and returns what it means, or why it is
refused. It keeps only the duplicate tracker as state and does no I/O, so it can be
tested by injecting messages and asserting the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.dedupe import SeqTracker
from gateway.identifiers import KitRef
from gateway.ratelimit import KitRateLimiter
from gateway.telemetry import (
    Dropped,
    Rejection,
    SwitchInput,
    Telemetry,
    decode_json_object,
    parse_status,
    parse_switch_input,
    parse_telemetry,
)
from gateway.topics import Channel, KitTopic, TopicError, TopicScheme

DUPLICATE = "duplicate"
# Kit topics already parsed (every message of a kit has one of its few topics); bounded,
# so hostile topic names cannot grow it: it starts again when full.
TOPIC_CACHE_MAX = 65_536


@dataclass(frozen=True, slots=True)
class TelemetryReceived:
    kit: KitRef
    telemetry: Telemetry


@dataclass(frozen=True, slots=True)
class InputReceived:
    kit: KitRef
    event: SwitchInput


@dataclass(frozen=True, slots=True)
class StatusReceived:
    kit: KitRef
    online: bool


@dataclass(frozen=True, slots=True)
class DesiredReceived:
    """A retained desired-state document (the service's own, read back after a restart)."""

    kit: KitRef
    version: int
    desired: dict[str, object]


@dataclass(frozen=True, slots=True)
class Refused:
    """A whole message refused; ``stage`` is ``topic``, ``payload``, ``duplicate`` or ``limit``."""

    lab: str
    kit: str
    stage: str
    reason: str
    dropped: tuple[Dropped, ...] = ()
    seq: int | None = None


@dataclass(frozen=True, slots=True)
class Ignored:
    """One of the service's own messages (under ``_rejected`` or ``_twin``): not judged."""

    reason: str


Outcome = TelemetryReceived | InputReceived | StatusReceived | DesiredReceived | Refused | Ignored


class Ingest:
    """Judges raw messages; remembers applied ``seq`` per kit for duplicate detection."""

    def __init__(
        self,
        scheme: TopicScheme,
        seqs: SeqTracker | None = None,
        limiter: KitRateLimiter | None = None,
    ) -> None:
        self.scheme = scheme
        self.seqs = seqs if seqs is not None else SeqTracker()
        self.limiter = limiter
        self._input_seqs = SeqTracker(window=4_096)
        self._topics: dict[str, KitTopic] = {}

    def parse_topic(self, topic: str) -> KitTopic | TopicError:
        """``TopicScheme.parse``, remembering the kit topics it found."""
        parsed = self._topics.get(topic)
        if parsed is not None:
            return parsed
        result = self.scheme.parse(topic)
        if isinstance(result, KitTopic):
            if len(self._topics) >= TOPIC_CACHE_MAX:
                self._topics.clear()
            self._topics[topic] = result
        return result

    def channel_of(self, topic: str) -> Channel | None:
        """``TopicScheme.channel_of``, from the kit topics parsed before when it can."""
        parsed = self._topics.get(topic)
        return parsed.channel if parsed is not None else self.scheme.channel_of(topic)

    def judge(self, topic: str, payload: bytes, received_at: float) -> Outcome:
        parsed = self.parse_topic(topic)
        if not isinstance(parsed, KitTopic):
            if parsed.ignore:
                return Ignored(parsed.reason)
            return Refused(parsed.lab, parsed.kit, "topic", parsed.reason)
        kit = parsed.kit
        if parsed.channel is Channel.TELEMETRY:
            return self._telemetry(kit, payload, received_at)
        if parsed.channel is Channel.INPUT:
            return self._input(kit, payload, received_at)
        if parsed.channel is Channel.STATUS:
            status = parse_status(payload)
            if isinstance(status, Rejection):
                return Refused(kit.lab, kit.kit, "payload", status.reason)
            return StatusReceived(kit, status)
        return self._desired(kit, payload)

    def _desired(self, kit: KitRef, payload: bytes) -> Outcome:
        document = decode_json_object(payload)
        if isinstance(document, Rejection):
            return Refused(kit.lab, kit.kit, "payload", document.reason)
        version, desired = document.get("version"), document.get("desired")
        if type(version) is not int or version < 0 or not isinstance(desired, dict):
            return Refused(
                kit.lab, kit.kit, "payload", "desired must be {version: int, desired: {}}"
            )
        return DesiredReceived(kit, version, desired)

    def _telemetry(self, kit: KitRef, payload: bytes, received_at: float) -> Outcome:
        telemetry = parse_telemetry(payload, received_at)
        if isinstance(telemetry, Rejection):
            return self._bad_payload(kit, received_at, telemetry)
        limited = self._limit(kit, received_at, telemetry.newest_ts)
        if limited:
            return Refused(kit.lab, kit.kit, "limit", limited, seq=telemetry.seq)
        if self.seqs.is_duplicate(kit, telemetry.seq):
            return Refused(kit.lab, kit.kit, DUPLICATE, DUPLICATE, seq=telemetry.seq)
        self.seqs.mark(kit, telemetry.seq)
        return TelemetryReceived(kit, telemetry)

    def _input(self, kit: KitRef, payload: bytes, received_at: float) -> Outcome:
        event = parse_switch_input(payload, received_at)
        if isinstance(event, Rejection):
            return self._bad_payload(kit, received_at, event)
        limited = self._limit(kit, received_at, event.ts)
        if limited:
            return Refused(kit.lab, kit.kit, "limit", limited, seq=event.seq)
        if self._input_seqs.is_duplicate(kit, event.seq):
            return Refused(kit.lab, kit.kit, DUPLICATE, DUPLICATE, seq=event.seq)
        self._input_seqs.mark(kit, event.seq)
        return InputReceived(kit, event)

    def _bad_payload(self, kit: KitRef, received_at: float, rejection: Rejection) -> Refused:
        """A payload that could not be read spends the kit's live budget like any message,
        so a kit flooding junk is limited (and counted as such) like one flooding data."""
        limited = self._limit(kit, received_at, received_at)
        if limited:
            return Refused(kit.lab, kit.kit, "limit", limited)
        return Refused(kit.lab, kit.kit, "payload", rejection.reason, rejection.dropped)

    def _limit(self, kit: KitRef, received_at: float, device_ts: float) -> str | None:
        """Why the kit is over its budget (``gateway.ratelimit``), or None."""
        if self.limiter is None:
            return None
        return self.limiter.check(kit, received_at, device_ts)
