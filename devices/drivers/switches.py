"""The kit's big switches on GPIO, as contract input events.

Each switch is a gpiozero ``Button`` (internal pull-up, switch to ground, gpiozero's
debounce ``bounce_time``). A press is ``{"ts", "seq", "switch", "state": "down"}`` and a
release the same with ``"up"`` (docs/interface.md, ``P/{lab}/{kit}/input``).

gpiozero calls back from its own thread. ``dispatch`` moves the event to the thread
that owns the ``seq`` counter (the agent passes ``loop.call_soon_threadsafe``); the
timestamp is taken in the callback, the ``seq`` when the event is dispatched, so seq
follows the order events are handed over. gpiozero is imported lazily: the rest of
the package works without the ``pi`` extra.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

SwitchName = Literal["select", "next"]
SWITCH_NAMES: Final[tuple[SwitchName, ...]] = ("select", "next")
# Debounce default: products ship 0-400 ms (docs/domain.md, switch scanning); 50 ms removes
# contact bounce without hiding a deliberate quick press.
DEFAULT_BOUNCE_S: Final = 0.05

InputEvent = dict[str, Any]


def _direct(func: Callable[[], None]) -> None:
    func()


class SwitchBank:
    """gpiozero buttons for ``select``/``next`` emitting contract input events."""

    def __init__(
        self,
        pins: Mapping[SwitchName, int | str],
        emit: Callable[[InputEvent], None],
        next_seq: Callable[[], int],
        *,
        bounce_s: float | None = DEFAULT_BOUNCE_S,
        clock: Callable[[], float] = time.time,
        dispatch: Callable[[Callable[[], None]], object] = _direct,
        pin_factory: Any = None,
    ) -> None:
        for name in pins:
            if name not in SWITCH_NAMES:
                raise ValueError(f"unknown switch {name!r}; switches are select and next")
        gpiozero = importlib.import_module("gpiozero")
        self._emit = emit
        self._next_seq = next_seq
        self._clock = clock
        self._dispatch = dispatch
        self.buttons: dict[SwitchName, Any] = {}
        for name, pin in pins.items():
            button = gpiozero.Button(
                pin, pull_up=True, bounce_time=bounce_s, pin_factory=pin_factory
            )
            button.when_pressed = self._handler(name, "down")
            button.when_released = self._handler(name, "up")
            self.buttons[name] = button

    def _handler(self, switch: SwitchName, state: str) -> Callable[[], None]:
        def on_edge() -> None:
            ts = round(self._clock(), 6)
            self._dispatch(lambda: self._send(ts, switch, state))

        return on_edge

    def _send(self, ts: float, switch: SwitchName, state: str) -> None:
        self._emit({"ts": ts, "seq": self._next_seq(), "switch": switch, "state": state})

    def close(self) -> None:
        for button in self.buttons.values():
            button.close()
        self.buttons.clear()
