"""Frame once, send many: batched websocket clients served by one ticker per group.

A lab websocket that asks for batches (``?batch_ms=`` > 0) and whose server connection
offers a ``FrameSink`` (``twin_service.ops.ws_protocol``: uvicorn's websocket protocol
without permessage-deflate) is not given a pump task of its own. One ticker per (group,
interval) wakes on each tick and, for every member that is behind, takes what it has not
had from the hub (``ClientQueue.take_waiting``: clients at the same cursor share one
take), encodes that take once as a complete websocket frame (header included) and writes
the bytes to the member's transport — no per-client await, no per-client framing, as
``websockets.broadcast()`` does.

The slow-client rules are those of ``Hub.pump``:

- bounded buffer: a member whose transport has paused writing (its buffer is over the
  high-water mark) is skipped on that tick; nothing is queued for it;
- coalescing: a skipped member keeps its cursor, so when it drains it gets each twin's
  full current state once, never a backlog (the hub's rule);
- a member backed up for ``send_timeout_s`` is dropped: its ``serve`` raises
  ``TimeoutError`` and the endpoint closes it with 1013.

Everything else (session sockets, ``batch_ms=0``, servers without a sink — the test
client) keeps ``Hub.pump``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import MutableMapping
from typing import Any, Protocol

from websockets.frames import Frame, Opcode

from twin_service.live.hub import ClientQueue, Group, Hub, SendText, Taken, batched
from twin_service.ops.metrics import ServiceMetrics

log = logging.getLogger(__name__)

# The ASGI scope extension under which a server connection offers its ``FrameSink``.
FRAME_SINK_EXTENSION = "accesstwin.frame_sink"


class FrameSink(Protocol):
    """A websocket connection that takes already framed bytes without an await."""

    def write_frame(self, data: bytes) -> bool:
        """Write one complete frame; False when the connection is closing or closed."""

    def backed_up(self) -> bool:
        """Whether the connection's write buffer is over its high-water mark."""

    @property
    def deflate_bits(self) -> int | None:
        """The window bits of its permessage-deflate without context takeover, or None."""


def frame_sink(scope: MutableMapping[str, Any]) -> FrameSink | None:
    """The connection's ``FrameSink``, if its server offers one."""
    sink: FrameSink | None = (scope.get("extensions") or {}).get(FRAME_SINK_EXTENSION)
    return sink


def text_frame(text: str) -> bytes:
    """A complete unmasked, uncompressed websocket text frame (a server's frame)."""
    return Frame(Opcode.TEXT, text.encode()).serialize(mask=False)


# Fast compression: a batch is compressed once for all its clients, but a take that only
# one client has (it fell behind alone) is compressed for that one (see ``framed``).
DEFLATE_LEVEL = 1
_DEFLATE_TAIL = b"\x00\x00\xff\xff"


def deflated_text_frame(text: str, window_bits: int) -> bytes:
    """A text frame compressed as permessage-deflate without context takeover (RFC 7692).

    The message stands alone (a fresh compressor, the empty block's tail removed, RSV1
    set), so the same bytes are valid for every client that negotiated these bits.
    """
    compressor = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -window_bits)
    data = compressor.compress(text.encode()) + compressor.flush(zlib.Z_SYNC_FLUSH)
    if data.endswith(_DEFLATE_TAIL):
        data = data[: -len(_DEFLATE_TAIL)]
    frame = bytearray(Frame(Opcode.TEXT, data).serialize(mask=False))
    frame[0] |= 0b0100_0000  # RSV1: this message is compressed
    return bytes(frame)


def _text(taken: Taken) -> str:
    return taken.texts[0] if len(taken.texts) == 1 else batched(taken)


def framed(taken: Taken, deflate_bits: int | None = None) -> bytes:
    """The one frame of a take for a client, built once per form; b"" if the take is empty.

    A client with ``deflate_bits`` gets the take compressed from its second recipient on:
    compressing costs more than sending a batch to one client, and an uncompressed
    message is valid under permessage-deflate (RSV1 clear), so the first gets it plain.
    """
    taken.sent += 1
    if not taken.texts:
        return b""
    key = deflate_bits if deflate_bits is not None and taken.sent > 1 else 0
    data = taken.frames.get(key)
    if data is None:
        data = taken.frames[key] = (
            text_frame(_text(taken)) if key == 0 else deflated_text_frame(_text(taken), key)
        )
    return data


class _Member:
    __slots__ = ("done", "queue", "sink", "stalled_since")

    def __init__(self, queue: ClientQueue, sink: FrameSink, done: asyncio.Future[None]) -> None:
        self.queue = queue
        self.sink = sink
        self.done = done
        self.stalled_since: float | None = None


class _Ticker:
    __slots__ = ("group", "interval_s", "members", "task")

    def __init__(self, group: Group, interval_s: float) -> None:
        self.group = group
        self.interval_s = interval_s
        self.members: dict[ClientQueue, _Member] = {}
        self.task: asyncio.Task[None] | None = None


class Broadcaster:
    """The tickers of the batched clients that take pre-framed bytes."""

    def __init__(
        self, hub: Hub, metrics: ServiceMetrics, enabled: bool = True, send_timeout_s: float = 10.0
    ) -> None:
        self._hub = hub
        self._metrics = metrics
        self.enabled = enabled
        self.send_timeout_s = send_timeout_s
        self._tickers: dict[tuple[Group, float], _Ticker] = {}

    async def deliver(
        self,
        queue: ClientQueue,
        scope: MutableMapping[str, Any],
        send: SendText,
        batch_interval_s: float = 0.0,
    ) -> None:
        """Send the client its frames until it goes away or is too slow (TimeoutError)."""
        sink = frame_sink(scope) if self.enabled and batch_interval_s > 0 else None
        if sink is None:
            await self._hub.pump(
                queue, send, send_timeout_s=self.send_timeout_s, batch_interval_s=batch_interval_s
            )
        else:
            await self.serve(queue, sink, batch_interval_s)

    async def serve(self, queue: ClientQueue, sink: FrameSink, interval_s: float) -> None:
        """Make the client a member of its group's ticker until it leaves or is dropped."""
        key = (queue.group, interval_s)
        ticker = self._tickers.get(key)
        if ticker is None:
            ticker = self._tickers[key] = _Ticker(queue.group, interval_s)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        ticker.members[queue] = _Member(queue, sink, done)
        if ticker.task is None:
            ticker.task = asyncio.create_task(self._run(key, ticker))
        try:
            await done
        finally:
            ticker.members.pop(queue, None)

    def tickers(self) -> int:
        """How many tickers run (one per group and batch interval with members)."""
        return len(self._tickers)

    async def _run(self, key: tuple[Group, float], ticker: _Ticker) -> None:
        loop = asyncio.get_running_loop()
        interval = ticker.interval_s
        try:
            while ticker.members:
                if not any(m.queue.behind for m in ticker.members.values()):
                    # Nothing waiting: send as soon as something is published (as a pump
                    # does), or look again on the next tick (members joining, stalls).
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(interval):
                            await ticker.group.changed_after(ticker.group.seq)
                now = loop.time()
                for member in list(ticker.members.values()):
                    self._send(ticker, member, now)
                await asyncio.sleep(interval - loop.time() % interval)
        finally:
            del self._tickers[key]
            for member in ticker.members.values():
                if not member.done.done():
                    member.done.set_result(None)

    def _send(self, ticker: _Ticker, member: _Member, now: float) -> None:
        queue = member.queue
        if not queue.behind:
            member.stalled_since = None
            return
        if member.sink.backed_up():
            if member.stalled_since is None:
                member.stalled_since = now
            elif now - member.stalled_since >= self.send_timeout_s:
                self._drop(ticker, member)
            return
        member.stalled_since = None
        data = framed(queue.take_waiting(), member.sink.deflate_bits)
        self._hub.account(queue)
        if data and not member.sink.write_frame(data):
            del ticker.members[queue]
            member.done.set_result(None)

    def _drop(self, ticker: _Ticker, member: _Member) -> None:
        log.warning(
            "websocket client disconnected: it took no frames for %.0f s", self.send_timeout_s
        )
        self._metrics.ws_clients_dropped.inc()
        del ticker.members[member.queue]
        member.done.set_exception(TimeoutError())
