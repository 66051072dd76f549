"""Auditory scanning: a short clip per choice, group and back, in the frames, cached with
the session's speech, and each spot's scan time stretched to its clip + 300 ms."""

from __future__ import annotations

import io
import wave

import pytest

from accessibility.model import Choice, LearnerProfile
from accessibility.scan_audio import estimated_s, scan_clips, short_label
from accessibility.scan_groups import Spot, group_layout
from accessibility.scanning import CLIP_PAD_MS
from accessibility.scenario import load_scenario
from accessibility.speech import SpeechRequest, cache_key
from gateway.identifiers import KitRef
from twin_service.live.hub import Hub
from twin_service.ops.metrics import ServiceMetrics
from twin_service.sessions.manager import Session, SessionManager
from twin_service.sessions.scan_audio import clip_rendered

EIGHT = tuple(
    Choice(f"c{i}", label)
    for i, label in enumerate(
        ("Respiration rate", "Oxygen saturation", "Air or oxygen", "Systolic blood pressure",
         "Pulse", "Consciousness", "Temperature", "No parameter scores")
    )
)  # fmt: skip


def clips(profile: LearnerProfile, choices: tuple[Choice, ...] = EIGHT):  # type: ignore[no-untyped-def]
    return scan_clips(
        choices,
        group_layout(len(choices)),
        profile,
        group_text=lambda n, items: f"Group {n}: {items}",
        back_text="Back",
    )


def test_one_clip_per_choice_group_and_back_at_the_learners_rate_and_voice() -> None:
    got = clips(LearnerProfile(speech_rate_wpm=120))
    assert [r.text for r in got.choices] == [c.label for c in EIGHT]
    assert [r.text for r in got.groups] == [
        "Group 1: Respiration rate, Oxygen saturation, Air or, Systolic blood",
        "Group 2: Pulse, Consciousness, Temperature, No parameter",
    ]
    assert got.back is not None and got.back.text == "Back"
    assert {r.rate_wpm for r in got.by_spot().values()} == {120}
    assert set(got.by_spot()) >= {Spot("back", 0), Spot("back", 1), Spot("group", 1)}
    assert clips(LearnerProfile(), EIGHT[:4]).groups == ()  # not grouped: no group clips


def test_short_labels_in_languages_without_spaces() -> None:
    assert short_label("收缩压和舒张压", "zh") == "收缩压和"
    assert short_label("ضغط الدم الانقباضي", "ar") == "ضغط الدم"
    zh = clips(LearnerProfile(language="zh"))
    assert zh.choices[0].voice == "cmn"
    assert "、" not in zh.groups[0].text or zh.groups[0].text.count("、") == 3


def test_estimated_length_grows_with_the_words_and_shrinks_with_the_rate() -> None:
    short, long = SpeechRequest("Pulse", 150), SpeechRequest("Systolic blood pressure", 150)
    assert estimated_s(long) > estimated_s(short)
    assert estimated_s(SpeechRequest("Systolic blood pressure", 300)) < estimated_s(long)
    assert estimated_s(SpeechRequest("收缩压", 150, "cmn")) > estimated_s(
        SpeechRequest("收", 150, "cmn")
    )


def start(profile: LearnerProfile) -> tuple[SessionManager, Session]:
    scenarios = {"news2-check": load_scenario("news2-check")}
    manager = SessionManager(scenarios, Hub(ServiceMetrics()), lambda _: profile)
    wanted: list[list[tuple[str, SpeechRequest]]] = []
    manager.on_clips = lambda _session, clips: wanted.append(clips)
    session, _ = manager.create("l1", KitRef("w", "k"), "news2-check")
    assert bool(wanted) is profile.auditory_scan
    return manager, session


def test_frames_carry_the_clips_urls_only_with_auditory_scan() -> None:
    _, session = start(LearnerProfile(auditory_scan=True, scan_interval_ms=400))
    frame = session.prompt_frame
    assert frame is not None
    urls = [c["audio_url"] for c in frame["choices"]]
    assert len(urls) == 9  # 8 + "Read the vitals"
    scan = frame["scan"]
    assert len(scan["group_audio_urls"]) == 3  # type: ignore[arg-type]
    assert isinstance(scan["back_audio_url"], str)
    for url in [*urls, *scan["group_audio_urls"], scan["back_audio_url"]]:  # type: ignore[misc]
        key = str(url).rsplit("/", 1)[-1].removesuffix(".wav")
        assert str(url).startswith(session.audio_base) and key in session.speech
    assert session.speech[urls[0].rsplit("/", 1)[-1][:-4]].text == "Respiration rate"
    back = session.speech[str(scan["back_audio_url"]).rsplit("/", 1)[-1][:-4]]
    assert back.text == "Back"

    _, plain = start(LearnerProfile(scan_interval_ms=400))
    frame = plain.prompt_frame
    assert frame is not None
    assert all("audio_url" not in c for c in frame["choices"])
    assert "group_audio_urls" not in frame["scan"] and "back_audio_url" not in frame["scan"]


def wav(seconds: float, rate: int = 22050) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\0\0" * int(seconds * rate))
    return out.getvalue()


def test_each_spot_lasts_at_least_its_clip_plus_300_ms() -> None:
    manager, session = start(LearnerProfile(auditory_scan=True, scan_interval_ms=400))
    scan = session.scan
    assert scan.spot == Spot("group", 0)
    first = scan.next_deadline()
    assert first is not None
    audio = session.scan_audio
    assert audio is not None
    estimate = audio.lengths[Spot("group", 0)]
    assert estimate * 1000 + CLIP_PAD_MS > 400  # a group's clip is longer than 400 ms
    arrived = first - (estimate * 1000 + CLIP_PAD_MS + 700) / 1000  # + first-item extra
    # The rendered clip is 5 s: the highlighted group now stays 5.3 s (+ first-item extra).
    key = cache_key(audio.clips.groups[0])
    clip_rendered(session, key, wav(5.0))
    assert scan.next_deadline() == pytest.approx(arrived + 5.3 + 0.7, abs=0.01)
    assert audio.lengths[Spot("group", 0)] == pytest.approx(5.0)
    # A clip of choices no longer shown changes nothing.
    clip_rendered(session, "0" * 64, wav(9.0))
    assert scan.next_deadline() == pytest.approx(arrived + 5.3 + 0.7, abs=0.01)
    del manager


async def test_clips_ahead_render_in_order_bounded_and_superseded() -> None:
    import asyncio

    from twin_service.speech.ahead import ClipsAhead
    from twin_service.speech.worker import SpeechError

    said: list[str] = []
    done: list[tuple[str, str]] = []

    async def synthesize(request: SpeechRequest) -> bytes:
        said.append(request.text)
        if request.text == "broken":
            raise SpeechError("no engine")
        return wav(0.1)

    ahead = ClipsAhead(synthesize, lambda owner, key, _: done.append((owner, key)), 3)
    ahead.want("s1", [("k1", SpeechRequest("one", 150)), ("k2", SpeechRequest("two", 150))])
    ahead.want("s1", [("k3", SpeechRequest("three", 150))])  # new choices: the old go
    ahead.want("s2", [(f"x{i}", SpeechRequest(t, 150)) for i, t in enumerate(("broken", "a", "b"))])
    assert ahead.dropped == 1  # 4 wanted, 3 kept: the oldest dropped
    task = asyncio.create_task(ahead.run())
    for _ in range(50):
        await asyncio.sleep(0)
    task.cancel()
    assert said == ["broken", "a", "b"]
    assert done == [("s2", "x1"), ("s2", "x2")] and ahead.failed == 1
