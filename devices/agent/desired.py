"""Desired state pushed to the kit (docs/interface.md: ``P/{lab}/{kit}/desired``,
``{"version": 7, "desired": {…}}``): which keys the kit knows and how it reports them.

Known keys and the values they take:

- ``led``: true/false, or a brightness 0..1
- ``buzzer``: true/false
- ``metronome``: true/false; ``metronome_bpm``: compressions per minute (0 = off, else
  40..220; default 110 /min, the middle of the AHA 100-120 band)
- ``sample_rate_hz``: waveform sample rate, 25..100 Hz (MAX30102 range in docs/domain.md)
- ``scenario``: a name (the running scenario, e.g. ``cpr`` or ``vitals``; the names
  ``stable`` and ``deteriorating`` also set the simulated patient, as before)
- ``patient``: ``stable`` or ``deteriorating`` - the simulated patient's course, as the
  shipped ``vitals`` scenario pushes it (``accessibility/scenarios/vitals.yaml``)
- scenario parameters: ``deteriorating`` (true/false, the same as ``patient``),
  ``cpr_rate_per_min`` (20..200), ``cpr_depth_mm`` (5..100),
  ``cpr_recoil_residual_mm`` (0..30)

What was applied is reported back as telemetry readings under the same key (numbers;
true/false as 1/0) plus ``desired_version``, so the twin's ``reported`` shows it and
its ``delta`` (desired keys whose reported value differs) empties. Telemetry carries
numbers only, so a name (``scenario``, ``patient``) is reported under its key as the
desired ``version`` that set it; the twin counts a name as reached when that equals its
desired version (``twin_service/twins/twin.py``). Unknown keys and bad values are logged and
left alone (they stay in the delta). Pure: parsing and planning only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.identifiers import is_identifier

METRONOME_DEFAULT_BPM: Final = 110.0
_RANGES: Final[dict[str, tuple[float, float]]] = {
    "led": (0.0, 1.0),
    "sample_rate_hz": (25.0, 100.0),
    "cpr_rate_per_min": (20.0, 200.0),
    "cpr_depth_mm": (5.0, 100.0),
    "cpr_recoil_residual_mm": (0.0, 30.0),
}
_BOOL_ONLY: Final = frozenset({"buzzer", "deteriorating", "metronome"})
PATIENT_COURSES: Final = ("stable", "deteriorating")
SCENARIO_PARAMETERS: Final = frozenset(
    {"deteriorating", "cpr_rate_per_min", "cpr_depth_mm", "cpr_recoil_residual_mm"}
)
NAME_KEYS: Final = frozenset({"scenario", "patient"})  # values are names, not numbers
KNOWN_KEYS: Final = frozenset(
    {"led", "buzzer", "metronome", "metronome_bpm", "sample_rate_hz"}
    | NAME_KEYS
    | SCENARIO_PARAMETERS
)


@dataclass(frozen=True, slots=True)
class DesiredPlan:
    """A validated desired document: what to apply and what was refused."""

    version: int
    values: dict[str, float | str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    unknown: tuple[str, ...] = ()


class DesiredError(ValueError):
    """The desired message as a whole cannot be read."""


def _is_number(value: object) -> bool:
    return (type(value) is int or type(value) is float) and math.isfinite(value)


def _check(key: str, value: Any) -> float | str:
    """The value to apply for one known key, or raise ValueError saying why not."""
    if key == "scenario":
        if isinstance(value, str) and is_identifier(value):
            return value
        raise ValueError("scenario must be a name matching [A-Za-z0-9_-]{1,64}")
    if key == "patient":
        if isinstance(value, str) and value in PATIENT_COURSES:
            return value
        raise ValueError("patient must be stable or deteriorating")
    if isinstance(value, bool):
        if key in _BOOL_ONLY or key == "led":
            return 1.0 if value else 0.0
        raise ValueError(f"{key} must be a number, not true/false")
    if key in _BOOL_ONLY:
        raise ValueError(f"{key} must be true or false")
    if not _is_number(value):
        raise ValueError(f"{key} must be a finite number")
    number = float(value)
    if key == "metronome_bpm":
        if number != 0.0 and not 40.0 <= number <= 220.0:
            raise ValueError("metronome_bpm must be 0 (off) or 40..220 per minute")
        return number
    low, high = _RANGES[key]
    if not low <= number <= high:
        raise ValueError(f"{key} must be within {low:g}..{high:g}")
    return number


def parse_desired(payload: bytes) -> DesiredPlan:
    """Read ``{"version", "desired"}`` and check each known key; raises ``DesiredError``."""
    try:
        document = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DesiredError(f"desired message is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise DesiredError("desired message must be a JSON object")
    version, desired = document.get("version"), document.get("desired")
    if type(version) is not int or version < 0:
        raise DesiredError("desired message needs a non-negative integer version")
    if not isinstance(desired, dict):
        raise DesiredError("desired message needs a desired object")
    values: dict[str, float | str] = {}
    errors: dict[str, str] = {}
    unknown: list[str] = []
    for key, value in desired.items():
        if key not in KNOWN_KEYS:
            unknown.append(str(key))
            continue
        try:
            values[key] = _check(key, value)
        except ValueError as exc:
            errors[key] = str(exc)
    return DesiredPlan(version, values, errors, tuple(sorted(unknown)))


def applied_readings(version: int, applied: dict[str, float | str]) -> dict[str, float | int]:
    """Telemetry readings reporting an applied desired state (numbers only: a name is
    reported as the desired ``version`` that set it, see the module doc)."""
    readings: dict[str, float | int] = {"desired_version": version}
    for key, value in applied.items():
        if isinstance(value, str):
            readings[key] = version
            continue
        readings[key] = int(value) if float(value).is_integer() else float(value)
    return readings
