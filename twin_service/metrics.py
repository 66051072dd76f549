"""Prometheus metrics of one service instance (own registry, so tests can run several)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class ServiceMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_received = Counter(
            "accesstwin_mqtt_messages_received", "MQTT messages received", ["channel"], registry=r
        )
        self.messages_rejected = Counter(
            "accesstwin_messages_rejected",
            "Whole messages refused, by stage (topic, payload, duplicate, limit)",
            ["stage"],
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

    def render(self) -> bytes:
        return generate_latest(self.registry)
