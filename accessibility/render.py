"""Render a piece of feedback for one learner: the ``feedback`` frame of the contract.

Pure: the learner's profile picks the theme (contrast level, light or dark, text scale), whether and
how fast speech is offered, and the scan settings shown with the choices.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accessibility.model import Feedback, LearnerProfile
from accessibility.speech import SpeechRequest, cache_key, text_for_speech
from accessibility.theme import theme_for, visual_tokens
from accesstwin_contract.frames import FeedbackFrame, SpeechDoc


def speech_request(feedback: Feedback, profile: LearnerProfile) -> SpeechRequest:
    return SpeechRequest(text_for_speech(feedback.speech_text), profile.speech_rate_wpm)


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
    }
    if feedback.target is not None:
        frame["target"] = feedback.target  # docs/interface.md, "Switch practice"
    return frame, request
