"""Learner profiles: what ``PUT /api/v1/learners/{id}/profile`` accepts and keeps.

Operator input is validated strictly (unknown keys refused). Learner identifiers are
pseudonymous (``[A-Za-z0-9_-]{1,64}``); no personal data is needed or stored.
"""

from __future__ import annotations

import contextlib
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import asdict, fields, replace
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from accessibility.languages import SUPPORTED, language
from accessibility.model import (
    MAX_DEBOUNCE_MS,
    MAX_GAMEPAD_BUTTON,
    MAX_HOLD_MS,
    MAX_POINTER_DWELL_MS,
    MAX_POST_SELECT_MS,
    MAX_SCAN_INTERVAL_MS,
    MAX_SPEECH_RATE_WPM,
    MIN_POINTER_DWELL_MS,
    MIN_SCAN_INTERVAL_MS,
    MIN_SPEECH_RATE_WPM,
    TWO_SWITCH_KEYS,
    Cues,
    GamepadButtons,
    LearnerProfile,
    SwitchKeys,
)
from twin_service.records.base import ProfileWrite, RecordsStore
from twin_service.records.writer import RecordsWriter


class CuesUpdate(BaseModel):
    """Any subset of the cues (booleans); those left out keep their current value."""

    model_config = ConfigDict(extra="forbid", strict=True)

    metronome_sound: bool | None = None
    metronome_visual: bool | None = None
    haptic: bool | None = None
    spo2_tone: bool | None = None
    earcon: bool | None = None


# A KeyboardEvent.code value: "Space", "Enter", "KeyA", "Digit1", "F13", "NumpadEnter", ...
KEY_CODE_PATTERN = r"^[A-Z][A-Za-z0-9]{1,31}$"


class KeysUpdate(BaseModel):
    """Both switch keys (``KeyboardEvent.code``); they must differ."""

    model_config = ConfigDict(extra="forbid", strict=True)

    select: str = Field(pattern=KEY_CODE_PATTERN)
    next: str = Field(pattern=KEY_CODE_PATTERN)

    @model_validator(mode="after")
    def _distinct(self) -> KeysUpdate:
        if self.select == self.next:
            raise ValueError("select and next must be different keys")
        return self


class GamepadUpdate(BaseModel):
    """Both switch buttons (Gamepad API standard mapping, 0-16); they must differ."""

    model_config = ConfigDict(extra="forbid", strict=True)

    select: int = Field(ge=0, le=MAX_GAMEPAD_BUTTON)
    next: int = Field(ge=0, le=MAX_GAMEPAD_BUTTON)

    @model_validator(mode="after")
    def _distinct(self) -> GamepadUpdate:
        if self.select == self.next:
            raise ValueError("select and next must be different buttons")
        return self


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
    post_select_ms: int | None = Field(None, ge=0, le=MAX_POST_SELECT_MS)
    cues: CuesUpdate | None = None
    language: str | None = Field(None, description=f"one of {', '.join(SUPPORTED)} (BCP 47)")
    keys: KeysUpdate | None = None
    gamepad: GamepadUpdate | None = None
    # null turns pointer dwell off (the one field where an explicit null is a value).
    pointer_dwell_ms: int | None = Field(None, ge=MIN_POINTER_DWELL_MS, le=MAX_POINTER_DWELL_MS)
    auditory_scan: bool | None = None
    group_scan: bool | None = None

    @field_validator("language")
    @classmethod
    def _supported_language(cls, tag: str | None) -> str | None:
        if tag is not None:
            language(tag)  # UnsupportedLanguageError (a ValueError) names the supported ones
        return tag


def profile_json(profile: LearnerProfile) -> dict[str, object]:
    return asdict(profile)


def profile_from_json(stored: Mapping[str, Any]) -> LearnerProfile:
    """A profile as ``profile_json`` wrote it (fields it does not know are left out: a
    record written by a newer version still loads)."""
    known = {f.name for f in fields(LearnerProfile)}
    values = {k: v for k, v in stored.items() if k in known}
    for name, kind in (("cues", Cues), ("keys", SwitchKeys), ("gamepad", GamepadButtons)):
        part = values.get(name)
        if isinstance(part, Mapping):
            names = {f.name for f in fields(kind)}
            values[name] = kind(**{k: v for k, v in part.items() if k in names})
        else:
            values.pop(name, None)
    return LearnerProfile(**values)


DEFAULT_KEYS = (SwitchKeys(), TWO_SWITCH_KEYS)


class LearnerProfiles:
    """Profiles by learner id; a learner without one gets the defaults.

    The records database holds every profile (``save`` queues the write; the API flushes
    it before answering). This is a cache of the ``max_learners`` most recently used ones:
    ``load`` brings a learner's profile in from the records before it is read.
    """

    def __init__(
        self,
        max_learners: int = 10_000,
        records: RecordsStore | None = None,
        writer: RecordsWriter | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._profiles: OrderedDict[str, LearnerProfile] = OrderedDict()
        self._max = max_learners
        self._records = records
        self._writer = writer
        self._clock = clock

    def get(self, learner_id: str) -> LearnerProfile:
        profile = self._profiles.get(learner_id)
        if profile is None:
            return LearnerProfile()
        self._profiles.move_to_end(learner_id)
        return profile

    def known(self, learner_id: str) -> bool:
        return learner_id in self._profiles

    async def load(self, learner_id: str) -> bool:
        """Bring the learner's recorded profile into the cache; whether there is one."""
        if learner_id in self._profiles:
            return True
        if self._records is None:
            return False
        stored = await self._records.profile(learner_id)
        if stored is None or learner_id in self._profiles:
            return learner_id in self._profiles
        self._keep(learner_id, profile_from_json(stored))
        return True

    def _keep(self, learner_id: str, profile: LearnerProfile) -> None:
        self._profiles[learner_id] = profile
        self._profiles.move_to_end(learner_id)
        while len(self._profiles) > self._max:
            self._profiles.popitem(last=False)  # still in the records

    def remember_scan_interval(self, learner_id: str, interval_ms: int) -> None:
        """Keep a learner's scan time (their own choice, or the adapted one) for next time."""
        with contextlib.suppress(ValueError):  # out of the profile's bounds: not remembered
            self.update(learner_id, ProfileUpdate.model_validate({"scan_interval_ms": interval_ms}))

    def update(self, learner_id: str, update: ProfileUpdate) -> LearnerProfile:
        changes = update.model_dump(exclude_none=True)
        current = self.get(learner_id)
        if "cues" in changes:
            changes["cues"] = replace(current.cues, **changes["cues"])
        if "keys" in changes:
            changes["keys"] = SwitchKeys(**changes["keys"])
        if "gamepad" in changes:
            changes["gamepad"] = GamepadButtons(**changes["gamepad"])
        if "pointer_dwell_ms" in update.model_fields_set:
            changes["pointer_dwell_ms"] = update.pointer_dwell_ms  # null: off
        profile = replace(current, **changes)
        if "switch_count" in changes and "scan_mode" not in changes:
            # Two switches mean step scanning unless the learner asked otherwise.
            profile = replace(profile, scan_mode="step" if profile.switch_count == 2 else "auto")
        if "switch_count" in changes and "keys" not in changes and current.keys in DEFAULT_KEYS:
            # ... and Space to move, Enter to select, unless the learner has keys of their own.
            keys = TWO_SWITCH_KEYS if profile.switch_count == 2 else SwitchKeys()
            profile = replace(profile, keys=keys)
        self._keep(learner_id, profile)
        if self._writer is not None:
            self._writer.enqueue([ProfileWrite(learner_id, profile_json(profile), self._clock())])
        return profile
