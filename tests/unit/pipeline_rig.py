"""A ``Pipeline`` wired to the in-memory store, recording what it publishes and acks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from gateway.ingest import Ingest
from gateway.mqtt_client import InboundMessage
from gateway.topics import TopicScheme
from twin_service.ingest.pipeline import Pipeline
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.store.memory import MemoryStore
from twin_service.store.writer import StoreWriter
from twin_service.twins.registry import TwinRegistry

PREFIX = "p"


class PipelineRig:
    def __init__(self, ingest: Ingest | None = None, max_sensors_per_kit: int = 128) -> None:
        self.metrics = ServiceMetrics()
        self.store = MemoryStore()
        self.writer = StoreWriter(self.store, self.metrics)
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.acked: list[int] = []
        self.pipeline = Pipeline(
            ingest if ingest is not None else Ingest(TopicScheme(PREFIX)),
            TwinRegistry(),
            self.writer,
            Hub(self.metrics),
            self.metrics,
            lambda topic, payload, qos, retain: self.published.append((topic, json.loads(payload))),
            lambda message: self.acked.append(message.mid),
            max_sensors_per_kit=max_sensors_per_kit,
        )
        self._mid = 0

    def message(self, topic: str, payload: bytes, received_at: float) -> InboundMessage:
        self._mid += 1
        return InboundMessage(topic, payload, 1, False, self._mid, received_at, 1)

    def handle(self, topic: str, payload: bytes | dict[str, Any], received_at: float) -> int:
        """Hand one message to the pipeline; returns its mid."""
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        message = self.message(topic, raw, received_at)
        self.pipeline.handle(message)
        return message.mid

    def flush(self) -> None:
        """Commit everything queued (and run the acks waiting for it)."""

        async def run() -> None:
            await asyncio.gather(self.writer.run(), self.writer.drain(10.0))

        asyncio.run(run())

    def rejections(self, received_at: float | None = None) -> list[dict[str, Any]]:
        return [
            body
            for topic, body in self.published
            if topic.startswith(f"{PREFIX}/_rejected/")
            and (received_at is None or body["received_at"] == received_at)
        ]

    def rejected_total(self, stage: str | None = None) -> float:
        total = 0.0
        for metric in self.metrics.messages_rejected.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total") and stage in (None, sample.labels["stage"]):
                    total += sample.value
        return total

    def stored(self, lab: str, kit: str, sensor: str) -> list[tuple[float, float]]:
        from gateway.identifiers import KitRef

        return asyncio.run(self.store.history(KitRef(lab, kit), sensor, None, None, 1_000_000))

    def derive_failures(self) -> float:
        value = self.metrics.registry.get_sample_value("accesstwin_derive_failures_total")
        return value or 0.0
