"""NEWS2 sub-scores of a twin's vital signs (Royal College of Physicians 2017).

The bands, exactly as the NEWS2 chart (docs/domain.md "Vital signs (NEWS2)"):

| parameter | 3 | 2 | 1 | 0 | 1 | 2 | 3 |
|---|---|---|---|---|---|---|---|
| resp rate /min | <= 8 | | 9-11 | 12-20 | | 21-24 | >= 25 |
| SpO2 scale 1 % | <= 91 | 92-93 | 94-95 | >= 96 | | | |
| systolic BP mmHg | <= 90 | 91-100 | 101-110 | 111-219 | | | >= 220 |
| pulse /min | <= 40 | | 41-50 | 51-90 | 91-110 | 111-130 | >= 131 |
| temperature C | <= 35.0 | | 35.1-36.0 | 36.1-38.0 | 38.1-39.0 | >= 39.1 | |

NEWS2's other two parameters are not measured by a monitor but observed at the bedside;
a scenario step gives them (``observed:``): consciousness on the ACVPU scale (alert 0; new
confusion, voice, pain or unresponsive 3) and air or supplemental oxygen (air 0, oxygen 2).

The chart is in whole numbers (temperature in tenths), as a monitor displays them, so a
value is rounded so first (half up: SpO2 95.5 % is 96 %, score 0). Aggregate >= 5, or 3
in one parameter, asks for an urgent review; >= 7 for an emergency response.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from accesstwin_contract.quantities import SENSORS

# name -> (decimals, ((upper bound inclusive, score), ...) ascending, score above the last)
_BANDS: Final[dict[str, tuple[int, tuple[tuple[float, int], ...], int]]] = {
    "resp_rate": (0, ((8, 3), (11, 1), (20, 0), (24, 2)), 3),
    "spo2": (0, ((91, 3), (93, 2), (95, 1)), 0),
    "sbp": (0, ((90, 3), (100, 2), (110, 1), (219, 0)), 3),
    "hr": (0, ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2)), 3),
    "temp_c": (1, ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1)), 2),
}
NEWS2_PARAMETERS: Final = tuple(_BANDS)
# The observed parameters and the score of each observation (RCP 2017 chart).
OBSERVED: Final[dict[str, dict[str, int]]] = {
    "consciousness": {"alert": 0, "confusion": 3, "voice": 3, "pain": 3, "unresponsive": 3},
    "oxygen": {"air": 0, "oxygen": 2},
}
NEWS2_SIGNS: Final = (*NEWS2_PARAMETERS, *OBSERVED)  # all seven NEWS2 parameters


def _round_half_up(value: float, decimals: int) -> float:
    scale = 10**decimals
    return float(math.floor(value * scale + 0.5 + 1e-9) / scale)  # 38.05 = 38.0499... in binary


def bands(name: str) -> tuple[int, tuple[tuple[float | None, int], ...]]:
    """The decimals a value is rounded to, and the bands as ``(upper bound inclusive,
    score)`` pairs, rising, the last with bound None (the rest): for pages that judge."""
    decimals, chart, above = _BANDS[name]
    return decimals, (*chart, (None, above))


def sub_score(name: str, value: float) -> int:
    """The NEWS2 score (0-3) of one parameter's value."""
    if name not in _BANDS:
        raise KeyError(f"{name!r} is not a NEWS2 parameter ({', '.join(_BANDS)})")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    decimals, bands, above = _BANDS[name]
    shown = _round_half_up(value, decimals)
    return next((score for upper, score in bands if shown <= upper), above)


def sub_scores(values: Mapping[str, float]) -> dict[str, int]:
    """Scores of the NEWS2 parameters present in ``values`` (others are left out)."""
    return {name: sub_score(name, values[name]) for name in _BANDS if name in values}


def observed_scores(observed: Mapping[str, str]) -> dict[str, int]:
    """Scores of the observed parameters given (``{"consciousness": "alert"}`` -> 0)."""
    return {name: OBSERVED[name][value] for name, value in observed.items()}


def most_concerning(
    values: Mapping[str, float], observed: Mapping[str, str] | None = None
) -> frozenset[str]:
    """The parameters with the highest sub-score now (empty when every one scores 0),
    among the measured ``values`` and the ``observed`` ones."""
    scores = sub_scores(values) | observed_scores(observed or {})
    top = max(scores.values(), default=0)
    return frozenset(n for n, s in scores.items() if s == top) if top > 0 else frozenset()


# The words of a NEWS2-judged answer (accessibility.judge), in English; a scenario with a
# ``judge: news2`` step carries them in its language (``messages.news2.*`` of its
# translation, accessibility/scenario_i18n.py). ``sign.{name}``: the parameter's name;
# ``describe``: one parameter with its value (Western digits) and the vocabulary's unit,
# which speech says in the learner's language (accessibility/speech.py).
NEWS2_TEXTS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "describe": "{sign} {value} {unit} (NEWS2 {score})",
        "describe_observed": "{sign}: {value} (NEWS2 {score})",
        "none_right": "Yes - no sign scores on NEWS2 right now.",
        "none_wrong": "Look again: {worst}. Try again.",
        "sign_right": "Yes - {sign} is the highest now.",
        "all_normal": "Every sign is in the normal NEWS2 band right now. Try again.",
        "sign_wrong": "Not the most concerning now: {mine}; {worst}. Try again.",
        "not_shown": "that sign is not on the monitor",
        **{f"sign.{name}": SENSORS[name].label for name in _BANDS},
        "sign.consciousness": "consciousness",
        "sign.oxygen": "air or oxygen",
        "observed.alert": "alert",
        "observed.confusion": "new confusion",
        "observed.voice": "responds to voice",
        "observed.pain": "responds to pain",
        "observed.unresponsive": "unresponsive",
        "observed.air": "room air",
        "observed.oxygen": "supplemental oxygen",
    }
)


def describe_observed(name: str, value: str, texts: Mapping[str, str] = NEWS2_TEXTS) -> str:
    """'consciousness: alert (NEWS2 0)': a bedside observation in the words of ``texts``."""
    return texts["describe_observed"].format(
        sign=texts.get(f"sign.{name}", name),
        value=texts.get(f"observed.{value}", value),
        score=OBSERVED[name][value],
    )


def describe(name: str, value: float, texts: Mapping[str, str] = NEWS2_TEXTS) -> str:
    """'SpO2 91 % (NEWS2 3)': the parameter's name in ``texts``, the value as shown (in the
    Western digits the monitor shows) and the vocabulary's unit."""
    decimals = _BANDS[name][0]
    shown = f"{_round_half_up(value, decimals):.{decimals}f}"
    return texts["describe"].format(
        sign=texts.get(f"sign.{name}", SENSORS[name].label),
        value=shown,
        unit=SENSORS[name].unit,
        score=sub_score(name, value),
    )
