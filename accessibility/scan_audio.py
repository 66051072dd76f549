"""Auditory scanning: the short clip spoken for each spot the highlight reaches.

For a learner who cannot watch the screen (profile ``auditory_scan``), each highlighted
choice, group and "back" item is spoken, briefly (AsTeRICS Grid issue #568; Grid 3 and
iOS Switch Control do the same). Each clip is a :class:`SpeechRequest` at the learner's
rate and voice, so it is cached and served like any spoken prompt. A group's clip names
it and the first words of its choices ("Group 1: Respiration rate, Oxygen saturation,
Air or"), so a long group is still said in a couple of seconds. The scan machine stretches
each spot's time to its clip + 300 ms (``accessibility.scanning.CLIP_PAD_MS``): first by
:func:`estimated_s`, then by the rendered clip's real length once it is known. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from accessibility.languages import language
from accessibility.model import Choice, LearnerProfile
from accessibility.scan_groups import Groups, Spot
from accessibility.speech import SpeechRequest, text_for_speech

GROUP_LABEL_WORDS: Final = 2  # words of each choice said in a group's clip
GROUP_LABEL_CHARS: Final = 4  # the same for languages without spaces (Chinese)
LIST_SEPARATOR: Final = {"ar": "، ", "zh": "、"}  # others: ", "
_CJK = re.compile(r"[\u3400-\u9fff]")
# espeak-ng's Mandarin voice says about one syllable (character) per "word" of its rate
# plus pauses; an estimate only (the rendered clip's length replaces it).
_CJK_CHARS_PER_WORD: Final = 1.0
_LEAD_S: Final = 0.15  # espeak-ng's silence around an utterance


def short_label(label: str, lang: str) -> str:
    """The first words of a label (the first characters where words have no spaces)."""
    if lang == "zh" or (" " not in label and _CJK.search(label)):
        return label[:GROUP_LABEL_CHARS]
    return " ".join(label.split()[:GROUP_LABEL_WORDS])


@dataclass(frozen=True, slots=True)
class ScanClips:
    """The clip of every spot of one step's scan."""

    choices: tuple[SpeechRequest, ...]
    groups: tuple[SpeechRequest, ...]  # empty when the step is not group-scanned
    back: SpeechRequest | None  # None when the step is not group-scanned

    def by_spot(self) -> dict[Spot, SpeechRequest]:
        spots = {Spot("choice", i): r for i, r in enumerate(self.choices)}
        spots |= {Spot("group", g): r for g, r in enumerate(self.groups)}
        if self.back is not None:
            spots |= {Spot("back", g): self.back for g in range(len(self.groups))}
        return spots


def scan_clips(
    choices: Sequence[Choice],
    groups: Groups | None,
    profile: LearnerProfile,
    *,
    group_text: Callable[[int, str], str],
    back_text: str,
) -> ScanClips:
    """The clips of a step: ``group_text(n, items)`` says group ``n`` (1-based) with its
    items ("Group {n}: {items}" from the catalogue), ``back_text`` the back item."""
    lang = language(profile.language)

    def say(text: str) -> SpeechRequest:
        return SpeechRequest(text_for_speech(text, lang.tag), profile.speech_rate_wpm, lang.voice)

    sep = LIST_SEPARATOR.get(lang.tag, ", ")
    group_clips = tuple(
        say(group_text(g + 1, sep.join(short_label(choices[i].label, lang.tag) for i in items)))
        for g, items in enumerate(groups or ())
    )
    return ScanClips(
        tuple(say(c.label) for c in choices), group_clips, say(back_text) if groups else None
    )


def estimated_s(request: SpeechRequest) -> float:
    """About how long espeak-ng takes to say ``request`` at its rate."""
    cjk = len(_CJK.findall(request.text))
    words = len(_CJK.sub(" ", request.text).split()) + cjk * _CJK_CHARS_PER_WORD
    return _LEAD_S + max(words, 1.0) * 60.0 / request.rate_wpm
