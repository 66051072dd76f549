"""Spoken feedback: what to say, at which rate and voice, and the synthesiser interface.

Pure logic only. The rest of the code builds a :class:`SpeechRequest` from a message
(``SpeechRequest(text_for_speech(message), rate_wpm)``), names its audio with
:func:`cache_key` (served as ``/api/v1/speech/{key}.wav``) and asks any
:class:`SpeechSynthesizer` for the WAV bytes. ``twin_service.speech.espeak`` is the
espeak-ng implementation. Audio is always sent to the page, never played on the server.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

MIN_RATE_WPM = 80
MAX_RATE_WPM = 450
DEFAULT_RATE_WPM = 150
MAX_TEXT_CHARS = 1000
CACHE_KEY_VERSION = 1  # bump when rendering changes so old URLs stop matching new audio

# espeak-ng voice names: "en", "en-gb", "en-us+f3", "de". Never starts with "-".
_VOICE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})*(?:\+[a-z0-9]{1,8})?")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class SpeechRequest:
    """One utterance. Normalised on construction, so equal requests have equal fields.

    ``text`` is NFC-normalised, control characters become spaces and runs of
    whitespace collapse; it must then be non-empty and at most 1000 characters.
    ``rate_wpm`` is rounded and clamped to espeak-ng's 80–450 words per minute
    (``nan``, infinities, booleans and non-numbers are rejected). ``voice`` is an
    espeak-ng voice name such as ``en`` or ``en-gb``.
    """

    text: str
    rate_wpm: int
    voice: str = "en"

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError("speech text must be a string")
        text = unicodedata.normalize("NFC", self.text)
        text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
        text = _SPACE.sub(" ", text).strip()
        if not text:
            raise ValueError("speech text is empty")
        if len(text) > MAX_TEXT_CHARS:
            raise ValueError(f"speech text is {len(text)} characters; at most {MAX_TEXT_CHARS}")
        rate = self.rate_wpm
        if isinstance(rate, bool) or not isinstance(rate, int | float):
            raise TypeError("rate_wpm must be a number")
        if not math.isfinite(rate):
            raise ValueError("rate_wpm must be finite")
        voice = self.voice.strip().lower() if isinstance(self.voice, str) else ""
        if not _VOICE.fullmatch(voice):
            raise ValueError(f"not an espeak-ng voice name: {self.voice!r}")
        object.__setattr__(self, "text", text)
        object.__setattr__(self, "rate_wpm", min(MAX_RATE_WPM, max(MIN_RATE_WPM, round(rate))))
        object.__setattr__(self, "voice", voice)


def cache_key(request: SpeechRequest) -> str:
    """Stable sha256 hex name of the audio for ``request`` (safe in a URL path)."""
    canonical = json.dumps(
        {"v": CACHE_KEY_VERSION, "text": request.text, "voice": request.voice,
         "rate": request.rate_wpm},
        sort_keys=True, ensure_ascii=False, separators=(",", ":"),
    )  # fmt: skip
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class SpeechSynthesizer(Protocol):
    """Anything that turns a request into WAV bytes (mono PCM, RIFF header)."""

    async def synthesize(self, request: SpeechRequest) -> bytes: ...


# --- text_for_speech -------------------------------------------------------------------

_NUM = r"(?P<num>\d+(?:[.,]\d+)?)"
_UNITS: tuple[tuple[str, str, str], ...] = (  # (pattern after a number, singular, plural)
    (r"mm\s?Hg", "millimetre of mercury", "millimetres of mercury"),
    (r"°\s?C", "degree Celsius", "degrees Celsius"),
    (r"°\s?F", "degree Fahrenheit", "degrees Fahrenheit"),
    (r"°", "degree", "degrees"),
    (r"bpm", "beat per minute", "beats per minute"),
    (r"/\s?min", "per minute", "per minute"),
    (r"/\s?s", "per second", "per second"),
    (r"mm", "millimetre", "millimetres"),
    (r"cm", "centimetre", "centimetres"),
    (r"mL|ml", "millilitre", "millilitres"),
    (r"kg", "kilogram", "kilograms"),
    (r"ms", "millisecond", "milliseconds"),
    (r"Hz", "hertz", "hertz"),
    (r"min", "minute", "minutes"),
    (r"s", "second", "seconds"),
    (r"%", "percent", "percent"),
)


def _spoken_unit(one: str, many: str) -> Callable[[re.Match[str]], str]:
    return lambda m: f"{m['num']} {one if m['num'] == '1' else many}"


_UNIT_RES = tuple(
    (re.compile(_NUM + r"\s?(?:" + pattern + r")(?![A-Za-z0-9])"), _spoken_unit(one, many))
    for pattern, one, many in _UNITS
)
_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bSp\s?O\s?(?:2|₂)(?![A-Za-z0-9])", re.IGNORECASE), "oxygen saturation"),
    (re.compile(r"\bbpm\b", re.IGNORECASE), "beats per minute"),
    (re.compile(r"(?<=\w)\s?/\s?min\b"), " per minute"),
    (re.compile(r"(?<=\d)\s?[–—]\s?(?=\d)"), " to "),  # "50–60" is a range
    (re.compile(r"%"), " percent"),
    (re.compile(r"°\s?C\b"), " degrees Celsius"),
)


# Units as said in the other languages: (unit after a number, how "{num} unit" is said).
# Chinese says a percentage before its number (百分之九十七) and a rate as 每分钟…次.
_LOCAL_UNITS: dict[str, tuple[tuple[str, str], ...]] = {
    "ar": (
        (r"mm\s?Hg", "{num} ملم زئبقي"), (r"°\s?C", "{num} درجة مئوية"),
        (r"bpm", "{num} نبضة في الدقيقة"), (r"/\s?min", "{num} في الدقيقة"),
        (r"mm", "{num} ملم"), (r"cm", "{num} سم"), (r"%", "{num} بالمئة"),
    ),
    "zh": (
        (r"mm\s?Hg", "{num}毫米汞柱"), (r"°\s?C", "{num}摄氏度"),
        (r"bpm", "每分钟{num}次"), (r"/\s?min", "每分钟{num}次"),
        (r"mm", "{num}毫米"), (r"cm", "{num}厘米"), (r"%", "百分之{num}"),
    ),
}  # fmt: skip
_LOCAL_WORDS = {"ar": "تشبع الأكسجين", "zh": "血氧饱和度"}  # SpO2
_LOCAL_RES = {
    lang: tuple(
        (re.compile(_NUM + r"\s?(?:" + pattern + r")(?![A-Za-z0-9])"), template)
        for pattern, template in table
    )
    for lang, table in _LOCAL_UNITS.items()
}


def _said_as(template: str) -> Callable[[re.Match[str]], str]:
    return lambda m: template.format(num=m["num"])


def text_for_speech(text: str, lang: str = "en") -> str:
    """Rewrite displayed text so a synthesiser says units in words, in ``lang``.

    "110/min" → "110 per minute", "55 mm" → "55 millimetres", "SpO2 97%" →
    "oxygen saturation 97 percent", "72 bpm" → "72 beats per minute",
    "36.8 °C" → "36.8 degrees Celsius", "50–60 mm" → "50 to 60 millimetres".
    A quantity of exactly 1 takes the singular ("1 mm" → "1 millimetre").
    In Arabic and Chinese (``ar``, ``zh``) the same units are said in those languages
    ("SpO2 97%" → "血氧饱和度百分之97"); other text is left as it is.
    """
    if lang in _LOCAL_RES:
        out = _WORDS[0][0].sub(_LOCAL_WORDS[lang], text)
        for unit_re, template in _LOCAL_RES[lang]:
            out = unit_re.sub(_said_as(template), out)
        return _SPACE.sub(" ", out).strip()
    out = _WORDS[0][0].sub(_WORDS[0][1], text)
    for unit_re, replace in _UNIT_RES:
        out = unit_re.sub(replace, out)
    for word_re, spoken in _WORDS[1:]:
        out = word_re.sub(spoken, out)
    return _SPACE.sub(" ", out).strip()
