"""Every named quantity of a twin: the sensors kits report and the values derived from them.

One table, ``QUANTITIES``: a sensor or derived value is added here, in one line, and the
gateway's judgement (unit, physical range, waveform sample rate), the scenario checker's
known value names, the service's restore and history units and the dashboard's rows (served
to the page as JSON, ``vocabulary_json``) all follow. docs/vocabulary.md says how.

Ranges of reported sensors are what the sensor or the body can physically produce, not
clinical targets: a value outside them is a broken sensor or a forged message, and is
dropped with its reason. Sensors not listed are accepted as unitless.

Waveforms also have a sample-rate range: outside it the samples cannot be what the sensor
measured (a PPG below 10 Hz cannot hold the 0.5-4 Hz pulse band; a chest compression at
100-120/min needs 10 Hz or more to show its depth), and a tiny rate would spread a short
chunk over days of device time. Unlisted sensors get ``DEFAULT_RATE_HZ``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal, TypeAlias

SENSOR_NAME_PATTERN = r"[A-Za-z][A-Za-z0-9_]{0,63}"
# Sample rates a waveform may declare, unless its sensor says otherwise.
DEFAULT_RATE_HZ = (1.0, 1_000.0)
WAVEFORM_RATE_HZ = (10.0, 1_000.0)  # PPG and compression depth (see the module docstring)
_SENSOR_NAME = re.compile(SENSOR_NAME_PATTERN)

Kind: TypeAlias = Literal["reported", "derived"]


def _rate_error(name: str, rate_hz: float, bounds: tuple[float, float]) -> str | None:
    low, high = bounds
    if low <= rate_hz <= high:
        return None
    return f"rate_hz={rate_hz:g} outside {low:g}..{high:g} Hz for {name}"


@dataclass(frozen=True, slots=True)
class Quantity:
    """One named value of a twin: its unit, physical range and how the dashboard shows it.

    ``decimals``: digits the dashboard shows (None: as sent, at most 2). ``shown``: whether
    the dashboard lists it as a reading (raw waveforms such as ``ppg`` are not).
    """

    name: str
    unit: str
    label: str
    kind: Kind = "reported"
    minimum: float = -math.inf
    maximum: float = math.inf
    waveform: bool = False
    rate_hz: tuple[float, float] = DEFAULT_RATE_HZ
    decimals: int | None = 0
    shown: bool = True

    def __post_init__(self) -> None:
        if _SENSOR_NAME.fullmatch(self.name) is None:
            raise ValueError(f"quantity name {self.name!r} must match {SENSOR_NAME_PATTERN}")
        if not self.minimum < self.maximum:
            raise ValueError(f"{self.name}: minimum must be below maximum")
        if self.waveform and self.kind != "reported":
            raise ValueError(f"{self.name}: only reported sensors are waveforms")

    def range_error(self, value: float) -> str | None:
        """The reason ``value`` is outside this sensor's range, or None when inside."""
        if self.minimum <= value <= self.maximum:
            return None
        span = f"{self.minimum:g}..{self.maximum:g} {self.unit}".rstrip()
        return f"{self.name}={value:g} outside physical range {span}"

    def rate_error(self, rate_hz: float) -> str | None:
        """The reason ``rate_hz`` cannot be this waveform's sample rate, or None."""
        return _rate_error(self.name, rate_hz, self.rate_hz)


# The gateway's name for a reported sensor's entry.
SensorSpec = Quantity


def _reading(
    name: str, unit: str, label: str, low: float, high: float, decimals: int | None = 0
) -> Quantity:
    return Quantity(name, unit, label, "reported", low, high, decimals=decimals)


def _waveform(
    name: str,
    unit: str,
    label: str,
    low: float,
    high: float,
    rate_hz: tuple[float, float] = DEFAULT_RATE_HZ,
    shown: bool = False,
) -> Quantity:
    """A sensor sent as sample chunks; the dashboard lists only those ``shown``."""
    return Quantity(name, unit, label, "reported", low, high, True, rate_hz, shown=shown)


def _derived(
    name: str, unit: str, label: str, decimals: int | None = 0, shown: bool = True
) -> Quantity:
    """A value the service computes; ``shown=False`` for history-only series."""
    return Quantity(name, unit, label, "derived", decimals=decimals, shown=shown)


# One line per quantity: reported sensors first, then derived values, in the order the
# dashboard lists them. Reading: name, unit, label, physical minimum and maximum, decimals.
QUANTITIES: tuple[Quantity, ...] = (
    _reading("hr", "bpm", "Heart rate", 0, 350),
    _reading("spo2", "%", "SpO2", 0, 100, decimals=None),
    _reading("temp_c", "°C", "Temperature", 10, 50, decimals=1),
    _reading("resp_rate", "/min", "Respiration rate", 0, 120),
    _reading("sbp", "mmHg", "Systolic blood pressure", 0, 350),
    _reading("dbp", "mmHg", "Diastolic blood pressure", 0, 300),
    _reading("etco2", "mmHg", "End-tidal CO2", 0, 100),
    # Compression depth from the calibrated rest position (a little negative is noise),
    # read by the kit's VL6180X at 50 Hz.
    _waveform(
        "depth_mm", "mm", "Compression depth (latest sample)", -30, 200, WAVEFORM_RATE_HZ, True
    ),
    # MAX30102: 18-bit ADC counts, read at 25-100 Hz; heart rate needs more than twice
    # the 4 Hz top of the pulse band (accessibility/signals/ppg.py).
    _waveform("ppg", "", "PPG", 0, 262_143, WAVEFORM_RATE_HZ),
    _waveform("accel_z", "m/s²", "Acceleration", -160, 160),  # ±16 g accelerometers
    _waveform("force_n", "N", "Force", -50, 2_000),
    _derived("hr_ppg", "bpm", "HR from PPG"),
    # Quality (0-1) of the newest PPG window: hr_ppg only comes from a pulse above the
    # floor (docs/ppg-quality.md).
    _derived("ppg_quality", "", "PPG signal quality", 2),
    _derived("cpr_rate", "/min", "CPR rate"),
    _derived("cpr_depth_mm", "mm", "CPR depth"),
    _derived("cpr_recoil_pct", "%", "Recoil"),
    _derived("cpr_ccf", "%", "CCF"),
    # One history point per completed compression (its depth, at its deepest point): the
    # `compression` events' log, never a twin value (docs/cpr-scoring.md).
    _derived("cpr_compression_depth_mm", "mm", "Compression depth (each)", 1, shown=False),
    # What the CPR rules read of the last few compressions, computed per session and never
    # stored (accessibility/recent_compressions.py).
    _derived("cpr_recent_depth_mm", "mm", "Depth, last 3 compressions (median)", 1, shown=False),
    _derived("cpr_recent_rate", "/min", "Rate, last 3 compressions (median)", 1, shown=False),
    _derived("cpr_recent_recoil_pct", "%", "Full recoil, last 5 compressions", 1, shown=False),
)

SENSORS: dict[str, Quantity] = {q.name: q for q in QUANTITIES if q.kind == "reported"}
DERIVED: dict[str, Quantity] = {q.name: q for q in QUANTITIES if q.kind == "derived"}
DERIVED_NAMES = frozenset(DERIVED)
KNOWN_NAMES = frozenset(SENSORS) | DERIVED_NAMES


def sensor_name_error(name: str) -> str | None:
    """Why ``name`` cannot be a sensor name, or None when it can."""
    if _SENSOR_NAME.fullmatch(name):
        return None
    return f"sensor name must match {SENSOR_NAME_PATTERN}"


def waveform_rate_error(name: str, rate_hz: float) -> str | None:
    """Why ``rate_hz`` cannot be the sample rate of waveform ``name``, or None."""
    spec = SENSORS.get(name)
    return spec.rate_error(rate_hz) if spec else _rate_error(name, rate_hz, DEFAULT_RATE_HZ)


def unit_of(name: str) -> str:
    """The unit of reported sensor ``name``; ``""`` for sensors not listed."""
    spec = SENSORS.get(name)
    return spec.unit if spec else ""


def unit_of_value(name: str) -> str:
    """The unit of a twin value, reported or derived (history, restore); ``""`` if unlisted."""
    quantity = SENSORS.get(name) or DERIVED.get(name)
    return quantity.unit if quantity else ""


def _bound(value: float) -> float | None:
    return value if math.isfinite(value) else None


def vocabulary_document() -> dict[str, list[dict[str, object]]]:
    """The table as JSON-ready data, for pages (``minimum``/``maximum`` null: unbounded)."""

    def entry(q: Quantity) -> dict[str, object]:
        return {
            "name": q.name,
            "unit": q.unit,
            "label": q.label,
            "minimum": _bound(q.minimum),
            "maximum": _bound(q.maximum),
            "waveform": q.waveform,
            "decimals": q.decimals,
            "shown": q.shown,
        }

    return {
        "reported": [entry(q) for q in SENSORS.values()],
        "derived": [entry(q) for q in DERIVED.values()],
    }
