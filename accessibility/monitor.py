"""The learner's patient monitor: which vitals it shows, how each is judged, and the words
that read them out. Pure: no I/O.

Judgement follows the NEWS2 single-parameter scores of ``accessibility.news2`` (Royal
College of Physicians 2017; docs/domain.md "Vital signs (NEWS2)"): score 0 is in range,
1-2 out of range, 3 an alarm. The page gets the same bands (``(upper bound, score)``
pairs, rising, the last with bound None) and rounding. Blood pressure is judged by its
systolic value, as NEWS2 does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from accessibility.news2 import bands, sub_score
from accesstwin_contract.quantities import SENSORS

Judgement = Literal["normal", "out_of_range", "alarm"]
ALARM_SCORE = 3


@dataclass(frozen=True, slots=True)
class Vital:
    name: str  # the reported sensor (``bp``: sbp/dbp together)
    label: str
    spoken: str  # the label as spoken
    unit_spoken: str
    trend_step: float  # a change at least this large over the trend window is a trend

    @property
    def sensor(self) -> str:
        """The reported sensor judged (blood pressure: the systolic value)."""
        return "sbp" if self.name == "bp" else self.name

    @property
    def unit(self) -> str:
        return SENSORS[self.sensor].unit  # the vocabulary's (accesstwin_contract)

    @property
    def decimals(self) -> int | None:
        return SENSORS[self.sensor].decimals  # None: as sent

    @property
    def bands(self) -> tuple[tuple[float | None, int], ...]:
        return bands(self.sensor)[1]

    def score(self, value: float) -> int:
        return sub_score(self.sensor, value)

    def judge(self, value: float) -> Judgement:
        score = self.score(value)
        return "normal" if score == 0 else "alarm" if score >= ALARM_SCORE else "out_of_range"

    def normal_range(self) -> tuple[float | None, float | None]:
        """The lowest and highest value of the score-0 band (None: unbounded)."""
        low: float | None = None
        previous: float | None = None
        for bound, score in self.bands:
            if score == 0:
                low = previous
                return (low, bound)
            previous = bound
        return (None, None)

    def to_json(self) -> dict[str, Any]:
        low, high = self.normal_range()
        return {
            "name": self.name,
            "label": self.label,
            "unit": self.unit,
            "decimals": self.decimals,
            "bands": [[bound, score] for bound, score in self.bands],
            "judge_decimals": bands(self.sensor)[0],  # rounded (half up) before judging
            "normal": [low, high],
            "trend_step": self.trend_step,
        }


# The monitor's vitals in the order it shows them: label, spoken name, spoken unit and the
# trend step (the sensors' units and decimals are the vocabulary's, the bands NEWS2's).
VITALS: tuple[Vital, ...] = (
    Vital("hr", "Heart rate", "heart rate", "beats a minute", 3),
    Vital("spo2", "Oxygen saturation (SpO2)", "oxygen saturation", "percent", 1),
    Vital("temp_c", "Temperature", "temperature", "degrees", 0.2),
    Vital("resp_rate", "Breathing rate", "breathing rate", "breaths a minute", 2),
    Vital("bp", "Blood pressure", "blood pressure", "", 5),
)
BY_NAME: Mapping[str, Vital] = {v.name: v for v in VITALS}
# Reported sensors shown through another row.
PART_OF = {"sbp": "bp", "dbp": "bp"}
# The vitals a scenario's monitor always shows (others appear when the kit reports them).
_ALL_VITALS = tuple(v.name for v in VITALS)
SCENARIO_VITALS: Mapping[str, tuple[str, ...]] = {"vitals": _ALL_VITALS, "news2-check": _ALL_VITALS}
TREND_WINDOW_S = 60.0


def monitor_vitals(scenario_id: str) -> tuple[Vital, ...]:
    wanted = SCENARIO_VITALS.get(scenario_id, ())
    return tuple(BY_NAME[name] for name in wanted)


def monitor_spec(scenario_id: str) -> dict[str, Any]:
    """What the page needs to draw and judge the monitor (the ``twin`` frame's ``monitor``)."""
    return {
        "vitals": [v.to_json() for v in VITALS],
        "shown": list(SCENARIO_VITALS.get(scenario_id, ())),
        "trend_window_s": TREND_WINDOW_S,
    }


def _fmt(value: float, decimals: int | None) -> str:
    return f"{value:g}" if decimals is None else f"{value:.{decimals}f}"


def vitals_speech(values: Mapping[str, float], shown: Sequence[str] = ()) -> str:
    """The vitals as one sentence each, with their state, e.g. "Heart rate 77 beats a
    minute. Oxygen saturation 93 percent, out of range."; a vital not reported yet is said
    to be missing when the scenario shows it."""
    names = [v.name for v in VITALS if v.name in shown or _has(values, v.name)]
    if not names:
        return "No vitals have been reported yet."
    parts = []
    for name in names:
        vital = BY_NAME[name]
        if not _has(values, name):
            parts.append(f"{vital.spoken.capitalize()}: no reading.")
            continue
        if name == "bp":
            sbp, dbp = values.get("sbp"), values.get("dbp")
            number = _fmt(sbp, 0) if sbp is not None else "unknown"
            if dbp is not None:
                number += f" over {_fmt(dbp, 0)}"
            judged = vital.judge(sbp) if sbp is not None else "normal"
        else:
            number = f"{_fmt(values[name], vital.decimals)} {vital.unit_spoken}"
            judged = vital.judge(values[name])
        state = {"normal": "", "out_of_range": ", out of range", "alarm": ", alarm"}[judged]
        parts.append(f"{vital.spoken.capitalize()} {number.strip()}{state}.")
    return " ".join(parts)


def _has(values: Mapping[str, float], name: str) -> bool:
    if name == "bp":
        return "sbp" in values or "dbp" in values
    return name in values
