"""Render a piece of feedback for one learner: the ``feedback`` frame of the contract.

Pure: the learner's profile picks the theme (contrast level, light or dark, text scale), whether and
how fast speech is offered and in which voice (the learner's language: the frame's ``lang``), and
the scan settings shown with the choices. The texts are already in the learner's language (the
session's scenario is localised, ``accessibility.scenario_i18n``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accessibility.languages import language
from accessibility.model import Feedback, LearnerProfile
from accessibility.speech import SpeechRequest, cache_key, text_for_speech
from accessibility.theme import theme_for, visual_tokens
from accesstwin_contract.frames import FeedbackFrame, SpeechDoc


def speech_request(feedback: Feedback, profile: LearnerProfile) -> SpeechRequest:
    """The words to say, in the learner's language and its espeak-ng voice, at their rate."""
    lang = language(profile.language)
    return SpeechRequest(
        text_for_speech(feedback.speech_text, lang.tag), profile.speech_rate_wpm, lang.voice
    )


def render_feedback(
    feedback: Feedback,
    profile: LearnerProfile,
    scan: Mapping[str, Any],
    audio_base: str,
) -> tuple[FeedbackFrame, SpeechRequest | None]:
    """The frame, and the speech to synthesise for it (None when speech is off)."""
    request = speech_request(feedback, profile) if profile.speech else None
    speech: SpeechDoc = {
        "text": request.text if request else feedback.speech_text,
        "audio_url": f"{audio_base}/{cache_key(request)}.wav" if request else None,
        "rate_wpm": profile.speech_rate_wpm,
        "enabled": profile.speech,
    }
    frame: FeedbackFrame = {
        "type": "feedback",
        "id": feedback.id,
        "topic": feedback.topic,
        "severity": feedback.severity,
        "text": feedback.text,
        "speech": speech,
        "visual": visual_tokens(
            theme_for(profile.contrast, dark=profile.theme == "dark"),
            feedback.severity,
            profile.text_scale,
        ),
        "choices": [{"id": c.id, "label": c.label} for c in feedback.choices],
        "scan": dict(scan),
        "ts": feedback.ts,
        "lang": profile.language,
    }
    if feedback.target is not None:
        frame["target"] = feedback.target  # docs/interface.md, "Switch practice"
    return frame, request
