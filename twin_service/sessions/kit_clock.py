"""A kit's device time on the service clock (``KitClock``), and the policy's view of a twin.

A kit's clock may be seconds off (a Raspberry Pi has no real-time clock), so a value's or a
switch event's device ``ts`` is never compared with the service clock directly: each kit's
``KitClock`` maps device time onto the service clock (docs/switch-scanning.md: kit switches
are timed on it too).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from accessibility.model import TwinView
from twin_service.twins.twin import Twin, ValueEntry

# KitClock: the smallest (received_at - ts) over the last CLOCK_WINDOW_S of receiving, where
# a silence counts at most CLOCK_GAP_S. Long enough that a kit replaying its spool after an
# outage (old ts arriving now) does not move the estimate while the replay lasts; short
# enough that a kit whose clock was stepped back is tracked again within half a minute.
CLOCK_WINDOW_S = 30.0
CLOCK_GAP_S = 1.0


class KitClock:
    """One kit's device time mapped onto the service clock.

    ``received_at - ts`` of a value is the kit's clock offset plus the delivery delay; its
    minimum over recent messages is the offset plus the shortest delay (milliseconds on a
    lab network). A value's service time is ``ts + offset``, never later than its
    ``received_at``: a value delivered late (a spool replay) is as old as it really is, and
    a kit whose clock runs seconds behind or ahead is as fresh as one whose clock is right.
    With no estimate yet, a value's service time is its ``received_at``.
    """

    __slots__ = ("_active", "_last_rx", "_mins")

    def __init__(self) -> None:
        self._active = 0.0  # seconds of receiving (silences count at most CLOCK_GAP_S)
        self._last_rx: float | None = None
        self._mins: deque[tuple[float, float]] = deque()  # (active, offset), offsets rising

    @property
    def offset(self) -> float | None:
        return self._mins[0][1] if self._mins else None

    def observe(self, entries: Iterable[ValueEntry]) -> None:
        """Learn from the entries received since the last call (older ones are skipped)."""
        last = self._last_rx
        new = [e for e in entries if last is None or e.received_at > last]
        for e in sorted(new, key=lambda e: e.received_at) if len(new) > 1 else new:
            self._add(e.received_at, e.received_at - e.ts)

    def _add(self, received_at: float, offset: float) -> None:
        if self._last_rx is not None:
            self._active += min(max(received_at - self._last_rx, 0.0), CLOCK_GAP_S)
        self._last_rx = received_at if self._last_rx is None else max(self._last_rx, received_at)
        mins = self._mins
        while mins and mins[-1][1] >= offset:
            mins.pop()
        mins.append((self._active, offset))
        while mins[0][0] < self._active - CLOCK_WINDOW_S:
            mins.popleft()

    def service_time(self, entry: ValueEntry) -> float:
        offset = self.offset
        return entry.received_at if offset is None else min(entry.received_at, entry.ts + offset)


def twin_view(twin: Twin, now: float, clock: KitClock | None = None) -> TwinView:
    """The policy's view at service time ``now``: each value with its device time on the
    service clock (``clock``, after it has learnt from this twin's newest values)."""
    if clock is None:
        clock = KitClock()
    sections = (twin.reported, twin.derived)
    for section in sections:
        clock.observe(section.values())
    values: dict[str, float] = {}
    stamps: dict[str, float] = {}
    for section in sections:
        for name, entry in section.items():
            values[name] = entry.value
            stamps[name] = clock.service_time(entry)
    return TwinView(now=now, values=values, value_ts=stamps, online=twin.online)
