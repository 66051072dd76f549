"""Fan-out of frames to websocket clients, with bounded, coalescing per-client queues.

Publishing serialises a frame once and hands the same text to every client: offering
it to a client is one dict operation. Each client holds at most one waiting frame per
twin (plus a bounded list of feedback frames). When a newer ``twin.delta`` arrives for
a twin whose previous one is still waiting, the waiting one is marked stale and, at
send time, replaced by the twin's full current state (one serialisation per twin
version, shared by all clients): a slow client gets the newest state in version order,
never a backlog. ``status`` and ``scan`` frames carry full state, so the newest simply
replaces the older. A client that cannot take its frames within ``send_timeout_s`` is
disconnected; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from twin_service.metrics import ServiceMetrics

log = logging.getLogger(__name__)

Frame = dict[str, Any]
SendText = Callable[[str], Awaitable[None]]
Key = tuple[str, str, str]
# The current full-state ``twin.delta`` text of a twin, by (lab, kit); None if gone.
ResolveTwin = Callable[[str, str], str | None]

_DELTA = "twin.delta"
_KEYED = frozenset({_DELTA, "status", "scan"})


def frame_key(frame: Frame) -> Key | None:
    """Frames that describe current state share a key per twin (or session)."""
    kind = frame.get("type")
    if kind not in _KEYED:
        return None
    owner = frame.get("session_id") if kind == "scan" else frame.get("lab")
    return (str(kind), str(owner), str(frame.get("kit")))


class ClientQueue:
    """The frames waiting for one client."""

    def __init__(self, max_other_frames: int, resolve: ResolveTwin) -> None:
        self._keyed: dict[Key, str | None] = {}  # None: superseded, resolve at send time
        self._other: deque[str] = deque(maxlen=max_other_frames)
        self._resolve = resolve
        self._ready = asyncio.Event()
        self.coalesced = 0
        self.dropped = 0

    def offer(self, key: Key | None, text: str) -> None:
        if key is None:
            if len(self._other) == self._other.maxlen:
                self.dropped += 1
            self._other.append(text)
        elif key in self._keyed:
            self.coalesced += 1
            self._keyed[key] = None if key[0] == _DELTA else text
        else:
            self._keyed[key] = text
        self._ready.set()

    async def take(self) -> list[str]:
        await self._ready.wait()
        self._ready.clear()
        texts: list[str] = []
        for (_, lab, kit), text in self._keyed.items():
            if text is None:
                text = self._resolve(lab, kit)
            if text is not None:
                texts.append(text)
        self._keyed.clear()
        texts.extend(self._other)
        self._other.clear()
        return texts


class Hub:
    """Clients grouped by topic (``lab:{lab}``, ``session:{id}``)."""

    def __init__(
        self,
        metrics: ServiceMetrics,
        max_other_frames: int = 1_000,
        resolve_twin: ResolveTwin | None = None,
    ) -> None:
        self._metrics = metrics
        self._max_other = max_other_frames
        self._groups: dict[str, set[ClientQueue]] = {}
        self.resolve_twin: ResolveTwin = resolve_twin or (lambda lab, kit: None)

    def subscribe(self, group: str) -> ClientQueue:
        queue = ClientQueue(self._max_other, lambda lab, kit: self.resolve_twin(lab, kit))
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
        key = frame_key(frame)
        for queue in members:
            queue.offer(key, text)

    def clients(self, group: str) -> int:
        return len(self._groups.get(group, ()))

    async def pump(self, queue: ClientQueue, send: SendText, send_timeout_s: float = 10.0) -> None:
        """Send queued frames until the client goes away or is too slow (TimeoutError)."""
        while True:
            texts = await queue.take()
            if queue.coalesced:
                self._metrics.ws_frames_coalesced.inc(queue.coalesced)
                queue.coalesced = 0
            if queue.dropped:
                log.warning(
                    "a slow websocket client lost %d feedback frames (queue bound %d)",
                    queue.dropped,
                    self._max_other,
                )
                self._metrics.ws_frames_dropped.inc(queue.dropped)
                queue.dropped = 0
            try:
                async with asyncio.timeout(send_timeout_s):
                    for text in texts:
                        await send(text)
            except TimeoutError:
                log.warning(
                    "websocket client disconnected: it took no frames for %.0f s", send_timeout_s
                )
                self._metrics.ws_clients_dropped.inc()
                raise
