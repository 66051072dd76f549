"""Rendering auditory-scan clips ahead of the page's requests (``sessions.scan_audio``).

When a step's choices come up for a learner with ``auditory_scan``, its clips (one per
choice, group and back) are queued here and rendered one at a time by the speech engine,
into its bounded cache: the page's requests are then cache hits, and the real length of
each clip reaches the scan machine (``on_rendered``), which stretches that item's scan time
to it. Bounded: at most ``max_pending`` clips wait (the oldest are dropped, counted in
``dropped``; the page's own request still renders such a clip on demand).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

from accessibility.speech import SpeechRequest
from twin_service.speech.worker import SpeechError

log = logging.getLogger(__name__)

DEFAULT_MAX_PENDING = 64


class ClipsAhead:
    def __init__(
        self,
        synthesize: Callable[[SpeechRequest], Awaitable[bytes]],
        on_rendered: Callable[[str, str, bytes], None],
        max_pending: int = DEFAULT_MAX_PENDING,
    ) -> None:
        self._synthesize, self._on_rendered = synthesize, on_rendered
        self._pending: deque[tuple[str, str, SpeechRequest]] = deque()
        self._max = max_pending
        self._wake = asyncio.Event()
        self.dropped = 0
        self.rendered = 0
        self.failed = 0

    def want(self, owner: str, clips: list[tuple[str, SpeechRequest]]) -> None:
        """Queue ``owner``'s clips (cache key, request); its older ones are superseded."""
        self._pending = deque(p for p in self._pending if p[0] != owner)
        self._pending.extend((owner, key, request) for key, request in clips)
        while len(self._pending) > self._max:
            self._pending.popleft()
            self.dropped += 1
        self._wake.set()

    async def run(self) -> None:
        while True:
            while not self._pending:
                self._wake.clear()
                await self._wake.wait()
            owner, key, request = self._pending.popleft()
            try:
                wav = await self._synthesize(request)
            except SpeechError as exc:
                self.failed += 1
                if self.failed == 1:
                    log.warning("auditory-scan clips cannot be rendered ahead: %s", exc)
                continue
            self.rendered += 1
            self._on_rendered(owner, key, wav)
