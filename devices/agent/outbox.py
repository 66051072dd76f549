"""Publishing from the spool: QoS 1, oldest first, delete on PUBACK, resend after reconnect.

``Outbox`` is the logic; it publishes through a function that returns paho's message id
(or None when the message could not be handed to the socket) and learns of PUBACKs via
``on_puback(mid)``. Messages go out in spool order, at most ``window`` unacknowledged at
a time. A connection loss forgets everything in flight: on the next connection the
spool is replayed from its oldest row, so a message whose PUBACK never arrived is sent
again (with its original ``ts`` and ``seq``; the service applies a repeated ``seq`` once).
Messages on a topic given a ``max_age_s`` (the kit's switch ``input``: a press is only
meaningful live) are deleted instead of sent once they are older than that when their
turn comes, e.g. after a broker outage; they are counted in ``expired``. Telemetry has no
age limit: it is replayed, oldest first.

The kit drives it with the gateway's ``MqttClient``: ``publish_with_id`` as ``publish``,
its ``on_puback`` callback, and ``resend_unacked=False`` so that only the spool resends
unacknowledged messages after a reconnect (paho would otherwise resend them too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Mapping

from devices.agent.spool import Spool, SpoolEntry

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], int | None]


class Outbox:
    """Moves spooled messages to the broker in order and deletes them once acknowledged."""

    def __init__(
        self,
        spool: Spool,
        publish: Publish | None = None,
        *,
        window: int = 100,
        max_age_s: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window < 1:
            raise ValueError("window must be at least 1")
        self.spool = spool
        self.publish: Publish | None = publish
        self.window = window
        self.max_age_s = dict(max_age_s or {})  # topic → seconds after which it is dropped
        self._clock = clock
        self.expired = 0
        self.connected = False
        self._inflight: dict[int, int] = {}  # paho mid → spool id
        self._cursor = 0  # highest spool id handed to paho on this connection
        self._highest_sent = 0  # highest spool id ever handed to paho (for the resend count)
        self._acked: list[int] = []
        self._pump_scheduled = False
        self._empty = asyncio.Event()
        self.sent = 0
        self.resent = 0
        self.acked = 0

    @property
    def inflight(self) -> int:
        return len(self._inflight)

    def submit(self, topic: str, payload: bytes) -> int:
        """Spool a message and publish it when its turn comes; returns its spool id."""
        spool_id = self.spool.put(topic, payload, created=self._clock())
        self._empty.clear()
        self.request_pump()
        return spool_id

    def on_connected(self) -> None:
        self.connected = True
        self._inflight.clear()
        self._cursor = 0
        self.request_pump()

    def on_disconnected(self) -> None:
        self.connected = False
        self._inflight.clear()
        self._cursor = 0

    def on_puback(self, mid: int) -> None:
        spool_id = self._inflight.pop(mid, None)
        if spool_id is None:
            return  # not ours (the status message) or from before a reconnect
        self._acked.append(spool_id)
        self.acked += 1
        self.request_pump()

    def request_pump(self) -> None:
        """Pump soon (coalesced, in the running loop), or now when there is no loop."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.pump()
            return
        if not self._pump_scheduled:
            self._pump_scheduled = True
            loop.call_soon(self.pump)

    def pump(self) -> None:
        """Delete what was acknowledged, then fill the in-flight window from the spool."""
        self._pump_scheduled = False
        if self._acked:
            self.spool.delete(self._acked)
            self._acked = []
        while self.connected and self.publish is not None and len(self._inflight) < self.window:
            entries = self.spool.after(self._cursor, self.window - len(self._inflight))
            if not entries:
                break
            if self.max_age_s:
                entries = self._drop_expired(entries)
            for entry in entries:
                mid = self.publish(entry.topic, entry.payload)
                if mid is None:
                    return  # the connection is going; on_connected starts over
                self._inflight[mid] = entry.id
                self._cursor = entry.id
                self.sent += 1
                if entry.id <= self._highest_sent:
                    self.resent += 1
                self._highest_sent = max(self._highest_sent, entry.id)
        if len(self.spool) == 0:
            self._empty.set()

    def _drop_expired(self, entries: list[SpoolEntry]) -> list[SpoolEntry]:
        """Delete the entries past their topic's ``max_age_s``; the rest, in order."""
        now = self._clock()
        keep: list[SpoolEntry] = []
        expired: list[int] = []
        for entry in entries:
            limit = self.max_age_s.get(entry.topic)
            if limit is not None and now - entry.created > limit:
                expired.append(entry.id)
            else:
                keep.append(entry)
        if expired:
            self.spool.delete(expired)
            self.expired += len(expired)
            self._cursor = max(self._cursor, max(expired))
            log.info(
                "dropped %d spooled message(s) too old to send (%d in total)",
                len(expired),
                self.expired,
            )
        return keep

    async def wait_empty(self, timeout: float) -> bool:
        """Wait until every spooled message is acknowledged; False on timeout."""
        if len(self.spool) == 0:
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._empty.wait(), timeout)
        return len(self.spool) == 0
