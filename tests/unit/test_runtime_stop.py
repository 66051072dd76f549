"""``Runtime.stop`` is bounded: a background task that will not end is named, not waited for."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from pathlib import Path

import pytest

from twin_service import runtime as runtime_module
from twin_service.runtime import Runtime
from twin_service.settings import Settings
from twin_service.store.memory import MemoryStore


async def test_a_task_that_ignores_its_cancel_does_not_hold_stop_and_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(runtime_module, "STOP_TASKS_TIMEOUT_S", 0.3)
    monkeypatch.setattr(runtime_module, "SLOW_STOP_STEP_S", 0.1)
    thresholds = gc.get_threshold()
    settings = Settings(
        mqtt_url="mqtt://127.0.0.1:9",  # nobody there: the client only retries
        store="memory://",
        records=f"sqlite:///{tmp_path / 'records.db'}",
        insecure_no_auth=True,
    )
    runtime = Runtime(settings, store=MemoryStore())
    await runtime.start()
    release = asyncio.Event()

    async def stubborn() -> None:
        while not release.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await release.wait()

    task = asyncio.create_task(stubborn(), name="stubborn-test-task")
    runtime._tasks.append(task)
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        with (
            caplog.at_level(logging.WARNING, logger="twin_service.runtime"),
            contextlib.suppress(TimeoutError),
        ):
            await asyncio.wait_for(runtime.stop(drain_timeout=1.0), 10)
        took = loop.time() - started
        assert took < 5, f"stop took {took:.1f} s"
        assert not task.done()
        messages = [r.getMessage() for r in caplog.records]
        assert any("stubborn-test-task" in m and "still running" in m for m in messages), messages
        assert any(m.startswith("stop: background tasks took") for m in messages), messages
    finally:
        release.set()
        await task
        gc.unfreeze()
        gc.set_threshold(*thresholds)
