"""Speech through the real espeak-ng: valid WAVs, rate, cache, hung worker, coalescing."""

from __future__ import annotations

import array
import asyncio
import io
import os
import shutil
import time
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from accessibility.speech import SpeechRequest, cache_key
from tests.support.programs import require_program
from twin_service.speech.engine import bundled_espeak, system_library_present
from twin_service.speech.espeak import (
    HANG_ENV,
    TEST_HANG_TEXT,
    EspeakSpeech,
    SpeechError,
    speech_available,
)

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _needs_espeak_ng() -> None:
    require_program("espeak-ng", speech_available(), "pip install espeakng-loader")


def system_espeak_ng_present() -> bool:
    return shutil.which("espeak-ng") is not None and system_library_present()


def require_system_espeak_ng() -> None:
    """For a test of the system's espeak-ng (program and library) in particular."""
    require_program(
        "the system's espeak-ng", system_espeak_ng_present(), "apt-get install espeak-ng"
    )


def worker_engine() -> str:
    """One library for the worker tests, so their start counts are exact: the system's
    where it is installed (as in CI), else the bundled one."""
    return "system" if system_espeak_ng_present() else "bundled"


PHRASE = "Push harder: 55 millimetres deep, 110 per minute."


def wav_facts(data: bytes) -> tuple[int, int, int, float, int]:
    """(channels, sample rate, frames, seconds, peak amplitude) of a 16-bit PCM WAV."""
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as wav:
        assert wav.getsampwidth() == 2
        frames = wav.getnframes()
        samples = array.array("h", wav.readframes(frames))
        return (wav.getnchannels(), wav.getframerate(), frames,
                frames / wav.getframerate(), max(map(abs, samples), default=0))  # fmt: skip


@pytest.fixture
async def speech() -> AsyncIterator[EspeakSpeech]:
    synth = EspeakSpeech(allow_fallback=False, engine=worker_engine())  # failures show
    yield synth
    await synth.close()


@pytest.mark.parametrize(
    ("engine", "prefer_pyttsx3"),
    [("system", True), ("bundled", True), ("system", False)],
    ids=["pyttsx3-system-library", "pyttsx3-bundled-library", "espeak-cli"],
)
async def test_wav_is_valid_and_slower_speech_is_longer(engine: str, prefer_pyttsx3: bool) -> None:
    if engine == "system":
        require_system_espeak_ng()
    synth = EspeakSpeech(
        prefer_pyttsx3=prefer_pyttsx3, allow_fallback=not prefer_pyttsx3, engine=engine
    )
    try:
        seconds = {}
        for rate in (80, 150, 300):
            channels, sample_rate, frames, seconds[rate], peak = wav_facts(
                await synth.synthesize(SpeechRequest(PHRASE, rate))
            )
            assert channels == 1
            assert sample_rate > 8000
            assert frames > 0
            assert peak > 1000, "audio is silent"
        assert seconds[80] > seconds[150] > seconds[300]
        assert seconds[80] >= 1.5 * seconds[300]
        expected = (3, 0) if prefer_pyttsx3 else (0, 3)
        assert (synth.stats.worker_renders, synth.stats.cli_renders) == expected
        if prefer_pyttsx3:
            assert synth.engine_facts["engine"] == engine
    finally:
        await synth.close()


async def test_the_bundled_engine_loads_the_wheels_library_and_voice_data() -> None:
    bundled = bundled_espeak()
    assert bundled is not None, "espeakng-loader is a dependency: it must be installed"
    synth = EspeakSpeech(engine="bundled")
    try:
        line = await synth.probe()
        facts = synth.engine_facts
        real = os.path.realpath
        assert real(Path(facts["library"]).parent) == real(bundled.library.parent)
        assert real(facts["data"]) == real(bundled.data_parent / "espeak-ng-data")
        assert "bundled" in line and facts["version"] in line
        for voice in ("en", "ar", "cmn"):  # the wheel carries every language's data
            _, _, frames, _, peak = wav_facts(
                await synth.synthesize(SpeechRequest("12 34", 150, voice))
            )
            assert frames > 0 and peak > 1000
    finally:
        await synth.close()


async def test_cache_returns_the_same_bytes_without_a_new_synthesis(
    speech: EspeakSpeech,
) -> None:
    request = SpeechRequest(PHRASE, 150)
    first = await speech.synthesize(request)
    started = time.perf_counter()
    again = await speech.synthesize(SpeechRequest(f"  {PHRASE}\n", 150.2))
    assert time.perf_counter() - started < 0.05
    assert again == first
    assert speech.stats.syntheses == 1
    assert speech.stats.cache_hits == 1
    assert speech.stats.worker_renders == 1


async def test_concurrent_identical_requests_are_synthesised_once(
    speech: EspeakSpeech,
) -> None:
    request = SpeechRequest("Good compressions. Keep this rhythm.", 120)
    results = await asyncio.gather(*(speech.synthesize(request) for _ in range(6)))
    assert all(result == results[0] for result in results)
    assert speech.stats.syntheses == 1
    assert speech.stats.coalesced == 5
    assert speech.stats.worker_renders == 1


@pytest.mark.slow
async def test_hung_worker_is_killed_and_the_next_request_succeeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(HANG_ENV, "1")  # read by the worker process only
    synth = EspeakSpeech(timeout_s=2.0, allow_fallback=False, engine=worker_engine())
    try:
        started = time.monotonic()
        with pytest.raises(SpeechError, match="killed"):
            await synth.synthesize(SpeechRequest(TEST_HANG_TEXT, 150))
        assert time.monotonic() - started < 5
        assert synth.stats.worker_kills == 1
        _, _, frames, _, _ = wav_facts(await synth.synthesize(SpeechRequest(PHRASE, 150)))
        assert frames > 0
        assert synth.stats.worker_starts == 2
        assert synth.stats.worker_renders == 1
    finally:
        await synth.close()


@pytest.mark.slow
async def test_hung_worker_falls_back_to_the_espeak_binary(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    require_system_espeak_ng()
    monkeypatch.setenv(HANG_ENV, "1")
    synth = EspeakSpeech(timeout_s=2.0)
    try:
        _, _, frames, _, peak = wav_facts(
            await synth.synthesize(SpeechRequest(TEST_HANG_TEXT, 150))
        )
        assert frames > 0
        assert peak > 1000
        assert (synth.stats.worker_kills, synth.stats.cli_renders) == (1, 1)
    finally:
        await synth.close()


async def test_no_working_path_raises_speech_error() -> None:
    synth = EspeakSpeech(prefer_pyttsx3=False, espeak_binary="/nonexistent/espeak-ng")
    try:
        with pytest.raises(SpeechError, match="espeak-ng"):
            await synth.synthesize(SpeechRequest("Hello", 150))
    finally:
        await synth.close()
    with pytest.raises(SpeechError, match="closed"):
        await synth.synthesize(SpeechRequest("Hello", 150))


async def test_unknown_voice_is_a_speech_error_and_a_fresh_worker_carries_on(
    speech: EspeakSpeech,
) -> None:
    with pytest.raises(SpeechError, match="SetVoiceByName"):
        await speech.synthesize(SpeechRequest("Hello", 150, "zz"))
    for text in ("Hello", "Hello again"):
        assert wav_facts(await speech.synthesize(SpeechRequest(text, 150)))[2] > 0
    assert (speech.stats.worker_starts, speech.stats.worker_kills) == (2, 0)
    assert speech.stats.worker_renders == 2


async def test_cache_is_bounded_by_entries_and_bytes() -> None:
    synth = EspeakSpeech(cache_max_entries=2, cache_max_bytes=400_000)
    try:
        first, second, third = (SpeechRequest(f"Step {n}.", 150) for n in (1, 2, 3))
        for request in (first, second, third):
            await synth.synthesize(request)
        assert synth.cached(cache_key(first)) is None
        assert synth.cached(cache_key(third)) is not None
        long = SpeechRequest("Keep going. " * 20, 80)  # well over 400 kB of audio
        assert len(await synth.synthesize(long)) > 400_000
        assert synth.cached(cache_key(long)) is None
    finally:
        await synth.close()


@pytest.mark.slow
async def test_close_stops_a_hung_render_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HANG_ENV, "1")
    synth = EspeakSpeech(timeout_s=30.0)
    task = asyncio.create_task(synth.synthesize(SpeechRequest(TEST_HANG_TEXT, 150)))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    await synth.close()
    with pytest.raises(SpeechError, match="closed"):
        await task
    assert time.monotonic() - started < 2
