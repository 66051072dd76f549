"""Per-kit token buckets, so that one noisy or hostile kit cannot starve the others.

Checked right after the topic is parsed, before any JSON work, so a flood costs little.
A kit's normal stream is about 5 telemetry messages a second (0.2 s waveform chunks);
the default allows 40 times that sustained, with a burst for an offline kit's replay.
"""

from __future__ import annotations

from gateway.identifiers import KitRef


class _Bucket:
    __slots__ = ("tokens", "updated")

    def __init__(self, tokens: float, updated: float) -> None:
        self.tokens = tokens
        self.updated = updated


class KitRateLimiter:
    def __init__(self, rate_per_s: float = 200.0, burst: float = 2_000.0, max_kits: int = 100_000):
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("rate_per_s must be > 0 and burst >= 1")
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._max_kits = max_kits
        self._buckets: dict[KitRef, _Bucket] = {}

    def allow(self, kit: KitRef, now: float) -> bool:
        bucket = self._buckets.get(kit)
        if bucket is None:
            if len(self._buckets) >= self._max_kits:
                self._buckets.pop(next(iter(self._buckets)))
            bucket = self._buckets[kit] = _Bucket(self.burst, now)
        elapsed = max(0.0, now - bucket.updated)
        bucket.tokens = min(self.burst, bucket.tokens + elapsed * self.rate_per_s)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return True
        return False
