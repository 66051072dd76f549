"""A whole simulated lab kit producing contract telemetry payloads (docs/interface.md).

The kit has its own clock: message ``k`` (from 0) covers the samples starting at
``start_ts + k * chunk_s``; nothing here reads the wall clock or sleeps, the caller paces
it. Waveforms go out in every message, vital-sign readings about once per second.
"""

from __future__ import annotations

import math
from typing import Any, Final, Literal

import numpy as np

from .cpr import CprLearner
from .ppg import PpgSynth
from .vitals import Scenario, VitalsModel

KitProfile = Literal["vitals", "cpr", "mixed"]

# Keep a message well inside the contract's 64 KiB: ~12 bytes per sample and sensor.
MAX_SAMPLES_PER_CHUNK: Final = 2000
# Vital-sign readings period: a bedside monitor refreshes its numbers about once a second.
READINGS_PERIOD_S: Final = 1.0


class SimulatedKit:
    """Telemetry of one simulated kit: ``vitals`` (PPG + vital signs), ``cpr`` (depth)
    or ``mixed`` (both). Components may be passed in to choose their settings (a passed
    ``VitalsModel`` needs ``t0=start_ts``; a passed ``PpgSynth`` must run at ``rate_hz``)."""

    def __init__(
        self,
        kit_profile: KitProfile,
        seed: int,
        start_ts: float,
        rate_hz: float = 50.0,
        chunk_s: float = 0.2,
        *,
        scenario: Scenario = "stable",
        vitals: VitalsModel | None = None,
        ppg: PpgSynth | None = None,
        cpr: CprLearner | None = None,
    ) -> None:
        if kit_profile not in ("vitals", "cpr", "mixed"):
            raise ValueError(f"unknown kit profile {kit_profile!r}")
        n = round(chunk_s * rate_hz)
        if n < 1 or n > MAX_SAMPLES_PER_CHUNK or not math.isclose(n, chunk_s * rate_hz):
            raise ValueError(
                f"chunk_s * rate_hz must be a whole number of samples in 1..{MAX_SAMPLES_PER_CHUNK}"
            )
        self.kit_profile: KitProfile = kit_profile
        self.start_ts = float(start_ts)
        self.rate_hz = float(rate_hz)
        self.samples_per_chunk = n
        self.chunk_s = n / self.rate_hz
        s_vitals, s_ppg, s_cpr = (int(x) for x in np.random.SeedSequence(seed).generate_state(3))
        has_vitals = kit_profile in ("vitals", "mixed")
        has_cpr = kit_profile in ("cpr", "mixed")
        if vitals is None and has_vitals:
            vitals = VitalsModel(s_vitals, scenario, t0=start_ts)
        self.vitals = vitals
        self.ppg = ppg or (PpgSynth(s_ppg, rate_hz) if has_vitals else None)
        self.cpr = cpr or (CprLearner(s_cpr) if has_cpr else None)
        if self.ppg is not None and not math.isclose(self.ppg.rate_hz, self.rate_hz):
            raise ValueError("the PPG synthesiser must run at the kit's rate_hz")
        self._readings_every = max(1, round(READINGS_PERIOD_S / self.chunk_s))
        self._index = 0  # chunks produced
        self._seq = 0  # messages produced (chunks and readings_message)

    @property
    def seq(self) -> int:
        """``seq`` of the last message produced (0 before the first)."""
        return self._seq

    @property
    def scenario(self) -> Scenario:
        """The simulated patient's course (``stable`` without vital signs)."""
        return self.vitals.scenario if self.vitals is not None else "stable"

    @scenario.setter
    def scenario(self, value: Scenario) -> None:
        """Change the patient's course; a deterioration starts at the next message."""
        if self.vitals is not None and self.vitals.scenario != value:
            self.vitals = VitalsModel(self.vitals.seed, value, t0=self.next_ts)

    def readings_message(self, ts: float, readings: dict[str, float | int]) -> dict[str, Any]:
        """A telemetry payload of ``readings`` only (e.g. applied desired state), next in seq."""
        self._seq += 1
        return {"ts": ts, "seq": self._seq, "readings": dict(readings)}

    @property
    def next_ts(self) -> float:
        """``ts`` of the next message: device time of its first sample."""
        return self._ts(self._index)

    def _ts(self, index: int) -> float:
        return round(self.start_ts + index * self.chunk_s, 6)

    def next_message(self) -> dict[str, Any]:
        """The next telemetry payload ``{"ts", "seq", "readings"?, "waveforms"?}``."""
        index = self._index
        ts = self._ts(index)
        n = self.samples_per_chunk
        self._seq += 1
        msg: dict[str, Any] = {"ts": ts, "seq": self._seq}
        waveforms: dict[str, Any] = {}
        if self.vitals is not None and index % self._readings_every == 0:
            msg["readings"] = self.vitals.sample(ts)
        if self.ppg is not None:
            hr = self.vitals.truth(ts)["hr"] if self.vitals is not None else 75.0
            ppg = np.clip(self.ppg.chunk(ts, n, hr), 0.0, 262_143.0)  # MAX30102 18-bit ADC
            waveforms["ppg"] = {"rate_hz": _num(self.rate_hz), "samples": _rounded(ppg)}
        if self.cpr is not None:
            depth = self.cpr.chunk(ts, n, self.rate_hz)
            waveforms["depth_mm"] = {"rate_hz": _num(self.rate_hz), "samples": _rounded(depth)}
        if waveforms:
            msg["waveforms"] = waveforms
        self._index += 1
        return msg

    def messages_until(self, ts: float) -> list[dict[str, Any]]:
        """All messages whose chunk is complete by device time ``ts`` (catch up to ``ts``)."""
        out: list[dict[str, Any]] = []
        while self._ts(self._index + 1) <= ts + 1e-9:
            out.append(self.next_message())
        return out


def _num(x: float) -> float | int:
    return int(x) if float(x).is_integer() else float(x)


def _rounded(samples: np.ndarray[Any, np.dtype[np.float64]]) -> list[float]:
    # 0.1 counts / 0.1 mm keeps the JSON small; "+ 0.0" turns -0.0 into 0.0.
    values: list[float] = (np.round(samples, 1) + 0.0).tolist()
    return values
