"""The learner's languages: which ones are supported, how each is written and spoken.

Pure data and arithmetic (docs/languages.md). A language is a BCP 47 tag the profile takes
(``en``, ``ar``, ``zh``); for each one this module knows its writing direction, its
espeak-ng voice (``en``, ``ar``, ``cmn``: Mandarin) and how to count what a synthesiser
will say. Counting never splits on spaces alone: Chinese is written without spaces between
words, so each Han character counts as one syllable and :data:`SYLLABLES_PER_WORD` of them
as one "word" of espeak-ng's words-per-minute rate (measured, see the constant).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

Direction = Literal["ltr", "rtl"]


@dataclass(frozen=True, slots=True)
class Language:
    tag: str  # BCP 47, as in the profile and in ``<html lang>``
    name: str  # its own name for itself (autonym), for menus
    direction: Direction
    voice: str  # espeak-ng voice
    pace: float = 1.0  # seconds espeak-ng takes per "word" (spoken_words) relative to English
    list_separator: str = ", "  # between the items of a list in a sentence


# Measured here (espeak-ng 1.51, -s 150, every text of both scenarios in each language):
# English 192 s for 429 words; Arabic 260 s for 398 words (its voice is slower: pace 1.6);
# Chinese 359 s for 718 Han characters, i.e. 2.0 characters a second (SYLLABLES_PER_WORD).
LANGUAGES: Final[Mapping[str, Language]] = {
    "en": Language("en", "English", "ltr", "en"),
    "ar": Language("ar", "العربية", "rtl", "ar", pace=1.6, list_separator="، "),
    "zh": Language("zh", "中文", "ltr", "cmn", list_separator="；"),
}
DEFAULT_LANGUAGE: Final = "en"
SUPPORTED: Final[tuple[str, ...]] = tuple(LANGUAGES)

# espeak-ng's cmn voice at -s 150 says about 2 Han characters a second with its pauses, so
# a character counts as 1 / 0.8 of a "word"; a word of Arabic or English is a run between
# spaces (and Han characters are never part of one).
SYLLABLES_PER_WORD: Final = 0.8
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[^\s\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]+")


class UnsupportedLanguageError(ValueError):
    """A language tag that is not one of :data:`SUPPORTED`."""

    def __init__(self, tag: object) -> None:
        super().__init__(f"language {tag!r} is not supported; supported: {', '.join(SUPPORTED)}")


def language(tag: str) -> Language:
    """The supported language for ``tag``; raise ``UnsupportedLanguageError`` otherwise."""
    found = LANGUAGES.get(tag)
    if found is None:
        raise UnsupportedLanguageError(tag)
    return found


def spoken_words(text: str) -> float:
    """How many words-per-minute "words" ``text`` is: runs between spaces, plus Han
    characters at :data:`SYLLABLES_PER_WORD` each (Chinese has no spaces to split on)."""
    han = len(_HAN.findall(text))
    return len(_WORD.findall(text)) + han / SYLLABLES_PER_WORD


def negotiate(accept_language: str | None) -> str:
    """The supported language an ``Accept-Language`` header prefers most (RFC 9110 12.5.4:
    quality values, ``*``, a range matching a tag's prefix, ``zh-CN`` → ``zh``); English
    when nothing matches or the header is absent or malformed."""
    best: tuple[float, int, str] | None = None
    for position, item in enumerate((accept_language or "").split(",")[:32]):
        parts = [p.strip() for p in item.split(";")]
        tag, q = parts[0].lower(), 1.0
        for param in parts[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if not tag or not 0.0 < q <= 1.0:
            continue
        primary = tag.split("-")[0]
        match = DEFAULT_LANGUAGE if tag == "*" else primary if primary in LANGUAGES else None
        if match is not None and (best is None or (q, -position) > (best[0], best[1])):
            best = (q, -position, match)
    return best[2] if best else DEFAULT_LANGUAGE
