"""The store writer's queue bound (issue 7, resource bounds): during a store outage QoS 0
messages are refused past ``max_pending`` (counted, logged once a minute); QoS 1 messages
and barriers, held back by the broker's in-flight window, are always queued and stored."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest

from gateway.identifiers import KitRef
from twin_service.errors import StoreError
from twin_service.ops.metrics import ServiceMetrics
from twin_service.store.base import AppliedMessage, SamplePoint
from twin_service.store.memory import MemoryStore
from twin_service.store.writer import StoreWriter


class OutageStore(MemoryStore):
    """A memory store whose writes fail while ``down`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.down = True
        self.failed_writes = 0
        self.failed_twice = asyncio.Event()

    async def write(self, messages: Sequence[AppliedMessage]) -> int:
        if self.down:
            self.failed_writes += 1
            if self.failed_writes >= 2:
                self.failed_twice.set()
            raise StoreError("store is down (test)")
        return await super().write(messages)


def message(seq: int) -> AppliedMessage:
    ts = 1_764_060_000.0 + seq
    return AppliedMessage("lab", "k", seq, ts, [SamplePoint("lab", "k", "hr", ts, 60.0, ts)])


def sample(metrics: ServiceMetrics, name: str) -> float:
    value = metrics.registry.get_sample_value(name)
    assert value is not None, name
    return value


async def test_qos0_is_refused_past_the_bound_while_qos1_and_barriers_are_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, metrics = OutageStore(), ServiceMetrics()
    await store.open()
    writer = StoreWriter(store, metrics, batch_max=100, max_backoff_s=0.01, max_pending=5)
    assert sample(metrics, "accesstwin_store_pending_max_messages") == 5
    durable: list[int] = []
    task = asyncio.create_task(writer.run())
    try:
        with caplog.at_level(logging.WARNING, logger="twin_service.store.writer"):
            kept = [
                writer.enqueue(message(s), lambda s=s: durable.append(s), qos=0)
                for s in range(1, 9)
            ]
            assert kept == [True] * 5 + [False] * 3
            assert writer.enqueue(message(9), lambda: durable.append(9), qos=1)
            assert writer.enqueue(None, lambda: durable.append(0), qos=0)  # a barrier
            assert writer.pending == 7
            await asyncio.wait_for(store.failed_twice.wait(), 5)
        refusals = [r for r in caplog.records if "store queue full" in r.getMessage()]
        assert len(refusals) == 1  # once a minute, not once a message
        assert "bound 5" in refusals[0].getMessage()
        assert writer.refused == 3
        assert sample(metrics, "accesstwin_store_pending_refused_total") == 3
        assert sample(metrics, "accesstwin_store_errors_total") >= 2
        assert durable == []
        store.down = False
        assert await writer.drain(5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert durable == [1, 2, 3, 4, 5, 9, 0]
    stored = await store.history(KitRef("lab", "k"), "hr", None, None, 100)
    assert len(stored) == 6
    assert writer.enqueue(message(10), lambda: None, qos=0)  # room again once drained


def test_the_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_pending"):
        StoreWriter(MemoryStore(), ServiceMetrics(), max_pending=0)
