"""Fan-out of frames to websocket clients: one shared log per group, a cursor per client.

Publishing serialises a frame once and records it in its group, whatever the number of
clients: frames that describe current state (``twin.delta``, ``status``, ``scan``) keep
only their newest text per twin (or session); other frames (``feedback``) go to a bounded
list. Each client holds only a cursor, the group's sequence number it has been sent up
to. When its pump wakes it takes what changed since its cursor, in publication order:

- a twin's newest ``twin.delta`` as published, if the client had the one before it;
  otherwise (it missed a delta while it was busy) the twin's full current state, one
  serialisation per twin version shared by all such clients: a slow client gets the
  newest state in version order, never a backlog;
- the newest ``status`` / ``scan`` frame (they carry full state);
- the feedback frames it has not had, of which a client too far behind loses the oldest
  (counted and logged).

Publishing is thus O(1) in the number of clients; each client's work is proportional to
what it is sent. Clients that ask for batches (``batch_interval_s`` > 0) get everything
waiting as one ``{"type": "batch", "frames": [...]}`` message and their pump then rests
until the next tick of that interval; clients of one group on the same tick share the
same batch text. A client that cannot take its frames within ``send_timeout_s`` is
disconnected; nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from accesstwin_contract.frames import BATCH, STATE_FRAME_TYPES, TWIN_DELTA, Frame
from twin_service.ops.metrics import ServiceMetrics

log = logging.getLogger(__name__)

SendText = Callable[[str], Awaitable[None]]
Key = tuple[str, str, str]
# The current full-state ``twin.delta`` text of a twin, by (lab, kit); None if gone.
ResolveTwin = Callable[[str, str], str | None]

_DELTA = TWIN_DELTA
_KEYED = STATE_FRAME_TYPES


def frame_key(frame: Frame) -> Key | None:
    """Frames that describe current state share a key per twin (or session)."""
    kind = frame.get("type")
    if kind not in _KEYED:
        return None
    owner = frame.get("session_id") if kind == "scan" else frame.get("lab")
    return (str(kind), str(owner), str(frame.get("kit")))


def frame_text(frame: Frame) -> str:
    """A frame's JSON text as the websockets carry it: compact (no spaces after ``,`` and
    ``:``) and UTF-8 (no ``\\u`` escapes), about a tenth fewer bytes for every client."""
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def batch_text(texts: list[str]) -> str:
    """One ``batch`` frame holding already serialised frames, in order."""
    return '{"type":"' + BATCH + '","frames":[' + ",".join(texts) + "]}"


def batched(taken: Taken) -> str:
    """The one ``batch`` text of what a take holds, built once for every client sharing it."""
    if taken.batched is None:
        taken.batched = batch_text(taken.texts)
    return taken.batched


class _Latest:
    """The newest frame of one key in a group."""

    __slots__ = ("full", "key", "previous_seq", "seq", "text")

    def __init__(self, key: Key, seq: int, previous_seq: int, text: str) -> None:
        self.key = key
        self.seq = seq
        self.previous_seq = previous_seq  # the seq of the update before this one (0: none)
        self.text = text
        self.full: str | None = None  # the resolved full state, once some client needed it


class Taken:
    """What a client at a given cursor is sent (shared by clients at the same cursor)."""

    __slots__ = ("batched", "coalesced", "frames", "others", "sent", "texts")

    def __init__(self, texts: list[str], coalesced: int, others: int) -> None:
        self.texts = texts
        self.coalesced = coalesced  # twins sent as full state (a delta was missed)
        self.others = others  # feedback frames among the texts
        self.batched: str | None = None
        # Its websocket frames (live.fanout), each built once: by deflate window bits, 0 plain.
        self.frames: dict[int, bytes] = {}
        self.sent = 0  # to how many clients live.fanout has written it


class Group:
    """The shared log of one group (``lab:{lab}``, ``session:{id}``) and its clients."""

    def __init__(self, max_other_frames: int, resolve: ResolveTwin) -> None:
        self.seq = 0
        self.members: set[ClientQueue] = set()
        self._latest: dict[Key, _Latest] = {}  # in seq order: an update moves its key last
        self._other: deque[tuple[int, str]] = deque(maxlen=max_other_frames)
        self._other_published = 0
        self._resolve = resolve
        self._changed: asyncio.Event | None = None
        self._taken: dict[int, Taken] = {}  # by cursor, valid while self.seq is unchanged
        self._taken_seq = 0

    def publish(self, key: Key | None, text: str) -> None:
        self.seq += 1
        if key is None:
            self._other.append((self.seq, text))
            self._other_published += 1
        else:
            before = self._latest.pop(key, None)
            previous = before.seq if before is not None else 0
            self._latest[key] = _Latest(key, self.seq, previous, text)
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def changed_after(self, cursor: int) -> None:
        while self.seq == cursor:
            if self._changed is None:
                self._changed = asyncio.Event()
            await self._changed.wait()

    def since(self, cursor: int) -> Taken:
        """What changed after ``cursor``, in publication order."""
        if self._taken_seq != self.seq:
            self._taken.clear()
            self._taken_seq = self.seq
        taken = self._taken.get(cursor)
        if taken is None:
            taken = self._collect(cursor)
            self._taken[cursor] = taken
        return taken

    def _collect(self, cursor: int) -> Taken:
        items: list[tuple[int, str]] = []
        coalesced = 0
        for latest in reversed(self._latest.values()):
            if latest.seq <= cursor:
                break
            text: str | None = latest.text
            if latest.key[0] == _DELTA and latest.previous_seq > cursor:
                # The client missed the delta before this one: send the full state.
                coalesced += 1
                if latest.full is None:
                    latest.full = self._resolve(latest.key[1], latest.key[2])
                text = latest.full
            if text is not None:
                items.append((latest.seq, text))
        others = 0
        if self._other and self._other[-1][0] > cursor:
            for item in self._other:
                if item[0] > cursor:
                    items.append(item)
                    others += 1
        items.sort()
        return Taken([text for _, text in items], coalesced, others)

    @property
    def other_published(self) -> int:
        """How many feedback (non-state) frames this group has published."""
        return self._other_published


class ClientQueue:
    """One client's position in its group."""

    def __init__(self, group: Group) -> None:
        self.group = group
        self.cursor = group.seq  # frames published before subscribing are in the snapshot
        self.others_seen = group.other_published
        self.coalesced = 0
        self.dropped = 0

    async def take(self) -> list[str]:
        taken = await self._take()
        return taken.texts

    async def _take(self) -> Taken:
        await self.group.changed_after(self.cursor)
        return self.take_waiting()

    @property
    def behind(self) -> bool:
        """Whether frames were published that this client has not taken."""
        return self.cursor != self.group.seq

    def take_waiting(self) -> Taken:
        """What was published since the last take (without waiting), advancing the cursor."""
        taken = self.group.since(self.cursor)
        self.cursor = self.group.seq
        published = self.group.other_published
        # Feedback frames published since the last take that the bounded list no longer had.
        self.dropped += published - self.others_seen - taken.others
        self.others_seen = published
        self.coalesced += taken.coalesced
        return taken


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
        self._groups: dict[str, Group] = {}
        self.resolve_twin: ResolveTwin = resolve_twin or (lambda lab, kit: None)

    def subscribe(self, group: str) -> ClientQueue:
        shared = self._groups.get(group)
        if shared is None:
            shared = Group(self._max_other, lambda lab, kit: self.resolve_twin(lab, kit))
            self._groups[group] = shared
        queue = ClientQueue(shared)
        shared.members.add(queue)
        self._metrics.ws_clients.inc()
        return queue

    def unsubscribe(self, group: str, queue: ClientQueue) -> None:
        shared = self._groups.get(group)
        if shared and queue in shared.members:
            shared.members.discard(queue)
            self._metrics.ws_clients.dec()
            if not shared.members:
                del self._groups[group]

    def publish(self, group: str, frame: Frame) -> None:
        shared = self._groups.get(group)
        if shared is None:
            return
        shared.publish(frame_key(frame), frame_text(frame))

    def publish_to(self, groups: list[str], frame: Frame) -> None:
        """One frame to several groups, serialised once."""
        shared = [g for g in (self._groups.get(name) for name in groups) if g is not None]
        if not shared:
            return
        key, text = frame_key(frame), frame_text(frame)
        for group in shared:
            group.publish(key, text)

    def watched(self, groups: list[str]) -> bool:
        """Whether any of these groups has a client (a frame for none is not built)."""
        return any(name in self._groups for name in groups)

    @property
    def idle(self) -> bool:
        """No client in any group (a gateway whose replicas serve the websockets)."""
        return not self._groups

    def clients(self, group: str) -> int:
        shared = self._groups.get(group)
        return len(shared.members) if shared else 0

    async def pump(
        self,
        queue: ClientQueue,
        send: SendText,
        send_timeout_s: float = 10.0,
        batch_interval_s: float = 0.0,
    ) -> None:
        """Send queued frames until the client goes away or is too slow (TimeoutError)."""
        loop = asyncio.get_running_loop()
        while True:
            taken = await queue._take()
            texts = taken.texts
            if batch_interval_s > 0 and len(texts) > 1:
                texts = [batched(taken)]
            self.account(queue)
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
            if batch_interval_s > 0:
                # Rest until the next tick, the same for every client of this interval, so
                # clients in step share one batch.
                await asyncio.sleep(batch_interval_s - loop.time() % batch_interval_s)

    def account(self, queue: ClientQueue) -> None:
        """Count (and log) what the client's last take coalesced and dropped."""
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
