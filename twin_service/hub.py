"""Fan-out of frames to websocket clients, with bounded, coalescing per-client queues.

Each client has its own pending map. A ``twin.delta`` for a twin that already has a
frame waiting is merged into it (newest wins), so a slow client receives the current
state in version order and its queue never holds more than one frame per twin plus a
bounded number of feedback frames. A client that cannot take a batch within
``send_timeout_s`` is disconnected; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from twin_service.metrics import ServiceMetrics

Frame = dict[str, Any]
SendText = Callable[[str], Awaitable[None]]


def merge_delta(older: Frame, newer: Frame) -> Frame:
    """Fold two ``twin.delta`` frames of one twin into one (newer values win)."""
    merged = dict(newer)
    for part in ("reported", "derived"):
        merged[part] = {**older.get(part, {}), **newer.get(part, {})}
    if "desired" not in newer and "desired" in older:
        merged["desired"] = older["desired"]
    return merged


# Frames that describe current state: a newer one for the same twin replaces (or, for
# deltas, merges into) the one still waiting.
_KEYED = frozenset({"twin.delta", "status", "scan"})


class ClientQueue:
    """The frames waiting for one client."""

    def __init__(self, max_other_frames: int) -> None:
        self._keyed: dict[tuple[str, str, str], tuple[Frame, str | None]] = {}
        self._other: deque[str] = deque(maxlen=max_other_frames)
        self._ready = asyncio.Event()
        self.coalesced = 0
        self.dropped = 0

    def offer(self, frame: Frame, text: str) -> None:
        kind = frame.get("type")
        if kind in _KEYED:
            key = (str(kind), str(frame["lab"]), str(frame["kit"]))
            waiting = self._keyed.get(key)
            if waiting is None:
                self._keyed[key] = (frame, text)
            else:
                self.coalesced += 1
                merged = merge_delta(waiting[0], frame) if kind == "twin.delta" else frame
                self._keyed[key] = (merged, None)
        else:
            if len(self._other) == self._other.maxlen:
                self.dropped += 1
            self._other.append(text)
        self._ready.set()

    async def take(self) -> list[str]:
        await self._ready.wait()
        self._ready.clear()
        texts = [
            text if text is not None else json.dumps(frame) for frame, text in self._keyed.values()
        ]
        self._keyed.clear()
        texts.extend(self._other)
        self._other.clear()
        return texts


class Hub:
    """Clients grouped by topic (``lab:{lab}``, ``session:{id}``)."""

    def __init__(self, metrics: ServiceMetrics, max_other_frames: int = 1_000) -> None:
        self._metrics = metrics
        self._max_other = max_other_frames
        self._groups: dict[str, set[ClientQueue]] = {}

    def subscribe(self, group: str) -> ClientQueue:
        queue = ClientQueue(self._max_other)
        self._groups.setdefault(group, set()).add(queue)
        self._metrics.ws_clients.inc()
        return queue

    def unsubscribe(self, group: str, queue: ClientQueue) -> None:
        members = self._groups.get(group)
        if members and queue in members:
            members.discard(queue)
            self._metrics.ws_clients.dec()
            if not members:
                del self._groups[group]

    def publish(self, group: str, frame: Frame) -> None:
        members = self._groups.get(group)
        if not members:
            return
        text = json.dumps(frame)
        for queue in members:
            before = queue.coalesced
            queue.offer(frame, text)
            if queue.coalesced != before:
                self._metrics.ws_frames_coalesced.inc()

    def clients(self, group: str) -> int:
        return len(self._groups.get(group, ()))

    async def pump(self, queue: ClientQueue, send: SendText, send_timeout_s: float = 10.0) -> None:
        """Send queued frames until the client goes away or is too slow (TimeoutError)."""
        while True:
            for text in await queue.take():
                try:
                    await asyncio.wait_for(send(text), send_timeout_s)
                except TimeoutError:
                    self._metrics.ws_clients_dropped.inc()
                    raise
