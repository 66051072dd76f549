"""The speech cache: rendered WAVs by cache key, bounded by entries and bytes (LRU).

Bound: ``ACCESSTWIN_SPEECH_CACHE_MB`` (the byte bound); a WAV larger than the whole bound
is not kept. Evictions are counted (metric ``accesstwin_speech_cache_evictions_total``)
and logged, at most once a minute, while they happen.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict

log = logging.getLogger(__name__)


class WavCache:
    """WAVs by key, least recently used evicted past ``max_entries`` or ``max_bytes``."""

    LOG_EVERY_S = 60.0

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._max_entries, self.max_bytes, self.bytes = max_entries, max_bytes, 0
        self.evictions = 0
        self._logged_at = -math.inf

    def get(self, key: str) -> bytes | None:
        if key in self._items:
            self._items.move_to_end(key)
        return self._items.get(key)

    def put(self, key: str, value: bytes) -> None:
        if len(value) > self.max_bytes or self._max_entries <= 0:
            return
        self.bytes += len(value) - len(self._items.pop(key, b""))
        self._items[key] = value
        evicted = 0
        while len(self._items) > self._max_entries or self.bytes > self.max_bytes:
            self.bytes -= len(self._items.popitem(last=False)[1])
            evicted += 1
        if evicted:
            self.evictions += evicted
            self._log_eviction()

    def _log_eviction(self) -> None:
        now = time.monotonic()
        if now - self._logged_at >= self.LOG_EVERY_S:
            self._logged_at = now
            log.warning(
                "speech cache full (%d entries, %.1f of %.1f MiB; ACCESSTWIN_SPEECH_CACHE_MB):"
                " evicting least recently used audio, %d evicted so far (logged once a minute)",
                len(self._items),
                self.bytes / 2**20,
                self.max_bytes / 2**20,
                self.evictions,
            )
