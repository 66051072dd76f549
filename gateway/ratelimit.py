"""Per-kit message limits, so that one noisy or hostile kit cannot starve the others,
without refusing (and so losing for good) a kit's legitimate backlog.

A kit's normal stream is about 5 telemetry messages a second (0.2 s waveform chunks).
A refused message is acknowledged and gone, so the limit must tell a flood from a
backlog: a kit replaying its spool after a network outage, or the broker delivering
what it held while the service restarted, sends minutes of old data in seconds.
The message's device time (``ts``) tells them apart. The rule, per kit:

* **Live** messages, whose newest ``ts`` is at most ``backlog_age_s`` (10 s) older
  than their arrival, spend a token from the *live* bucket: it refills with wall-clock
  time at ``rate_per_s`` (default 50/s, 10x normal) and holds ``burst`` (default 500,
  100 s of normal traffic). A live 50x flood (250/s) gets 50/s through.
* **Backlog** messages, older than that, spend from the *backlog* bucket instead. It
  refills with *device* time: when a backlog message's ``ts`` moves the kit's backlog
  mark (the newest backlog ``ts`` so far) forward, the kit earns ``rate_per_s`` tokens
  per device-second advanced, up to ``burst``. A backlog is therefore accepted at any
  speed as long as it is no denser in device time than the live limit would have let
  through had the kit been online; repeating or going back in time earns nothing, and
  a kit whose clock lags (so that all it sends looks old) is held to the live rate.
* So that walking ``ts`` forward through years of past device time is not a way round
  the limit, each backlog message also spends from an *allowance* that holds
  ``backlog_burst`` (default 100,000 messages: the kit agent's whole default spool)
  and refills with wall-clock time at ``rate_per_s``. A hostile kit sending old
  timestamps gets at most that many messages once, then ``rate_per_s`` a second:
  twice the live rate in all.

Device times come from messages that have passed the whole-message checks, so the
limit is judged after the message is read and before its readings are kept.
"""

from __future__ import annotations

from gateway.identifiers import KitRef

BACKLOG_AGE_S = 10.0
DEFAULT_RATE_PER_S = 50.0
DEFAULT_BURST = 500.0
DEFAULT_BACKLOG_BURST = 100_000.0


class _KitBuckets:
    __slots__ = ("allowance", "backlog", "live", "mark", "updated")

    def __init__(self, live: float, backlog: float, allowance: float, now: float) -> None:
        self.live = live
        self.backlog = backlog
        self.allowance = allowance
        self.mark = -float("inf")  # newest device ts of a backlog message so far
        self.updated = now  # wall clock of the last refill


class KitRateLimiter:
    """Judges each kit message against the kit's live or backlog budget (module docstring)."""

    def __init__(
        self,
        rate_per_s: float = DEFAULT_RATE_PER_S,
        burst: float = DEFAULT_BURST,
        max_kits: int = 100_000,
        *,
        backlog_age_s: float = BACKLOG_AGE_S,
        backlog_burst: float = DEFAULT_BACKLOG_BURST,
    ) -> None:
        if rate_per_s <= 0 or burst < 1 or backlog_burst < 1 or backlog_age_s < 0:
            raise ValueError(
                "rate_per_s must be > 0, burst and backlog_burst >= 1, backlog_age_s >= 0"
            )
        self.rate_per_s = rate_per_s
        self.burst = burst
        self.backlog_age_s = backlog_age_s
        self.backlog_burst = backlog_burst
        self._max_kits = max_kits
        self._kits: dict[KitRef, _KitBuckets] = {}

    def check(self, kit: KitRef, now: float, device_ts: float) -> str | None:
        """Spend one message of ``kit``'s budget; the reason it is refused, or None.

        ``now`` is the arrival time, ``device_ts`` the newest device time in the message.
        """
        buckets = self._kits.get(kit)
        if buckets is None:
            if len(self._kits) >= self._max_kits:
                self._kits.pop(next(iter(self._kits)))
            buckets = self._kits[kit] = _KitBuckets(self.burst, self.burst, self.backlog_burst, now)
        elapsed = now - buckets.updated
        if elapsed > 0.0:  # the clock went on: refill (comparisons, not min/max: hot path)
            buckets.updated = now
            gained = elapsed * self.rate_per_s
            live = buckets.live + gained
            buckets.live = live if live < self.burst else self.burst
            allowance = buckets.allowance + gained
            buckets.allowance = allowance if allowance < self.backlog_burst else self.backlog_burst
        if device_ts >= now - self.backlog_age_s:
            if buckets.live < 1.0:
                return f"kit exceeds {self.rate_per_s:g} messages/s"
            buckets.live -= 1.0
            return None
        if device_ts > buckets.mark:
            advance = device_ts - buckets.mark  # inf for the kit's first backlog message
            buckets.backlog = min(self.burst, buckets.backlog + advance * self.rate_per_s)
            buckets.mark = device_ts
        if buckets.backlog < 1.0:
            return f"kit's backlog exceeds {self.rate_per_s:g} messages per second of device time"
        if buckets.allowance < 1.0:
            return (
                f"kit's backlog exceeds {self.backlog_burst:g} messages plus {self.rate_per_s:g}/s"
            )
        buckets.backlog -= 1.0
        buckets.allowance -= 1.0
        return None
