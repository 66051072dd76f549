"""Simulated sensors for ``accesstwin kit --simulate NAME``: the real agent, fake chips.

``switch`` simulates no sensor but a learner at the kit's big ``select`` switch
(``SimulatedSwitchUser``): it answers a cue every few seconds after a reaction time drawn
from ``devices.simulation.SwitchUser`` and the agent publishes the presses as ``input``.

The seedable models of ``devices.simulation`` (``PpgSynth``, ``VitalsModel``,
``CprLearner``) are wrapped as ``Sensor``\\ s: a waveform sensor emits every sample of its
grid (``start + k / rate_hz``) up to the poll time, as a FIFO-read chip would, so the
agent batches, spools and replays them exactly like hardware samples. Scenario
parameters from desired state change the models (``SimulatedActuators``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from devices.agent.actuators import QuietActuators
from devices.drivers.base import Sample, Sensor
from devices.simulation import CprLearner, PpgSynth, SwitchUser, VitalsModel

log = logging.getLogger(__name__)

Profile = Literal["vitals", "cpr", "mixed", "switch"]
PROFILES: tuple[Profile, ...] = ("vitals", "cpr", "mixed", "switch")
# The simulated switch user gets a cue (a new highlight to answer) this often.
SWITCH_CUE_EVERY_S = 4.0
Generator = Callable[[float, int, float], npt.NDArray[np.float64]]
# After a stall longer than this, restart the grid at the poll time instead of catching up.
MAX_CATCH_UP_S = 30.0


class SimulatedWaveform:
    """Evenly spaced samples of ``generate(t0, n, rate_hz)``, rounded to ``decimals``."""

    waveform = True

    def __init__(
        self, name: str, rate_hz: float, generate: Generator, *, decimals: int = 1
    ) -> None:
        self.name = name
        self._rate = float(rate_hz)
        self._generate = generate
        self._decimals = decimals
        self._start: float | None = None
        self._index = 0

    @property
    def rate_hz(self) -> float:
        return self._rate

    @property
    def poll_interval_s(self) -> float:
        return 0.1

    def start(self) -> None:
        return None

    def read(self, now: float) -> list[Sample]:
        if self._start is None or now - self._next_ts() > MAX_CATCH_UP_S:
            self._start, self._index = round(now, 3), 0
        due = math.floor((now - self._start) * self._rate + 1e-6) + 1
        count = due - self._index
        if count <= 0:
            return []
        t0 = self._next_ts()
        values = np.round(self._generate(t0, count, self._rate), self._decimals) + 0.0
        self._index = due
        period = 1.0 / self._rate
        return [
            Sample(self.name, round(t0 + i * period, 6), float(v))
            for i, v in enumerate(values.tolist())
        ]

    def _next_ts(self) -> float:
        assert self._start is not None
        return self._start + self._index / self._rate

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        return float(rate_hz)

    def set_rate_hz(self, rate_hz: float) -> float:
        if self._start is not None:  # continue the new grid right after the last sample
            last = self._next_ts() - 1.0 / self._rate
            self._start, self._index = last + 1.0 / rate_hz, 0
        self._rate = float(rate_hz)
        return self._rate

    def close(self) -> None:
        return None


class SimulatedVitals:
    """Vital-sign readings (hr, spo2, temp_c, resp_rate, sbp, dbp) once per ``interval_s``."""

    waveform = False

    def __init__(self, patient: SimulatedPatient, interval_s: float = 1.0) -> None:
        self.name = "vitals"
        self.patient = patient
        self.interval_s = interval_s

    @property
    def rate_hz(self) -> float:
        return 1.0 / self.interval_s

    @property
    def poll_interval_s(self) -> float:
        return self.interval_s

    def start(self) -> None:
        return None

    def read(self, now: float) -> list[Sample]:
        values = self.patient.vitals(now).sample(now)
        return [Sample(name, round(now, 6), float(v)) for name, v in values.items()]

    def supported_rate_hz(self, rate_hz: float) -> float | None:
        return None

    def set_rate_hz(self, rate_hz: float) -> float:
        return self.rate_hz

    def close(self) -> None:
        return None


class SimulatedPatient:
    """The vital-signs model shared by the vitals readings and the PPG (its heart rate)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._model: VitalsModel | None = None
        self.scenario: Literal["stable", "deteriorating"] = "stable"

    def vitals(self, now: float) -> VitalsModel:
        if self._model is None or self._model.scenario != self.scenario:
            self._model = VitalsModel(self.seed, self.scenario, t0=now)
        return self._model


class Patient(Protocol):
    """A simulated patient whose course desired state sets (``SimulatedPatient`` here, the
    demo's ``SimulatedKit``)."""

    scenario: Literal["stable", "deteriorating"]


class SimulatedActuators(QuietActuators):
    """Quiet outputs; scenario changes reach the simulated patient and CPR learner.

    The patient's course comes from ``patient`` (applied as the ``deteriorating``
    parameter, see ``DesiredApplier``), the ``deteriorating`` parameter, or a scenario
    named ``stable`` / ``deteriorating``.
    """

    def __init__(self, patient: Patient | None, learner: CprLearner | None) -> None:
        super().__init__()
        self.patient = patient
        self.learner = learner

    def set_scenario(self, name: str) -> None:
        super().set_scenario(name)
        if self.patient is not None and name in ("stable", "deteriorating"):
            self.patient.scenario = "deteriorating" if name == "deteriorating" else "stable"

    def set_parameter(self, name: str, value: float) -> float:
        if name == "deteriorating" and self.patient is not None:
            self.patient.scenario = "deteriorating" if value >= 0.5 else "stable"
        elif self.learner is not None and name.startswith("cpr_"):
            attribute = {
                "cpr_rate_per_min": "rate_per_min",
                "cpr_depth_mm": "depth_mm",
                "cpr_recoil_residual_mm": "recoil_residual_mm",
            }[name]
            setattr(self.learner, attribute, float(value))
        return super().set_parameter(name, value)


def simulated_kit(
    profile: Profile, seed: int = 0, rate_hz: float = 50.0
) -> tuple[list[Sensor], SimulatedActuators]:
    """Sensors and actuators of a simulated kit: ``vitals`` (PPG + vital signs), ``cpr``
    (compression depth), ``mixed`` (both) or ``switch`` (none: see ``simulated_switches``),
    seeded like ``SimulatedKit``."""
    if profile not in PROFILES:
        raise ValueError(f"unknown simulator {profile!r}; choose one of {', '.join(PROFILES)}")
    s_vitals, s_ppg, s_cpr = (int(x) for x in np.random.SeedSequence(seed).generate_state(3))
    sensors: list[Sensor] = []
    patient: SimulatedPatient | None = None
    learner: CprLearner | None = None
    if profile in ("vitals", "mixed"):
        patient = SimulatedPatient(s_vitals)
        synth = PpgSynth(s_ppg, rate_hz)

        def ppg(
            t0: float, n: int, rate: float, p: SimulatedPatient = patient
        ) -> npt.NDArray[np.float64]:
            synth.rate_hz = rate
            hr = p.vitals(t0).truth(t0)["hr"]
            return np.clip(synth.chunk(t0, n, hr), 0.0, 262_143.0)  # MAX30102 18-bit ADC

        sensors += [SimulatedWaveform("ppg", rate_hz, ppg), SimulatedVitals(patient)]
    if profile in ("cpr", "mixed"):
        learner = CprLearner(s_cpr)
        sensors.append(SimulatedWaveform("depth_mm", rate_hz, learner.chunk))
    log.info("simulated kit %r (seed %d) at %g Hz", profile, seed, rate_hz)
    return sensors, SimulatedActuators(patient, learner)


class SimulatedSwitchUser:
    """A learner pressing ``select`` in answer to a cue every ``cue_every_s``.

    Built like ``SwitchBank`` by the agent's switch factory call ``(emit, next_seq,
    dispatch)`` inside the running event loop; events are scheduled on that loop at the
    device time ``SwitchUser.press_events`` gives them (cue + reaction time, then the
    hold), so ``ts`` is when the simulated switch moved. ``close`` cancels what is pending.
    """

    def __init__(
        self,
        user: SwitchUser,
        emit: Callable[[dict[str, Any]], None],
        next_seq: Callable[[], int],
        *,
        cue_every_s: float = SWITCH_CUE_EVERY_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if cue_every_s <= 0:
            raise ValueError("cue_every_s must be positive")
        self.user = user
        self._emit = emit
        self._next_seq = next_seq
        self._every = cue_every_s
        self._clock = clock
        self._loop = asyncio.get_running_loop()
        self._handles: set[asyncio.Handle] = set()
        self.presses = 0
        self._schedule(cue_every_s, self._cue)

    def _schedule(self, delay: float, func: Callable[[], None]) -> None:
        handle: asyncio.TimerHandle | None = None

        def run() -> None:
            assert handle is not None
            self._handles.discard(handle)
            func()

        handle = self._loop.call_later(max(0.0, delay), run)
        self._handles.add(handle)

    def _cue(self) -> None:
        now = self._clock()
        for event in self.user.press_events(now, "select"):
            ts = float(event["ts"])  # type: ignore[arg-type]
            body = {"ts": ts, "switch": event["switch"], "state": event["state"]}
            self._schedule(ts - now, functools.partial(self._send, body))
        self.presses += 1
        self._schedule(self._every, self._cue)

    def _send(self, body: dict[str, Any]) -> None:
        self._emit({"ts": body["ts"], "seq": self._next_seq(), **body})

    def close(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()


def simulated_switches(
    seed: int = 0, cue_every_s: float = SWITCH_CUE_EVERY_S
) -> Callable[..., SimulatedSwitchUser]:
    """The agent's switch factory for ``--simulate switch`` (a slow, seeded switch user)."""
    user = SwitchUser(seed, mean_reaction_ms=1200.0, sd_ms=350.0)

    def build(emit: Any, next_seq: Any, dispatch: Any) -> SimulatedSwitchUser:
        return SimulatedSwitchUser(user, emit, next_seq, cue_every_s=cue_every_s)

    return build
