"""The speech cache's bound (issue 7, resource bounds): a setting
(``ACCESSTWIN_SPEECH_CACHE_MB``), metrics for its bytes and evictions, and a log line,
at most once a minute, while it evicts."""

from __future__ import annotations

import logging
import uuid

import httpx
import pytest

from twin_service.app import create_app
from twin_service.ops.metrics import ServiceMetrics
from twin_service.settings import Settings
from twin_service.speech.cache import WavCache
from twin_service.speech.espeak import EspeakSpeech
from twin_service.store.memory import MemoryStore


def warnings_about_eviction(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "speech cache full" in r.getMessage()]


def test_evictions_are_counted_and_logged_once_a_minute(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1_000.0]
    monkeypatch.setattr("twin_service.speech.cache.time.monotonic", lambda: clock[0])
    cache = WavCache(max_entries=100, max_bytes=250)
    with caplog.at_level(logging.WARNING, logger="twin_service.speech.cache"):
        for i in range(2):
            cache.put(f"k{i}", b"x" * 100)
        assert (cache.bytes, cache.evictions) == (200, 0)
        assert warnings_about_eviction(caplog) == []
        cache.put("k2", b"x" * 100)  # 300 > 250: k0 goes
        assert (cache.bytes, cache.evictions) == (200, 1)
        assert cache.get("k0") is None and cache.get("k2") is not None
        for i in range(3, 6):
            clock[0] += 10
            cache.put(f"k{i}", b"x" * 100)
        assert cache.evictions == 4
        assert len(warnings_about_eviction(caplog)) == 1
        clock[0] += 60
        cache.put("k6", b"x" * 100)
    logged = warnings_about_eviction(caplog)
    assert len(logged) == 2
    assert "ACCESSTWIN_SPEECH_CACHE_MB" in logged[0]
    assert "5 evicted so far" in logged[1]


def test_the_entry_bound_evicts_too() -> None:
    cache = WavCache(max_entries=2, max_bytes=10_000)
    for i in range(5):
        cache.put(f"k{i}", b"y" * 10)
    assert (cache.evictions, cache.bytes) == (3, 20)


async def test_speech_cache_metrics_follow_the_cache() -> None:
    speech = EspeakSpeech(cache_max_entries=10, cache_max_bytes=1_000)
    metrics = ServiceMetrics()
    metrics.watch_speech_cache(speech)
    try:
        for i in range(4):
            speech._cache.put(f"k{i}", b"z" * 300)
        assert speech.cache_bytes == 900
        assert speech.cache_evictions == 1
        get = metrics.registry.get_sample_value
        assert get("accesstwin_speech_cache_bytes") == 900
        assert get("accesstwin_speech_cache_max_bytes") == 1_000
        assert get("accesstwin_speech_cache_evictions_total") == 1
    finally:
        await speech.close()


async def test_the_service_exports_the_speech_cache_at_its_setting() -> None:
    settings = Settings(
        api_token="speech-metrics-" + uuid.uuid4().hex, store="memory://", speech_cache_mb=3
    )
    app = create_app(settings, store=MemoryStore())
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            text = (await client.get("/metrics")).text
    finally:
        await app.state.runtime.speech.close()
    values = {
        name: float(value)
        for name, _, value in (line.partition(" ") for line in text.splitlines())
        if not name.startswith("#")
    }
    assert values["accesstwin_speech_cache_bytes"] == 0
    assert values["accesstwin_speech_cache_max_bytes"] == 3 * 1024 * 1024
    assert values["accesstwin_speech_cache_evictions_total"] == 0
    assert values["accesstwin_store_pending_max_messages"] == 200_000
