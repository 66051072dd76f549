"""The kit's outputs (LED, buzzer, metronome) and scenario hooks, driven by desired state.

``Actuators`` is the interface the agent applies desired state through; each setter
returns what was actually applied. ``QuietActuators`` only remembers and logs (a kit
without outputs, and the base of the simulator's actuators); ``GpioActuators`` drives a
gpiozero ``PWMLED`` and ``Buzzer`` (imported lazily, the ``pi`` extra). ``DesiredApplier``
turns a ``DesiredPlan`` into actuator calls and the values to report.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from devices.agent.desired import (
    METRONOME_DEFAULT_BPM,
    DesiredError,
    DesiredPlan,
    applied_readings,
    parse_desired,
)

log = logging.getLogger(__name__)

# A metronome click: short enough to hear as a tick at 220 /min.
CLICK_S = 0.05


class Actuators(Protocol):
    def set_led(self, level: float) -> float: ...

    def set_buzzer(self, on: bool) -> bool: ...

    def set_metronome(self, bpm: float) -> float:
        """Click at ``bpm`` per minute (0 = off); returns the rate now clicking."""

    def set_scenario(self, name: str) -> None: ...

    def set_parameter(self, name: str, value: float) -> float:
        """A scenario parameter (``cpr_depth_mm``, …); returns the value in effect."""

    def close(self) -> None: ...


class QuietActuators:
    """Remembers and logs what it is asked; drives nothing."""

    def __init__(self) -> None:
        self.state: dict[str, float | str] = {}

    def set_led(self, level: float) -> float:
        self.state["led"] = level
        log.info("desired: LED %.2f", level)
        return level

    def set_buzzer(self, on: bool) -> bool:
        self.state["buzzer"] = 1.0 if on else 0.0
        log.info("desired: buzzer %s", "on" if on else "off")
        return on

    def set_metronome(self, bpm: float) -> float:
        self.state["metronome_bpm"] = bpm
        log.info("desired: metronome %s", f"{bpm:g} /min" if bpm else "off")
        return bpm

    def set_scenario(self, name: str) -> None:
        self.state["scenario"] = name
        log.info("desired: scenario %s", name)

    def set_parameter(self, name: str, value: float) -> float:
        self.state[name] = value
        log.info("desired: %s = %g", name, value)
        return value

    def close(self) -> None:
        return None


class GpioActuators(QuietActuators):
    """LED (PWM brightness) and buzzer (steady, or clicking as the metronome) on GPIO."""

    def __init__(
        self, led_pin: int | str | None, buzzer_pin: int | str | None, pin_factory: Any = None
    ) -> None:
        super().__init__()
        gpiozero = importlib.import_module("gpiozero")
        self._led = gpiozero.PWMLED(led_pin, pin_factory=pin_factory) if led_pin else None
        self._buzzer = gpiozero.Buzzer(buzzer_pin, pin_factory=pin_factory) if buzzer_pin else None
        self._bpm = 0.0
        self._buzz = False

    def set_led(self, level: float) -> float:
        if self._led is None:
            return super().set_led(0.0)
        self._led.value = level
        return super().set_led(level)

    def _drive_buzzer(self) -> None:
        if self._buzzer is None:
            return
        if self._bpm > 0:  # the metronome wins while it runs
            self._buzzer.blink(on_time=CLICK_S, off_time=60.0 / self._bpm - CLICK_S)
        elif self._buzz:
            self._buzzer.on()
        else:
            self._buzzer.off()

    def set_buzzer(self, on: bool) -> bool:
        self._buzz = on and self._buzzer is not None
        self._drive_buzzer()
        return super().set_buzzer(self._buzz)

    def set_metronome(self, bpm: float) -> float:
        self._bpm = bpm if self._buzzer is not None else 0.0
        self._drive_buzzer()
        return super().set_metronome(self._bpm)

    def close(self) -> None:
        for device in (self._led, self._buzzer):
            if device is not None:
                device.close()


class DesiredApplier:
    """Applies desired plans in order and says what to report."""

    def __init__(
        self,
        actuators: Actuators,
        set_sample_rate: Callable[[float], float | None] | None = None,
    ) -> None:
        self.actuators = actuators
        self.set_sample_rate = set_sample_rate
        self.tempo = METRONOME_DEFAULT_BPM
        self.metronome_on = False
        self.applied_version: int | None = None

    def apply_message(self, payload: bytes) -> dict[str, float | int] | None:
        """Apply one ``desired`` message; the readings that report it (None: unreadable).

        Values the kit refuses and keys it does not know are logged and left out."""
        try:
            plan = parse_desired(payload)
        except DesiredError as exc:
            log.warning("desired state ignored: %s", exc)
            return None
        for key, reason in plan.errors.items():
            log.warning("desired %s not applied: %s", key, reason)
        if plan.unknown:
            log.warning("desired keys unknown to this kit: %s", ", ".join(plan.unknown))
        readings = applied_readings(plan.version, self.apply(plan))
        log.info("desired version %d applied: %s", plan.version, readings)
        return readings

    def apply(self, plan: DesiredPlan) -> dict[str, float | str]:
        """Apply every valid value of ``plan``; returns key → value in effect."""
        act, values = self.actuators, plan.values
        applied: dict[str, float | str] = {}
        for key, value in values.items():
            if key == "patient" and isinstance(value, str):
                # The patient's course is the ``deteriorating`` scenario parameter.
                act.set_parameter("deteriorating", 1.0 if value == "deteriorating" else 0.0)
                applied[key] = value
            elif isinstance(value, str):
                act.set_scenario(value)
                applied[key] = value
            elif key == "led":
                applied[key] = act.set_led(value)
            elif key == "buzzer":
                applied[key] = 1.0 if act.set_buzzer(value >= 0.5) else 0.0
            elif key == "sample_rate_hz":
                rate = self.set_sample_rate(value) if self.set_sample_rate else None
                if rate is not None:  # None: no sensor with an adjustable rate
                    applied[key] = rate
            elif key not in ("metronome", "metronome_bpm"):
                applied[key] = act.set_parameter(key, value)
        if "metronome_bpm" in values or "metronome" in values:
            applied.update(self._metronome(values))
        self.applied_version = plan.version
        return applied

    def _metronome(self, values: dict[str, float | str]) -> dict[str, float]:
        bpm = values.get("metronome_bpm")
        if isinstance(bpm, float):
            self.metronome_on = bpm > 0
            self.tempo = bpm if bpm > 0 else self.tempo
        switch = values.get("metronome")
        if isinstance(switch, float):
            self.metronome_on = switch >= 0.5
        running = self.actuators.set_metronome(self.tempo if self.metronome_on else 0.0)
        out: dict[str, float] = {}
        if "metronome" in values:
            out["metronome"] = 1.0 if running > 0 else 0.0
        if isinstance(bpm, float):
            # The tempo in effect: running, or set and switched off on request; 0 when
            # it should click but cannot (no buzzer).
            idle_by_request = bpm > 0 and not self.metronome_on
            out["metronome_bpm"] = self.tempo if idle_by_request else running
        return out
