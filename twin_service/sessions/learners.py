"""Learner profiles: what ``PUT /api/v1/learners/{id}/profile`` accepts and keeps.

Operator input is validated strictly (unknown keys refused). Learner identifiers are
pseudonymous (``[A-Za-z0-9_-]{1,64}``); no personal data is needed or stored.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, replace
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accessibility.languages import SUPPORTED, language
from accessibility.model import (
    MAX_DEBOUNCE_MS,
    MAX_HOLD_MS,
    MAX_SCAN_INTERVAL_MS,
    MAX_SPEECH_RATE_WPM,
    MIN_SCAN_INTERVAL_MS,
    MIN_SPEECH_RATE_WPM,
    LearnerProfile,
)


class ProfileUpdate(BaseModel):
    """Any subset of the profile; fields left out keep their current value."""

    model_config = ConfigDict(extra="forbid", strict=True)

    switch_count: Literal[1, 2] | None = None
    scan_mode: Literal["auto", "step", "dwell"] | None = None
    scan_interval_ms: int | None = Field(None, ge=MIN_SCAN_INTERVAL_MS, le=MAX_SCAN_INTERVAL_MS)
    adaptive_scan: bool | None = None
    speech: bool | None = None
    speech_rate_wpm: int | None = Field(None, ge=MIN_SPEECH_RATE_WPM, le=MAX_SPEECH_RATE_WPM)
    contrast: Literal["aaa", "aa"] | None = None
    text_scale: float | None = Field(None, ge=1.0, le=3.0)
    theme: Literal["light", "dark"] | None = None
    # Per-learner switch timing for every input (docs/interface.md); out of range is a
    # 422 whose detail names the field.
    debounce_ms: int | None = Field(None, ge=0, le=MAX_DEBOUNCE_MS)
    hold_ms: int | None = Field(None, ge=0, le=MAX_HOLD_MS)
    language: str | None = Field(None, description=f"one of {', '.join(SUPPORTED)} (BCP 47)")

    @field_validator("language")
    @classmethod
    def _supported_language(cls, tag: str | None) -> str | None:
        if tag is not None:
            language(tag)  # UnsupportedLanguageError (a ValueError) names the supported ones
        return tag


def profile_json(profile: LearnerProfile) -> dict[str, object]:
    return asdict(profile)


class LearnerProfiles:
    """Profiles by learner id; a learner without one gets the defaults."""

    def __init__(self, max_learners: int = 10_000) -> None:
        self._profiles: dict[str, LearnerProfile] = {}
        self._max = max_learners

    def get(self, learner_id: str) -> LearnerProfile:
        return self._profiles.get(learner_id, LearnerProfile())

    def remember_scan_interval(self, learner_id: str, interval_ms: int) -> None:
        """Keep a learner's own scan-time choice for their next session."""
        with contextlib.suppress(ValueError):  # learner limit reached: not remembered
            self.update(learner_id, ProfileUpdate.model_validate({"scan_interval_ms": interval_ms}))

    def update(self, learner_id: str, update: ProfileUpdate) -> LearnerProfile:
        if learner_id not in self._profiles and len(self._profiles) >= self._max:
            raise ValueError(f"learner limit {self._max} reached")
        changes = update.model_dump(exclude_none=True)
        profile = replace(self.get(learner_id), **changes)
        if "switch_count" in changes and "scan_mode" not in changes:
            # Two switches mean step scanning unless the learner asked otherwise.
            profile = replace(profile, scan_mode="step" if profile.switch_count == 2 else "auto")
        self._profiles[learner_id] = profile
        return profile
