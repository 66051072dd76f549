"""Spoken text: units in words, request validation, stable cache keys (pure)."""

from __future__ import annotations

import dataclasses
import math

import pytest

from accessibility.speech import SpeechRequest, cache_key, text_for_speech


@pytest.mark.parametrize(
    ("shown", "spoken"),
    [
        ("Rate 110/min", "Rate 110 per minute"),
        ("Rate 110 /min", "Rate 110 per minute"),
        ("Depth 55 mm", "Depth 55 millimetres"),
        ("Depth 55mm.", "Depth 55 millimetres."),
        ("1 mm deeper", "1 millimetre deeper"),
        ("SpO2 97%", "oxygen saturation 97 percent"),
        ("SpO₂ is low", "oxygen saturation is low"),
        ("HR 72 bpm", "HR 72 beats per minute"),
        ("Heart rate in bpm", "Heart rate in beats per minute"),
        ("Temperature 36.8 °C", "Temperature 36.8 degrees Celsius"),
        ("Temperature 37°C", "Temperature 37 degrees Celsius"),
        ("Recoil 95.5%", "Recoil 95.5 percent"),
        ("Push 50–60 mm deep", "Push 50 to 60 millimetres deep"),
        ("100–120/min", "100 to 120 per minute"),
        ("compressions/min", "compressions per minute"),
        ("BP 120/80 mmHg", "BP 120/80 millimetres of mercury"),
        ("Pause 5 s, then 2 min", "Pause 5 seconds, then 2 minutes"),
        ("Latency 200 ms", "Latency 200 milliseconds"),
    ],
)
def test_units_are_spelled_out(shown: str, spoken: str) -> None:
    assert text_for_speech(shown) == spoken


@pytest.mark.parametrize("plain", ["10 steps", "Keep going", "Press 2 buttons", "mm hmm"])
def test_plain_text_is_left_alone(plain: str) -> None:
    assert text_for_speech(plain) == plain


def test_request_text_is_cleaned() -> None:
    request = SpeechRequest("  Push\x00harder\n\tnow\x1b  ", 150)
    assert request.text == "Push harder now"
    assert request.voice == "en"


@pytest.mark.parametrize("text", ["", "   ", "\x00\x07\n"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="empty"):
        SpeechRequest(text, 150)


def test_text_length_limit() -> None:
    assert len(SpeechRequest("a" * 1000, 150).text) == 1000
    with pytest.raises(ValueError, match="at most 1000"):
        SpeechRequest("a" * 1001, 150)


@pytest.mark.parametrize(
    ("given", "used"), [(50, 80), (80, 80), (150.4, 150), (449.6, 450), (1000, 450)]
)
def test_rate_is_rounded_and_clamped(given: float, used: int) -> None:
    assert SpeechRequest("Hello", given).rate_wpm == used


@pytest.mark.parametrize("rate", [math.nan, math.inf, -math.inf])
def test_non_finite_rate_is_rejected(rate: float) -> None:
    with pytest.raises(ValueError, match="finite"):
        SpeechRequest("Hello", rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [True, "150", None])
def test_non_numeric_rate_is_rejected(rate: object) -> None:
    with pytest.raises(TypeError):
        SpeechRequest("Hello", rate)  # type: ignore[arg-type]


@pytest.mark.parametrize("voice", ["", "-v", "en; rm -rf /", "--stdout", "e", "english"])
def test_bad_voice_is_rejected(voice: str) -> None:
    with pytest.raises(ValueError, match="voice"):
        SpeechRequest("Hello", 150, voice)


def test_voice_is_normalised_and_request_is_frozen() -> None:
    request = SpeechRequest("Hello", 150, " EN-GB ")
    assert request.voice == "en-gb"
    assert SpeechRequest("Hello", 150, "en-us+f3").voice == "en-us+f3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.text = "Bye"  # type: ignore[misc]


def test_cache_key_is_stable() -> None:
    # Pinned: URLs /api/v1/speech/{key}.wav must not change between releases by accident.
    key = cache_key(SpeechRequest("Rate 110 per minute", 150))
    assert key == "980b86e8de254875634265d6722d840131335856f3295416f8b5a0ceefbd17d4"
    assert len(key) == 64
    assert int(key, 16) >= 0


def test_cache_key_follows_the_normalised_request() -> None:
    base = cache_key(SpeechRequest("Push harder", 150))
    assert cache_key(SpeechRequest("  Push\nharder ", 150.2)) == base
    assert cache_key(SpeechRequest("Push harder", 150, "EN")) == base
    assert cache_key(SpeechRequest("Push harder", 151)) != base
    assert cache_key(SpeechRequest("Push harder", 150, "en-gb")) != base
    assert cache_key(SpeechRequest("Push harder!", 150)) != base
    assert cache_key(SpeechRequest("Hello", 40)) == cache_key(SpeechRequest("Hello", 80))
