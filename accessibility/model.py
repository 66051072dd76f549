"""Value types shared by the feedback policy, the renderers and the scanning machine.

Pure data: a learner's profile, the state of a twin as the feedback policy reads it,
and the feedback the policy decides on (before it is rendered for one learner).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["info", "warning", "critical"]
ScanMode = Literal["auto", "step", "dwell"]
ContrastLevel = Literal["aaa", "aa"]
ThemeMode = Literal["light", "dark"]
SwitchName = Literal["select", "next"]
SwitchState = Literal["down", "up"]

SEVERITY_RANK: Mapping[Severity, int] = {"info": 0, "warning": 1, "critical": 2}

# docs/domain.md "Switch scanning": products ship 1 s scan time; WCAG 2.2.1: adjustable to
# at least 10x the default. "Speech": ~150 wpm default, espeak-ng takes 80-450 wpm.
DEFAULT_SCAN_INTERVAL_MS = 1_000
MIN_SCAN_INTERVAL_MS = 250
MAX_SCAN_INTERVAL_MS = 10_000
DEFAULT_SPEECH_RATE_WPM = 150
DEFAULT_DEBOUNCE_MS = 100
MAX_DEBOUNCE_MS = 500  # docs/interface.md: debounce_ms 0-500, hold_ms 0-1000
MAX_HOLD_MS = 1_000
# Post-selection delay (docs/domain.md): presses this soon after a choice, or after the
# release of the press that chose, are ignored. Off unless set for the learner: 250 ms
# stopped a simulated tremor learner's bounces (30-150 ms after that release) answering
# the next question, but also ate a fast learner's real press (0.5 s reactions) in switch
# practice; practice's proposed debounce covers measured bounces for everyone.
DEFAULT_POST_SELECT_MS = 0
MAX_POST_SELECT_MS = 2_000
MIN_SPEECH_RATE_WPM = 80
MAX_SPEECH_RATE_WPM = 450
# Pointer and eye-gaze dwell (docs/interface.md): off, or 300-5000 ms on a choice selects it.
MIN_POINTER_DWELL_MS = 300
MAX_POINTER_DWELL_MS = 5_000
MAX_GAMEPAD_BUTTON = 16  # the Gamepad API standard mapping has buttons 0-16
# Steps with more choices than this are scanned by groups first (docs/switch-scanning.md).
GROUP_SCAN_ABOVE_CHOICES = 6


@dataclass(frozen=True, slots=True)
class Cues:
    """Which cadence and alarm cues the learner page gives (profile ``cues``)."""

    metronome_sound: bool = True  # a click per beat at the scenario's metronome_bpm
    metronome_visual: bool = True  # a beat mark (<= 3 flashes a second; still if reduced motion)
    haptic: bool = True  # a rumble per beat and before an alarm (gamepad, navigator.vibrate)
    spo2_tone: bool = False  # a tone per heartbeat, pitch falling with SpO2
    earcon: bool = True  # a two-tone sound before a critical message


@dataclass(frozen=True, slots=True)
class SwitchKeys:
    """Which keys act as the two switches (``KeyboardEvent.code`` values; profile ``keys``).

    One switch: the select key selects (and the next key moves the highlight at once).
    A learner set to two switches without keys of their own gets ``TWO_SWITCH_KEYS``.
    """

    select: str = "Space"
    next: str = "Enter"


# Two-switch step scanning: Space moves, Enter selects (the usual switch-interface keys).
TWO_SWITCH_KEYS = SwitchKeys(select="Enter", next="Space")


@dataclass(frozen=True, slots=True)
class GamepadButtons:
    """Which Gamepad API standard-mapping buttons act as the switches (profile ``gamepad``)."""

    select: int = 0
    next: int = 1


@dataclass(frozen=True, slots=True)
class LearnerProfile:
    """How one learner perceives and answers (docs/interface.md, learner profile)."""

    switch_count: Literal[1, 2] = 1
    scan_mode: ScanMode = "auto"
    scan_interval_ms: int = DEFAULT_SCAN_INTERVAL_MS
    adaptive_scan: bool = True
    speech: bool = True
    speech_rate_wpm: int = DEFAULT_SPEECH_RATE_WPM
    contrast: ContrastLevel = "aaa"
    text_scale: float = 1.0
    theme: ThemeMode = "light"  # "dark": light text on near-black (light sensitivity)
    # Switch timing for every input (docs/interface.md; docs/domain.md: products ship
    # debounce 0-400 ms and acceptance (hold) 0-500 ms): a press within debounce_ms of
    # the last release is bounce; a press counts once held hold_ms.
    debounce_ms: int = DEFAULT_DEBOUNCE_MS
    hold_ms: int = 0
    post_select_ms: int = DEFAULT_POST_SELECT_MS
    cues: Cues = field(default_factory=Cues)
    language: str = "en"  # BCP 47, one of accessibility.languages.SUPPORTED
    # More ways in (docs/interface.md): keys and gamepad buttons for the two switches,
    # pointer/gaze dwell on a choice (None: off), each highlighted choice spoken, and
    # scanning by groups first even for steps of few choices.
    keys: SwitchKeys = field(default_factory=SwitchKeys)
    gamepad: GamepadButtons = field(default_factory=GamepadButtons)
    pointer_dwell_ms: int | None = None
    auditory_scan: bool = False
    group_scan: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class TwinView:
    """What the feedback policy reads of a twin: latest values by name, at a time.

    ``now`` and ``value_ts`` are on ONE clock (seconds): a session passes the service clock
    and each value's device time mapped onto it (``twin_service.sessions.kit_clock.KitClock``), so
    freshness never compares a kit's clock with the service's.
    """

    now: float  # the time of this view
    values: Mapping[str, float] = field(default_factory=dict)  # reported and derived, by name
    value_ts: Mapping[str, float] = field(default_factory=dict)  # when each was measured
    online: bool = True

    def get(self, name: str) -> float | None:
        return self.values.get(name)


@dataclass(frozen=True, slots=True)
class Feedback:
    """One piece of feedback the policy decided on, before rendering for a learner."""

    id: str
    topic: str  # what it is about, e.g. "cpr.rate"; newer feedback on a topic replaces older
    severity: Severity
    text: str  # shown on screen
    speech_text: str  # spoken (may spell out numbers and units)
    icon: str  # icon name drawn beside the text (never colour alone)
    priority: int = 0  # higher first within a severity
    choices: tuple[Choice, ...] = ()
    ts: float = 0.0
    target: str | None = None  # switch practice: the choice id the learner is asked for
