"""Prometheus metrics of one service instance (own registry, so tests can run several)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector


class SpeechCacheSource(Protocol):
    """What the speech synthesiser reports about its WAV cache."""

    @property
    def cache_bytes(self) -> int: ...
    @property
    def cache_max_bytes(self) -> int: ...
    @property
    def cache_evictions(self) -> int: ...


class InfluxSpoolSource(Protocol):
    """What the InfluxDB store reports about its disk spool."""

    @property
    def spooled_points(self) -> int: ...
    @property
    def spool_max_points(self) -> int: ...


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_received = Counter(
            "accesstwin_mqtt_messages_received", "MQTT messages received", ["channel"], registry=r
        )
        self.messages_rejected = Counter(
            "accesstwin_messages_rejected",
            "Whole messages refused, by stage: topic, payload, duplicate, limit (ingest);"
            " internal (handling failed); twin_state (a replica's state message);"
            " ws_frame (a learner page's frame)",
            ["stage"],
            registry=r,
        )
        self.derive_failures = Counter(
            "accesstwin_derive_failures",
            "Derived-value computations that failed (the message was stored all the same)",
            registry=r,
        )
        self.compressions = Counter(
            "accesstwin_compressions",
            "Completed chest compressions detected in depth_mm waveforms (compression events)",
            registry=r,
        )
        self.messages_skipped = Counter(
            "accesstwin_messages_skipped",
            "Messages of kits another gateway partition handles (acknowledged unread)",
            registry=r,
        )
        self.readings_dropped = Counter(
            "accesstwin_readings_dropped",
            "Readings or waveforms dropped from kept messages",
            registry=r,
        )
        self.points_stored = Counter(
            "accesstwin_points_stored", "Sample points committed to the store", registry=r
        )
        self.messages_acked = Counter(
            "accesstwin_messages_acked", "QoS 1 messages acknowledged after commit", registry=r
        )
        self.store_errors = Counter(
            "accesstwin_store_errors", "Failed store writes (retried)", registry=r
        )
        self.store_write_seconds = Histogram(
            "accesstwin_store_write_seconds",
            "Time to commit one batch",
            registry=r,
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.store_pending = Gauge(
            "accesstwin_store_pending_messages", "Messages waiting for a commit", registry=r
        )
        self.store_pending_max = Gauge(
            "accesstwin_store_pending_max_messages",
            "Bound on messages waiting for a commit (QoS 0 messages are refused past it)",
            registry=r,
        )
        self.store_pending_refused = Counter(
            "accesstwin_store_pending_refused",
            "QoS 0 messages not stored because the commit queue was full (store too slow or down)",
            registry=r,
        )
        self.readings_over_limit = Counter(
            "accesstwin_readings_over_limit",
            "Readings or waveforms dropped with reason limit: a new sensor name past"
            " ACCESSTWIN_MAX_SENSORS_PER_KIT, or past the readings-per-message bound",
            registry=r,
        )
        self.http_refused = Counter(
            "accesstwin_http_requests_refused",
            "HTTP requests refused before their body was read, by reason: limit (body over"
            " ACCESSTWIN_MAX_BODY_BYTES), auth (no valid token), throttled (too many failures)",
            ["reason"],
            registry=r,
        )
        self.twins = Gauge("accesstwin_twins", "Twins held in memory", registry=r)
        self.mqtt_connected = Gauge(
            "accesstwin_mqtt_connected", "1 while connected to the broker", registry=r
        )
        self.ws_clients = Gauge("accesstwin_ws_clients", "Connected websocket clients", registry=r)
        self.ws_frames_coalesced = Counter(
            "accesstwin_ws_frames_coalesced",
            "Twin states sent in full to a client that missed a delta (slow client)",
            registry=r,
        )
        self.ws_frames_dropped = Counter(
            "accesstwin_ws_frames_dropped",
            "Feedback frames a slow client lost past its queue bound",
            registry=r,
        )
        self.ws_clients_dropped = Counter(
            "accesstwin_ws_clients_dropped",
            "Websocket clients disconnected as too slow",
            registry=r,
        )

    def watch_speech_cache(self, source: SpeechCacheSource) -> None:
        """Export the speech cache's size, bound and evictions, read at each scrape."""
        self.registry.register(_SpeechCacheCollector(source))

    def watch_influx_spool(self, source: InfluxSpoolSource) -> None:
        """Export the InfluxDB spool's fill and bound, read at each scrape."""
        self.registry.register(_InfluxSpoolCollector(source))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _SpeechCacheCollector(Collector):
    def __init__(self, source: SpeechCacheSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "accesstwin_speech_cache_bytes",
            "Bytes of WAV audio held in the speech cache",
            value=self._source.cache_bytes,
        )
        yield GaugeMetricFamily(
            "accesstwin_speech_cache_max_bytes",
            "Bound on the speech cache (ACCESSTWIN_SPEECH_CACHE_MB)",
            value=self._source.cache_max_bytes,
        )
        yield CounterMetricFamily(
            "accesstwin_speech_cache_evictions",
            "WAVs evicted from the speech cache to stay within its bounds",
            value=self._source.cache_evictions,
        )


class _InfluxSpoolCollector(Collector):
    def __init__(self, source: InfluxSpoolSource) -> None:
        self._source = source

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "accesstwin_influx_spooled_points",
            "Points spooled to disk while InfluxDB is away, not replayed yet",
            value=self._source.spooled_points,
        )
        yield GaugeMetricFamily(
            "accesstwin_influx_spool_max_points",
            "Bound on the InfluxDB spool (spool_max_points=; 0: no spool)",
            value=self._source.spool_max_points,
        )
