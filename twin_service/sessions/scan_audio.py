"""Auditory scanning in a session: the clips of the current choices, their URLs in the
frames, and the scan time stretched to each clip (``accessibility.scan_audio``).

With the profile's ``auditory_scan`` on, each time the scan gets new choices the session
names one clip per choice, group and back (texts from the catalogue in the learner's
language), keeps them with its other speech (``Session.speech``, bounded by
``MAX_SPEECH_PER_SESSION``; the WAVs themselves are rendered on request or ahead, into the
bounded speech cache), and gives the scan machine each clip's estimated length. When a
clip has been rendered ahead (``clip_rendered``), its real length replaces the estimate.
Frames then carry ``audio_url`` on each choice and ``group_audio_urls`` /
``back_audio_url`` in the scan block; without ``auditory_scan`` those keys are absent.
"""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from accessibility.scan_audio import ScanClips, estimated_s, scan_clips
from accessibility.scan_groups import Spot
from accessibility.speech import SpeechRequest, cache_key
from twin_service.messages import message

if TYPE_CHECKING:
    from twin_service.sessions.manager import Session

Remember = Callable[["Session", str, SpeechRequest], None]


@dataclass
class ScanAudio:
    """The clips of the choices the session's scan has now."""

    clips: ScanClips
    urls: dict[Spot, str]
    keys: dict[str, list[Spot]]  # cache key -> the spots it is said for
    lengths: dict[Spot, float] = field(default_factory=dict)  # estimated, then rendered

    def choice_urls(self) -> list[str]:
        return [self.urls[Spot("choice", i)] for i in range(len(self.clips.choices))]


def prepare(session: Session, remember: Remember) -> list[tuple[str, SpeechRequest]]:
    """New choices on the session's scan: name their clips (None without auditory_scan).
    Returns the (key, request) of each clip, for rendering them ahead."""
    scan, lang = session.scan, session.profile.language
    if not session.profile.auditory_scan or not scan.choices:
        session.scan_audio = None
        return []
    clips = scan_clips(
        scan.choices,
        scan.groups,
        session.profile,
        group_text=lambda n, items: message(lang, "scan.audio.group", n=n, items=items),
        back_text=message(lang, "scan.audio.back"),
    )
    urls: dict[Spot, str] = {}
    keys: dict[str, list[Spot]] = {}
    wanted: dict[str, SpeechRequest] = {}
    for spot, request in clips.by_spot().items():
        key = cache_key(request)
        urls[spot] = url = f"{session.audio_base}/{key}.wav"
        keys.setdefault(key, []).append(spot)
        if key not in wanted:
            wanted[key] = request
            remember(session, url, request)
    audio = ScanAudio(clips, urls, keys)
    audio.lengths = {s: estimated_s(r) for s, r in clips.by_spot().items()}
    session.scan_audio = audio
    scan.set_clips(audio.lengths)
    return list(wanted.items())


def clip_rendered(session: Session, key: str, wav: bytes) -> None:
    """A clip rendered ahead: its real length replaces the estimate, if still current."""
    audio = session.scan_audio
    if audio is None or key not in audio.keys:
        return
    seconds = wav_seconds(wav)
    for spot in audio.keys[key]:
        audio.lengths[spot] = seconds
    session.scan.set_clips(audio.lengths)


def wav_seconds(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as parsed:
        return float(parsed.getnframes()) / float(parsed.getframerate())


def scan_block(session: Session) -> dict[str, object]:
    """The scan block of the session's frames, with the clips' URLs when auditory."""
    block = session.scan.state_for_frame()
    audio = session.scan_audio
    if session.profile.auditory_scan and audio is not None:
        groups = len(audio.clips.groups)
        block["group_audio_urls"] = [audio.urls[Spot("group", g)] for g in range(groups)]
        block["back_audio_url"] = audio.urls[Spot("back", 0)] if groups else None
    return block
